/* Module configuration table and parser (see config.h). */
#include "config.h"

#include <stdint.h>
#include <string.h>

module_config g_config;

typedef enum { OPT_INT, OPT_PATH } opt_kind;

static const struct {
    const char *name;
    opt_kind kind;
    size_t offset;
    long long min, max;
} options[] = {
    {"THREADS_PER_QUEUE", OPT_INT, offsetof(module_config, threads_per_queue), 1, 1024},
    {"INTER_OP_PARALLELISM", OPT_INT, offsetof(module_config, inter_op_parallelism), 0, 1024},
    {"INTRA_OP_PARALLELISM", OPT_INT, offsetof(module_config, intra_op_parallelism), 0, 1024},
    /* any positive size, as RedisAI's Config_SetModelChunkSize */
    {"MODEL_CHUNK_SIZE", OPT_INT, offsetof(module_config, model_chunk_size), 1, INT64_MAX},
    {"BACKENDSPATH", OPT_PATH, offsetof(module_config, backends_path), 0, 0},
    {"BACKEND_PATHS_AT_RUNTIME", OPT_INT, offsetof(module_config, backend_paths_at_runtime), 0, 1},
    {"TF", OPT_PATH, offsetof(module_config, tf_path), 0, 0},
    {"TFLITE", OPT_PATH, offsetof(module_config, tflite_path), 0, 0},
    {"TORCH", OPT_PATH, offsetof(module_config, torch_path), 0, 0},
    {"ONNX", OPT_PATH, offsetof(module_config, onnx_path), 0, 0},
    {"MODEL_EXECUTION_TIMEOUT", OPT_INT, offsetof(module_config, model_execution_timeout), 0, 1LL << 40},
    {"BACKEND_MEMORY_LIMIT", OPT_INT, offsetof(module_config, backend_memory_limit), 0, 1LL << 40},
    {"BACKEND_PRELOAD", OPT_INT, offsetof(module_config, backend_preload), 0, 1},
};

void config_defaults(module_config *c) {
    memset(c, 0, sizeof *c);
    c->threads_per_queue = 1;
    c->model_chunk_size = 511LL * 1024 * 1024;
    c->backend_preload = 1;
}

const char *config_apply(module_config *c, int argc, const arg_view *argv, lc_err *err) {
    for (int i = 0; i < argc; i += 2) {
        size_t o = 0;
        while (o < sizeof options / sizeof options[0] && !arg_is(argv[i], options[o].name))
            o++;
        if (o == sizeof options / sizeof options[0])
            return lc_err_set(err, "ERR unknown option '%.*s'", (int)argv[i].len, argv[i].ptr);
        if (i + 1 >= argc)
            return lc_err_set(err, "ERR option %s needs a value", options[o].name);
        arg_view v = argv[i + 1];
        char *field = (char *)c + options[o].offset;
        if (options[o].kind == OPT_INT) {
            int64_t n;
            if (!arg_to_int64(v, &n) || n < options[o].min || n > options[o].max)
                return lc_err_set(err, "ERR option %s: '%.*s' is not an integer in [%lld, %lld]",
                                  options[o].name, (int)v.len, v.ptr, options[o].min, options[o].max);
            *(long long *)field = n;
        } else {
            if (v.len == 0 || v.len >= sizeof c->backends_path)
                return lc_err_set(err, "ERR option %s: path is empty or too long", options[o].name);
            memcpy(field, v.ptr, v.len);
            field[v.len] = '\0';
        }
    }
    return NULL;
}
