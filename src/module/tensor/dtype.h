/* The tensor element types: one table gives each type its protocol name, size, kind, value range and the
 * code stored in RDB files. Pure code, no Redis calls; unit-tested directly.
 *
 * Codes are part of the persistent format: never renumber them, only append. */
#ifndef LOCUS_MODULE_DTYPE_H
#define LOCUS_MODULE_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"

typedef enum {
    DTYPE_FLOAT = 0,
    DTYPE_DOUBLE = 1,
    DTYPE_INT8 = 2,
    DTYPE_INT16 = 3,
    DTYPE_INT32 = 4,
    DTYPE_INT64 = 5,
    DTYPE_UINT8 = 6,
    DTYPE_UINT16 = 7,
    DTYPE_BOOL = 8,
    DTYPE_STRING = 9, /* RedisAI 1.2's STRING: each element a NUL-terminated string, of any length */
    DTYPE_COUNT
} dtype_code;

typedef enum { DTYPE_KIND_FLOAT, DTYPE_KIND_INT, DTYPE_KIND_UINT, DTYPE_KIND_BOOL, DTYPE_KIND_STRING } dtype_kind;

typedef struct dtype_info {
    const char *name; /* protocol spelling, upper case */
    dtype_code code;
    dtype_kind kind;
    uint8_t size;      /* bytes per element; 0 for STRING (its data: the elements one after the other, each
                        * followed by a NUL byte) */
    int64_t min, max;  /* accepted VALUES range for integer kinds */
} dtype_info;

/* Look a type up by its protocol name, case-insensitively. NULL when unknown. */
const dtype_info *dtype_by_name(const char *name, size_t len);
/* Look a type up by its persistent code. NULL when the code is unknown (e.g. a newer file). */
const dtype_info *dtype_by_code(uint64_t code);

/* Whether n bytes of data are a valid block for len elements of dt: len * size bytes; for STRING exactly len
 * NUL-terminated strings; with `values`, BOOL bytes 0 or 1 only. NULL (err untouched), or the error reply
 * (RedisAI's text) recorded in err. */
const char *dtype_check_data(const dtype_info *dt, const char *data, size_t n, size_t len, int values,
                             lc_err *err);

/* Element access that is safe at any alignment (the data of a large tensor may live inside a Redis string
 * at an odd offset). `i` is the element index. */
double dtype_get_double(const dtype_info *dt, const void *data, size_t i);
int64_t dtype_get_int(const dtype_info *dt, const void *data, size_t i);
void dtype_set_double(const dtype_info *dt, void *data, size_t i, double v);
void dtype_set_int(const dtype_info *dt, void *data, size_t i, int64_t v);

#endif
