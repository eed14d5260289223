/* Argument parsing for the tensor commands (see args.h). */
#include "args.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../tensor/limits.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

int source_max_nesting(const char *src, size_t len) {
    int depth = 0, max = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '#') { /* comment: to the end of the line */
            while (i < len && src[i] != '\n')
                i++;
        } else if (c == '\'' || c == '"') {
            bool triple = i + 2 < len && src[i + 1] == c && src[i + 2] == c;
            i += triple ? 3 : 1;
            for (; i < len; i++) {
                if (src[i] == '\\') {
                    i++;
                } else if (src[i] == c && (!triple || (i + 2 < len && src[i + 1] == c && src[i + 2] == c))) {
                    i += triple ? 2 : 0;
                    break;
                } else if (src[i] == '\n' && !triple) {
                    break;
                }
            }
        } else if (c == '(' || c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

bool arg_is(arg_view a, const char *keyword) {
    return strlen(keyword) == a.len && strncasecmp(a.ptr, keyword, a.len) == 0;
}

bool arg_to_int64(arg_view a, int64_t *out) {
    /* Digits only (an optional leading '-'), parsed in place: this runs for every dimension of every
     * AI.TENSORSET, so no copy and no strtoll. */
    bool neg = a.len > 0 && a.ptr[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == a.len)
        return false;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
    for (; i < a.len; i++) {
        unsigned d = (unsigned)(unsigned char)a.ptr[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
    return true;
}

bool arg_to_double(arg_view a, double *out) {
    char buf[128];
    if (a.len == 0 || a.len >= sizeof buf || memchr(a.ptr, '\0', a.len) != NULL)
        return false;
    memcpy(buf, a.ptr, a.len);
    buf[a.len] = '\0';
    if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n')
        return false;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || isnan(v) || (errno == ERANGE && isinf(v)))
        return false;
    *out = v;
    return true;
}

const char *parse_tensorset(int argc, const arg_view *argv, int64_t *dims_buf, tensor_set_args *out,
                            lc_err *err) {
    if (argc < 4)
        return lc_err_put(err, "ERR wrong number of arguments for 'AI.TENSORSET' command");
    memset(out, 0, sizeof *out);
    out->dims = dims_buf;
    out->dtype = dtype_by_name(argv[2].ptr, argv[2].len);
    if (out->dtype == NULL)
        return lc_err_put(err, "ERR invalid data type");

    size_t len = 1;
    int pos = 3;
    for (; pos < argc; pos++) {
        if (arg_is(argv[pos], "BLOB")) {
            if (argc - 1 - pos != 1)
                return lc_err_put(err, "ERR a single binary string should come after the BLOB argument in "
                                       "'AI.TENSORSET' command");
            out->fmt = TENSOR_DATA_BLOB;
            out->data_pos = pos + 1;
            break;
        }
        if (arg_is(argv[pos], "VALUES")) {
            out->fmt = TENSOR_DATA_VALUES;
            out->data_pos = pos + 1;
            out->nvalues = argc - 1 - pos;
            break;
        }
        int64_t d;
        if (!arg_to_int64(argv[pos], &d) || d <= 0)
            return lc_err_put(err, "ERR invalid or negative value found in tensor shape");
        if (out->ndims == TENSOR_MAX_DIMS)
            return lc_err_put(err, "ERR too many dimensions in tensor shape (at most " STRINGIFY(
                                       TENSOR_MAX_DIMS) ")");
        if (__builtin_mul_overflow(len, (size_t)d, &len))
            return lc_err_put(err, "ERR tensor shape is too large: the number of elements overflows");
        out->dims[out->ndims++] = d;
    }
    out->len = len;
    if (out->fmt == TENSOR_DATA_VALUES && (size_t)out->nvalues != len)
        return lc_err_put(err, "ERR wrong number of values was given in 'AI.TENSORSET' command");
    if (out->dtype->kind == DTYPE_KIND_STRING) {
        /* the data block's size: a NUL per element when empty, the blob as sent, or each value with its NUL
         * (RedisAI: a value may end in its NUL; one anywhere else is refused) */
        if (out->fmt == TENSOR_DATA_NONE)
            out->nbytes = len;
        else if (out->fmt == TENSOR_DATA_BLOB)
            out->nbytes = argv[out->data_pos].len;
        else
            for (int i = 0; i < out->nvalues; i++) {
                arg_view v = argv[out->data_pos + i];
                size_t body = v.len > 0 && v.ptr[v.len - 1] == '\0' ? v.len - 1 : v.len;
                if (memchr(v.ptr, '\0', body) != NULL)
                    return lc_err_put(err, "ERR C-string value contains null character");
                out->nbytes += body + 1;
            }
        return NULL;
    }
    if (__builtin_mul_overflow(len, (size_t)out->dtype->size, &out->nbytes) || out->nbytes > (size_t)INT64_MAX)
        return lc_err_put(err, "ERR tensor shape is too large: the byte size overflows");
    return NULL;
}

const char *parse_tensorget(int argc, const arg_view *argv, unsigned *fmt_out, lc_err *err) {
    if (argc < 2 || argc > 4)
        return lc_err_put(err, "ERR wrong number of arguments for 'AI.TENSORGET' command");
    unsigned fmt = 0;
    if (argc == 2) {
        *fmt_out = TENSOR_GET_META | TENSOR_GET_BLOB;
        return NULL;
    }
    for (int i = 2; i < argc; i++) {
        unsigned bit = arg_is(argv[i], "META")     ? TENSOR_GET_META
                       : arg_is(argv[i], "BLOB")   ? TENSOR_GET_BLOB
                       : arg_is(argv[i], "VALUES") ? TENSOR_GET_VALUES
                                                   : 0;
        if (bit == 0)
            return lc_err_put(err, "ERR unsupported data format");
        if (fmt & bit)
            return lc_err_put(err, "ERR the same format was given twice");
        fmt |= bit;
    }
    if ((fmt & TENSOR_GET_BLOB) && (fmt & TENSOR_GET_VALUES))
        return lc_err_put(err, "ERR both BLOB and VALUES specified");
    *fmt_out = fmt;
    return NULL;
}

bool parse_tensor_values(const dtype_info *dt, const arg_view *vals, size_t n, void *data, lc_err *err) {
    if (dt->kind == DTYPE_KIND_STRING) { /* checked by parse_tensorset: each value, then its NUL */
        char *at = data;
        for (size_t i = 0; i < n; i++) {
            size_t body = vals[i].len > 0 && vals[i].ptr[vals[i].len - 1] == '\0' ? vals[i].len - 1 : vals[i].len;
            memcpy(at, vals[i].ptr, body);
            at[body] = '\0';
            at += body + 1;
        }
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        bool ok;
        if (dt->kind == DTYPE_KIND_FLOAT) {
            double v;
            ok = arg_to_double(vals[i], &v);
            /* A finite double beyond FLT_MAX would silently become inf in a FLOAT tensor. */
            if (ok && dt->code == DTYPE_FLOAT && isfinite(v) && fabs(v) > FLT_MAX)
                ok = false;
            if (ok)
                dtype_set_double(dt, data, i, v);
        } else {
            int64_t v;
            ok = arg_to_int64(vals[i], &v) && v >= dt->min && v <= dt->max;
            if (ok)
                dtype_set_int(dt, data, i, v);
        }
        if (!ok) {
            /* RedisAI's text, whole: its clients compare the reply exactly */
            lc_err_put(err, "ERR invalid value");
            return false;
        }
    }
    return true;
}

const char *check_tensor_blob(const tensor_set_args *a, const char *data, size_t n, lc_err *err) {
    return dtype_check_data(a->dtype, data, n, a->len, 1, err);
}

bool device_normalize(const char *dev, size_t len, char out[16]) {
    if (len < 3 || len > 9)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)toupper((unsigned char)dev[i]);
    out[len] = '\0';
    if (strncmp(out, "CPU", 3) != 0 && strncmp(out, "GPU", 3) != 0)
        return false;
    if (len == 3)
        return true;
    if (out[3] != ':' || len == 4)
        return false;
    for (size_t i = 4; i < len; i++)
        if (!isdigit((unsigned char)out[i]))
            return false;
    return true;
}
