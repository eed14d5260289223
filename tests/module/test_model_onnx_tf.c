/* The ONNX and TF backends (OpenCV DNN, issue 19) through AI.MODELSTORE with RedisAI's options: ONNX files
 * as torch.onnx.export wrote them (the CNN's carry the exporter's Identity nodes) and TF frozen GraphDefs
 * (INPUTS/OUTPUTS), each run alone, batched (BATCHSIZE, concatenated along dim 0) and in DAGs (one with a
 * Torch script before an ONNX model), outputs checked against numpy's (tests/models/gen_onnx_tf.py);
 * AI.MODELGET META/BLOB and AI.INFO as RedisAI replies them; RDB persistence (DUMP/RESTORE and a restart on
 * the data dir), the AOF (as written and rewritten) and a replica that receives the models and runs them;
 * and the refusals (bad and foreign blobs, every truncation of the CNNs, seeded mutations of them, tensors
 * shorter than their dims, inputs nothing gives, unsupported operators, GPU devices, TF without
 * INPUTS/OUTPUTS or with names the graph lacks, wrong input count, type or shape) with the server up after
 * each; AI.MODELDEL of every model.
 *
 * --valgrind-subset: what valgrind can run in minutes, with the servers under valgrind when
 * LOCUS_TEST_VALGRIND=1 (the whole test's servers never are): without the Torch script in a DAG (libtorch
 * under valgrind is far too slow) and without the MODEL_EXECUTION_TIMEOUT test (its model is slow by
 * design); everything else, the refusals of malformed blobs above all, as in the whole test. */
#define _GNU_SOURCE /* memmem */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model_util.h"
#include "server.h"

/* --valgrind-subset given; the servers may then run under valgrind (see the top) */
static bool valgrind_subset = false;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int alive(redisContext *c) {
    redisReply *r = lt_cmdf(c, "PING");
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    freeReplyObject(r);
    return ok;
}

/* AI.MODELSTORE key <backend> <device> <opts> BLOB <file>; the reply (caller frees). */
static redisReply *store(redisContext *c, const char *key, const char *backend, const char *opts,
                         const char *file) {
    size_t n;
    char *blob = tm_read(file, &n);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "AI.MODELSTORE %s %s %s BLOB %%b", key, backend, opts);
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

/* An error reply that is exactly `want`; prints it otherwise. */
static int refused_exactly(redisReply *r, const char *want) {
    int ok = r->type == REDIS_REPLY_ERROR && strcmp(r->str, want) == 0;
    if (!ok)
        fprintf(stderr, "expected the error '%s', got type %d: %s\n", want, r->type, r->str ? r->str : "");
    freeReplyObject(r);
    return ok;
}

/* MODELGET META: backend, device, the inputs and outputs lists as expected (names comma-separated). */
static int meta_is(redisContext *c, const char *key, const char *backend, const char *ins, const char *outs) {
    redisReply *r = lt_cmdf(c, "AI.MODELGET %s META", key);
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 16 &&
             strcmp(r->element[0]->str, "backend") == 0 && strcmp(r->element[1]->str, backend) == 0 &&
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
    freeReplyObject(r);
    return ok;
}

/* The six models stored and run alone, results against numpy's. */
static void store_all(redisContext *c) {
    CHECK(tm_status(store(c, "onnx_lin{t}", "ONNX", "CPU TAG lin", "onnx_linear.onnx"), "OK"));
    CHECK(tm_status(store(c, "onnx_two{t}", "ONNX", "CPU", "onnx_two.onnx"), "OK"));
    CHECK(tm_status(store(c, "onnx_cnn{t}", "ONNX", "CPU", "onnx_cnn.onnx"), "OK"));
    CHECK(tm_status(store(c, "tf_mlp{t}", "TF", "CPU TAG mlp INPUTS 1 x OUTPUTS 1 y", "tf_mlp.pb"), "OK"));
    CHECK(tm_status(store(c, "tf_two{t}", "TF", "CPU INPUTS 2 a b OUTPUTS 2 sum prod", "tf_two.pb"), "OK"));
    CHECK(tm_status(store(c, "tf_cnn{t}", "TF", "CPU INPUTS 1 x OUTPUTS 1 logits", "tf_cnn.pb"), "OK"));
    CHECK(tm_set_blob(c, "x{t}", "2 4", "onnx_linear_in.bin"));
    CHECK(tm_set_blob(c, "a{t}", "2 3", "onnx_two_in_a.bin"));
    CHECK(tm_set_blob(c, "b{t}", "2 3", "onnx_two_in_b.bin"));
    CHECK(tm_set_blob(c, "img{t}", "2 1 12 12", "onnx_cnn_in.bin"));
    CHECK(tm_set_blob(c, "tx{t}", "2 4", "tf_mlp_in.bin"));
    CHECK(tm_set_blob(c, "ta{t}", "2 3", "tf_two_in_a.bin"));
    CHECK(tm_set_blob(c, "tb{t}", "2 3", "tf_two_in_b.bin"));
    CHECK(tm_set_blob(c, "timg{t}", "2 8 8 1", "tf_cnn_in.bin"));
}

