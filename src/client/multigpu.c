/* SmartRedis's multi-GPU calls: a model or script stored once per GPU of a node, under "<name>.GPU:<n>" on
 * device GPU:<n> for n in first_gpu .. first_gpu + num_gpus - 1, plus one copy under <name> on device GPU that
 * get_model / get_script find; a run picks GPU first_gpu + (offset mod num_gpus), so ranks given their rank as
 * offset spread over the GPUs. (SmartRedis's own loop stores GPUs first_gpu .. num_gpus - 1, which is the same
 * set when first_gpu is 0.) Built on the single-device calls, so prefixes and clusters work the same. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lc_multigpu_pick(int offset, int first_gpu, int num_gpus) {
    int m = offset % num_gpus;
    return first_gpu + (m < 0 ? m + num_gpus : m);
}

int lc_multigpu_name(const char *name, int gpu, char *buf, size_t len) {
    int n = snprintf(buf, len, "%s.GPU:%d", name, gpu);
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

static locus_status check_gpus(const char *what, int first_gpu, int num_gpus) {
    if (first_gpu < 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "%s: first_gpu must be a non-negative integer (got %d)", what, first_gpu);
    if (num_gpus < 1)
        return lc_fail(LOCUS_ERR_PARAMETER, "%s: num_gpus must be a positive integer (got %d)", what, num_gpus);
    return LOCUS_OK;
}

#define NAME_OR_FAIL(buf, name, gpu, what)                                                                   \
    char buf[512];                                                                                           \
    if (lc_multigpu_name(name, gpu, buf, sizeof buf) != 0)                                                   \
        return lc_fail(LOCUS_ERR_PARAMETER, "%s: name '%.100s' is too long", what, name)

LOCUS_API locus_status locus_set_model_multigpu(locus_client *c, const char *name, const void *blob, size_t len,
                                                const locus_model_options *o, int first_gpu, int num_gpus) {
    CHECK_ARG(c && name && blob);
    locus_status st = check_gpus("set_model_multigpu", first_gpu, num_gpus);
    if (st != LOCUS_OK)
        return st;
    locus_model_options per;
    if (o)
        per = *o;
    else
        locus_model_options_init(&per);
    for (int g = first_gpu; g < first_gpu + num_gpus; g++) {
        NAME_OR_FAIL(key, name, g, "set_model_multigpu");
        char device[32];
        snprintf(device, sizeof device, "GPU:%d", g);
        per.device = device;
        if ((st = locus_set_model(c, key, blob, len, &per)) != LOCUS_OK)
            return st;
    }
    per.device = "GPU"; /* the copy get_model finds */
    return locus_set_model(c, name, blob, len, &per);
}

LOCUS_API locus_status locus_set_model_from_file_multigpu(locus_client *c, const char *name, const char *path,
                                                          const locus_model_options *o, int first_gpu,
                                                          int num_gpus) {
    CHECK_ARG(c && name && path);
    char *blob;
    size_t len;
    locus_status st = lc_read_file(path, &blob, &len);
    if (st != LOCUS_OK)
        return st;
    st = locus_set_model_multigpu(c, name, blob, len, o, first_gpu, num_gpus);
    free(blob);
    return st;
}

LOCUS_API locus_status locus_set_script_multigpu(locus_client *c, const char *name, const char *source,
                                                 int first_gpu, int num_gpus) {
    CHECK_ARG(c && name && source);
    locus_status st = check_gpus("set_script_multigpu", first_gpu, num_gpus);
    if (st != LOCUS_OK)
        return st;
    for (int g = first_gpu; g < first_gpu + num_gpus; g++) {
        NAME_OR_FAIL(key, name, g, "set_script_multigpu");
        char device[32];
        snprintf(device, sizeof device, "GPU:%d", g);
        if ((st = locus_set_script(c, key, device, source)) != LOCUS_OK)
            return st;
    }
    return locus_set_script(c, name, "GPU", source);
}

LOCUS_API locus_status locus_set_script_from_file_multigpu(locus_client *c, const char *name, const char *path,
                                                           int first_gpu, int num_gpus) {
    CHECK_ARG(c && name && path);
    char *src;
    size_t len;
    locus_status st = lc_read_file(path, &src, &len);
    if (st != LOCUS_OK)
        return st;
    if (strlen(src) != len) {
        free(src);
        return lc_fail(LOCUS_ERR_PARAMETER, "set_script_from_file_multigpu: '%s' holds a NUL byte; not a script",
                       path);
    }
    st = locus_set_script_multigpu(c, name, src, first_gpu, num_gpus);
    free(src);
    return st;
}

LOCUS_API locus_status locus_run_model_multigpu(locus_client *c, const char *name, const char *const *inputs,
                                                size_t n_inputs, const char *const *outputs, size_t n_outputs,
                                                int offset, int first_gpu, int num_gpus) {
    CHECK_ARG(c && name);
    locus_status st = check_gpus("run_model_multigpu", first_gpu, num_gpus);
    if (st != LOCUS_OK)
        return st;
    NAME_OR_FAIL(key, name, lc_multigpu_pick(offset, first_gpu, num_gpus), "run_model_multigpu");
    return locus_run_model(c, key, inputs, n_inputs, outputs, n_outputs);
}

LOCUS_API locus_status locus_run_script_multigpu(locus_client *c, const char *name, const char *function,
                                                 const char *const *inputs, size_t n_inputs,
                                                 const char *const *outputs, size_t n_outputs, int offset,
                                                 int first_gpu, int num_gpus) {
    CHECK_ARG(c && name && function);
    locus_status st = check_gpus("run_script_multigpu", first_gpu, num_gpus);
    if (st != LOCUS_OK)
        return st;
    NAME_OR_FAIL(key, name, lc_multigpu_pick(offset, first_gpu, num_gpus), "run_script_multigpu");
    return locus_run_script(c, key, function, inputs, n_inputs, outputs, n_outputs);
}

LOCUS_API locus_status locus_delete_model_multigpu(locus_client *c, const char *name, int first_gpu, int num_gpus) {
    CHECK_ARG(c && name);
    locus_status st = check_gpus("delete_model_multigpu", first_gpu, num_gpus);
    for (int g = first_gpu; st == LOCUS_OK && g < first_gpu + num_gpus; g++) {
        NAME_OR_FAIL(key, name, g, "delete_model_multigpu");
        st = locus_delete_model(c, key);
    }
    return st == LOCUS_OK ? locus_delete_model(c, name) : st;
}

LOCUS_API locus_status locus_delete_script_multigpu(locus_client *c, const char *name, int first_gpu,
                                                    int num_gpus) {
    CHECK_ARG(c && name);
    locus_status st = check_gpus("delete_script_multigpu", first_gpu, num_gpus);
    for (int g = first_gpu; st == LOCUS_OK && g < first_gpu + num_gpus; g++) {
        NAME_OR_FAIL(key, name, g, "delete_script_multigpu");
        st = locus_delete_script(c, key);
    }
    return st == LOCUS_OK ? locus_delete_script(c, name) : st;
}
