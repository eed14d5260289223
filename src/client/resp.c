/* RESP request headers and the dtype table: pure code used by the connection layer. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const lc_dtype_info dtypes[] = {
    {LOCUS_DTYPE_DOUBLE, "DOUBLE", 8}, {LOCUS_DTYPE_FLOAT, "FLOAT", 4},   {LOCUS_DTYPE_INT8, "INT8", 1},
    {LOCUS_DTYPE_INT16, "INT16", 2},   {LOCUS_DTYPE_INT32, "INT32", 4},   {LOCUS_DTYPE_INT64, "INT64", 8},
    {LOCUS_DTYPE_UINT8, "UINT8", 1},   {LOCUS_DTYPE_UINT16, "UINT16", 2}, {LOCUS_DTYPE_BOOL, "BOOL", 1},
};

const lc_dtype_info *lc_dtype_by_type(locus_dtype t) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].type == t)
            return &dtypes[i];
    return NULL;
}

const lc_dtype_info *lc_dtype_by_name(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strlen(dtypes[i].name) == len && strncasecmp(dtypes[i].name, name, len) == 0)
            return &dtypes[i];
    return NULL;
}

LOCUS_API size_t locus_dtype_size(locus_dtype t) {
    const lc_dtype_info *d = lc_dtype_by_type(t);
    return d ? d->size : 0;
}

/* Decimal digits of v into p (no NUL); returns the count. snprintf costs more than the rest of a small
 * command's client-side work. */
static size_t put_u(char *p, size_t v) {
    char t[24];
    size_t n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        p[i] = t[n - 1 - i];
    return n;
}

static size_t len_u(size_t v) {
    size_t n = 1;
    while (v >= 10)
        v /= 10, n++;
    return n;
}

size_t lc_resp_header(char *buf, size_t cap, int argc, const char *const *argv, const size_t *lens,
                      int has_blob, size_t bloblen) {
    return lc_resp_header_x(buf, cap, argc, argv, lens, 0, has_blob, bloblen);
}

size_t lc_resp_bulk_header(char *buf, size_t len) {
    char *p = buf;
    *p++ = '$';
    p += put_u(p, len);
    *p++ = '\r', *p++ = '\n';
    return (size_t)(p - buf);
}

size_t lc_resp_header_x(char *buf, size_t cap, int argc, const char *const *argv, const size_t *lens, int extra,
                        int has_blob, size_t bloblen) {
    size_t total = (size_t)argc + (size_t)extra + (has_blob ? 1 : 0);
    size_t need = 3 + len_u(total);
    for (int i = 0; i < argc; i++)
        need += 3 + len_u(lens[i]) + lens[i] + 2;
    if (has_blob)
        need += 3 + len_u(bloblen);
    if (need + 1 > cap) /* keeps the old contract: one spare byte */
        return need;
    char *p = buf;
    *p++ = '*';
    p += put_u(p, total);
    *p++ = '\r', *p++ = '\n';
    for (int i = 0; i < argc; i++) {
        *p++ = '$';
        p += put_u(p, lens[i]);
        *p++ = '\r', *p++ = '\n';
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r', *p++ = '\n';
    }
    if (has_blob) {
        *p++ = '$';
        p += put_u(p, bloblen);
        *p++ = '\r', *p++ = '\n';
    }
    return (size_t)(p - buf);
}
