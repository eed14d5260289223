/* The dtype table and alignment-safe element access (see dtype.h). */
#include "dtype.h"

#include "../backends/backend.h"

#include <string.h>
#include <strings.h>

/* The backends see the same numbers (backend.h). */
_Static_assert(DTYPE_FLOAT == (int)LB_DTYPE_FLOAT && DTYPE_DOUBLE == (int)LB_DTYPE_DOUBLE &&
                   DTYPE_INT8 == (int)LB_DTYPE_INT8 && DTYPE_INT16 == (int)LB_DTYPE_INT16 &&
                   DTYPE_INT32 == (int)LB_DTYPE_INT32 && DTYPE_INT64 == (int)LB_DTYPE_INT64 &&
                   DTYPE_UINT8 == (int)LB_DTYPE_UINT8 && DTYPE_UINT16 == (int)LB_DTYPE_UINT16 &&
                   DTYPE_BOOL == (int)LB_DTYPE_BOOL && DTYPE_STRING == (int)LB_DTYPE_STRING,
               "backend.h's lb_dtype and dtype.h's dtype_code must agree");

static const dtype_info dtypes[DTYPE_COUNT] = {
    [DTYPE_FLOAT] = {"FLOAT", DTYPE_FLOAT, DTYPE_KIND_FLOAT, 4, 0, 0},
    [DTYPE_DOUBLE] = {"DOUBLE", DTYPE_DOUBLE, DTYPE_KIND_FLOAT, 8, 0, 0},
    [DTYPE_INT8] = {"INT8", DTYPE_INT8, DTYPE_KIND_INT, 1, INT8_MIN, INT8_MAX},
    [DTYPE_INT16] = {"INT16", DTYPE_INT16, DTYPE_KIND_INT, 2, INT16_MIN, INT16_MAX},
    [DTYPE_INT32] = {"INT32", DTYPE_INT32, DTYPE_KIND_INT, 4, INT32_MIN, INT32_MAX},
    [DTYPE_INT64] = {"INT64", DTYPE_INT64, DTYPE_KIND_INT, 8, INT64_MIN, INT64_MAX},
    [DTYPE_UINT8] = {"UINT8", DTYPE_UINT8, DTYPE_KIND_UINT, 1, 0, UINT8_MAX},
    [DTYPE_UINT16] = {"UINT16", DTYPE_UINT16, DTYPE_KIND_UINT, 2, 0, UINT16_MAX},
    [DTYPE_BOOL] = {"BOOL", DTYPE_BOOL, DTYPE_KIND_BOOL, 1, 0, 1},
    [DTYPE_STRING] = {"STRING", DTYPE_STRING, DTYPE_KIND_STRING, 0, 0, 0},
};

const dtype_info *dtype_by_name(const char *name, size_t len) {
    /* Hot on every AI.TENSORSET: the length and first letter rule out most entries before strncasecmp. */
    char first = len ? (char)(name[0] & ~0x20) : 0;
    for (int i = 0; i < DTYPE_COUNT; i++) {
        if (dtypes[i].name[0] == first && strlen(dtypes[i].name) == len && strncasecmp(dtypes[i].name, name, len) == 0)
            return &dtypes[i];
    }
    return NULL;
}

const dtype_info *dtype_by_code(uint64_t code) {
    return code < DTYPE_COUNT ? &dtypes[code] : NULL;
}

const char *dtype_check_data(const dtype_info *dt, const char *data, size_t n, size_t len, int values,
                             lc_err *err) {
    if (dt->kind == DTYPE_KIND_STRING) {
        size_t nuls = 0;
        for (const char *p = data, *end = data + n; p < end && nuls <= len; nuls++) {
            const char *z = memchr(p, '\0', (size_t)(end - p));
            if (z == NULL)
                break;
            p = z + 1;
        }
        if (n == 0 || data[n - 1] != '\0' || nuls != len)
            return lc_err_put(err, "ERR String tensor blob must contain a sequence of null-terminated strings whose "
                                   "length is the tensor's length");
        return NULL;
    }
    size_t want;
    if (__builtin_mul_overflow(len, (size_t)dt->size, &want) || n != want)
        return lc_err_put(err, "ERR data length does not match tensor shape and type");
    if (values && dt->kind == DTYPE_KIND_BOOL)
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)data[i] > 1)
                return lc_err_put(err, "ERR BOOL tensor elements must be 0 or 1");
    return NULL;
}

/* memcpy through a typed local keeps the access defined at any alignment; compilers turn it into one
 * load or store. */
#define LOAD_AS(T, data, i)                                                                                  \
    ({                                                                                                       \
        T v_;                                                                                                \
        memcpy(&v_, (const char *)(data) + (i) * sizeof(T), sizeof(T));                                      \
        v_;                                                                                                  \
    })
#define STORE_AS(T, data, i, val)                                                                            \
    do {                                                                                                     \
        T v_ = (T)(val);                                                                                     \
        memcpy((char *)(data) + (i) * sizeof(T), &v_, sizeof(T));                                            \
    } while (0)

double dtype_get_double(const dtype_info *dt, const void *data, size_t i) {
    switch (dt->code) {
    case DTYPE_FLOAT: return LOAD_AS(float, data, i);
    case DTYPE_DOUBLE: return LOAD_AS(double, data, i);
    default: return (double)dtype_get_int(dt, data, i);
    }
}

int64_t dtype_get_int(const dtype_info *dt, const void *data, size_t i) {
    switch (dt->code) {
    case DTYPE_INT8: return LOAD_AS(int8_t, data, i);
    case DTYPE_INT16: return LOAD_AS(int16_t, data, i);
    case DTYPE_INT32: return LOAD_AS(int32_t, data, i);
    case DTYPE_INT64: return LOAD_AS(int64_t, data, i);
    case DTYPE_UINT8: return LOAD_AS(uint8_t, data, i);
    case DTYPE_UINT16: return LOAD_AS(uint16_t, data, i);
    case DTYPE_BOOL: return LOAD_AS(uint8_t, data, i);
    case DTYPE_FLOAT: return (int64_t)LOAD_AS(float, data, i);
    case DTYPE_DOUBLE: return (int64_t)LOAD_AS(double, data, i);
    default: return 0;
    }
}

void dtype_set_double(const dtype_info *dt, void *data, size_t i, double v) {
    switch (dt->code) {
    case DTYPE_FLOAT: STORE_AS(float, data, i, v); break;
    case DTYPE_DOUBLE: STORE_AS(double, data, i, v); break;
    default: dtype_set_int(dt, data, i, (int64_t)v); break;
    }
}

void dtype_set_int(const dtype_info *dt, void *data, size_t i, int64_t v) {
    switch (dt->code) {
    case DTYPE_INT8: STORE_AS(int8_t, data, i, v); break;
    case DTYPE_INT16: STORE_AS(int16_t, data, i, v); break;
    case DTYPE_INT32: STORE_AS(int32_t, data, i, v); break;
    case DTYPE_INT64: STORE_AS(int64_t, data, i, v); break;
    case DTYPE_UINT8: STORE_AS(uint8_t, data, i, v); break;
    case DTYPE_UINT16: STORE_AS(uint16_t, data, i, v); break;
    case DTYPE_BOOL: STORE_AS(uint8_t, data, i, v); break;
    case DTYPE_FLOAT: STORE_AS(float, data, i, v); break;
    case DTYPE_DOUBLE: STORE_AS(double, data, i, v); break;
    default: break;
    }
}
