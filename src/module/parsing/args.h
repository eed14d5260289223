/* Pure argument parsing for module commands. Handlers turn their RedisModuleString arguments into
 * `arg_view`s (pointer + length, no copy) and call these functions, which know nothing of Redis and are
 * unit-tested by feeding them strings.
 *
 * Error convention: the parsers and checks record the error reply (RedisAI's wording where RedisAI defines
 * one) in an lc_err and return its text (err->msg), NULL on success (parse_tensor_values: false, true); the
 * arg_to_* and device_normalize predicates only say whether a value is valid. */
#ifndef LOCUS_MODULE_ARGS_H
#define LOCUS_MODULE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../tensor/dtype.h"

typedef struct arg_view {
    const char *ptr;
    size_t len;
} arg_view;

/* Strict decimal integer: optional '-', digits only, no spaces, no overflow. */
bool arg_to_int64(arg_view a, int64_t *out);
/* Strict floating point as strtod reads it, whole string consumed; NaN is refused, inf accepted. */
bool arg_to_double(arg_view a, double *out);
/* Case-insensitive keyword comparison. */
bool arg_is(arg_view a, const char *keyword);

typedef enum { TENSOR_DATA_NONE, TENSOR_DATA_BLOB, TENSOR_DATA_VALUES } tensor_data_fmt;

/* AI.TENSORSET key TYPE d1 .. dn [BLOB data | VALUES v1 .. vk] */
typedef struct tensor_set_args {
    const dtype_info *dtype;
    int ndims;
    int64_t *dims;  /* the caller's buffer (at least argc entries) */
    size_t len;     /* number of elements, product of dims (1 for a scalar) */
    size_t nbytes;  /* len * element size; STRING: the size of its data block (see dtype.h) */
    tensor_data_fmt fmt;
    int data_pos;   /* index in argv of the blob or of the first value */
    int nvalues;
} tensor_set_args;

/* argv[0] is the command name, argv[1] the key. `dims_buf` must hold argc entries. NULL, or the error reply
 * (RedisAI's text) recorded in err. */
const char *parse_tensorset(int argc, const arg_view *argv, int64_t *dims_buf, tensor_set_args *out,
                            lc_err *err);

/* AI.TENSORGET key [META] [BLOB | VALUES]; without a format the reply is META + BLOB (as RedisAI). */
enum { TENSOR_GET_META = 1, TENSOR_GET_BLOB = 2, TENSOR_GET_VALUES = 4 };
const char *parse_tensorget(int argc, const arg_view *argv, unsigned *fmt_out, lc_err *err);

/* Parse `n` VALUES into `data` (len n of the given type), range-checked for the type. On error records
 * RedisAI's reply, "ERR invalid value", in err and returns false. */
bool parse_tensor_values(const dtype_info *dt, const arg_view *vals, size_t n, void *data, lc_err *err);

/* Whether the BLOB of a parsed AI.TENSORSET fits it, as RedisAI checks: len * size bytes, BOOL bytes 0 or 1,
 * STRING exactly len NUL-terminated strings. NULL, or the error reply recorded in err. */
const char *check_tensor_blob(const tensor_set_args *a, const char *data, size_t n, lc_err *err);

/* The deepest nesting of (), [] and {} in TorchScript (Python) source, outside string literals and
 * comments. Scripts nested deeper than SCRIPT_MAX_NESTING are refused before the compiler sees them (it
 * recurses per level; CPython itself stops at 200). */
#define SCRIPT_MAX_NESTING 256
int source_max_nesting(const char *src, size_t len);

/* Validate and normalize a DEVICE argument (CPU, GPU, CPU:n, GPU:n with up to 5 digits; case-insensitive)
 * into out (16 bytes). False when invalid. */
bool device_normalize(const char *dev, size_t len, char out[16]);

#endif