static void run_all(redisContext *c, const char *what) {
    fprintf(stderr, "run %s\n", what);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE onnx_lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "onnx_linear_out.bin", 1e-5f));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE onnx_two{t} INPUTS 2 a{t} b{t} OUTPUTS 2 s{t} p{t}"), "OK"));
    CHECK(tm_check_output(c, "s{t}", "onnx_two_out_s.bin", 1e-5f));
    CHECK(tm_check_output(c, "p{t}", "onnx_two_out_p.bin", 1e-5f));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE onnx_cnn{t} INPUTS 1 img{t} OUTPUTS 1 cls{t}"), "OK"));
    CHECK(tm_check_output(c, "cls{t}", "onnx_cnn_out.bin", 1e-4f));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE tf_mlp{t} INPUTS 1 tx{t} OUTPUTS 1 ty{t}"), "OK"));
    CHECK(tm_check_output(c, "ty{t}", "tf_mlp_out.bin", 1e-5f));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE tf_two{t} INPUTS 2 ta{t} tb{t} OUTPUTS 2 tsum{t} tprod{t}"),
                    "OK"));
    CHECK(tm_check_output(c, "tsum{t}", "tf_two_out_sum.bin", 1e-5f));
    CHECK(tm_check_output(c, "tprod{t}", "tf_two_out_prod.bin", 1e-5f));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE tf_cnn{t} INPUTS 1 timg{t} OUTPUTS 1 tlog{t}"), "OK"));
    CHECK(tm_check_output(c, "tlog{t}", "tf_cnn_out.bin", 1e-4f));
    redisReply *r = lt_cmdf(c, "AI.TENSORGET tlog{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[3]->elements == 2 &&
          r->element[3]->element[0]->integer == 2 && r->element[3]->element[1]->integer == 3);
    freeReplyObject(r);
}

static void check_meta(redisContext *c) {
    /* ONNX: the graph's names, as RedisAI's ONNX backend lists them; TF: the names given */
    CHECK(meta_is(c, "onnx_lin{t}", "ONNX", "x", "y"));
    CHECK(meta_is(c, "onnx_two{t}", "ONNX", "a,b", "s,p"));
    CHECK(meta_is(c, "tf_two{t}", "TF", "a,b", "sum,prod"));
    CHECK(meta_is(c, "tf_cnn{t}", "TF", "x", "logits"));
    redisReply *r = lt_cmdf(c, "AI.MODELGET onnx_lin{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 16 && strcmp(r->element[5]->str, "lin") == 0);
    freeReplyObject(r);
    /* BLOB: the bytes as stored (not the rewritten graph OpenCV imported) */
    const char *files[] = {"onnx_cnn.onnx", "tf_cnn.pb"}, *keys[] = {"onnx_cnn{t}", "tf_cnn{t}"};
    for (int i = 0; i < 2; i++) {
        size_t n;
        char *want = tm_read(files[i], &n);
        r = lt_cmdf(c, "AI.MODELGET %s BLOB", keys[i]);
        CHECK(r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, want, n) == 0);
        freeReplyObject(r);
        free(want);
    }
}

static void info_test(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.INFO onnx_lin{t}");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && strcmp(r->element[5]->str, "ONNX") == 0 &&
          strcmp(r->element[7]->str, "CPU") == 0 && r->element[15]->integer >= 1 &&
          r->element[17]->integer == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.INFO tf_mlp{t}");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && strcmp(r->element[5]->str, "TF") == 0 &&
          strcmp(r->element[9]->str, "mlp") == 0 && r->element[13]->integer >= 2);
    freeReplyObject(r);
    /* the module's AI.INFO: a version pair per loaded backend, in RedisAI's words */
    r = lt_cmdf(c, "AI.INFO");
    int onnx = 0, tf = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        onnx |= strcmp(r->element[i]->str, "ONNX version") == 0 &&
                strstr(r->element[i + 1]->str, "OpenCV") != NULL;
        tf |=
            strcmp(r->element[i]->str, "TensorFlow version") == 0 && strstr(r->element[i + 1]->str, "OpenCV");
    }
    CHECK(onnx && tf);
    freeReplyObject(r);
    r = lt_cmdf(c, "INFO ai");
    CHECK(r->type == REDIS_REPLY_STRING && strstr(r->str, "onnxruntime_version:OpenCV DNN") != NULL &&
          strstr(r->str, "TensorFlow_version:OpenCV DNN") != NULL);
    freeReplyObject(r);
}

/* 4 clients, one row each, against a model stored with BATCHSIZE 4 MINBATCHSIZE 4 (tm_batched_rows), then 8
 * rows in one request. */
static void batch_test(lt_server *s, redisContext *c, const char *backend, const char *opts, const char *file,
                       const char *in_file, const char *out_file) {
    char o[256];
    snprintf(o, sizeof o, "CPU BATCHSIZE 4 MINBATCHSIZE 4 MINBATCHTIMEOUT 5000 %s", opts);
    CHECK(tm_status(store(c, "bm{t}", backend, o, file), "OK"));
    CHECK(tm_batched_rows(s, c, "bm{t}", in_file, out_file, 1e-5f));
    /* a batch of 8 rows in one request is one run too */
    CHECK(tm_set_blob(c, "rows{t}", "8 4", in_file));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE bm{t} INPUTS 1 rows{t} OUTPUTS 1 rowsout{t}"), "OK"));
    CHECK(tm_check_output(c, "rowsout{t}", out_file, 1e-5f));
}

