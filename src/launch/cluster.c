/* Forming a Redis Cluster from freshly started shards: every shard meets the first, the 16384 slots are
 * split evenly, and we wait until every shard sees a healthy cluster and a write and a read through the
 * cluster (following MOVED) succeed. Works for any N >= 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

#define NSLOTS 16384

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void first_word(const char *s, char *out, size_t n) {
    size_t k = strcspn(s, " ");
    snprintf(out, n, "%.*s", (int)k, s);
}

static int add_slots(redisContext *c, int lo, int hi) {
    redisReply *r = redisCommand(c, "CLUSTER ADDSLOTSRANGE %d %d", lo, hi);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    bool unknown = r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "nknown");
    if (r)
        freeReplyObject(r);
    if (ok || !unknown)
        return ok ? 0 : -1;
    /* Servers before 7.0: one ADDSLOTS with every slot. */
    int n = hi - lo + 1;
    const char **argv = malloc(((size_t)n + 2) * sizeof *argv);
    char (*nums)[8] = malloc((size_t)n * sizeof *nums);
    argv[0] = "CLUSTER";
    argv[1] = "ADDSLOTS";
    for (int i = 0; i < n; i++) {
        snprintf(nums[i], 8, "%d", lo + i);
        argv[i + 2] = nums[i];
    }
    r = redisCommandArgv(c, n + 2, argv, NULL);
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    free(nums);
    free(argv);
    return ok ? 0 : -1;
}

static bool shard_sees_healthy_cluster(const db_state *s, int i) {
    redisContext *c = shard_connect(s, i, 2000);
    if (!c)
        return false;
    redisReply *r = redisCommand(c, "CLUSTER INFO");
    char want[64];
    snprintf(want, sizeof want, "cluster_known_nodes:%d\r", s->nshards);
    bool ok = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok") &&
              strstr(r->str, "cluster_slots_ok:16384") && strstr(r->str, want);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

/* One command through the cluster starting at shard 0, following a MOVED redirection. */
static redisReply *cluster_command(const db_state *s, const char *cmd, const char *key, const char *val) {
    redisContext *c = shard_connect(s, 0, 2000);
    if (!c)
        return NULL;
    for (int hop = 0; hop < 3; hop++) {
        redisReply *r = val ? redisCommand(c, "%s %s %s", cmd, key, val) : redisCommand(c, "%s %s", cmd, key);
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "MOVED ", 6) == 0) {
            char addr[300];
            snprintf(addr, sizeof addr, "%s", strchr(r->str + 6, ' ') ? strchr(r->str + 6, ' ') + 1 : "");
            freeReplyObject(r);
            char *colon = strrchr(addr, ':');
            if (!colon)
                break;
            *colon = '\0';
            redisFree(c);
            struct timeval tv = {2, 0};
            c = redisConnectWithTimeout(addr, atoi(colon + 1), tv);
            if (c == NULL || c->err)
                return NULL;
            if (s->password[0]) {
                redisReply *a = redisCommand(c, "AUTH %s", s->password);
                if (a)
                    freeReplyObject(a);
            }
            continue;
        }
        redisFree(c);
        return r;
    }
    redisFree(c);
    return NULL;
}

int cluster_form(const db_state *s, int timeout_ms) {
    redisContext *c0 = shard_connect(s, 0, 2000);
    if (!c0) {
        fprintf(stderr, "locus db: cannot reach shard 0 to form the cluster\n");
        return -1;
    }
    for (int i = 1; i < s->nshards; i++) {
        char ip[256];
        first_word(s->shards[i].bind, ip, sizeof ip);
        redisReply *r = redisCommand(c0, "CLUSTER MEET %s %d", ip, s->shards[i].port);
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (!ok)
            fprintf(stderr, "locus db: CLUSTER MEET %s %d failed: %s\n", ip, s->shards[i].port, r ? r->str : "no reply");
        if (r)
            freeReplyObject(r);
        if (!ok) {
            redisFree(c0);
            return -1;
        }
    }
    redisFree(c0);
    for (int i = 0; i < s->nshards; i++) {
        int lo = (int)((long)i * NSLOTS / s->nshards), hi = (int)((long)(i + 1) * NSLOTS / s->nshards) - 1;
        redisContext *c = shard_connect(s, i, 2000);
        if (!c || add_slots(c, lo, hi) != 0) {
            fprintf(stderr, "locus db: could not assign slots %d-%d to shard %d\n", lo, hi, i);
            if (c)
                redisFree(c);
            return -1;
        }
        redisFree(c);
    }
    double deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
        int healthy = 0;
        for (int i = 0; i < s->nshards; i++)
            healthy += shard_sees_healthy_cluster(s, i);
        if (healthy == s->nshards) {
            /* Keys on both ends of the slot range so more than one shard is exercised. */
            const char *keys[] = {"locus:probe:{a}", "locus:probe:{b}", "locus:probe:{c}"};
            int good = 0;
            for (int k = 0; k < 3; k++) {
                redisReply *w = cluster_command(s, "SET", keys[k], "ok");
                redisReply *r = cluster_command(s, "GET", keys[k], NULL);
                good += w && w->type == REDIS_REPLY_STATUS && r && r->type == REDIS_REPLY_STRING &&
                        strcmp(r->str, "ok") == 0;
                if (w)
                    freeReplyObject(w);
                if (r)
                    freeReplyObject(r);
                redisReply *d = cluster_command(s, "DEL", keys[k], NULL);
                if (d)
                    freeReplyObject(d);
            }
            if (good == 3)
                return 0;
        }
        usleep(100000);
    }
    fprintf(stderr, "locus db: the cluster of %d shards did not become healthy within %d ms\n", s->nshards, timeout_ms);
    return -1;
}
