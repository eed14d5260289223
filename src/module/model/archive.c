/* Structural check of a TorchScript archive before libtorch reads it (see archive.h).
 *
 * A TorchScript file is a zip archive. Walked from the end-of-central-directory record: every central
 * directory entry must point at a local header inside the file, its data must lie inside the file before the
 * central directory, stored entries must have their recorded size, deflated ones must inflate to it, and
 * every entry's data must match its CRC-32. ZIP64 sizes and offsets are read from the entries' extra
 * fields. Then every pickle libtorch will read is walked by torch_pickle_check, its storages resolved against
 * the archive's records. Pure code over a byte buffer (zlib for CRC-32 and inflate). */
#define _GNU_SOURCE /* memrchr, memmem */
#include "archive.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pickle_check.h"
#include "redismodule_api.h"

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_LOCAL 0x04034b50u

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Records the problem after the reply's fixed prefix; returns -1. */
static int fail(lc_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(lc_err *err, const char *fmt, ...) {
    char what[LB_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lc_err_set(err, "ERR model archive is not a valid TorchScript file: %s", what);
    return -1;
}

/* CRC-32 of data, in pieces zlib's uInt length can take. */
static uint32_t crc_of(const unsigned char *p, uint64_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)crc;
}

/* Inflates a raw deflate stream of csize bytes, which must give exactly usize bytes with CRC `crc`; into dst
 * (usize bytes) when it is not NULL. */
static bool inflate_check(const unsigned char *p, uint64_t csize, uint64_t usize, uint32_t crc, unsigned char *dst) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return false;
    unsigned char out[65536];
    uLong got_crc = crc32(0L, Z_NULL, 0);
    uint64_t total = 0, in_left = csize;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (z.avail_in == 0 && in_left > 0) {
            uInt k = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            z.next_in = (unsigned char *)p + (csize - in_left);
            z.avail_in = k;
            in_left -= k;
        }
        z.next_out = out;
        z.avail_out = sizeof out;
        rc = inflate(&z, Z_NO_FLUSH);
        size_t produced = sizeof out - z.avail_out;
        total += produced;
        /* no progress (input used up before the stream ended) is Z_BUF_ERROR: it ends the loop too */
        if (total > usize || (rc != Z_OK && rc != Z_STREAM_END))
            break;
        got_crc = crc32(got_crc, out, (uInt)produced);
        if (dst)
            memcpy(dst + total - produced, out, produced);
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && total == usize && (uint32_t)got_crc == crc;
}

/* ZIP64 extended information (extra field 0x0001): the fields that were 0xFFFFFFFF, in order. */
static bool zip64_fields(const unsigned char *extra, uint32_t len, uint64_t *usize, uint64_t *csize, uint64_t *off) {
    for (uint32_t i = 0; i + 4 <= len;) {
        uint32_t id = rd16(extra + i), sz = rd16(extra + i + 2);
        if (i + 4 + sz > len)
            return false;
        if (id == 1) {
            const unsigned char *q = extra + i + 4, *end = q + sz;
            uint64_t *want[3] = {usize, csize, off};
            for (int k = 0; k < 3; k++) {
                if (*want[k] != 0xFFFFFFFFu)
                    continue;
                if (q + 8 > end)
                    return false;
                *want[k] = rd64(q);
                q += 8;
            }
            return true;
        }
        i += 4 + sz;
    }
    return *usize != 0xFFFFFFFFu && *csize != 0xFFFFFFFFu && *off != 0xFFFFFFFFu;
}

/* One central directory entry, as checked. */
typedef struct {
    const char *name;
    uint32_t nlen, method, crc;
    uint64_t data, csize, usize;
} entry;

