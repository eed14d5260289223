/* The TFLITE backend (Arm NN 20.08, issue 19) through AI.MODELSTORE: FlatBuffer models written by
 * tests/models/gen_tflite.py (a fully connected layer, two inputs and two outputs by ADD and MUL, a conv
 * net), each run alone and with inputs of k times the model's batch (k passes), batched by the module
 * (BATCHSIZE), from several clients at once, and in DAGs (one with a Torch script before a TFLITE model);
 * outputs checked against numpy's; AI.MODELGET META/BLOB, AI.INFO and INFO as RedisAI replies them;
 * AI.MODELDEL; DUMP/RESTORE, restarts on the RDB file and on the AOF, a replica; and the refusals (random
 * bytes, every truncation of a model, a TorchScript file, FlatBuffers whose indices or sizes lie, operators
 * Arm NN lacks, GPU devices, INPUTS, runs with the wrong inputs) with the server up after each; a run of
 * many passes stopped at MODEL_EXECUTION_TIMEOUT.
 *
 * --no-torch: without the parts that need the Torch backend (its test files, a script in a DAG), for the
 * valgrind run and a build without libtorch. */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model_util.h"
#include "server.h"

static int with_torch = 1;

static int alive(redisContext *c) {
    redisReply *r = lt_cmdf(c, "PING");
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    freeReplyObject(r);
    return ok;
}

/* AI.MODELSTORE key TFLITE <opts> BLOB <file>; the reply (caller frees). */
static redisReply *store(redisContext *c, const char *key, const char *opts, const char *file) {
    size_t n;
    char *blob = tm_read(file, &n);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "AI.MODELSTORE %s TFLITE %s BLOB %%b", key, opts);
    redisReply *r = lt_cmdf(c, cmd, blob, n);
    free(blob);
    return r;
}

/* An error reply that contains every one of the NULL-terminated fragments; prints it otherwise. */
static int refused(redisReply *r, const char *what, ...) {
    int ok = r->type == REDIS_REPLY_ERROR;
    va_list ap;
    va_start(ap, what);
    for (const char *frag = what; ok && frag != NULL; frag = va_arg(ap, const char *))
        ok = strstr(r->str, frag) != NULL;
    va_end(ap);
    if (!ok)
        fprintf(stderr, "expected an error with '%s', got type %d: %s\n", what, r->type,
                r->str ? r->str : "");
    freeReplyObject(r);
    return ok;
}

/* MODELGET META: backend, device, the inputs and outputs lists as expected (names comma-separated). */
static int meta_is(redisContext *c, const char *key, const char *ins, const char *outs) {
    redisReply *r = lt_cmdf(c, "AI.MODELGET %s META", key);
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 16 &&
             strcmp(r->element[0]->str, "backend") == 0 && strcmp(r->element[1]->str, "TFLITE") == 0 &&
             strcmp(r->element[3]->str, "CPU") == 0 && strcmp(r->element[10]->str, "inputs") == 0 &&
             strcmp(r->element[12]->str, "outputs") == 0;
    for (int which = 0; ok && which < 2; which++) {
        redisReply *list = r->element[which == 0 ? 11 : 13];
        char joined[256] = "";
        for (size_t i = 0; i < list->elements; i++)
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? "," : "",
                     list->element[i]->str);
        ok = strcmp(joined, which == 0 ? ins : outs) == 0;
        if (!ok)
            fprintf(stderr, "%s META %s: [%s], expected [%s]\n", key, which == 0 ? "inputs" : "outputs",
                    joined, which == 0 ? ins : outs);
    }
    if (r->type != REDIS_REPLY_ARRAY)
        fprintf(stderr, "%s META: %s\n", key, r->str ? r->str : "?");
    freeReplyObject(r);
    return ok;
}

/* The shape AI.TENSORGET META gives for key, as "d0,d1,..". */
static int shape_is(redisContext *c, const char *key, const char *want) {
    redisReply *r = lt_cmdf(c, "AI.TENSORGET %s META", key);
    char got[128] = "";
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4)
        for (size_t i = 0; i < r->element[3]->elements; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "",
                     r->element[3]->element[i]->integer);
    freeReplyObject(r);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "%s has shape [%s], expected [%s]\n", key, got, want);
    return strcmp(got, want) == 0;
}

