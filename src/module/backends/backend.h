/* The contract between locus_ai.so and a backend shared object (TORCH: libtorch; ONNX and TF: OpenCV DNN;
 * TFLITE would plug in the same way).
 *
 * A backend exports exactly one symbol, LB_OPS_SYMBOL, a `lb_ops` table whose first field is the API version
 * it was built against. The loader (backends/loader.c) resolves it with one dlsym, refuses a table whose
 * version differs from LB_API_VERSION, and then calls init() once. This header is plain C so the C++ shim
 * includes it unchanged.
 *
 * Ownership: input tensors are borrowed for the duration of a call. Output data is allocated by the backend
 * with the host's alloc() (RedisModule_Alloc, so INFO memory sees it) and owned by the caller afterwards.
 * Errors: functions write a message into err (errlen bytes, NUL-terminated) and return non-zero / NULL. The
 * message is sent to the client as it is, so it starts with "ERR ". */
#ifndef LOCUS_MODULE_BACKEND_H
#define LOCUS_MODULE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LB_API_VERSION 5u
#define LB_OPS_SYMBOL "locus_backend_ops"
#define LB_MAX_DIMS 16
/* Room for a backend's message: TorchScript errors carry the failing source lines and a traceback. */
#define LB_ERR_MAX 4096

/* The element types a tensor crossing the boundary may have. The numbers are the module's persistent dtype
 * codes (tensor/dtype.h checks at compile time that they agree). STRING data are the elements each followed
 * by a NUL byte. */
typedef enum {
    LB_DTYPE_FLOAT = 0,
    LB_DTYPE_DOUBLE = 1,
    LB_DTYPE_INT8 = 2,
    LB_DTYPE_INT16 = 3,
    LB_DTYPE_INT32 = 4,
    LB_DTYPE_INT64 = 5,
    LB_DTYPE_UINT8 = 6,
    LB_DTYPE_UINT16 = 7,
    LB_DTYPE_BOOL = 8,
    LB_DTYPE_STRING = 9,
} lb_dtype;

/* A tensor crossing the boundary. dtype is an lb_dtype. */
typedef struct lb_tensor {
    int dtype;
    int ndims;
    int64_t shape[LB_MAX_DIMS];
    void *data;    /* inputs: naturally aligned for the element type; outputs: from host->alloc */
    size_t nbytes;
} lb_tensor;

/* A Redis reply handed to a backend (RESP2: what RedisModule_Call gives without RESP3). */
typedef enum { LB_VALUE_NIL, LB_VALUE_STRING, LB_VALUE_INTEGER, LB_VALUE_ARRAY, LB_VALUE_ERROR } lb_value_kind;

typedef struct lb_value {
    lb_value_kind kind;
    long long integer;          /* INTEGER */
    char *str;                  /* STRING (status replies too) and ERROR: len bytes plus a NUL */
    size_t len;
    struct lb_value *elements;  /* ARRAY: nelements of them */
    size_t nelements;
} lb_value;

/* What the module gives the backend at init. The callbacks serve RedisAI's TorchScript extensions
 * (redis.execute, redisAI.model_execute); they may be NULL (a host other than locus_ai, such as the
 * inference reference of bench/), and a backend then refuses those calls with a message. */
typedef struct lb_host {
    void *(*alloc)(size_t bytes);
    void (*free)(void *ptr);
    int inter_op_threads; /* 0 = backend default */
    int intra_op_threads; /* 0 = backend default */

    /* Run a Redis command from a worker thread (the call takes Redis's lock for its duration; never call it
     * from Redis's main thread). argv[0] is the command; lens gives each argument's length. 0 with *reply
     * set (an ERROR value when Redis replied an error; free it with value_free), or -1 with a message in err
     * when Redis refused to run it at all (unknown command, wrong number of arguments, not allowed from a
     * script). */
    int (*redis_call)(const char *const *argv, const size_t *lens, int argc, lb_value **reply, char *err,
                      size_t errlen);
    void (*value_free)(lb_value *v);
    /* Run the model stored at key (keylen bytes) once on the calling thread, as model_run does: in borrowed,
     * out[0..nout) filled with data from alloc. 0, or non-zero with an "ERR ..." message in err. */
    int (*model_execute)(const char *key, size_t keylen, const lb_tensor *in, int nin, lb_tensor *out, int nout,
                         char *err, size_t errlen);
} lb_host;

/* The input and output names given at store time (AI.MODELSTORE INPUTS/OUTPUTS, required for TF), NUL-terminated;
 * zero counts when none were given. */
typedef struct lb_names {
    int ninputs;
    const char *const *inputs;
    int noutputs;
    const char *const *outputs;
} lb_names;

typedef struct lb_ops {
    uint32_t api_version; /* LB_API_VERSION the backend was built with */
    const char *name;     /* "TORCH" */
    const char *version;  /* runtime version, for AI.INFO / logs */

    int (*init)(const lb_host *host, char *err, size_t errlen);

    /* Models. device: "CPU", "GPU" or "GPU:n" (upper case). names: borrowed for the call (never NULL). On
     * success *ninputs / *noutputs are what the model's signature says (-1 when it cannot tell). */
    void *(*model_load)(const char *device, const void *blob, size_t len, const lb_names *names, int *ninputs,
                        int *noutputs, char *err, size_t errlen);
    void (*model_free)(void *model);
    /* Run once. out[0..nout) are filled (data allocated with host->alloc); the model must return exactly nout
     * tensors. Safe to call from several threads at once on one model. */
    int (*model_run)(void *model, const lb_tensor *in, int nin, lb_tensor *out, int nout, char *err,
                     size_t errlen);

    /* Scripts (TorchScript source); NULL for backends without scripts. */
    void *(*script_compile)(const char *device, const char *source, char *err, size_t errlen);
    void (*script_free)(void *script);
    /* 0 when fn exists; with `entry_point` set it must also have the RedisAI 1.2 entry-point signature
     * (tensors: List[Tensor], keys: List[str], args: List[str]). */
    int (*script_check_function)(void *script, const char *fn, int entry_point, char *err, size_t errlen);
    /* Call fn. When fn has the entry-point signature it gets (in as a list, keys, args); otherwise the inputs
     * are passed positionally, those from index `variadic_from` on (when >= 0) as one List[Tensor]. The
     * result (a tensor, or a tuple/list of tensors) must hold exactly nout tensors. */
    int (*script_run)(void *script, const char *fn, const lb_tensor *in, int nin, int variadic_from,
                      const char *const *keys, int nkeys, const char *const *args, int nargs, lb_tensor *out,
                      int nout, char *err, size_t errlen);

    /* Bounds the runs the calling thread makes from now on: one still going at deadline_ms (CLOCK_MONOTONIC
     * milliseconds; 0 clears the bound) is stopped as soon as the backend can (libtorch: at its next tensor
     * operation) and fails with an "ERR MODEL_EXECUTION_TIMEOUT: ..." message. NULL: runs cannot be bounded. */
    void (*set_deadline)(long long deadline_ms);

    /* The name of the model's input i as its signature has it (Torch: forward's arguments after self), into
     * buf; 0, or -1 when there is none. NULL: the backend cannot tell. */
    int (*model_input_name)(void *model, int i, char *buf, size_t len);
    /* The same for output i (ONNX: the graph's outputs, as RedisAI's MODELGET META lists them). NULL: the
     * backend cannot tell. */
    int (*model_output_name)(void *model, int i, char *buf, size_t len);
} lb_ops;

#ifdef __cplusplus
}
#endif

#endif