/* Runs in DAGs: ONNX and TF models side by side, a Torch script's output into an ONNX model, PERSIST. */
static void dag_test(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 3 x{t} a{t} b{t} PERSIST 1 dp{t} "
                               "|> AI.MODELEXECUTE onnx_two{t} INPUTS 2 a{t} b{t} OUTPUTS 2 ds{t} dp{t} "
                               "|> AI.MODELEXECUTE onnx_lin{t} INPUTS 1 x{t} OUTPUTS 1 dy{t} "
                               "|> AI.TENSORGET dy{t} BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_STRING) {
        size_t n;
        float *want = (float *)tm_read("onnx_linear_out.bin", &n);
        CHECK(r->element[2]->len == n && tm_close((float *)r->element[2]->str, want, n / 4, 1e-5f));
        free(want);
    }
    freeReplyObject(r);
    CHECK(tm_check_output(c, "dp{t}", "onnx_two_out_p.bin", 1e-5f));
    r = lt_cmdf(c, "EXISTS ds{t} dy{t}");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    if (!valgrind_subset) {
        /* sum_all of one tensor is that tensor: the script's output is the ONNX model's input */
        size_t slen;
        char *src = tm_read("script.py", &slen);
        CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE sc{t} CPU ENTRY_POINTS 1 sum_all SOURCE %b", src, slen),
                        "OK"));
        free(src);
        r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 2 x{t} tx{t} PERSIST 2 chained{t} tfy{t} "
                       "|> AI.SCRIPTEXECUTE sc{t} sum_all INPUTS 1 x{t} OUTPUTS 1 pre{t} "
                       "|> AI.MODELEXECUTE onnx_lin{t} INPUTS 1 pre{t} OUTPUTS 1 chained{t} "
                       "|> AI.MODELEXECUTE tf_mlp{t} INPUTS 1 tx{t} OUTPUTS 1 tfy{t}");
        CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
        freeReplyObject(r);
        CHECK(tm_check_output(c, "chained{t}", "onnx_linear_out.bin", 1e-5f));
        CHECK(tm_check_output(c, "tfy{t}", "tf_mlp_out.bin", 1e-5f));
    }
    /* both backends' CNNs and the TF MLP in one DAG, with no script */
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 3 tx{t} img{t} timg{t} PERSIST 2 dtfy{t} dcls{t} "
                   "|> AI.MODELEXECUTE tf_mlp{t} INPUTS 1 tx{t} OUTPUTS 1 dtfy{t} "
                   "|> AI.MODELEXECUTE onnx_cnn{t} INPUTS 1 img{t} OUTPUTS 1 dcls{t} "
                   "|> AI.MODELEXECUTE tf_cnn{t} INPUTS 1 timg{t} OUTPUTS 1 dlog{t} "
                   "|> AI.TENSORGET dlog{t} BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[3]->type == REDIS_REPLY_STRING);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[3]->type == REDIS_REPLY_STRING) {
        size_t n;
        float *want = (float *)tm_read("tf_cnn_out.bin", &n);
        CHECK(r->element[3]->len == n && tm_close((float *)r->element[3]->str, want, n / 4, 1e-4f));
        free(want);
    }
    freeReplyObject(r);
    CHECK(tm_check_output(c, "dtfy{t}", "tf_mlp_out.bin", 1e-5f));
    CHECK(tm_check_output(c, "dcls{t}", "onnx_cnn_out.bin", 1e-4f));
    /* an error inside a DAG is that op's entry */
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 a{t} |> AI.MODELEXECUTE onnx_lin{t} INPUTS 1 a{t} OUTPUTS 1 bad{t} "
                   "|> AI.TENSORGET bad{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

