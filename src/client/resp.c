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

size_t lc_resp_header(char *buf, size_t cap, int argc, const char *const *argv, const size_t *lens,
                      int has_blob, size_t bloblen) {
    size_t need = 0;
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "*%d\r\n", argc + (has_blob ? 1 : 0));
    need += (size_t)n;
    for (int i = 0; i < argc; i++)
        need += (size_t)snprintf(tmp, sizeof tmp, "$%zu\r\n", lens[i]) + lens[i] + 2;
    if (has_blob)
        need += (size_t)snprintf(tmp, sizeof tmp, "$%zu\r\n", bloblen);
    if (need + 1 > cap) /* sprintf writes a NUL after the last field */
        return need;
    char *p = buf;
    p += sprintf(p, "*%d\r\n", argc + (has_blob ? 1 : 0));
    for (int i = 0; i < argc; i++) {
        p += sprintf(p, "$%zu\r\n", lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    if (has_blob)
        p += sprintf(p, "$%zu\r\n", bloblen);
    return (size_t)(p - buf);
}