/* Checks the nentries central directory entries at cd_off (cd_size bytes) of archive b, and records them. */
static int walk_entries(const unsigned char *b, uint64_t cd_off, uint64_t cd_size, uint64_t nentries, entry *ents,
                        lc_err *err) {
    const unsigned char *p = b + cd_off, *cd_end = b + cd_off + cd_size;
    for (uint64_t e = 0; e < nentries; e++) {
        if (cd_end - p < 46 || rd32(p) != SIG_CENTRAL)
            return fail(err, "central directory entry %llu is broken", (unsigned long long)e);
        uint32_t flags = rd16(p + 8), method = rd16(p + 10), crc = rd32(p + 16);
        uint64_t csize = rd32(p + 20), usize = rd32(p + 24);
        uint32_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        uint64_t off = rd32(p + 42);
        if ((size_t)(cd_end - p) < 46u + nlen + xlen + clen)
            return fail(err, "central directory entry %llu runs past the directory", (unsigned long long)e);
        const char *name = (const char *)p + 46;
        /* known flags only: deflate options (1-2), data descriptor (3), UTF-8 names (11); no encryption,
         * no patch data, all on disk 0 */
        if ((flags & ~0x080eu) != 0 || rd16(p + 34) != 0)
            return fail(err, "entry '%.*s' has flags %#x or another disk", (int)nlen, name, flags);
        if (!zip64_fields(p + 46 + nlen, xlen, &usize, &csize, &off))
            return fail(err, "entry '%.*s' has broken ZIP64 sizes", (int)nlen, name);
        if (off > cd_off || cd_off - off < 30 || rd32(b + off) != SIG_LOCAL)
            return fail(err, "entry '%.*s' has no local header at offset %llu", (int)nlen, name,
                        (unsigned long long)off);
        if (rd16(b + off + 8) != method || rd16(b + off + 6) != flags || rd16(b + off + 26) != nlen ||
            (cd_off - off - 30 >= nlen && memcmp(b + off + 30, name, nlen) != 0))
            return fail(err, "the local header of entry '%.*s' disagrees with the central directory",
                        (int)nlen, name);
        uint64_t data = off + 30 + rd16(b + off + 26) + rd16(b + off + 28);
        if (data > cd_off || csize > cd_off - data)
            return fail(err, "entry '%.*s' (%llu bytes) runs past the end of its data", (int)nlen, name,
                        (unsigned long long)csize);
        if (method == 0) {
            if (csize != usize || crc_of(b + data, csize) != crc)
                return fail(err, "entry '%.*s' fails its CRC-32 check", (int)nlen, name);
        } else if (method == 8) {
            if (usize > ARCHIVE_MAX_INFLATED || !inflate_check(b + data, csize, usize, crc, NULL))
                return fail(err, "entry '%.*s' does not inflate to its size and CRC-32", (int)nlen, name);
        } else {
            return fail(err, "entry '%.*s' uses zip compression method %u", (int)nlen, name, method);
        }
        ents[e] = (entry){.name = name, .nlen = nlen, .method = method, .crc = crc, .data = data, .csize = csize,
                          .usize = usize};
        p += 46 + nlen + xlen + clen;
    }
    return 0;
}

static int entry_cmp(const void *x, const void *y) {
    const entry *a = x, *b = y;
    int c = memcmp(a->name, b->name, a->nlen < b->nlen ? a->nlen : b->nlen);
    return c ? c : (a->nlen > b->nlen) - (a->nlen < b->nlen);
}

/* The archive's entries sorted by name, for the pickle walker's storage lookups. */
typedef struct {
    const entry *sorted;
    uint64_t n;
    const char *folder; /* the pickle's folder, with its '/' (or "") */
    size_t flen;
} record_table;

static int find_record(void *arg, const char *dir, const char *key, size_t keylen, uint64_t *size) {
    const record_table *t = arg;
    char name[512];
    int n = snprintf(name, sizeof name, "%.*s%s%.*s", (int)t->flen, t->folder, dir, (int)keylen, key);
    if (n < 0 || (size_t)n >= sizeof name)
        return -1;
    entry want = {.name = name, .nlen = (uint32_t)n};
    const entry *e = bsearch(&want, t->sorted, t->n, sizeof(entry), entry_cmp);
    if (e == NULL)
        return -1;
    *size = e->usize;
    return 0;
}

static bool ends_with(const entry *e, const char *suffix) {
    size_t k = strlen(suffix);
    return e->nlen >= k && memcmp(e->name + e->nlen - k, suffix, k) == 0;
}

/* Walks every pickle libtorch reads (data.pkl, constants.pkl and code/ debug pickles; not extra/ files, which
 * it never parses) with torch_pickle_check, storages resolved against the archive's records. */
