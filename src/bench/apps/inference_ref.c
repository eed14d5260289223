/* The inference apps' fixed image and their in-process reference (see inference_ref.h). */
#include "inference_ref.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"

/* A value in 0..255 from the pixel's position: an integer hash, so every rank (and both languages, and either
 * memory order) makes the same image without sharing a random stream. */
static float pixel(uint32_t h, uint32_t w, uint32_t c) {
    uint32_t x = (h * BENCH_IMAGE_W + w) * BENCH_IMAGE_C + c + 2026u;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return (float)(x % 25600u) / 100.0f;
}

void bench_make_image(float *image, int fortran_order) {
    for (uint32_t h = 0; h < BENCH_IMAGE_H; h++)
        for (uint32_t w = 0; w < BENCH_IMAGE_W; w++)
            for (uint32_t c = 0; c < BENCH_IMAGE_C; c++) {
                size_t at = fortran_order ? ((size_t)c * BENCH_IMAGE_W + w) * BENCH_IMAGE_H + h
                                          : ((size_t)h * BENCH_IMAGE_W + w) * BENCH_IMAGE_C + c;
                image[at] = pixel(h, w, c);
            }
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        *len = (size_t)n;
    }
    return b;
}

int bench_reference(const char *backend, const char *model_path, const char *script_path, float *out,
                    char *err, size_t errlen) {
    void *h = dlopen(backend, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "cannot load the Torch backend %s: %s", backend, dlerror());
        return -1;
    }
    const lb_ops *ops = dlsym(h, LB_OPS_SYMBOL);
    if (!ops || ops->api_version != LB_API_VERSION) {
        snprintf(err, errlen, "%s is not a Torch backend of this version", backend);
        return -1;
    }
    lb_host host = {.alloc = malloc, .free = free}; /* no Redis: the script extensions stay off */
    size_t mlen = 0, slen = 0;
    char *blob = read_file(model_path, &mlen), *source = read_file(script_path, &slen);
    int rc = -1;
    void *model = NULL, *script = NULL;
    lb_tensor img = {.dtype = 0, .ndims = 3, .shape = {BENCH_IMAGE_H, BENCH_IMAGE_W, BENCH_IMAGE_C}};
    lb_tensor pre = {0}, res = {0};
    img.nbytes = (size_t)BENCH_IMAGE_H * BENCH_IMAGE_W * BENCH_IMAGE_C * sizeof(float);
    img.data = malloc(img.nbytes);
    if (!blob || !source || !img.data) {
        snprintf(err, errlen, "cannot read %s", !blob ? model_path : script_path);
        goto done;
    }
    bench_make_image(img.data, 0);
    int ni, no;
    lb_names names = {0};
    lb_err be; /* the backend's error, copied into err once */
    if (ops->init(&host, &be) != 0 || !(model = ops->model_load("CPU", blob, mlen, &names, &ni, &no, &be)) ||
        !(script = ops->script_compile("CPU", source, &be)) ||
        ops->script_run(script, "pre_process_3ch", &img, 1, -1, NULL, 0, NULL, 0, &pre, 1, &be) != 0 ||
        ops->model_run(model, &pre, 1, &res, 1, &be) != 0) {
        snprintf(err, errlen, "%s", be.msg);
        goto done;
    }
    if (res.nbytes != BENCH_CLASSES * sizeof(float)) {
        snprintf(err, errlen, "the in-process model gave %zu bytes, not [1,%d] floats", res.nbytes, BENCH_CLASSES);
        goto done;
    }
    memcpy(out, res.data, res.nbytes);
    rc = 0;
done:
    if (model)
        ops->model_free(model);
    if (script)
        ops->script_free(script);
    free(pre.data);
    free(res.data);
    free(img.data);
    free(blob);
    free(source);
    /* the backend stays loaded: libtorch does not unload cleanly */
    return rc;
}

double bench_max_diff(const float *a, const float *b, int n) {
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        if (d < 0)
            d = -d;
        if (d > worst || d != d)
            worst = d != d ? 1e30 : d;
    }
    return worst;
}
