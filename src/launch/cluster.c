/* Forming a Redis Cluster from freshly started shards: every server meets the first, the 16384 slots are
 * split evenly over the primaries, each replica is told to follow its primary, and we wait until every server
 * sees a healthy cluster with every replica in place and a write and a read through the cluster (following
 * MOVED) succeed. Works for any N >= 2 primaries (replicas need 3 or more: db.c checks). */
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

static int add_slots(redisContext *c, int lo, int hi, char *why, size_t n_why) {
    redisReply *r = redisCommand(c, "CLUSTER ADDSLOTSRANGE %d %d", lo, hi);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    bool unknown = r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "nknown");
    snprintf(why, n_why, "%s", r && r->type == REDIS_REPLY_ERROR ? r->str : r ? "" : c->errstr);
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
    snprintf(why, n_why, "%s", r && r->type == REDIS_REPLY_ERROR ? r->str : r ? "" : c->errstr);
    if (r)
        freeReplyObject(r);
    free(nums);
    free(argv);
    return ok ? 0 : -1;
}

/* Give a primary the slots lo..hi it does not hold yet. A server that read keys back from its files
 * (--persist) without a cluster config has already claimed their slots, and Redis refuses to add a slot
 * twice. */
static int add_missing_slots(redisContext *c, int lo, int hi, char *why, size_t n_why) {
    static bool owned[NSLOTS];
    memset(owned, 0, sizeof owned);
    redisReply *r = redisCommand(c, "CLUSTER NODES");
    const char *me = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "myself") : NULL;
    if (me) {
        /* "<id> <addr> myself,master - 0 0 <epoch> connected 0-2 4 7-11 ..." */
        const char *p = me, *eol = strchr(me, '\n');
        for (int field = 0; field < 6 && p; field++)
            p = strchr(p + 1, ' ');
        while (p && (!eol || p < eol)) {
            int a, b;
            int got = sscanf(p, " %d-%d", &a, &b);
            if (got >= 1 && p[1] != '[') { /* "[slot->-node]" marks a migration, not a holding */
                if (got == 1)
                    b = a;
                for (int k = a < 0 ? 0 : a; k <= b && k < NSLOTS; k++)
                    owned[k] = true;
            }
            p = strchr(p + 1, ' ');
        }
    }
    if (r)
        freeReplyObject(r);
    for (int k = lo; k <= hi;) {
        if (owned[k]) {
            k++;
            continue;
        }
        int end = k;
        while (end + 1 <= hi && !owned[end + 1])
            end++;
        if (add_slots(c, k, end, why, n_why) != 0)
            return -1;
        k = end + 1;
    }
    return 0;
}

/* The even split: primary i of np serves first_slot(i) .. first_slot(i + 1) - 1. */
static int first_slot(int i, int np) {
    return (int)((long)i * NSLOTS / np);
}

static int count_primaries(const db_state *s) {
    int n = 0;
    for (int i = 0; i < s->nshards; i++)
        n += !s->shards[i].replica;
    return n;
}

/* Every slot served and every server known. */
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

/* CLUSTER SLOTS, as clients read it, lists every replica of every primary. Redis lists a replica once it
 * has replicated something (a nonzero offset), so a failover from then on has data to hand over. */
static bool shard_lists_replicas(const db_state *s, int i) {
    redisContext *c = shard_connect(s, i, 2000);
    if (!c)
        return false;
    redisReply *r = redisCommand(c, "CLUSTER SLOTS");
    bool ok = r && r->type == REDIS_REPLY_ARRAY && (int)r->elements == count_primaries(s);
    for (size_t k = 0; ok && k < r->elements; k++)
        ok = r->element[k]->type == REDIS_REPLY_ARRAY && (int)r->element[k]->elements == 3 + s->replicas;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return ok;
}

/* A key in each primary's slot range (CLUSTER KEYSLOT does the hashing), so the probe reaches every primary;
 * its write is also what gets the replicas listed. 0 or -1. */
static int probe_keys(const db_state *s, int np, char (*keys)[32]) {
    redisContext *c = shard_connect(s, 0, 2000);
    if (!c)
        return -1;
    int found = 0;
    for (int k = 0; found < np && k < 100000; k++) {
        char key[32];
        snprintf(key, sizeof key, "locus:probe:{%d}", k);
        redisReply *r = redisCommand(c, "CLUSTER KEYSLOT %s", key);
        if (!r || r->type != REDIS_REPLY_INTEGER) {
            if (r)
                freeReplyObject(r);
            break;
        }
        int owner = np - 1;
        while (owner > 0 && first_slot(owner, np) > r->integer)
            owner--;
        freeReplyObject(r);
        if (!keys[owner][0]) {
            snprintf(keys[owner], 32, "%s", key);
            found++;
        }
    }
    redisFree(c);
    return found == np ? 0 : -1;
}