static int check_pickles(const unsigned char *b, const entry *ents, uint64_t n, lc_err *err) {
    entry *sorted = RedisModule_Alloc(n * sizeof(entry));
    memcpy(sorted, ents, n * sizeof(entry));
    qsort(sorted, n, sizeof(entry), entry_cmp);
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        const entry *e = &ents[i];
        const char *slash = memrchr(e->name, '/', e->nlen);
        size_t flen = slash ? (size_t)(slash - e->name) + 1 : 0;
        entry base = {.name = e->name + flen, .nlen = e->nlen - (uint32_t)flen};
        bool data = base.nlen == 8 && memcmp(base.name, "data.pkl", 8) == 0;
        bool consts = base.nlen == 13 && memcmp(base.name, "constants.pkl", 13) == 0;
        if (!data && !consts && !ends_with(e, ".debug_pkl"))
            continue;
        if (memmem(e->name, e->nlen, "/extra/", 7) != NULL || (e->nlen >= 6 && memcmp(e->name, "extra/", 6) == 0))
            continue;
        char what[300];
        snprintf(what, sizeof what, "'%.*s'", (int)(e->nlen < 256 ? e->nlen : 256), e->name);
        if (e->usize > PICKLE_MAX_BYTES) {
            rc = fail(err, "%s is a pickle of %llu bytes (at most %llu)", what, (unsigned long long)e->usize,
                      (unsigned long long)PICKLE_MAX_BYTES);
            break;
        }
        unsigned char *copy = NULL;
        const unsigned char *bytes = b + e->data;
        if (e->method == 8) { /* already checked to inflate to usize bytes with its CRC */
            copy = RedisModule_Alloc(e->usize ? e->usize : 1);
            inflate_check(b + e->data, e->csize, e->usize, e->crc, copy);
            bytes = copy;
        }
        record_table t = {.sorted = sorted, .n = n, .folder = e->name, .flen = flen};
        rc = torch_pickle_check(bytes, e->usize, what, data ? "data/" : "constants/", data || consts ? find_record : NULL,
                                &t, err);
        RedisModule_Free(copy);
    }
    RedisModule_Free(sorted);
    return rc;
}

int torchscript_archive_check(const void *blob, size_t len, lc_err *err) {
    const unsigned char *b = blob;
    if (len < 22)
        return fail(err, "%zu bytes is too short for a zip archive", len);
    /* the end-of-central-directory record: within the last 64 KiB + 22 bytes (its comment is at most 64 KiB) */
    size_t eocd = 0;
    bool found = false;
    for (size_t i = len - 22 + 1; i-- > 0 && len - i <= 65557;) {
        if (rd32(b + i) == SIG_EOCD && i + 22 + rd16(b + i + 20) == len) {
            eocd = i;
            found = true;
            break;
        }
    }
    if (!found)
        return fail(err, "no zip end-of-central-directory record (truncated, or not a zip file)");
    uint64_t nentries = rd16(b + eocd + 10), cd_size = rd32(b + eocd + 12), cd_off = rd32(b + eocd + 16);
    if (rd16(b + eocd + 4) != 0 || rd16(b + eocd + 6) != 0 || rd16(b + eocd + 8) != nentries)
        return fail(err, "a multi-disk archive");
    if (eocd >= 20 && rd32(b + eocd - 20) == SIG_EOCD64_LOC) { /* ZIP64 end record */
        uint64_t e64 = rd64(b + eocd - 20 + 8);
        if (e64 > len || len - e64 < 56 || rd32(b + e64) != SIG_EOCD64)
            return fail(err, "a broken ZIP64 end record");
        nentries = rd64(b + e64 + 32);
        cd_size = rd64(b + e64 + 40);
        cd_off = rd64(b + e64 + 48);
    }
    if (nentries == 0)
        return fail(err, "the archive is empty");
    if (cd_off > len || cd_size > len - cd_off || nentries > cd_size / 46)
        return fail(err, "the central directory (%llu entries at %llu) lies outside the file",
                    (unsigned long long)nentries, (unsigned long long)cd_off);
    entry *ents = RedisModule_Calloc(nentries, sizeof(entry));
    int rc = walk_entries(b, cd_off, cd_size, nentries, ents, err);
    if (rc == 0)
        rc = check_pickles(b, ents, nentries, err);
    RedisModule_Free(ents);
    return rc;
}