static void refusals(redisContext *c) {
    size_t n;
    char *onnx = tm_read("onnx_linear.onnx", &n);
    /* blobs that are no model of that backend */
    CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB garbage"), "ERR ", "ONNX", NULL));
    CHECK(alive(c));
    CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB %b", onnx, n / 2), "ERR ", NULL));
    CHECK(alive(c));
    CHECK(refused(store(c, "r", "ONNX", "CPU", "linear.pt"), "ERR ", NULL)); /* a TorchScript file */
    CHECK(alive(c));
    CHECK(refused(store(c, "r", "ONNX", "CPU", "tf_mlp.pb"), "No graph was found in the protobuf.", NULL));
    CHECK(alive(c));
    CHECK(refused(store(c, "r", "TF", "CPU INPUTS 1 x OUTPUTS 1 y", "onnx_linear.onnx"), "ERR ", NULL));
    CHECK(alive(c));
    CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r TF CPU INPUTS 1 x OUTPUTS 1 y BLOB garbage"), "ERR ", NULL));
    CHECK(alive(c));
    /* protobuf merges a repeated one-message field, and OpenCV crashed on the merged graph (found by
     * graph_info's unit test, which also covers an attribute with two tensors): a first ModelProto.graph holding
     * a tensor of dims [2^24] with 4 bytes, before the file's own graph. Refused, naming it; the server stays up. */
    static const unsigned char bad_graph[] = {0x3a, 0x14, 0x2a, 0x12,                   /* graph { initializer { */
                                              0x08, 0x80, 0x80, 0x80, 0x08, 0x10, 0x01, /* dims 2^24, FLOAT */
                                              0x42, 0x03, 'b',  'i',  'g',              /* name "big" */
                                              0x4a, 0x04, 0,    0,    0,    0};         /* raw_data, 4 bytes */
    char *two = malloc(sizeof bad_graph + n);
    memcpy(two, bad_graph, sizeof bad_graph);
    memcpy(two + sizeof bad_graph, onnx, n);
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB %b", two, sizeof bad_graph + n),
                          "ERR the ONNX model holds 2 graphs (ModelProto.graph is one message)"));
    free(two);
    CHECK(alive(c));
    /* truncations of an ONNX file (every 5th length) are refused, never a crash */
    for (size_t cut = 1; cut < n; cut += 5) {
        redisReply *r = lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB %b", onnx, cut);
        CHECK(r->type == REDIS_REPLY_ERROR);
        freeReplyObject(r);
    }
    CHECK(alive(c));
    /* every truncation of the CNNs (ONNX through the Identity rewrite, TF through the graph reader) is
     * refused, or is a whole model: one whose cut only lost trailing fields that play no part in the run
     * (a GraphDef's versions) is stored and runs to numpy's result */
    const char *cnns[][4] = {{"AI.MODELSTORE r ONNX CPU BLOB %b", "onnx_cnn.onnx",
                              "AI.MODELEXECUTE r INPUTS 1 img{t} OUTPUTS 1 rout{t}", "onnx_cnn_out.bin"},
                             {"AI.MODELSTORE r TF CPU INPUTS 1 x OUTPUTS 1 logits BLOB %b", "tf_cnn.pb",
                              "AI.MODELEXECUTE r INPUTS 1 timg{t} OUTPUTS 1 rout{t}", "tf_cnn_out.bin"}};
    for (int k = 0; k < 2; k++) {
        size_t len;
        char *blob = tm_read(cnns[k][1], &len);
        int wrong = 0, whole = 0;
        for (size_t cut = 0; cut < len; cut++) {
            redisReply *r = lt_cmdf(c, cnns[k][0], blob, cut);
            if (r->type != REDIS_REPLY_ERROR) {
                int runs = tm_status(lt_cmdf(c, cnns[k][2]), "OK") &&
                           tm_check_output(c, "rout{t}", cnns[k][3], 1e-4f);
                whole++;
                if (!runs && wrong++ == 0)
                    fprintf(stderr, "%s cut at %zu of %zu bytes: stored, but not the model\n", cnns[k][1],
                            cut, len);
            }
            freeReplyObject(r);
        }
        fprintf(stderr, "%s: %zu truncations, %d of them stored (whole models)\n", cnns[k][1], len, whole);
        CHECK(wrong == 0);
        free(blob);
        CHECK(alive(c));
    }
    /* random bytes, and seeded byte mutations of the CNNs (1 to 4 bytes each): refused, or stored and then
     * run or refused at the run, never a crash (a mutated weight is still a model). Longer runs of these
     * found OpenCV's importer reading past a tensor's data and following a null pointer; the two edits below
     * are those cases. */
    enum { MUTATIONS = 3000 };
    srand(19);
    for (int k = 0; k < 2; k++) {
        unsigned char noise[512];
        for (size_t i = 0; i < sizeof noise; i++)
            noise[i] = (unsigned char)rand();
        CHECK(refused(lt_cmdf(c, cnns[k][0], noise, sizeof noise), "ERR ", NULL));
        size_t len;
        char *blob = tm_read(cnns[k][1], &len);
        char *bad = malloc(len);
        int stored = 0, ran = 0, odd = 0;
        for (int round = 0; round < MUTATIONS; round++) {
            memcpy(bad, blob, len);
            for (int j = 0; j < 1 + round % 4; j++)
                bad[(size_t)rand() % len] = (char)rand();
            redisReply *r = lt_cmdf(c, cnns[k][0], bad, len);
            odd += r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_ERROR;
            if (r->type == REDIS_REPLY_STATUS) {
                stored++;
                redisReply *run = lt_cmdf(c, cnns[k][2]);
                odd += run->type != REDIS_REPLY_STATUS && run->type != REDIS_REPLY_ERROR;
                ran += run->type == REDIS_REPLY_STATUS;
                freeReplyObject(run);
            }
            freeReplyObject(r);
        }
        fprintf(stderr, "%s: %d mutations, %d stored, %d of those ran\n", cnns[k][1], MUTATIONS, stored, ran);
        CHECK(odd == 0);
        free(bad);
        free(blob);
        CHECK(alive(c));
    }
    freeReplyObject(lt_cmdf(c, "DEL r rout{t}"));
    /* the two kinds of ONNX file that got past OpenCV's importer unchecked, made from the CNN by editing
     * bytes: a weight whose dims say more than its raw_data holds (OpenCV read past the data), and a Conv
     * whose weight and bias inputs name nothing in the graph (OpenCV followed a null pointer: a crash) */
    {
        size_t len;
        char *cnn = tm_read("onnx_cnn.onnx", &len);
        static const char dims[] = "\x08\x04\x08\x01\x08\x03\x08\x03\x10\x01";     /* [4,1,3,3] FLOAT */
        static const char inputs[] = "\x0a\x0donnx::Conv_26\x0a\x0donnx::Conv_27"; /* NodeProto.input x2 */
        char *at = memmem(cnn, len, dims, sizeof dims - 1);
        REQUIRE(at != NULL);
        at[1] = 5;
        CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB %b", cnn, len), "'onnx::Conv_26'",
                      "holds 144 bytes where its dims [5,1,3,3] need 180", NULL));
        at[1] = 4;
        at = memmem(cnn, len, inputs, sizeof inputs - 1);
        REQUIRE(at != NULL);
        at[14] = at[29] = 'X'; /* onnx::Conv_2X, twice */
        CHECK(refused(lt_cmdf(c, "AI.MODELSTORE r ONNX CPU BLOB %b", cnn, len), "'onnx::Conv_2X'",
                      "no graph input, initializer or earlier node gives", NULL));
        free(cnn);
        CHECK(alive(c));
    }
    /* operators OpenCV does not have, named */
    CHECK(
        refused(store(c, "r", "ONNX", "CPU", "onnx_ml.onnx"), "TreeEnsembleClassifier", "ai.onnx.ml", NULL));
    CHECK(alive(c));
    CHECK(refused(store(c, "r", "ONNX", "CPU", "onnx_badop.onnx"), "NonZero", "not supported", NULL));
    CHECK(alive(c));
    /* GPU devices, named */
    CHECK(refused(store(c, "r", "ONNX", "GPU", "onnx_linear.onnx"), "device GPU ", "CPU only", NULL));
    CHECK(refused(store(c, "r", "TF", "GPU:1 INPUTS 1 x OUTPUTS 1 y", "tf_mlp.pb"), "device GPU:1 ", NULL));
    CHECK(alive(c));
    /* TF: INPUTS and OUTPUTS are required, and must name nodes of the graph (RedisAI 1.2.7's texts: redisai.c
     * for AI.MODELSTORE, deprecated.c for AI.MODELSET, its tests_tensorflow.py) */
    CHECK(refused_exactly(store(c, "r", "TF", "CPU", "tf_mlp.pb"), "ERR INPUTS not specified for TF"));
    CHECK(refused_exactly(store(c, "r", "TF", "CPU TAG t BATCHSIZE 2", "tf_mlp.pb"),
                          "ERR INPUTS not specified for TF"));
    CHECK(refused_exactly(store(c, "r", "TF", "CPU INPUTS 1 x", "tf_mlp.pb"),
                          "ERR OUTPUTS not specified for TF"));
    CHECK(refused_exactly(store(c, "r", "TF", "CPU INPUTS bad_count", "tf_mlp.pb"),
                          "ERR Invalid argument for input_count"));
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSTORE r TF CPU INPUTS 2 x"),
                          "ERR number of model inputs does not match the number of given arguments"));
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSTORE r TF CPU INPUTS 1 x OUTPUTS bad_count"),
                          "ERR Invalid argument for output_count"));
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSTORE r TF CPU INPUTS 1 x OUTPUTS 1"),
                          "ERR number of model outputs does not match the number of given arguments"));
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSTORE r TF CPU INPUTS 1 x OUTPUTS 1 y"),
                          "ERR Invalid argument, expected BLOB"));
    {
        size_t plen;
        char *pb = tm_read("tf_mlp.pb", &plen);
        CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSET r TF CPU BLOB %b", pb, plen),
                              "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model"));
        CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSET r TF CPU OUTPUTS y BLOB %b", pb, plen),
                              "ERR INPUTS not specified for TF model"));
        CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSET r TF CPU INPUTS x OUTPUTS y"),
                              "ERR Insufficient arguments, missing model BLOB"));
        /* AI.MODELSET's names with no OUTPUTS reach the backend, which refuses a TF model without them */
        CHECK(refused_exactly(lt_cmdf(c, "AI.MODELSET r TF CPU INPUTS x BLOB %b", pb, plen),
                              "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model"));
        CHECK(tm_status(lt_cmdf(c, "AI.MODELSET rset{t} TF CPU INPUTS x OUTPUTS y BLOB %b", pb, plen), "OK"));
        CHECK(meta_is(c, "rset{t}", "TF", "x", "y"));
        free(pb);
    }
    CHECK(refused(store(c, "r", "TF", "CPU INPUTS 1 x_ OUTPUTS 1 y", "tf_mlp.pb"),
                  "Input node named \"x_\" not found in TF graph", NULL));
    CHECK(refused(store(c, "r", "TF", "CPU INPUTS 1 x OUTPUTS 1 yy", "tf_mlp.pb"),
                  "Output node named \"yy\" not found in TF graph", NULL));
    /* INPUTS is TF's only (RedisAI 1.2.7) */
    CHECK(refused(store(c, "r", "ONNX", "CPU INPUTS 1 x OUTPUTS 1 y", "onnx_linear.onnx"),
                  "INPUTS argument should not be specified for this backend", NULL));
    CHECK(alive(c));
    /* runs: wrong input count, type and shape */
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE onnx_two{t} INPUTS 1 a{t} OUTPUTS 2 o1 o2"),
                  "Number of keys given as INPUTS here does not match model definition", NULL));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE tf_two{t} INPUTS 2 ta{t} tb{t} OUTPUTS 1 o1"),
                  "Number of keys given as OUTPUTS here does not match model definition", NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET ints{t} INT32 2 4 VALUES 1 2 3 4 5 6 7 8"), "OK"));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE onnx_lin{t} INPUTS 1 ints{t} OUTPUTS 1 o{t}"), "FLOAT", "INT32",
                  NULL));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET wide{t} FLOAT 2 5"), "OK"));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE onnx_lin{t} INPUTS 1 wide{t} OUTPUTS 1 o{t}"), "ERR ", NULL));
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE tf_cnn{t} INPUTS 1 x{t} OUTPUTS 1 o{t}"), "ERR ", NULL));
    CHECK(alive(c));
    /* the models still run after all that */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE onnx_lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "OK"));
    CHECK(tm_check_output(c, "y{t}", "onnx_linear_out.bin", 1e-5f));
    redisReply *r = lt_cmdf(c, "EXISTS r o{t} o1 o2");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    free(onnx);
}

