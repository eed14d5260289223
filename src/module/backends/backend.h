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
 * Errors: every call that can fail takes an lb_err, records the message and a code in it (lb_err_set) and
 * returns non-zero / NULL; it leaves the lb_err untouched on success. The message is sent to the client as it
 * is, so it starts with "ERR ". lb_err is a plain struct of fixed size so a C++ shim fills it without sharing
 * an allocator or a runtime with the module; the module's own carrier (lc_err, err.h) is this same struct, so
 * a backend's error needs no conversion on its way to the reply. */
#ifndef LOCUS_MODULE_BACKEND_H
#define LOCUS_MODULE_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LB_API_VERSION 6u /* 6: errors in an lb_err, not a (char *, size_t) buffer */
#define LB_OPS_SYMBOL "locus_backend_ops"
#define LB_MAX_DIMS 16
/* Room for a backend's message: TorchScript errors carry the failing source lines and a traceback. */
#define LB_ERR_MAX 4096

/* Why a call failed, beside the message (which alone is what the client sees). */
typedef enum {
    LB_ERR_NONE = 0,    /* no error recorded */
    LB_ERR_FAILED = 1,  /* any failure without a code of its own */
    LB_ERR_TIMEOUT = 2, /* a run stopped at its set_deadline bound */
} lb_err_code;

/* An error crossing the boundary: a code (an lb_err_code) and the reply text, NUL-terminated. A call that
 * fails writes both; one that succeeds writes neither. Recording one never allocates. */
typedef struct lb_err {
    int code;
    char msg[LB_ERR_MAX];
} lb_err;

/* Record an error (printf format; a longer text is cut at the buffer); returns e->msg. */
static inline const char *lb_err_vset(lb_err *e, int code, const char *fmt, va_list ap) {
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return e->msg;
}

static inline const char *lb_err_set(lb_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline const char *lb_err_set(lb_err *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lb_err_vset(e, code, fmt, ap);
    va_end(ap);
    return e->msg;
}

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
     * set (an ERROR value when Redis replied an error; free it with value_free), or -1 with err set
     * when Redis refused to run it at all (unknown command, wrong number of arguments, not allowed from a
     * script). */
    int (*redis_call)(const char *const *argv, const size_t *lens, int argc, lb_value **reply, lb_err *err);
    void (*value_free)(lb_value *v);
    /* Run the model stored at key (keylen bytes) once on the calling thread, as model_run does: in borrowed,
     * out[0..nout) filled with data from alloc. 0, or non-zero with err set. */
    int (*model_execute)(const char *key, size_t keylen, const lb_tensor *in, int nin, lb_tensor *out,
                         int nout, lb_err *err);
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

    int (*init)(const lb_host *host, lb_err *err);

    /* Models. device: "CPU", "GPU" or "GPU:n" (upper case). names: borrowed for the call (never NULL). On
     * success *ninputs / *noutputs are what the model's signature says (-1 when it cannot tell). */
    void *(*model_load)(const char *device, const void *blob, size_t len, const lb_names *names, int *ninputs,
                        int *noutputs, lb_err *err);
    void (*model_free)(void *model);
    /* Run once. out[0..nout) are filled (data allocated with host->alloc); the model must return exactly nout
     * tensors. Safe to call from several threads at once on one model. */
    int (*model_run)(void *model, const lb_tensor *in, int nin, lb_tensor *out, int nout, lb_err *err);

    /* Scripts (TorchScript source); NULL for backends without scripts. */
    void *(*script_compile)(const char *device, const char *source, lb_err *err);
    void (*script_free)(void *script);
    /* 0 when fn exists; with `entry_point` set it must also have the RedisAI 1.2 entry-point signature
     * (tensors: List[Tensor], keys: List[str], args: List[str]). */
    int (*script_check_function)(void *script, const char *fn, int entry_point, lb_err *err);
    /* Call fn. When fn has the entry-point signature it gets (in as a list, keys, args); otherwise the inputs
     * are passed positionally, those from index `variadic_from` on (when >= 0) as one List[Tensor]. The
     * result (a tensor, or a tuple/list of tensors) must hold exactly nout tensors. */
    int (*script_run)(void *script, const char *fn, const lb_tensor *in, int nin, int variadic_from,
                      const char *const *keys, int nkeys, const char *const *args, int nargs, lb_tensor *out,
                      int nout, lb_err *err);

    /* Bounds the runs the calling thread makes from now on: one still going at deadline_ms (CLOCK_MONOTONIC
     * milliseconds; 0 clears the bound) is stopped as soon as the backend can (libtorch: at its next tensor
     * operation) and fails with an "ERR MODEL_EXECUTION_TIMEOUT: ..." message and LB_ERR_TIMEOUT. NULL: runs
     * cannot be bounded. */
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