static void store_all(redisContext *c) {
    CHECK(tm_status(store(c, "lin{t}", "CPU TAG lin", "tflite_linear.tflite"), "OK"));
    CHECK(tm_status(store(c, "two{t}", "CPU", "tflite_two.tflite"), "OK"));
    CHECK(tm_status(store(c, "cnn{t}", "CPU", "tflite_cnn.tflite"), "OK"));
    CHECK(tm_set_blob(c, "x{t}", "1 4", "tflite_linear_in.bin"));
    CHECK(tm_set_blob(c, "x8{t}", "8 4", "tflite_linear_batch_in.bin"));
    CHECK(tm_set_blob(c, "a{t}", "2 3", "tflite_two_in_a.bin"));
    CHECK(tm_set_blob(c, "b{t}", "2 3", "tflite_two_in_b.bin"));
    CHECK(tm_set_blob(c, "img{t}", "2 8 8 1", "tflite_cnn_in.bin"));
}

static void run_all(redisContext *c, const char *what) {
    fprintf(stderr, "run %s\n", what);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "tflite_linear_out.bin", 1e-5f));
    CHECK(shape_is(c, "y{t}", "1,3"));
    /* 8 rows through a model of batch 1: 8 passes, stacked */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 x8{t} OUTPUTS 1 y8{t}"), "OK"));
    CHECK(tm_check_output(c, "y8{t}", "tflite_linear_batch_out.bin", 1e-5f));
    CHECK(shape_is(c, "y8{t}", "8,3"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE two{t} INPUTS 2 a{t} b{t} OUTPUTS 2 s{t} p{t}"), "OK"));
    CHECK(tm_check_output(c, "s{t}", "tflite_two_out_s.bin", 1e-5f));
    CHECK(tm_check_output(c, "p{t}", "tflite_two_out_p.bin", 1e-5f));
    /* two images through a conv net of batch 1 */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE cnn{t} INPUTS 1 img{t} OUTPUTS 1 probs{t}"), "OK"));
    CHECK(tm_check_output(c, "probs{t}", "tflite_cnn_out.bin", 1e-5f));
    CHECK(shape_is(c, "probs{t}", "2,3"));
}

static void check_meta(redisContext *c) {
    /* the graph's tensor names, as RedisAI's TFLITE backend lists them */
    CHECK(meta_is(c, "lin{t}", "x", "y"));
    CHECK(meta_is(c, "two{t}", "a,b", "s,p"));
    CHECK(meta_is(c, "cnn{t}", "x", "probs"));
    redisReply *r = lt_cmdf(c, "AI.MODELGET lin{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 16 && strcmp(r->element[5]->str, "lin") == 0);
    freeReplyObject(r);
    size_t n;
    char *want = tm_read("tflite_cnn.tflite", &n);
    r = lt_cmdf(c, "AI.MODELGET cnn{t} BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, want, n) == 0);
    freeReplyObject(r);
    free(want);
}

static void info_test(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.INFO lin{t}");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && strcmp(r->element[3]->str, "MODEL") == 0 &&
          strcmp(r->element[5]->str, "TFLITE") == 0 && strcmp(r->element[7]->str, "CPU") == 0 &&
          strcmp(r->element[9]->str, "lin") == 0 && r->element[13]->integer >= 9 &&
          r->element[15]->integer >= 2 && r->element[17]->integer == 0);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.INFO lin{t} RESETSTAT"), "OK"));
    r = lt_cmdf(c, "AI.INFO lin{t}");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && r->element[13]->integer == 0 &&
          r->element[15]->integer == 0);
    freeReplyObject(r);
    /* the module's AI.INFO: a version pair per loaded backend, in RedisAI's words */
    r = lt_cmdf(c, "AI.INFO");
    int found = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        found |= strcmp(r->element[i]->str, "TFLite version") == 0 &&
                 strstr(r->element[i + 1]->str, "Arm NN") != NULL;
    CHECK(found);
    freeReplyObject(r);
    r = lt_cmdf(c, "INFO ai");
    CHECK(r->type == REDIS_REPLY_STRING && strstr(r->str, "TensorFlowLite_version:Arm NN") != NULL);
    freeReplyObject(r);
}

/* 4 clients, one row each, against the linear model stored with BATCHSIZE 4 MINBATCHSIZE 4 (tm_batched_rows). */
static void batch_test(lt_server *s, redisContext *c) {
    CHECK(tm_status(
        store(c, "bm{t}", "CPU BATCHSIZE 4 MINBATCHSIZE 4 MINBATCHTIMEOUT 5000", "tflite_linear.tflite"),
        "OK"));
    CHECK(tm_batched_rows(s, c, "bm{t}", "tflite_linear_batch_in.bin", "tflite_linear_batch_out.bin", 1e-5f));
}

/* Runs in DAGs: TFLITE models side by side, a Torch script's output into a TFLITE model, PERSIST. */
static void dag_test(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 3 x{t} a{t} b{t} PERSIST 1 dp{t} "
                               "|> AI.MODELEXECUTE two{t} INPUTS 2 a{t} b{t} OUTPUTS 2 ds{t} dp{t} "
                               "|> AI.MODELEXECUTE lin{t} INPUTS 1 x{t} OUTPUTS 1 dy{t} "
                               "|> AI.TENSORGET dy{t} BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING) {
        size_t n;
        float *want = (float *)tm_read("tflite_linear_out.bin", &n);
        CHECK(r->element[2]->len == n && tm_close((float *)r->element[2]->str, want, n / 4, 1e-5f));
        free(want);
    }
    freeReplyObject(r);
    CHECK(tm_check_output(c, "dp{t}", "tflite_two_out_p.bin", 1e-5f));
    r = lt_cmdf(c, "EXISTS ds{t} dy{t}");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    if (with_torch) {
        /* sum_all of one tensor is that tensor: the Torch script's output is the TFLITE model's input */
        size_t slen;
        char *src = tm_read("script.py", &slen);
        CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE sc{t} CPU ENTRY_POINTS 1 sum_all SOURCE %b", src, slen),
                        "OK"));
        free(src);
        r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 2 x8{t} img{t} PERSIST 2 chained{t} dprobs{t} "
                       "|> AI.SCRIPTEXECUTE sc{t} sum_all INPUTS 1 x8{t} OUTPUTS 1 pre{t} "
                       "|> AI.MODELEXECUTE lin{t} INPUTS 1 pre{t} OUTPUTS 1 chained{t} "
                       "|> AI.MODELEXECUTE cnn{t} INPUTS 1 img{t} OUTPUTS 1 dprobs{t}");
        CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
        freeReplyObject(r);
        CHECK(tm_check_output(c, "chained{t}", "tflite_linear_batch_out.bin", 1e-5f));
        CHECK(tm_check_output(c, "dprobs{t}", "tflite_cnn_out.bin", 1e-5f));
    }
    /* an error inside a DAG is that op's entry */
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 a{t} |> AI.MODELEXECUTE lin{t} INPUTS 1 a{t} OUTPUTS 1 bad{t} "
                   "|> AI.TENSORGET bad{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static void refusals(redisContext *c) {
    /* bytes that are no TFLite model */
    CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r TFLITE CPU BLOB garbage"), "Failed to load model from buffer",
                  NULL));
    unsigned seed = 12345;
    char noise[4096];
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof noise; i++)
            noise[i] = (char)((seed = seed * 1103515245u + 12345u) >> 16);
        if (round % 2 == 1)
            memcpy(noise + 4, "TFL3", 4); /* past the identifier check too */
        redisReply *r = lt_cmdf(c, "AI.MODELSTORE r TFLITE CPU BLOB %b", noise, (size_t)(64 + 200 * round));
        CHECK(r->type == REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
    CHECK(alive(c));
    if (with_torch) {
        CHECK(refused(store(c, "r", "CPU", "linear.pt"), "not a TensorFlow Lite model",
                      NULL)); /* TorchScript */
        CHECK(alive(c));
    }
    /* every truncation of the conv net */
    size_t n;
    char *cnn = tm_read("tflite_cnn.tflite", &n);
    int errors = 0;
    for (size_t cut = 0; cut < n; cut++) {
        redisReply *r = lt_cmdf(c, "AI.MODELSTORE r TFLITE CPU BLOB %b", cnn, cut);
        errors += r->type == REDIS_REPLY_ERROR;
        freeReplyObject(r);
    }
    CHECK(errors == (int)n);
    free(cnn);
    CHECK(alive(c));
    /* FlatBuffers whose indices or sizes lie (Arm NN's parser crashes on some of these) */
    CHECK(refused(store(c, "r", "CPU", "tflite_bad_tensor.tflite"), "input 1 names tensor 42", NULL));
    CHECK(refused(store(c, "r", "CPU", "tflite_bad_buffer.tflite"), "names buffer 42", NULL));
    CHECK(refused(store(c, "r", "CPU", "tflite_bad_opcode.tflite"), "operator code 5", NULL));
    CHECK(refused(store(c, "r", "CPU", "tflite_short_weights.tflite"), "44 bytes of data for shape [3,4]",
                  NULL));
    CHECK(refused(store(c, "r", "CPU", "tflite_version2.tflite"), "schema version 2", NULL));
    CHECK(alive(c));
    /* operators Arm NN does not have, named */
    CHECK(refused(store(c, "r", "CPU", "tflite_sin.tflite"), "TFLITE operator SIN", "not supported", "Arm NN",
                  NULL));
    CHECK(refused(store(c, "r", "CPU", "tflite_custom.tflite"), "custom operator 'LocusNoSuchOp'",
                  "not supported", NULL));
    /* GPU devices, named */
    CHECK(refused(store(c, "r", "GPU", "tflite_linear.tflite"), "device GPU ", "CPU only", NULL));
    CHECK(refused(store(c, "r", "GPU:1", "tflite_linear.tflite"), "device GPU:1 ", NULL));
    /* INPUTS and OUTPUTS are TF's (RedisAI 1.2.7) */
    CHECK(refused(store(c, "r", "CPU INPUTS 1 x OUTPUTS 1 y", "tflite_linear.tflite"),
                  "INPUTS argument should not be specified for this backend", NULL));
    CHECK(alive(c));
    /* runs: wrong input count, type and shapes */
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE two{t} INPUTS 1 a{t} OUTPUTS 2 o1 o2"),
                  "Number of keys given as INPUTS here does not match model definition", NULL));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE two{t} INPUTS 2 a{t} b{t} OUTPUTS 1 o1"),
                  "Number of keys given as OUTPUTS here does not match model definition", NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET ints{t} INT32 1 4 VALUES 1 2 3 4"), "OK"));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 ints{t} OUTPUTS 1 o{t}"), "INT32", "FLOAT",
                  NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET wide{t} FLOAT 1 5"), "OK"));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 wide{t} OUTPUTS 1 o{t}"), "shape [1,5]",
                  "[1,4]", NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET odd{t} FLOAT 3 3"),
                    "OK")); /* not a multiple of the model's 2 rows */
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE two{t} INPUTS 2 odd{t} odd{t} OUTPUTS 2 o1{t} o2{t}"), "[3,3]",
                  "multiple of 2", NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET a4{t} FLOAT 4 3"), "OK")); /* 2 passes for a, 1 for b */
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE two{t} INPUTS 2 a4{t} b{t} OUTPUTS 2 o1{t} o2{t}"), "ERR ",
                  NULL));
    CHECK(alive(c));
    /* the models still run after all that, and nothing was written */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "tflite_linear_out.bin", 1e-5f));
    redisReply *r = lt_cmdf(c, "EXISTS r o{t} o1 o2 o1{t} o2{t}");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
}