/* AI.MODELDEL of every model (each backend frees what it holds), then the keys are gone and a run of one is
 * refused. */
static void delete_test(redisContext *c) {
    const char *keys[] = {"onnx_lin{t}", "onnx_two{t}", "onnx_cnn{t}", "tf_mlp{t}", "tf_two{t}", "tf_cnn{t}"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        CHECK(tm_status(lt_cmdf(c, "AI.MODELDEL %s", keys[i]), "OK"));
        CHECK(refused(lt_cmdf(c, "AI.MODELGET %s META", keys[i]), "model key is empty", NULL));
    }
    CHECK(refused(lt_cmdf(c, "AI.MODELEXECUTE onnx_lin{t} INPUTS 1 x{t} OUTPUTS 1 y{t}"), "ERR ", NULL));
    CHECK(refused(lt_cmdf(c, "AI.MODELDEL onnx_lin{t}"), "ERR ", NULL));
}

/* DUMP/RESTORE (the RDB encoding) of each backend's model, then a restart on the data dir. */
static void persist_test(lt_server *s, redisContext **cp) {
    redisContext *c = *cp;
    const char *keys[] = {"onnx_cnn{t}", "tf_two{t}"};
    for (int i = 0; i < 2; i++) {
        redisReply *d = lt_cmdf(c, "DUMP %s", keys[i]);
        CHECK(d->type == REDIS_REPLY_STRING);
        if (d->type == REDIS_REPLY_STRING)
            CHECK(tm_status(lt_cmdf(c, "RESTORE copy%d{t} 0 %b", i, d->str, d->len), "OK"));
        freeReplyObject(d);
    }
    CHECK(meta_is(c, "copy1{t}", "TF", "a,b", "sum,prod"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE copy0{t} INPUTS 1 img{t} OUTPUTS 1 cls2{t}"), "OK"));
    CHECK(tm_check_output(c, "cls2{t}", "onnx_cnn_out.bin", 1e-4f));
    CHECK(tm_status(lt_cmdf(c, "SAVE"), "OK"));
    redisFree(c);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", s->dir);
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1",
                        .no_valgrind = !valgrind_subset,
                        .dir = dir};
    CHECK(lt_server_stop(s, true) == 0);
    REQUIRE(lt_server_start(s, &o) == 0);
    s->own_dir = true;
    c = lt_connect(s);
    check_meta(c);
    run_all(c, "after a restart on the RDB file");
    *cp = c;
}

/* A 0/1 answer to `grep -qa pattern` over the files of an AOF dir matching glob. */
static int aof_has(const char *dir, const char *glob, const char *pattern) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -qa '%s' %s/appendonlydir/%s", pattern, dir, glob);
    return system(cmd) == 0;
}

