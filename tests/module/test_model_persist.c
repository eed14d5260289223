/* Persistence of models and scripts: RDB save + restart and AOF rewrite + restart give back byte-identical
 * blobs and sources that still run, with MODEL_CHUNK_SIZE set small so the blob is written, rewritten and
 * replied in several chunks; a replica receives models and the outputs of runs. With --errors-only it runs
 * just the error paths that never reach libtorch (for the valgrind run). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_util.h"
#include "server.h"

static char *model, *src;
static size_t mlen, slen;

static void store(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE m{t} TORCH CPU TAG tagged BATCHSIZE 4 MINBATCHSIZE 2 MINBATCHTIMEOUT 50 "
                               "BLOB %b", model, mlen), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE s{t} CPU ENTRY_POINTS 2 pre_process sum_all SOURCE %b", src, slen),
                    "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSET old{t} CPU SOURCE %b", src, slen), "OK"));
    size_t n;
    char *x = tm_read("linear_in.bin", &n);
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x{t} FLOAT 2 4 BLOB %b", x, n), "OK"));
    free(x);
}

static void verify(redisContext *c, const char *what) {
    fprintf(stderr, "verify %s\n", what);
    /* the blob comes back chunked (MODEL_CHUNK_SIZE 1024) and byte-identical */
    redisReply *r = lt_cmdf(c, "AI.MODELGET m{t} BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == (mlen + 1023) / 1024);
    if (r->type == REDIS_REPLY_ARRAY) {
        size_t off = 0;
        int same = 1;
        for (size_t i = 0; i < r->elements; i++) {
            same &= off + r->element[i]->len <= mlen && memcmp(model + off, r->element[i]->str, r->element[i]->len) == 0;
            off += r->element[i]->len;
        }
        CHECK(same && off == mlen);
    }
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.MODELGET m{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 16 && strcmp(r->element[5]->str, "tagged") == 0 &&
          r->element[7]->integer == 4 && r->element[9]->integer == 2 && r->element[15]->integer == 50);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.SCRIPTGET s{t} SOURCE");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == slen && memcmp(r->str, src, slen) == 0);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE m{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "linear_out.bin", 1e-4f));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE s{t} sum_all INPUTS 2 x{t} x{t} OUTPUTS 1 z{t}"), "OK"));
    r = lt_cmdf(c, "AI.SCRIPTGET old{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && r->element[5]->elements == 0);
    freeReplyObject(r);
}

static void digests(redisContext *c, char out[3][41]) {
    const char *keys[3] = {"m{t}", "s{t}", "old{t}"};
    for (int i = 0; i < 3; i++) {
        redisReply *r = lt_cmdf(c, "DEBUG DIGEST-VALUE %s", keys[i]);
        snprintf(out[i], 41, "%s", r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0]->str : "?");
        freeReplyObject(r);
    }
}

static void restart_test(int aof) {
    lt_server s;
    lt_server_opts o = {.module_args = "MODEL_CHUNK_SIZE 1024", .no_valgrind = true};
    if (aof) {
        o.extra[0] = "--appendonly";
        o.extra[1] = "yes";
        o.extra[2] = "--aof-use-rdb-preamble";
        o.extra[3] = "no";
    }
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store(c);
    verify(c, aof ? "aof before" : "rdb before");
    char before[3][41], after[3][41];
    digests(c, before);
    if (aof) {
        freeReplyObject(lt_cmdf(c, "BGREWRITEAOF"));
        CHECK(lt_wait_aof_rewrite(c) == 0);
    } else {
        CHECK(tm_status(lt_cmdf(c, "SAVE"), "OK"));
    }
    redisFree(c);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", s.dir);
    CHECK(lt_server_stop(&s, true) == 0);
    if (aof) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "grep -qa 'AI.MODELSTORE' %s/appendonlydir/*.base.aof", dir);
        CHECK(system(cmd) == 0);
    }
    lt_server s2;
    o.dir = dir;
    REQUIRE(lt_server_start(&s2, &o) == 0);
    s2.own_dir = true;
    c = lt_connect(&s2);
    digests(c, after);
    for (int i = 0; i < 3; i++)
        CHECK(strcmp(before[i], after[i]) == 0 && strcmp(before[i], "?") != 0);
    verify(c, aof ? "aof after" : "rdb after");
    redisFree(c);
    CHECK(lt_server_stop(&s2, false) == 0);
}