static void delete_test(redisContext *c) {
    CHECK(tm_status(store(c, "gone{t}", "CPU", "tflite_two.tflite"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELDEL gone{t}"), "OK"));
    CHECK(refused(lt_cmdf(c, "AI.MODELGET gone{t} META"), "model key is empty", NULL));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE gone{t} INPUTS 2 a{t} b{t} OUTPUTS 2 o1{t} o2{t}"), "ERR ",
                  NULL));
}

/* DUMP/RESTORE (the RDB encoding), then a restart on the data dir: from the RDB file, or from the AOF. */
static void restart_test(int aof) {
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2"};
    if (aof) {
        o.extra[0] = "--appendonly";
        o.extra[1] = "yes";
        o.extra[2] = "--aof-use-rdb-preamble";
        o.extra[3] = "no";
    }
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    if (!aof) {
        redisReply *d = lt_cmdf(c, "DUMP two{t}");
        CHECK(d->type == REDIS_REPLY_STRING);
        if (d->type == REDIS_REPLY_STRING)
            CHECK(tm_status(lt_cmdf(c, "RESTORE copy{t} 0 %b", d->str, d->len), "OK"));
        freeReplyObject(d);
        CHECK(meta_is(c, "copy{t}", "a,b", "s,p"));
        CHECK(
            tm_status(lt_cmdf(c, "AI.MODELEXECUTE copy{t} INPUTS 2 a{t} b{t} OUTPUTS 2 s2{t} p2{t}"), "OK"));
        CHECK(tm_check_output(c, "p2{t}", "tflite_two_out_p.bin", 1e-5f));
        CHECK(tm_status(lt_cmdf(c, "SAVE"), "OK"));
    } else {
        freeReplyObject(lt_cmdf(c, "BGREWRITEAOF"));
        CHECK(lt_wait_aof_rewrite(c) == 0);
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
    check_meta(c);
    run_all(c, aof ? "after a restart on the AOF" : "after a restart on the RDB file");
    /* The module starts loading libtorch in the background once a server runs; a server told to stop while
     * that dlopen is still going crashes in exit (libtorch's static constructors against its destructors).
     * Nothing here needed Torch, so that load may still be going: AI.INFO waits for it. (A module bug, not
     * the TFLITE backend's; reported with issue 19.) */
    freeReplyObject(lt_cmdf(c, "AI.INFO"));
    redisFree(c);
    CHECK(lt_server_stop(&s2, false) == 0);
}

/* A replica gets the models (and the outputs of runs, as AI.TENSORSET). */
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
    store_all(mc);
    CHECK(tm_status(lt_cmdf(mc, "AI.MODELEXECUTE cnn{t} INPUTS 1 img{t} OUTPUTS 1 probs{t}"), "OK"));
    redisReply *w = lt_cmdf(mc, "WAIT 1 20000");
    CHECK(w->type == REDIS_REPLY_INTEGER && w->integer == 1);
    freeReplyObject(w);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        redisReply *e = lt_cmdf(rc, "EXISTS probs{t} lin{t} two{t} cnn{t}");
        ok = e->type == REDIS_REPLY_INTEGER && e->integer == 4;
        freeReplyObject(e);
        if (!ok)
            usleep(50000);
    }
    CHECK(ok);
    CHECK(tm_check_output(rc, "probs{t}", "tflite_cnn_out.bin", 1e-5f));
    CHECK(meta_is(rc, "two{t}", "a,b", "s,p"));
    freeReplyObject(lt_cmdf(mc, "AI.INFO")); /* the background libtorch load, as in restart_test */
    freeReplyObject(lt_cmdf(rc, "AI.INFO"));
    redisFree(mc);
    redisFree(rc);
    CHECK(lt_server_stop(&r, false) == 0);
    CHECK(lt_server_stop(&m, false) == 0);
}