/* The AOF: a restart on the log as written (AI.MODELSTORE as issued, a run's outputs as AI.TENSORSET), then
 * after BGREWRITEAOF on the rewritten base file (the models re-emitted as AI.MODELSTORE, TF's INPUTS and
 * OUTPUTS with them), each time the models' META as stored and their runs against numpy. */
static void aof_test(void) {
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1",
                        .no_valgrind = !valgrind_subset,
                        .extra = {"--appendonly", "yes", "--aof-use-rdb-preamble", "no", NULL}};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE onnx_cnn{t} INPUTS 1 img{t} OUTPUTS 1 aof_cls{t}"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE tf_two{t} INPUTS 2 ta{t} tb{t} OUTPUTS 2 aof_s{t} aof_p{t}"),
                    "OK"));
    redisFree(c);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", s.dir);
    CHECK(lt_server_stop(&s, true) == 0);
    CHECK(aof_has(dir, "*.incr.aof", "AI.MODELSTORE"));
    o.dir = dir;
    for (int round = 0; round < 2; round++) {
        REQUIRE(lt_server_start(&s, &o) == 0);
        s.own_dir = round == 1; /* the last stop removes the dir (kept when it fails) */
        c = lt_connect(&s);
        check_meta(c);
        CHECK(tm_check_output(c, "aof_cls{t}", "onnx_cnn_out.bin", 1e-4f));
        CHECK(tm_check_output(c, "aof_p{t}", "tf_two_out_prod.bin", 1e-5f));
        run_all(c, round == 0 ? "after a restart on the AOF as written"
                              : "after a restart on the rewritten AOF");
        if (round == 0) {
            freeReplyObject(lt_cmdf(c, "BGREWRITEAOF"));
            CHECK(lt_wait_aof_rewrite(c) == 0);
        }
        freeReplyObject(lt_cmdf(c, "AI.INFO")); /* the background libtorch load ends before the stop */
        redisFree(c);
        CHECK(lt_server_stop(&s, round == 0) == 0);
        if (round == 0) {
            CHECK(aof_has(dir, "*.base.aof", "AI.MODELSTORE"));
            CHECK(aof_has(dir, "*.base.aof", "logits")); /* tf_cnn's OUTPUTS name */
        }
    }
}

