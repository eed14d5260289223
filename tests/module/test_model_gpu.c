/* Models and scripts on a GPU (DEVICE GPU / GPU:n) against a real redis-server with locus_ai.so and a CUDA
 * build of the Torch backend: results equal libtorch's CPU results, META reports the device, a device index
 * that does not exist is refused by name, DAGs and concurrent clients work, and models and scripts come back
 * on their GPU after an RDB reload.
 *
 * Exits 77 (ctest: skipped) when the backend has no CUDA support or no GPU is visible, which is the case on
 * every machine CI runs on; see docs/models.md for how to build the backend against a CUDA libtorch. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_util.h"
#include "server.h"

#define BIG_ROWS 65536 /* 1 MiB of input */
#define CLIENTS 4
#define RUNS 25

static char *linear, *twoinout, *script_src;
static size_t linear_len, twoinout_len, script_len;

/* The device field of AI.MODELGET / AI.SCRIPTGET META, or "" */
static void meta_device(redisContext *c, const char *cmd, const char *key, char *out, size_t outlen) {
    out[0] = '\0';
    redisReply *r = lt_cmdf(c, "%s %s META", cmd, key);
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < r->elements; i += 2)
            if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, "device") == 0 &&
                r->element[i + 1]->str != NULL)
                snprintf(out, outlen, "%s", r->element[i + 1]->str);
    freeReplyObject(r);
}

static void test_linear(redisContext *c) {
    char dev[32];
    meta_device(c, "AI.MODELGET", "lin_g", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU") == 0);
    CHECK(tm_set_blob(c, "x", "2 4", "linear_in.bin"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin_g INPUTS 1 x OUTPUTS 1 y"), "OK"));
    CHECK(tm_check_output(c, "y", "linear_out.bin", 1e-4f));

    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE lin_g0 TORCH GPU:0 BLOB %b", linear, linear_len), "OK"));
    meta_device(c, "AI.MODELGET", "lin_g0", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU:0") == 0);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin_g0 INPUTS 1 x OUTPUTS 1 y0"), "OK"));
    CHECK(tm_check_output(c, "y0", "linear_out.bin", 1e-4f));

    /* a GPU that is not there: refused by name, nothing stored */
    redisReply *r = lt_cmdf(c, "AI.MODELSTORE lin_g63 TORCH GPU:63 BLOB %b", linear, linear_len);
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "GPU:63") != NULL);
    if (r->type == REDIS_REPLY_ERROR)
        printf("GPU:63 -> %s\n", r->str);
    freeReplyObject(r);
    r = lt_cmdf(c, "EXISTS lin_g63");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);

    /* two inputs, two outputs */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE two_g TORCH GPU BLOB %b", twoinout, twoinout_len), "OK"));
    CHECK(tm_set_blob(c, "a", "2 3", "twoinout_a.bin"));
    CHECK(tm_set_blob(c, "b", "2 3", "twoinout_b.bin"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE two_g INPUTS 2 a b OUTPUTS 2 o1 o2"), "OK"));
    CHECK(tm_check_output(c, "o1", "twoinout_out1.bin", 1e-5f));
    CHECK(tm_check_output(c, "o2", "twoinout_out2.bin", 1e-4f));
}

/* 1 MiB of input through the same model on the GPU and on the CPU: the same numbers */
static void test_big_input(redisContext *c) {
    size_t n = (size_t)BIG_ROWS * 4;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET bx FLOAT %d 4 BLOB %b", BIG_ROWS, (char *)x, n * sizeof *x), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE lin_c TORCH CPU BLOB %b", linear, linear_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin_g INPUTS 1 bx OUTPUTS 1 by_g"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin_c INPUTS 1 bx OUTPUTS 1 by_c"), "OK"));
    redisReply *g = lt_cmdf(c, "AI.TENSORGET by_g BLOB"), *p = lt_cmdf(c, "AI.TENSORGET by_c BLOB");
    size_t want = (size_t)BIG_ROWS * 3 * sizeof(float);
    CHECK(g->type == REDIS_REPLY_STRING && p->type == REDIS_REPLY_STRING && g->len == want && p->len == want &&
          tm_close((float *)g->str, (float *)p->str, want / sizeof(float), 1e-4f));
    freeReplyObject(g);
    freeReplyObject(p);
    free(x);
}

static void test_script(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE scr_g GPU ENTRY_POINTS 2 pre_process post_process SOURCE %b",
                            script_src, script_len), "OK"));
    char dev[32];
    meta_device(c, "AI.SCRIPTGET", "scr_g", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU") == 0);
    CHECK(tm_set_blob(c, "s_in", "2 3", "script_in.bin"));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE scr_g pre_process INPUTS 1 s_in ARGS 1 2.0 OUTPUTS 1 s_pre"), "OK"));
    CHECK(tm_check_output(c, "s_pre", "script_pre_out.bin", 1e-5f));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE scr_g post_process INPUTS 1 s_in OUTPUTS 2 s_idx s_sm"), "OK"));
    CHECK(tm_check_post_process(c, "s_idx", "s_sm"));
}

