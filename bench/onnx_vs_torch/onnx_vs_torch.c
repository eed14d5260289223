/* bench/onnx_vs_torch: one ResNet-50 (torchvision, weights=None) exported twice from the same weights,
 * TorchScript and ONNX (tests/models/gen_onnx_tf.py resnet50), stored in one locus_ai server as TORCH and as
 * ONNX, and run at batch 1 on CPU through AI.TENSORSET + AI.MODELEXECUTE + AI.TENSORGET over a Unix socket.
 * Blocks of iterations alternate between the two backends (threads spin a while after work); p50 and p99 per
 * image for each, the ONNX/Torch ratio of the medians, and the largest difference between their outputs.
 *
 * usage: onnx_vs_torch [--iters N] [--threads T] [--module locus_ai.so] [--models DIR] [--csv out.csv] */
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *slurp(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot read %s (build the locus_test_resnet50_onnx target)\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len);
    if (fread(b, 1, *len, f) != *len)
        exit(1);
    fclose(f);
    return b;
}

static redisReply *ok_or_die(redisReply *r, const char *what) {
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "%s: %s\n", what, r != NULL ? r->str : "connection lost");
        exit(1);
    }
    return r;
}

/* put + run + get one image; res gets the 1000 scores */
static void infer(redisContext *c, const char *model, const char *img, size_t imglen, float *res) {
    freeReplyObject(
        ok_or_die(redisCommand(c, "AI.TENSORSET img FLOAT 1 3 224 224 BLOB %b", img, imglen), "TENSORSET"));
    freeReplyObject(
        ok_or_die(redisCommand(c, "AI.MODELEXECUTE %s INPUTS 1 img OUTPUTS 1 out", model), model));
    redisReply *r = ok_or_die(redisCommand(c, "AI.TENSORGET out BLOB"), "TENSORGET");
    if (r->type != REDIS_REPLY_STRING || r->len != 4000) {
        fprintf(stderr, "TENSORGET: not 1000 floats\n");
        exit(1);
    }
    memcpy(res, r->str, 4000);
    freeReplyObject(r);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

int main(int argc, char **argv) {
    int iters = 20, threads = 2;
    const char *module = LOCUS_DEFAULT_MODULE, *dir = LOCUS_TEST_MODELS, *csv = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--iters") == 0)
            iters = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--module") == 0)
            module = argv[i + 1];
        else if (strcmp(argv[i], "--models") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--csv") == 0)
            csv = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (iters < 1 || threads < 1) {
        fprintf(stderr, "--iters and --threads must be positive\n");
        return 2;
    }
    size_t ptlen, onnxlen, imglen;
    char *pt = slurp(dir, "bench_resnet50.pt", &ptlen), *onnx = slurp(dir, "bench_resnet50.onnx", &onnxlen);
    char *img = slurp(dir, "bench_resnet50_in.bin", &imglen);
    char margs[200];
    snprintf(margs, sizeof margs, "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM %d INTER_OP_PARALLELISM 1",
             threads);
    lt_server s;
    lt_server_opts o = {
        .module = module, .module_args = margs, .no_valgrind = true, .unix_socket = true};
    if (lt_server_start(&s, &o) != 0)
        return 1;
    redisContext *c = lt_connect_unix(&s);
    freeReplyObject(
        ok_or_die(redisCommand(c, "AI.MODELSTORE torch TORCH CPU BLOB %b", pt, ptlen), "store TORCH"));
    freeReplyObject(
        ok_or_die(redisCommand(c, "AI.MODELSTORE onnx ONNX CPU BLOB %b", onnx, onnxlen), "store ONNX"));
    float a[1000], b[1000];
    for (int i = 0; i < 3; i++) { /* warm-up */
        infer(c, "torch", img, imglen, a);
        infer(c, "onnx", img, imglen, b);
    }
    float maxdiff = 0;
    for (int i = 0; i < 1000; i++)
        maxdiff = fmaxf(maxdiff, fabsf(a[i] - b[i]));
    double *tt = calloc((size_t)iters, sizeof *tt), *to = calloc((size_t)iters, sizeof *to);
    const int block = 5;
    for (int done = 0; done < iters; done += block) {
        int n = iters - done < block ? iters - done : block;
        for (int side = 0; side < 2; side++) {
            usleep(300000);
            for (int i = 0; i < n; i++) {
                double t0 = now_ms();
                infer(c, side == 0 ? "torch" : "onnx", img, imglen, side == 0 ? a : b);
                (side == 0 ? tt : to)[done + i] = now_ms() - t0;
            }
        }
    }
    double t50 = pct(tt, iters, 0.5), t99 = pct(tt, iters, 0.99), o50 = pct(to, iters, 0.5),
           o99 = pct(to, iters, 0.99);
    printf("ResNet-50, batch 1, CPU, %d threads, %d images each, through locus_ai (put + run + get)\n",
           threads, iters);
    printf("  TORCH (libtorch, frozen)  p50 %8.2f ms   p99 %8.2f ms\n", t50, t99);
    printf("  ONNX  (OpenCV DNN)        p50 %8.2f ms   p99 %8.2f ms\n", o50, o99);
    printf("  ratio ONNX/TORCH p50 %.2f   largest output difference %.2g\n", o50 / t50, maxdiff);
    if (csv != NULL) {
        FILE *f = fopen(csv, "w");
        if (f != NULL) {
            fprintf(f, "backend,threads,iters,p50_ms,p99_ms\nTORCH,%d,%d,%.3f,%.3f\nONNX,%d,%d,%.3f,%.3f\n",
                    threads, iters, t50, t99, threads, iters, o50, o99);
            fclose(f);
        }
    }
    redisFree(c);
    lt_server_stop(&s, false);
    free(pt);
    free(onnx);
    free(img);
    free(tt);
    free(to);
    return 0;
}
