/* Helpers shared by the model tests: the generated test models (LOCUS_TEST_MODELS, made by
 * tests/models/gen_models.py at build time) and float comparisons against libtorch's own results. */
#ifndef LOCUS_TEST_MODEL_UTIL_H
#define LOCUS_TEST_MODEL_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* Exit status of a test that cannot run here (no GPU, a CPU-only backend); ctest reports it as skipped. */
#define TM_SKIP 77

/* The bytes of a generated file, NUL-terminated past its length (malloc'd, caller frees); aborts when
 * missing. */
static inline char *tm_read(const char *name, size_t *len) {
    const char *dir = getenv("LOCUS_TEST_MODELS");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir != NULL ? dir : "test_models", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "missing test model file %s (set LOCUS_TEST_MODELS)\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    buf[n] = '\0'; /* a script source is passed on as a C string */
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* True when the n floats agree within an absolute+relative tolerance (optimize_for_inference reorders
 * arithmetic, so bit equality with python's eager result is not expected). */
static inline int tm_close(const float *a, const float *b, size_t n, float tol) {
    for (size_t i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > tol * (1.0f + fabsf(b[i]))) {
            fprintf(stderr, "element %zu: %g vs expected %g\n", i, a[i], b[i]);
            return 0;
        }
    return 1;
}

/* AI.TENSORGET key BLOB compared with a generated .bin file of floats. */
static inline int tm_check_output(redisContext *c, const char *key, const char *expected_file, float tol) {
    size_t n;
    char *want = tm_read(expected_file, &n);
    redisReply *r = lt_cmdf(c, "AI.TENSORGET %s BLOB", key);
    int ok = r->type == REDIS_REPLY_STRING && r->len == n && tm_close((float *)r->str, (float *)want, n / 4, tol);
    if (r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "TENSORGET %s: %s\n", key, r->str);
    freeReplyObject(r);
    free(want);
    return ok;
}

/* Expect a status reply equal to `status`; prints the error otherwise. */
static inline int tm_status(redisReply *r, const char *status) {
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, status) == 0;
    if (!ok)
        fprintf(stderr, "expected %s, got type %d: %s\n", status, r->type, r->str != NULL ? r->str : "");
    freeReplyObject(r);
    return ok;
}

/* AI.TENSORSET key FLOAT dims BLOB <the floats of a generated .bin file>; 1 when it answered OK. */
static inline int tm_set_blob(redisContext *c, const char *key, const char *dims, const char *file) {
    size_t n;
    char *b = tm_read(file, &n);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "AI.TENSORSET %s FLOAT %s BLOB %%b", key, dims);
    int ok = tm_status(lt_cmdf(c, cmd, b, n), "OK");
    free(b);
    return ok;
}

/* The outputs of the test script's post_process: `idx_key` an INT64 tensor equal to script_post_idx.bin,
 * `sm_key` the floats of script_post_sm.bin. */
static inline int tm_check_post_process(redisContext *c, const char *idx_key, const char *sm_key) {
    size_t n;
    char *idx = tm_read("script_post_idx.bin", &n);
    redisReply *r = lt_cmdf(c, "AI.TENSORGET %s META BLOB", idx_key);
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, "INT64") == 0 &&
             r->element[5]->len == n && memcmp(r->element[5]->str, idx, n) == 0;
    freeReplyObject(r);
    free(idx);
    return ok && tm_check_output(c, sm_key, "script_post_sm.bin", 1e-5f);
}

/* Several clients at once on one model without batching: 4 clients send `model`'s run on `input_key` 5 rounds
 * over, each into its own key cc<i>{t}, all in flight together; every reply must be OK and every output equal to
 * `expected_file`. 1 when all was so. */
static inline int tm_concurrent_runs(lt_server *s, const char *model, const char *input_key,
                                     const char *expected_file, float tol) {
    enum { C = 4, ROUNDS = 5 };
    redisContext *cl[C];
    int ok = 1;
    for (int i = 0; i < C; i++)
        cl[i] = lt_connect(s);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < C; i++) {
            redisAppendCommand(cl[i], "AI.MODELEXECUTE %s INPUTS 1 %s OUTPUTS 1 cc%d{t}", model, input_key, i);
            int done = 0;
            while (!done)
                redisBufferWrite(cl[i], &done);
        }
        for (int i = 0; i < C; i++) {
            void *rep = NULL;
            ok &= redisGetReply(cl[i], &rep) == REDIS_OK && rep != NULL &&
                  ((redisReply *)rep)->type == REDIS_REPLY_STATUS;
            if (rep != NULL)
                freeReplyObject(rep);
        }
    }
    for (int i = 0; i < C; i++) {
        char key[32];
        snprintf(key, sizeof key, "cc%d{t}", i);
        ok &= tm_check_output(cl[0], key, expected_file, tol);
    }
    for (int i = 0; i < C; i++)
        redisFree(cl[i]);
    return ok;
}

