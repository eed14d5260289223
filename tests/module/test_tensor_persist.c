/* Persistence and replication of tensors against real servers: RDB save and restart, AOF (rewritten by
 * our aof_rewrite callback, without the RDB preamble) and restart, and a replica started with
 * --replicaof. In every case each key's DEBUG DIGEST-VALUE and the whole-database digest must come back
 * identical. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static const char *type_names[] = {"FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "BOOL"};
static const int type_sizes[] = {4, 8, 1, 2, 4, 8, 1, 2, 1};
#define NTYPES 9
#define NKEYS (NTYPES * 3)

static void key_name(char *buf, size_t n, int type, int variant) {
    snprintf(buf, n, "%s:%d{t}", type_names[type], variant);
}

/* Per type: a small VALUES tensor, a large BLOB tensor (held storage), a zero-filled one. */
static void store_all(redisContext *c) {
    char key[64];
    for (int t = 0; t < NTYPES; t++) {
        key_name(key, sizeof key, t, 0);
        freeReplyObject(lt_cmdf(c, "AI.TENSORSET %s %s 2 3 VALUES 1 0 1 1 0 1", key, type_names[t]));
        key_name(key, sizeof key, t, 1);
        size_t n = 70000, nbytes = n * type_sizes[t];
        unsigned char *blob = malloc(nbytes);
        for (size_t i = 0; i < nbytes; i++)
            blob[i] = (unsigned char)((i * 131 + t) & (t == 8 ? 1 : 0xff)); /* BOOL stays 0/1 */
        if (t <= 1) /* keep floats finite */
            for (size_t i = 0; i < n; i++)
                memset(blob + i * type_sizes[t], 0x3f, 1);
        redisReply *r = lt_cmdf(c, "AI.TENSORSET %s %s 7 10000 BLOB %b", key, type_names[t], blob, nbytes);
        CHECK(r->type == REDIS_REPLY_STATUS);
        freeReplyObject(r);
        free(blob);
        key_name(key, sizeof key, t, 2);
        freeReplyObject(lt_cmdf(c, "AI.TENSORSET %s %s 5", key, type_names[t]));
    }
}

typedef struct {
    char key[NKEYS][64];
    char digest[NKEYS][41];
    char db[41];
} snapshot;

static void take(redisContext *c, snapshot *s) {
    int k = 0;
    for (int t = 0; t < NTYPES; t++)
        for (int v = 0; v < 3; v++, k++) {
            key_name(s->key[k], sizeof s->key[k], t, v);
            redisReply *r = lt_cmdf(c, "DEBUG DIGEST-VALUE %s", s->key[k]);
            snprintf(s->digest[k], 41, "%s", r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0]->str : "missing");
            freeReplyObject(r);
        }
    redisReply *r = lt_cmdf(c, "DEBUG DIGEST");
    snprintf(s->db, 41, "%s", r->type == REDIS_REPLY_STATUS ? r->str : "?");
    freeReplyObject(r);
}

static void compare(const snapshot *a, const snapshot *b, const char *what) {
    int same = 0;
    for (int k = 0; k < NKEYS; k++) {
        if (strcmp(a->digest[k], b->digest[k]) == 0 && strcmp(a->digest[k], "missing") != 0 &&
            strcmp(a->digest[k], "0000000000000000000000000000000000000000") != 0)
            same++;
        else
            fprintf(stderr, "  %s: key %s digest %s != %s\n", what, a->key[k], a->digest[k], b->digest[k]);
    }
    CHECK(same == NKEYS);
    CHECK(strcmp(a->db, b->db) == 0);
}

static void test_rdb(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    snapshot before, after;
    take(c, &before);
    redisReply *r = lt_cmdf(c, "SAVE");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", s.dir);
    CHECK(lt_server_stop(&s, true) == 0);

    lt_server s2;
    lt_server_opts o = {.dir = dir};
    REQUIRE(lt_server_start(&s2, &o) == 0);
    s2.own_dir = true; /* remove the dir with this one */
    c = lt_connect(&s2);
    take(c, &after);
    compare(&before, &after, "rdb restart");
    redisFree(c);
    CHECK(lt_server_stop(&s2, false) == 0);
}

static void test_aof(void) {
    lt_server s;
    lt_server_opts o = {.extra = {"--appendonly", "yes", "--aof-use-rdb-preamble", "no", NULL}};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    snapshot before, after;
    take(c, &before);
    freeReplyObject(lt_cmdf(c, "BGREWRITEAOF"));
    usleep(100000);
    CHECK(lt_wait_aof_rewrite(c) == 0); /* AOF rewrite did not finish */
    redisFree(c);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", s.dir);
    CHECK(lt_server_stop(&s, true) == 0);

    /* The rewritten base file holds our AI.TENSORSET records (not an RDB preamble). */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -qa 'AI.TENSORSET' %s/appendonlydir/*.base.aof", dir);
    CHECK(system(cmd) == 0);

    lt_server_opts o2 = {.dir = dir, .extra = {"--appendonly", "yes", "--aof-use-rdb-preamble", "no", NULL}};
    lt_server s2;
    REQUIRE(lt_server_start(&s2, &o2) == 0);
    s2.own_dir = true;
    c = lt_connect(&s2);
    take(c, &after);
    compare(&before, &after, "aof restart");
    redisFree(c);
    CHECK(lt_server_stop(&s2, false) == 0);
}

static void test_replica(void) {
    lt_server m, r;
    REQUIRE(lt_server_start(&m, NULL) == 0);
    redisContext *mc = lt_connect(&m);
    store_all(mc);
    char port[16];
    snprintf(port, sizeof port, "%d", m.port);
    lt_server_opts o = {.extra = {"--replicaof", "127.0.0.1", port, NULL}};
    REQUIRE(lt_server_start(&r, &o) == 0);
    redisContext *rc = lt_connect(&r);
    /* A write after the initial sync travels by command replication. */
    freeReplyObject(lt_cmdf(mc, "AI.TENSORSET late{t} INT16 3 VALUES -1 0 1"));
    redisReply *w = lt_cmdf(mc, "WAIT 1 20000");
    CHECK(w->type == REDIS_REPLY_INTEGER && w->integer == 1);
    freeReplyObject(w);
    snapshot a, b;
    take(mc, &a);
    take(rc, &b);
    compare(&a, &b, "replica");
    redisReply *x = lt_cmdf(rc, "AI.TENSORGET late{t} VALUES");
    CHECK(x->type == REDIS_REPLY_ARRAY && x->elements == 3 && x->element[0]->integer == -1);
    freeReplyObject(x);
    x = lt_cmdf(rc, "AI.TENSORSET nope FLOAT 1"); /* replicas are read-only */
    CHECK(x->type == REDIS_REPLY_ERROR && strstr(x->str, "READONLY"));
    freeReplyObject(x);
    redisFree(mc);
    redisFree(rc);
    CHECK(lt_server_stop(&r, false) == 0);
    CHECK(lt_server_stop(&m, false) == 0);
}

int main(void) {
    test_rdb();
    test_aof();
    test_replica();
    return lt_report("module_tensor_persist");
}