/* A server to be a replica starts empty and without slots: one that read keys back from its files
 * (--persist) has claimed their slots, and Redis makes only an empty node without slots a replica. Following
 * its primary replaces its data with the primary's in any case. 0 or -1. */
static int empty_replica(const db_state *s, int i) {
    redisContext *c = shard_connect(s, i, 2000);
    redisReply *f = c ? redisCommand(c, "FLUSHALL") : NULL;
    redisReply *r = f ? redisCommand(c, "CLUSTER RESET SOFT") : NULL;
    int rc = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "locus db: could not empty %s:%d to make it a replica: %s\n", s->shards[i].host,
                s->shards[i].port, r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
    if (r)
        freeReplyObject(r);
    if (f)
        freeReplyObject(f);
    if (c)
        redisFree(c);
    return rc;
}

/* Make replica i follow its primary: it must know the primary's node id first (gossip spreads it after the
 * MEETs), so an "unknown node" reply is waited out. */
static int follow_primary(const db_state *s, int i, double deadline) {
    const shard_state *h = &s->shards[i];
    redisContext *p = shard_connect(s, h->primary, 2000), *c = shard_connect(s, i, 2000);
    redisReply *id = p ? redisCommand(p, "CLUSTER MYID") : NULL;
    int rc = -1;
    char why[300] = "no answer";
    if (c && id && id->type == REDIS_REPLY_STRING) {
        while (rc != 0 && now_ms() < deadline) {
            redisReply *r = redisCommand(c, "CLUSTER REPLICATE %s", id->str);
            rc = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
            snprintf(why, sizeof why, "%s", r && r->type == REDIS_REPLY_ERROR ? r->str : "no answer");
            bool unknown = r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "nknown node");
            if (r)
                freeReplyObject(r);
            if (rc != 0 && !unknown)
                break;
            if (rc != 0)
                usleep(100000);
        }
    }
    if (rc != 0)
        fprintf(stderr, "locus db: %s:%d could not become a replica of shard %d (%s:%d): %s\n", h->host,
                h->port, h->primary, s->shards[h->primary].host, s->shards[h->primary].port, why);
    if (id)
        freeReplyObject(id);
    if (p)
        redisFree(p);
    if (c)
        redisFree(c);
    return rc;
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
    int np = count_primaries(s); /* primaries come first in shards[] */
    for (int i = np; i < s->nshards; i++)
        if (empty_replica(s, i) != 0)
            return -1;
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
    for (int i = 0; i < np; i++) {
        int lo = first_slot(i, np), hi = first_slot(i + 1, np) - 1;
        redisContext *c = shard_connect(s, i, 2000);
        char why[300] = "no answer";
        if (!c || add_missing_slots(c, lo, hi, why, sizeof why) != 0) {
            fprintf(stderr, "locus db: could not assign slots %d-%d to shard %d: %s\n", lo, hi, i, why);
            if (c)
                redisFree(c);
            return -1;
        }
        redisFree(c);
    }
    double deadline = now_ms() + timeout_ms;
    for (int i = np; i < s->nshards; i++)
        if (follow_primary(s, i, deadline) != 0)
            return -1;
    char keys[DB_MAX_SHARDS][32] = {{0}};
    if (probe_keys(s, np, keys) != 0) {
        fprintf(stderr, "locus db: CLUSTER KEYSLOT failed on shard 0\n");
        return -1;
    }
    while (now_ms() < deadline) {
        int healthy = 0;
        for (int i = 0; i < s->nshards; i++)
            healthy += shard_sees_healthy_cluster(s, i);
        if (healthy == s->nshards) {
            int good = 0;
            for (int k = 0; k < np; k++) {
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
            int listed = 0;
            for (int i = 0; s->replicas > 0 && good == np && i < s->nshards; i++)
                listed += shard_lists_replicas(s, i);
            if (good == np && (s->replicas == 0 || listed == s->nshards))
                return 0;
        }
        usleep(100000);
    }
    char replicas[64] = "";
    if (s->replicas > 0)
        snprintf(replicas, sizeof replicas, " with %d replica%s each", s->replicas,
                 s->replicas > 1 ? "s" : "");
    fprintf(stderr, "locus db: the cluster of %d shards%s did not become healthy within %d ms\n", np,
            replicas, timeout_ms);
    return -1;
}

long cluster_conf_primary_epoch(const char *nodes_conf) {
    FILE *f = fopen(nodes_conf, "r");
    if (!f)
        return -1;
    char line[8192];
    long epoch = -1;
    while (fgets(line, sizeof line, f)) {
        /* "<id> <addr> <flags> <primary> <ping> <pong> <config epoch> <link> <slots...>" */
        char flags[256];
        long e;
        if (sscanf(line, "%*s %*s %255s %*s %*s %*s %ld", flags, &e) == 2 && strstr(flags, "myself") &&
            strstr(flags, "master"))
            epoch = e;
    }
    fclose(f);
    return epoch;
}