/* A DAG on the GPU: model, then script, on tensors that live only inside the DAG; d_y = y - mean(y). */
static void test_dag(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 x PERSIST 1 d_y |> AI.MODELEXECUTE lin_g INPUTS 1 x OUTPUTS 1 "
                               "tmp |> AI.SCRIPTEXECUTE scr_g pre_process INPUTS 1 tmp ARGS 1 1.0 OUTPUTS 1 d_y");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STATUS &&
          r->element[1]->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    size_t n;
    float *y = (float *)tm_read("linear_out.bin", &n), mean = 0;
    n /= sizeof *y;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (float)n;
    for (size_t i = 0; i < n; i++)
        y[i] -= mean;
    r = lt_cmdf(c, "AI.TENSORGET d_y BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == n * sizeof *y && tm_close((float *)r->str, y, n, 1e-4f));
    freeReplyObject(r);
    free(y);
}

/* Several clients at once, each pipelining runs on the one GPU model (two worker threads share the GPU). */
static void test_concurrent(const lt_server *s) {
    redisContext *cl[CLIENTS];
    for (int k = 0; k < CLIENTS; k++) {
        cl[k] = lt_connect(s);
        for (int i = 0; i < RUNS; i++)
            redisAppendCommand(cl[k], "AI.MODELEXECUTE lin_g INPUTS 1 x OUTPUTS 1 cc%d_%d", k, i);
    }
    int ok = 0;
    for (int k = 0; k < CLIENTS; k++)
        for (int i = 0; i < RUNS; i++) {
            void *rep = NULL;
            if (redisGetReply(cl[k], &rep) == REDIS_OK && rep != NULL &&
                ((redisReply *)rep)->type == REDIS_REPLY_STATUS)
                ok++;
            else if (rep != NULL)
                fprintf(stderr, "concurrent run: %s\n", ((redisReply *)rep)->str);
            freeReplyObject(rep);
        }
    CHECK(ok == CLIENTS * RUNS);
    char key[32];
    for (int k = 0; k < CLIENTS; k++) {
        snprintf(key, sizeof key, "cc%d_%d", k, RUNS - 1);
        CHECK(tm_check_output(cl[0], key, "linear_out.bin", 1e-4f));
    }
    for (int k = 0; k < CLIENTS; k++)
        redisFree(cl[k]);
}

/* DEBUG RELOAD saves and loads the RDB: the model and the script come back on their GPU and still run. */
static void test_reload(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "DEBUG RELOAD"), "OK"));
    char dev[32];
    meta_device(c, "AI.MODELGET", "lin_g", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU") == 0);
    meta_device(c, "AI.MODELGET", "lin_g0", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU:0") == 0);
    meta_device(c, "AI.SCRIPTGET", "scr_g", dev, sizeof dev);
    CHECK(strcmp(dev, "GPU") == 0);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin_g INPUTS 1 x OUTPUTS 1 y_reload"), "OK"));
    CHECK(tm_check_output(c, "y_reload", "linear_out.bin", 1e-4f));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE scr_g pre_process INPUTS 1 s_in ARGS 1 2.0 OUTPUTS 1 s_pre2"), "OK"));
    CHECK(tm_check_output(c, "s_pre2", "script_pre_out.bin", 1e-5f));
}

int main(void) {
    linear = tm_read("linear.pt", &linear_len);
    twoinout = tm_read("twoinout.pt", &twoinout_len);
    script_src = tm_read("script.py", &script_len);
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 2", .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);

    redisReply *r = lt_cmdf(c, "AI.MODELSTORE lin_g TORCH GPU BLOB %b", linear, linear_len);
    if (r->type == REDIS_REPLY_ERROR && (strstr(r->str, "CUDA") != NULL || strstr(r->str, "no GPU") != NULL)) {
        printf("module_model_gpu: SKIP: %s\n", r->str);
        freeReplyObject(r);
        redisFree(c);
        lt_server_stop(&s, false);
        return TM_SKIP;
    }
    CHECK(r->type == REDIS_REPLY_STATUS);
    if (r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "AI.MODELSTORE on GPU: %s\n", r->str);
    freeReplyObject(r);

    test_linear(c);
    test_big_input(c);
    test_script(c);
    test_dag(c);
    test_concurrent(&s);
    test_reload(c);
    r = lt_cmdf(c, "PING");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(linear);
    free(twoinout);
    free(script_src);
    return lt_report("module_model_gpu");
}