/* A counter of the run queue of `device` in AI.INFO QUEUES ("batches", "batched_runs", "deadline_stops", ...);
 * -1 when there is none. */
static inline long long tm_queue_field(redisContext *c, const char *device, const char *name) {
    redisReply *r = lt_cmdf(c, "AI.INFO QUEUES");
    long long v = -1;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
        const redisReply *q = r->element[k];
        long long found = -1;
        bool mine = false;
        for (size_t i = 0; q->type == REDIS_REPLY_ARRAY && i + 1 < q->elements; i += 2) {
            const redisReply *f = q->element[i], *val = q->element[i + 1];
            if (f->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(f->str, "device") == 0 && val->type == REDIS_REPLY_STRING)
                mine = strcmp(val->str, device) == 0;
            else if (strcmp(f->str, name) == 0 && val->type == REDIS_REPLY_INTEGER)
                found = val->integer;
        }
        if (mine)
            v = found;
    }
    freeReplyObject(r);
    return v;
}

/* Batching, from several clients at once: 4 clients, one row each of `rows_file` (4 x 4 floats) in
 * in<i>{t}, send `model`'s run (stored with BATCHSIZE 4 MINBATCHSIZE 4) together; each must get its row of
 * `want_file` (4 x 3) in out<i>{t}, AI.INFO must count 4 calls and 4 samples (a call per request, as RedisAI
 * counts), and the CPU queue one more execution, of the 4 runs. 1 when all was so; what was not, on stderr. */
static inline int tm_batched_rows(lt_server *s, redisContext *c, const char *model, const char *rows_file,
                                  const char *want_file, float tol) {
    enum { N = 4 };
    size_t inlen, outlen;
    float *rows = (float *)tm_read(rows_file, &inlen);
    float *want = (float *)tm_read(want_file, &outlen);
    long long batches = tm_queue_field(c, "CPU", "batches"), batched = tm_queue_field(c, "CPU", "batched_runs");
    int ok = 1;
    redisContext *cl[N];
    for (int i = 0; i < N; i++) {
        cl[i] = lt_connect(s);
        ok &= tm_status(lt_cmdf(c, "AI.TENSORSET in%d{t} FLOAT 1 4 BLOB %b", i, (char *)(rows + 4 * i), (size_t)16),
                        "OK");
    }
    for (int i = 0; i < N; i++) {
        redisAppendCommand(cl[i], "AI.MODELEXECUTE %s INPUTS 1 in%d{t} OUTPUTS 1 out%d{t}", model, i, i);
        int done = 0;
        while (!done)
            redisBufferWrite(cl[i], &done);
    }
    for (int i = 0; i < N; i++) {
        void *rep = NULL;
        if (redisGetReply(cl[i], &rep) != REDIS_OK || rep == NULL || ((redisReply *)rep)->type != REDIS_REPLY_STATUS) {
            fprintf(stderr, "batched run %d: no OK reply\n", i);
            ok = 0;
        }
        if (rep != NULL)
            freeReplyObject(rep);
        redisFree(cl[i]);
        redisReply *r = lt_cmdf(c, "AI.TENSORGET out%d{t} BLOB", i);
        if (!(r->type == REDIS_REPLY_STRING && r->len == 12 && tm_close((float *)r->str, want + 3 * i, 3, tol))) {
            fprintf(stderr, "batched run %d: not its row of %s\n", i, want_file);
            ok = 0;
        }
        freeReplyObject(r);
    }
    redisReply *r = lt_cmdf(c, "AI.INFO %s", model);
    if (!(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && r->element[13]->integer == N &&
          r->element[15]->integer == N)) {
        fprintf(stderr, "AI.INFO %s: not %d samples and %d calls\n", model, N, N);
        ok = 0;
    }
    freeReplyObject(r);
    if (!(tm_queue_field(c, "CPU", "batches") == batches + 1 &&
          tm_queue_field(c, "CPU", "batched_runs") == batched + N)) {
        fprintf(stderr, "the %d runs were not one execution (AI.INFO QUEUES)\n", N);
        ok = 0;
    }
    free(rows);
    free(want);
    return ok;
}

#endif