static void replica_test(void) {
    lt_server m, r;
    lt_server_opts mo = {.no_valgrind = true};
    REQUIRE(lt_server_start(&m, &mo) == 0);
    redisContext *mc = lt_connect(&m);
    char port[16];
    snprintf(port, sizeof port, "%d", m.port);
    lt_server_opts ro = {.no_valgrind = true, .extra = {"--replicaof", "127.0.0.1", port, NULL}};
    REQUIRE(lt_server_start(&r, &ro) == 0);
    redisContext *rc = lt_connect(&r);
    store(mc);
    CHECK(tm_status(lt_cmdf(mc, "AI.MODELEXECUTE m{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    redisReply *w = lt_cmdf(mc, "WAIT 1 20000");
    CHECK(w->type == REDIS_REPLY_INTEGER && w->integer == 1);
    freeReplyObject(w);
    /* give the replica the time to apply the stream */
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        redisReply *e = lt_cmdf(rc, "EXISTS y{t} m{t} s{t}");
        ok = e->type == REDIS_REPLY_INTEGER && e->integer == 3;
        freeReplyObject(e);
        if (!ok)
            usleep(50000);
    }
    CHECK(ok);
    CHECK(tm_check_output(rc, "y{t}", "linear_out.bin", 1e-4f));
    redisFree(mc);
    redisFree(rc);
    CHECK(lt_server_stop(&r, false) == 0);
    CHECK(lt_server_stop(&m, false) == 0);
}

/* Error paths that stop before libtorch is ever loaded, for the valgrind run. */
static void errors_only(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    freeReplyObject(lt_cmdf(c, "SET str v"));
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET x FLOAT 2 VALUES 1 2"));
    const char *cmds[] = {
        "AI.MODELSTORE m TF CPU BLOB abc", "AI.MODELSTORE m ONNX CPU BLOB abc", "AI.MODELSTORE m TORCH CPU",
        "AI.MODELSTORE m PORCH CPU BLOB a", "AI.MODELSTORE m TORCH bad BLOB a", "AI.MODELSTORE str TORCH CPU BLOB a",
        "AI.MODELSTORE m TORCH CPU BATCHSIZE x BLOB a", "AI.MODELGET nokey", "AI.MODELGET str", "AI.MODELDEL nokey",
        "AI.MODELEXECUTE nokey INPUTS 1 x OUTPUTS 1 y", "AI.MODELEXECUTE str INPUTS 1 x OUTPUTS 1 y",
        "AI.SCRIPTGET nokey", "AI.SCRIPTDEL str", "AI.SCRIPTEXECUTE nokey f INPUTS 1 x OUTPUTS 1 y",
        "AI.SCRIPTSTORE s CPU SOURCE x", "AI.SCRIPTSTORE s bad ENTRY_POINTS 1 f SOURCE x",
        "AI.DAGEXECUTE LOAD 1 nokey |> AI.TENSORGET nokey", "AI.DAGEXECUTE |> SET a b",
        "AI.DAGEXECUTE |> AI.TENSORGET x", "AI.DAGEXECUTE_RO PERSIST 1 x |> AI.TENSORSET x FLOAT 1",
        "AI.DAGEXECUTE |> AI.TENSORSET t FLOAT 2 VALUES 1", "AI.INFO nokey", "AI.INFO x", "AI.CONFIG BOGUS",
        "AI.CONFIG LOADBACKEND TF nothere.so", NULL};
    for (int i = 0; cmds[i] != NULL; i++) {
        redisReply *r = lt_cmdf(c, cmds[i]);
        if (r->type != REDIS_REPLY_ERROR)
            fprintf(stderr, "no error for %s\n", cmds[i]);
        CHECK(r->type == REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
    /* a DAG without models runs on a worker thread without libtorch */
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 x PERSIST 1 t |> AI.TENSORSET t FLOAT 2 VALUES 3 4 "
                               "|> AI.TENSORGET x VALUES |> AI.TENSORGET t BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET t VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--errors-only") == 0) {
        errors_only();
        return lt_report("module_model_errors");
    }
    model = tm_read("linear.pt", &mlen);
    src = tm_read("script.py", &slen);
    restart_test(0);
    restart_test(1);
    replica_test();
    errors_only();
    free(model);
    free(src);
    return lt_report("module_model_persist");
}