/* A replica gets the models (and the outputs of the master's runs, as AI.TENSORSET), lists them as stored
 * and runs them itself (AI.DAGEXECUTE_RO: a replica takes no writes). */
static void replica_test(void) {
    lt_server m, r;
    lt_server_opts mo = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1",
                         .no_valgrind = !valgrind_subset};
    REQUIRE(lt_server_start(&m, &mo) == 0);
    redisContext *mc = lt_connect(&m);
    char port[16];
    snprintf(port, sizeof port, "%d", m.port);
    lt_server_opts ro = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1",
                         .no_valgrind = !valgrind_subset,
                         .extra = {"--replicaof", "127.0.0.1", port, NULL}};
    REQUIRE(lt_server_start(&r, &ro) == 0);
    redisContext *rc = lt_connect(&r);
    store_all(mc);
    CHECK(tm_status(lt_cmdf(mc, "AI.MODELEXECUTE onnx_cnn{t} INPUTS 1 img{t} OUTPUTS 1 rcls{t}"), "OK"));
    CHECK(tm_status(lt_cmdf(mc, "AI.MODELEXECUTE tf_cnn{t} INPUTS 1 timg{t} OUTPUTS 1 rlog{t}"), "OK"));
    redisReply *w = lt_cmdf(mc, "WAIT 1 20000");
    CHECK(w->type == REDIS_REPLY_INTEGER && w->integer == 1);
    freeReplyObject(w);
    int ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        redisReply *e =
            lt_cmdf(rc, "EXISTS rcls{t} rlog{t} onnx_lin{t} onnx_two{t} onnx_cnn{t} tf_mlp{t} tf_two{t} "
                        "tf_cnn{t}");
        ok = e->type == REDIS_REPLY_INTEGER && e->integer == 8;
        freeReplyObject(e);
        if (!ok)
            usleep(50000);
    }
    CHECK(ok);
    CHECK(tm_check_output(rc, "rcls{t}", "onnx_cnn_out.bin", 1e-4f));
    CHECK(tm_check_output(rc, "rlog{t}", "tf_cnn_out.bin", 1e-4f));
    check_meta(rc);
    /* the replica runs what it received: ONNX and TF in one read-only DAG, results against numpy */
    redisReply *d = lt_cmdf(rc, "AI.DAGEXECUTE_RO LOAD 2 x{t} ta{t} "
                                "|> AI.MODELEXECUTE onnx_lin{t} INPUTS 1 x{t} OUTPUTS 1 y "
                                "|> AI.MODELEXECUTE tf_two{t} INPUTS 2 ta{t} ta{t} OUTPUTS 2 s p "
                                "|> AI.TENSORGET y BLOB |> AI.TENSORGET p BLOB");
    CHECK(d->type == REDIS_REPLY_ARRAY && d->elements == 4);
    if (d->type == REDIS_REPLY_ARRAY && d->elements == 4) {
        size_t n;
        float *want = (float *)tm_read("onnx_linear_out.bin", &n);
        CHECK(d->element[2]->type == REDIS_REPLY_STRING && d->element[2]->len == n &&
              tm_close((float *)d->element[2]->str, want, n / 4, 1e-5f));
        free(want);
        want = (float *)tm_read("tf_two_out_prod.bin", &n); /* prod depends on a only */
        CHECK(d->element[3]->type == REDIS_REPLY_STRING && d->element[3]->len == n &&
              tm_close((float *)d->element[3]->str, want, n / 4, 1e-5f));
        free(want);
    } else if (d->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "DAGEXECUTE_RO on the replica: %s\n", d->str);
    }
    freeReplyObject(d);
    /* a model deleted on the master is gone on the replica */
    CHECK(tm_status(lt_cmdf(mc, "AI.MODELDEL tf_mlp{t}"), "OK"));
    w = lt_cmdf(mc, "WAIT 1 20000");
    freeReplyObject(w);
    ok = 0;
    for (int i = 0; i < 100 && !ok; i++) {
        redisReply *e = lt_cmdf(rc, "EXISTS tf_mlp{t}");
        ok = e->type == REDIS_REPLY_INTEGER && e->integer == 0;
        freeReplyObject(e);
        if (!ok)
            usleep(50000);
    }
    CHECK(ok);
    freeReplyObject(lt_cmdf(mc, "AI.INFO")); /* the background libtorch load ends before the stop */
    freeReplyObject(lt_cmdf(rc, "AI.INFO"));
    redisFree(mc);
    redisFree(rc);
    CHECK(lt_server_stop(&r, false) == 0);
    CHECK(lt_server_stop(&m, false) == 0);
}

