/* The dataset metadata codec: one field's values as the bytes stored in the dataset's hash. Pure code.
 *
 * A field is one byte (its locus_metatype), then for scalars the values back to back (native byte order),
 * for strings each as a native size_t length and its bytes. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

size_t lc_meta_scalar_size(locus_metatype t) {
    switch (t) {
    case LOCUS_META_DOUBLE: case LOCUS_META_INT64: case LOCUS_META_UINT64: return 8;
    case LOCUS_META_FLOAT: case LOCUS_META_INT32: case LOCUS_META_UINT32: return 4;
    default: return 0;
    }
}

char *lc_meta_encode(locus_metatype t, size_t count, const void *vals, char *const *strs, const size_t *lens,
                     size_t *len) {
    size_t n = 1;
    if (t == LOCUS_META_STRING)
        for (size_t i = 0; i < count; i++)
            n += sizeof(size_t) + lens[i];
    else
        n += count * lc_meta_scalar_size(t);
    char *b = malloc(n);
    if (!b)
        return NULL;
    b[0] = (char)(int8_t)t;
    char *p = b + 1;
    if (t == LOCUS_META_STRING) {
        for (size_t i = 0; i < count; i++) {
            memcpy(p, &lens[i], sizeof(size_t));
            p += sizeof(size_t);
            memcpy(p, strs[i], lens[i]);
            p += lens[i];
        }
    } else if (count > 0) {
        memcpy(p, vals, count * lc_meta_scalar_size(t));
    }
    *len = n;
    return b;
}

int lc_meta_decode(const char *buf, size_t len, lc_meta_decoded *out, lc_meta_string_fn on_string, void *arg) {
    memset(out, 0, sizeof *out);
    if (len < 1) {
        out->why = "is empty";
        return -1;
    }
    out->type = (locus_metatype)(int8_t)buf[0];
    buf++, len--;
    if (out->type == LOCUS_META_STRING) {
        while (len > 0) {
            size_t sl;
            if (len < sizeof sl) {
                out->why = "is truncated";
                return -1;
            }
            memcpy(&sl, buf, sizeof sl);
            buf += sizeof sl, len -= sizeof sl;
            if (sl > len) {
                out->why = "is truncated";
                return -1;
            }
            if (on_string(arg, buf, sl) != 0) {
                out->why = NULL; /* the callback's own failure */
                return -1;
            }
            out->count++;
            buf += sl, len -= sl;
        }
        return 0;
    }
    size_t es = lc_meta_scalar_size(out->type);
    if (es == 0 || len % es != 0) {
        out->why = "has an unknown encoding";
        return -1;
    }
    out->scalars = buf;
    out->count = len / es;
    return 0;
}
