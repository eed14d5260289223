/* libFuzzer target: what liblocus reads from a server. The first byte picks:
 *   even: the bytes are replies on a connection (a socketpair; the writer end closed after them), read the
 *         way unpack reads them: the streaming AI.TENSORGET reader into a FLOAT [2,3] buffer, then every
 *         further reply through hiredis, until the bytes run out;
 *   odd:  the bytes are a stored metadata field: decoded, and when it decodes, encoded again, which must give
 *         the same bytes back (a failed round trip aborts: a finding).
 * Neither crashes, overreads, hangs or leaks. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static void replies(const uint8_t *data, size_t size) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    size_t off = 0;
    while (off < size) { /* libFuzzer inputs are far below the socket buffer: this never blocks */
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    close(sv[1]);
    lc_conn cn = {0};
    cn.ctx = redisConnectFd(sv[0]);
    if (!cn.ctx)
        abort();
    lc_conn_bound_replies(cn.ctx);
    float out[6];
    size_t dims[2] = {2, 3};
    lc_sink k = {.buf = out, .nbytes = sizeof out, .type = LOCUS_DTYPE_FLOAT, .dims = dims, .ndims = 2};
    redisReply *r = NULL;
    int rc = lc_conn_read_into(&cn, &k, &r);
    if (r)
        freeReplyObject(r);
    for (int i = 0; rc == 0 && i < 64; i++) {
        rc = lc_conn_read(&cn, &r);
        if (r)
            freeReplyObject(r);
    }
    redisFree(cn.ctx); /* closes sv[0] */
}

typedef struct {
    char *strs[256];
    size_t lens[256], n;
} strings;

static int keep(void *arg, const char *s, size_t len) {
    strings *t = arg;
    if (t->n == 256)
        return -1;
    t->strs[t->n] = (char *)s;
    t->lens[t->n++] = len;
    return 0;
}

static void meta(const uint8_t *data, size_t size) {
    strings t = {.n = 0};
    lc_meta_decoded m;
    if (lc_meta_decode((const char *)data, size, &m, keep, &t) != 0)
        return;
    size_t len;
    char *b = lc_meta_encode(m.type, m.count, m.scalars, t.strs, t.lens, &len);
    if (!b || len != size || memcmp(b, data, size) != 0)
        abort();
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    if (data[0] & 1)
        meta(data + 1, size - 1);
    else
        replies(data + 1, size - 1);
    return 0;
}
