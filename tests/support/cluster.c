/* A throwaway Redis Cluster for tests; see cluster.h. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void node_id(redisContext *c, char *id, size_t len) {
    redisReply *r = lt_cmdf(c, "CLUSTER MYID");
    snprintf(id, len, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

int lt_cluster_start(lt_cluster *c, int n) {
    memset(c, 0, sizeof *c);
    if (n < 1 || n > LT_CLUSTER_MAX)
        return -1;
    lt_server_opts o = {0};
    o.extra[0] = "--cluster-enabled";
    o.extra[1] = "yes";
    o.extra[2] = "--cluster-node-timeout";
    o.extra[3] = "5000";
    o.extra[4] = "--appendonly";
    o.extra[5] = "no";
    o.no_valgrind = true;
    for (int i = 0; i < n; i++) {
        if (lt_server_start(&c->node[i], &o) != 0) {
            fprintf(stderr, "lt_cluster_start: node %d did not start\n", i);
            c->n = i;
            lt_cluster_stop(c);
            return -1;
        }
        c->n = i + 1;
        size_t l = strlen(c->ssdb);
        snprintf(c->ssdb + l, sizeof c->ssdb - l, "%s127.0.0.1:%d", i ? "," : "", c->node[i].port);
    }
    for (int i = 0; i < n; i++) {
        redisContext *k = lt_connect(&c->node[i]);
        int lo = 16384 * i / n, hi = 16384 * (i + 1) / n - 1;
        redisReply *r = lt_cmdf(k, "CLUSTER ADDSLOTSRANGE %d %d", lo, hi);
        if (r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "lt_cluster_start: ADDSLOTSRANGE: %s\n", r->str);
            freeReplyObject(r);
            redisFree(k);
            lt_cluster_stop(c);
            return -1;
        }
        freeReplyObject(r);
        if (i > 0)
            freeReplyObject(lt_cmdf(k, "CLUSTER MEET 127.0.0.1 %d", c->node[0].port));
        redisFree(k);
    }
    double deadline = now_s() + 30;
    while (now_s() < deadline) {
        int ready = 0;
        for (int i = 0; i < n; i++) {
            redisContext *k = lt_connect(&c->node[i]);
            redisReply *r = lt_cmdf(k, "CLUSTER INFO");
            int ok = r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok");
            char want[64];
            snprintf(want, sizeof want, "cluster_known_nodes:%d", n);
            ok = ok && strstr(r->str, want);
            freeReplyObject(r);
            /* every node must also map every slot range (gossip has reached it) */
            r = lt_cmdf(k, "CLUSTER SLOTS");
            ok = ok && r->type == REDIS_REPLY_ARRAY && (int)r->elements == n;
            freeReplyObject(r);
            redisFree(k);
            ready += ok;
        }
        if (ready == n)
            return 0;
        usleep(100000);
    }
    fprintf(stderr, "lt_cluster_start: cluster did not become ready in 30 s\n");
    lt_cluster_stop(c);
    return -1;
}

int lt_cluster_stop(lt_cluster *c) {
    int rc = 0;
    for (int i = 0; i < c->n; i++)
        if (lt_server_stop(&c->node[i], false) != 0)
            rc = -1;
    c->n = 0;
    return rc;
}

int lt_cluster_slot_owner(lt_cluster *c, int slot) {
    redisContext *k = lt_connect(&c->node[0]);
    redisReply *r = lt_cmdf(k, "CLUSTER SLOTS");
    int owner = -1;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (slot >= e->element[0]->integer && slot <= e->element[1]->integer) {
            int port = (int)e->element[2]->element[1]->integer;
            for (int j = 0; j < c->n; j++)
                if (c->node[j].port == port)
                    owner = j;
        }
    }
    freeReplyObject(r);
    redisFree(k);
    return owner;
}

int lt_cluster_migrate_slot(lt_cluster *c, int slot, int from, int to, int batch, int pause_us) {
    redisContext *src = lt_connect(&c->node[from]), *dst = lt_connect(&c->node[to]);
    char src_id[64], dst_id[64];
    node_id(src, src_id, sizeof src_id);
    node_id(dst, dst_id, sizeof dst_id);
    int rc = 0;
    redisReply *r = lt_cmdf(dst, "CLUSTER SETSLOT %d IMPORTING %s", slot, src_id);
    rc |= r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    r = lt_cmdf(src, "CLUSTER SETSLOT %d MIGRATING %s", slot, dst_id);
    rc |= r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    for (;;) {
        r = lt_cmdf(src, "CLUSTER GETKEYSINSLOT %d %d", slot, batch);
        size_t nk = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
        for (size_t i = 0; i < nk; i++) {
            redisReply *m = lt_cmdf(src, "MIGRATE 127.0.0.1 %d %b 0 5000 REPLACE", c->node[to].port,
                                    r->element[i]->str, r->element[i]->len);
            if (m->type == REDIS_REPLY_ERROR && !strstr(m->str, "NOKEY")) {
                fprintf(stderr, "lt_cluster_migrate_slot: MIGRATE: %s\n", m->str);
                rc = -1;
            }
            freeReplyObject(m);
        }
        freeReplyObject(r);
        if (nk == 0 || rc)
            break;
        usleep(pause_us);
    }
    for (int i = 0; i < c->n; i++) {
        redisContext *k = lt_connect(&c->node[i]);
        r = lt_cmdf(k, "CLUSTER SETSLOT %d NODE %s", slot, dst_id);
        rc |= r->type == REDIS_REPLY_ERROR;
        freeReplyObject(r);
        redisFree(k);
    }
    redisFree(src);
    redisFree(dst);
    return rc ? -1 : 0;
}
