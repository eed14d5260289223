/* Module configuration: the arguments given to --loadmodule (THREADS_PER_QUEUE n, ...). One table
 * describes every option; parsing, validation and the error messages come from it. */
#ifndef LOCUS_MODULE_CONFIG_H
#define LOCUS_MODULE_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "parsing/args.h"

typedef struct module_config {
    long long threads_per_queue;     /* worker threads per device queue */
    long long inter_op_parallelism;  /* passed to the backends; 0 = backend default */
    long long intra_op_parallelism;
    long long model_chunk_size;      /* bytes per chunk when replying or persisting model blobs */
    char backends_path[1024];        /* where backend shared objects are looked up */
    /* RedisAI's load-time backend options (TF, TFLITE, TORCH, ONNX path): load that backend when the module
     * loads; relative paths are inside the backends directory. "" = load at first use. */
    char tf_path[1024], tflite_path[1024], torch_path[1024], onnx_path[1024];
    long long model_execution_timeout; /* RedisAI's MODEL_EXECUTION_TIMEOUT ms; 0: runs are not bounded */
    long long backend_memory_limit;    /* RedisAI's BACKEND_MEMORY_LIMIT MB: accepted, not applied */
    long long backend_paths_at_runtime; /* 1: AI.CONFIG may set BACKENDSPATH and load any path (trusted clients
                                         * only: a loaded library runs code as the server's user) */
    long long backend_preload; /* 1 (default): load the Torch backend in the background at module load when no
                                * TORCH path is given; 0: at the first store that needs it */
} module_config;

extern module_config g_config;

/* Reset to defaults. */
void config_defaults(module_config *c);
/* Apply "NAME VALUE" pairs. Returns NULL on success, else the error reply naming the bad option ("ERR ...",
 * recorded in err). Options before the bad one are applied. */
const char *config_apply(module_config *c, int argc, const arg_view *argv, lc_err *err);

#endif