/* MODEL_EXECUTION_TIMEOUT: a run of k times the model's batch is k passes, and the shim stops it between passes
 * once the bound has passed. The linear model (batch 1) on 200000 rows: stopped with the timeout error, counted
 * as a deadline stop (the shim's LB_ERR_TIMEOUT), its output not written; the worker runs the next one. */
static void timeout_test(void) {
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 1 MODEL_EXECUTION_TIMEOUT 100", .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    CHECK(tm_status(store(c, "lin{t}", "CPU", "tflite_linear.tflite"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET many{t} FLOAT 200000 4"), "OK")); /* zeros */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    redisReply *r = lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 many{t} OUTPUTS 1 never{t}");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long took = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(r->type == REDIS_REPLY_ERROR &&
          strcmp(r->str, "ERR MODEL_EXECUTION_TIMEOUT: the run was stopped at its deadline") == 0);
    CHECK(took >= 90 && took < 5000); /* the bound is kept in whole ms */
    fprintf(stderr, "200000 passes stopped after %lld ms: %s\n", took, r->str ? r->str : "(no error)");
    freeReplyObject(r);
    r = lt_cmdf(c, "EXISTS never{t}");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "INFO MODULES");
    CHECK(r->type == REDIS_REPLY_STRING && strstr(r->str, "ai_queue_CPU_deadline_stops:1\r\n") != NULL);
    freeReplyObject(r);
    CHECK(tm_set_blob(c, "x{t}", "1 4", "tflite_linear_in.bin"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "tflite_linear_out.bin", 1e-5f));
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--no-torch") == 0)
            with_torch = 0;
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2"};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    run_all(c, "alone");
    check_meta(c);
    info_test(c);
    fprintf(stderr, "DAGs\n");
    dag_test(c);
    fprintf(stderr, "4 clients at once\n");
    CHECK(tm_concurrent_runs(&s, "cnn{t}", "img{t}", "tflite_cnn_out.bin", 1e-5f));
    fprintf(stderr, "refusals\n");
    refusals(c);
    delete_test(c);
    fprintf(stderr, "batching\n");
    batch_test(&s, c);
    CHECK(alive(c));
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    fprintf(stderr, "RDB\n");
    restart_test(0);
    fprintf(stderr, "AOF\n");
    restart_test(1);
    fprintf(stderr, "replica\n");
    replica_test();
    if (getenv("LOCUS_TEST_VALGRIND") == NULL) { /* the bound is 100 ms: too short to mean much under valgrind */
        fprintf(stderr, "MODEL_EXECUTION_TIMEOUT\n");
        timeout_test();
    }
    return lt_report("module_model_tflite");
}