/* MODEL_EXECUTION_TIMEOUT (load argument, ms) against an ONNX model whose pass on a big batch takes far
 * longer: OpenCV cannot stop it, so the run is answered when it ends, with RedisAI's ONNX timeout error (ONNX
 * Runtime's terminate text), and nothing is written: an output key that held a tensor still holds it, a
 * DAG's PERSIST key is not created. The same model on a small batch runs within the bound, before and after,
 * and its result is numpy's; AI.INFO counts the late runs as errors, INFO MODULES as deadline stops. */
static void timeout_test(void) {
    enum { BIG = 4096, WIDTH = 256, BOUND_MS = 100 };
    lt_server s;
    lt_server_opts o = {.module_args =
                            "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM 1 MODEL_EXECUTION_TIMEOUT 100",
                        .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    CHECK(tm_status(store(c, "slow{t}", "ONNX", "CPU", "onnx_slow.onnx"), "OK"));
    CHECK(tm_set_blob(c, "small{t}", "2 256", "onnx_slow_in.bin"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE slow{t} INPUTS 1 small{t} OUTPUTS 1 sy{t}"), "OK"));
    CHECK(tm_check_output(c, "sy{t}", "onnx_slow_out.bin", 1e-4f));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET big{t} FLOAT %d %d", BIG, WIDTH),
                    "OK"));                                                        /* zeros: any values do */
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET by{t} FLOAT 1 2 VALUES 7 8"), "OK")); /* what was there before */
    double t0 = now_ms();
    CHECK(refused_exactly(lt_cmdf(c, "AI.MODELEXECUTE slow{t} INPUTS 1 big{t} OUTPUTS 1 by{t}"),
                          "Exiting due to terminate flag being set to true."));
    double took = now_ms() - t0;
    fprintf(stderr, "a late run answered after %.0f ms (bound %d ms)\n", took, BOUND_MS);
    CHECK(took >= BOUND_MS);
    redisReply *r = lt_cmdf(c, "AI.TENSORGET by{t} VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->str != NULL &&
          strcmp(r->element[0]->str, "7") == 0 && r->element[1]->str != NULL &&
          strcmp(r->element[1]->str, "8") == 0);
    freeReplyObject(r);
    /* in a DAG: the op's entry is the error, the ops after it NA, nothing persisted */
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 big{t} PERSIST 1 dby{t} |> AI.MODELEXECUTE slow{t} INPUTS 1 big{t} "
                   "OUTPUTS 1 dby{t} |> AI.TENSORGET dby{t} META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_ERROR &&
          strcmp(r->element[0]->str, "Exiting due to terminate flag being set to true.") == 0);
    if (r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "DAG: %s\n", r->str);
    freeReplyObject(r);
    r = lt_cmdf(c, "EXISTS dby{t}");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    /* the worker serves the next run, within the bound */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE slow{t} INPUTS 1 small{t} OUTPUTS 1 sy2{t}"), "OK"));
    CHECK(tm_check_output(c, "sy2{t}", "onnx_slow_out.bin", 1e-4f));
    r = lt_cmdf(c, "AI.INFO slow{t}");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && r->element[15]->integer == 4 &&
          r->element[17]->integer == 2);
    freeReplyObject(r);
    r = lt_cmdf(c, "INFO MODULES"); /* the two late runs, known by the backend's timeout code */
    CHECK(r->type == REDIS_REPLY_STRING && strstr(r->str, "ai_queue_CPU_deadline_stops:2\r\n") != NULL);
    freeReplyObject(r);
    freeReplyObject(lt_cmdf(c, "AI.INFO")); /* the background libtorch load ends before the stop */
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--valgrind-subset") == 0) {
            valgrind_subset = true;
        } else {
            fprintf(stderr, "usage: %s [--valgrind-subset]\n", argv[0]);
            return 2;
        }
    }
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1",
                        .no_valgrind = !valgrind_subset};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_all(c);
    run_all(c, "alone");
    check_meta(c);
    info_test(c);
    dag_test(c);
    CHECK(tm_concurrent_runs(&s, "onnx_cnn{t}", "img{t}", "onnx_cnn_out.bin", 1e-4f));
    refusals(c);
    fprintf(stderr, "batching, ONNX\n");
    batch_test(&s, c, "ONNX", "", "onnx_linear.onnx", "onnx_linear_batch_in.bin",
               "onnx_linear_batch_out.bin");
    fprintf(stderr, "batching, TF\n");
    batch_test(&s, c, "TF", "INPUTS 1 x OUTPUTS 1 y", "tf_mlp.pb", "tf_mlp_batch_in.bin",
               "tf_mlp_batch_out.bin");
    persist_test(&s, &c);
    delete_test(c);
    CHECK(alive(c));
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    fprintf(stderr, "AOF\n");
    aof_test();
    fprintf(stderr, "replica\n");
    replica_test();
    if (!valgrind_subset) {
        fprintf(stderr, "MODEL_EXECUTION_TIMEOUT\n");
        timeout_test();
    }
    return lt_report(valgrind_subset ? "module_model_onnx_tf --valgrind-subset" : "module_model_onnx_tf");
}
