/* One connection to one database node.
 *
 * hiredis parses replies and handles small commands, but requests never go through its output buffer: every
 * batch is written with writev from small RESP headers and the callers' own buffers, so a 1 MiB tensor is not
 * copied on its way out. For unpack, the reply to AI.TENSORGET key META BLOB is parsed here as it streams in,
 * and the blob is received straight into the caller's buffer once its type and shape are known to match. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#ifndef IOV_MAX
#define IOV_MAX 1024
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* hiredis 0.14 allocates an array reply's element table from its header, before any element arrives: a
 * corrupt or hostile "*700000000" made the client allocate gigabytes. The reader's table is hiredis's own
 * with createArray bounded; a refused count is remembered (per thread) for the error message. */
static redisReplyObjectFunctions bounded_fns;
static void *(*hiredis_create_array)(const redisReadTask *, int);
static pthread_once_t bounded_once = PTHREAD_ONCE_INIT;
static __thread long long refused_elements;

static void *bounded_create_array(const redisReadTask *task, int elements) {
    if (elements < 0 || elements > LC_MAX_REPLY_ELEMENTS) {
        refused_elements = elements;
        return NULL; /* hiredis fails the read */
    }
    return hiredis_create_array(task, elements);
}

static void bounded_init(void) {
    redisReader *rd = redisReaderCreate();
    if (!rd)
        return;
    bounded_fns = *rd->fn;
    hiredis_create_array = bounded_fns.createArray;
    bounded_fns.createArray = bounded_create_array;
    redisReaderFree(rd);
}

void lc_conn_bound_replies(redisContext *ctx) {
    pthread_once(&bounded_once, bounded_init);
    if (ctx && ctx->reader && hiredis_create_array)
        ctx->reader->fn = &bounded_fns;
}

int lc_conn_open(lc_conn *cn, const lc_addr *a, int socket_timeout_ms, const char *password, char *err,
                 size_t errlen) {
    struct timeval tv = {socket_timeout_ms / 1000, (socket_timeout_ms % 1000) * 1000};
    cn->addr = *a;
    lc_addr_format(a, cn->name, sizeof cn->name);
    cn->ctx = a->kind == LC_ADDR_UNIX ? redisConnectUnixWithTimeout(a->path, tv)
                                      : redisConnectWithTimeout(a->host, a->port, tv);
    if (!cn->ctx) {
        snprintf(err, errlen, "cannot connect to %s: out of memory", cn->name);
        return -1;
    }
    if (cn->ctx->err) {
        snprintf(err, errlen, "cannot connect to %s: %s", cn->name, cn->ctx->errstr);
        int fatal = cn->ctx->err == REDIS_ERR_OTHER && a->kind == LC_ADDR_TCP; /* name resolution */
        redisFree(cn->ctx);
        cn->ctx = NULL;
        return fatal ? -2 : -1;
    }
    lc_conn_bound_replies(cn->ctx);
    if (password && password[0]) {
        redisReply *r = redisCommand(cn->ctx, "AUTH %s", password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "AUTH on %s failed: %s", cn->name, r ? r->str : cn->ctx->errstr);
            int fatal = r != NULL;
            if (r)
                freeReplyObject(r);
            redisFree(cn->ctx);
            cn->ctx = NULL;
            return fatal ? -2 : -1;
        }
        freeReplyObject(r);
    }
    return 0;
}

void lc_conn_close(lc_conn *cn) {
    if (cn->ctx)
        redisFree(cn->ctx);
    cn->ctx = NULL;
}

static int write_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        int chunk = n > IOV_MAX ? IOV_MAX : n;
        ssize_t w = writev(fd, iov, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++, n--;
        }
        if (n > 0 && left > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

static const char ASKING_CMD[] = "*1\r\n$6\r\nASKING\r\n";

/* Extra arguments up to this size are copied next to the header; larger ones are sent from the caller's
 * memory (a model blob of hundreds of MB is not copied). */
#define XARG_INLINE 512

/* SR_LOG_LEVEL debug: each command's name and key; developer: its first arguments too (binary bytes shown as
 * '.', blobs by their size). */
static void log_cmds(const lc_conn *cn, const lc_cmd *cmds, int n) {
    bool dev = lc_log_enabled(LC_LOG_DEVELOPER);
    for (int i = 0; i < n; i++) {
        const lc_cmd *c = &cmds[i];
        char line[400];
        size_t at = 0;
        int shown = dev ? c->argc : (c->argc < 2 ? c->argc : 2);
        for (int a = 0; a < shown && at + 80 < sizeof line; a++) {
            size_t len = c->lens[a] < 64 ? c->lens[a] : 64;
            if (a)
                line[at++] = ' ';
            for (size_t k = 0; k < len; k++)
                line[at++] = c->argv[a][k] >= 32 && c->argv[a][k] < 127 ? c->argv[a][k] : '.';
        }
        line[at] = '\0';
        lc_logf(LC_LOG_DEBUG, "%s -> %s%s%s", line, cn->name, c->has_blob ? " (blob)" : "",
                c->xargc ? " (+ arguments)" : "");
    }
}

int lc_conn_send(lc_conn *cn, lc_cmd *cmds, int n) {
    if (!cn->ctx)
        return -1;
    if (lc_log_enabled(LC_LOG_DEBUG))
        log_cmds(cn, cmds, n);
    size_t hbytes = 0;
    int maxiov = 0;
    for (int i = 0; i < n; i++) {
        const lc_cmd *c = &cmds[i];
        hbytes += lc_resp_header_x(NULL, 0, c->argc, c->argv, c->lens, c->xargc, c->has_blob, c->bloblen) + 1;
        for (int j = 0; j < c->xargc; j++)
            hbytes += LC_BULK_HEADER_MAX + 2 + (c->xlens[j] <= XARG_INLINE ? c->xlens[j] : 0);
        maxiov += 4 + 2 * c->xargc;
    }
    char stackbuf[4096];
    char *hb = hbytes <= sizeof stackbuf ? stackbuf : malloc(hbytes);
    struct iovec stackiov[64];
    int niov = 0;
    struct iovec *iov = maxiov <= 64 ? stackiov : malloc(sizeof *iov * (size_t)maxiov);
    if (!hb || !iov) {
        if (hb != stackbuf)
            free(hb);
        if (iov != stackiov)
            free(iov);
        snprintf(cn->ctx->errstr, sizeof cn->ctx->errstr, "out of memory");
        return -1;
    }
    char *p = hb;
    for (int i = 0; i < n; i++) {
        lc_cmd *c = &cmds[i];
        if (c->asking)
            iov[niov++] = (struct iovec){(void *)ASKING_CMD, sizeof ASKING_CMD - 1};
        char *piece = p; /* header bytes not yet in an iovec */
        p += lc_resp_header_x(p, hbytes - (size_t)(p - hb), c->argc, c->argv, c->lens, c->xargc, c->has_blob,
                              c->bloblen);
        for (int j = 0; j < c->xargc; j++) {
            size_t len = c->xlens[j];
            p += lc_resp_bulk_header(p, len);
            if (len <= XARG_INLINE) {
                memcpy(p, c->xargv[j], len);
                p += len;
            } else {
                iov[niov++] = (struct iovec){piece, (size_t)(p - piece)};
                iov[niov++] = (struct iovec){(void *)c->xargv[j], len};
                piece = p;
            }
            *p++ = '\r', *p++ = '\n';
        }
        iov[niov++] = (struct iovec){piece, (size_t)(p - piece)};
        if (c->has_blob) {
            if (c->bloblen)
                iov[niov++] = (struct iovec){(void *)c->blob, c->bloblen};
            iov[niov++] = (struct iovec){(void *)"\r\n", 2};
        }
    }
    int rc = write_all(cn->ctx->fd, iov, niov);
    if (rc != 0)
        snprintf(cn->ctx->errstr, sizeof cn->ctx->errstr, "write failed: %s",
                 errno == EAGAIN ? "timed out" : strerror(errno));
    if (hb != stackbuf)
        free(hb);
    if (iov != stackiov)
        free(iov);
    return rc;
}

int lc_conn_read(lc_conn *cn, redisReply **reply) {
    void *r = NULL;
    *reply = NULL;
    refused_elements = 0;
    if (!cn->ctx || redisGetReply(cn->ctx, &r) != REDIS_OK || !r) {
        if (cn->ctx && refused_elements != 0)
            snprintf(cn->ctx->errstr, sizeof cn->ctx->errstr, "a reply of %lld elements (at most %d): refused",
                     refused_elements, LC_MAX_REPLY_ELEMENTS);
        return -1;
    }
    *reply = r;
    return 0;
}

/* ---- streaming TENSORGET reader ---- */

typedef struct stream {
    int fd;
    char buf[16384];
    size_t len, pos;
} stream;

static int fill(stream *s) {
    if (s->len == sizeof s->buf)
        return -1;
    for (;;) {
        ssize_t r = recv(s->fd, s->buf + s->len, sizeof s->buf - s->len, 0);
        if (r > 0) {
            s->len += (size_t)r;
            return 0;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Next "\r\n"-terminated line; returns its start and length (without CRLF), or NULL on I/O failure. */
static const char *line(stream *s, size_t *len) {
    for (;;) {
        for (size_t i = s->pos; i + 1 < s->len; i++)
            if (s->buf[i] == '\r' && s->buf[i + 1] == '\n') {
                const char *l = s->buf + s->pos;
                *len = i - s->pos;
                s->pos = i + 2;
                return l;
            }
        if (fill(s) != 0)
            return NULL;
    }
}

static int recv_exact(int fd, char *dst, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, dst, n, 0);
        if (r > 0) {
            dst += r;
            n -= (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            return -1;
        }
    }
    return 0;
}

/* A RESP integer line ("<prefix><digits>", no CRLF); -1 for anything else, also a value past long long. */
static int parse_int(const char *l, size_t len, char prefix, long long *out) {
    if (len < 2 || l[0] != prefix)
        return -1;
    long long v = 0;
    int neg = 0;
    size_t i = 1;
    if (l[1] == '-')
        neg = 1, i = 2;
    if (i >= len)
        return -1;
    for (; i < len; i++) {
        if (l[i] < '0' || l[i] > '9' || v > (LLONG_MAX - (l[i] - '0')) / 10)
            return -1;
        v = v * 10 + (l[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

/* A bulk string that fits the staging buffer: returns a pointer to its bytes. */
static const char *bulk(stream *s, size_t *len) {
    size_t ll;
    const char *l = line(s, &ll);
    long long n;
    if (!l || parse_int(l, ll, '$', &n) != 0 || n < 0 || (size_t)n > sizeof s->buf / 2)
        return NULL;
    while (s->len - s->pos < (size_t)n + 2)
        if (fill(s) != 0)
            return NULL;
    const char *b = s->buf + s->pos;
    s->pos += (size_t)n + 2;
    *len = (size_t)n;
    return b;
}

static int check_sink(lc_sink *k, const lc_dtype_info *dt, const long long *dims, size_t ndims, size_t nbytes) {
    if (!dt || dt->type != k->type) {
        snprintf(k->what, sizeof k->what, "the stored tensor has type %s, the buffer type %s",
                 dt ? dt->name : "?", lc_dtype_by_type(k->type) ? lc_dtype_by_type(k->type)->name : "?");
        return -1;
    }
    int same = ndims == k->ndims;
    for (size_t i = 0; same && i < ndims; i++)
        same = dims[i] >= 0 && (size_t)dims[i] == k->dims[i];
    if (!same) {
        char a[96] = "", b[96] = "";
        for (size_t i = 0; i < ndims && strlen(a) < 80; i++)
            snprintf(a + strlen(a), sizeof a - strlen(a), "%s%lld", i ? "," : "", dims[i]);
        for (size_t i = 0; i < k->ndims && strlen(b) < 80; i++)
            snprintf(b + strlen(b), sizeof b - strlen(b), "%s%zu", i ? "," : "", k->dims[i]);
        snprintf(k->what, sizeof k->what, "the stored tensor has dims (%s), the buffer (%s)", a, b);
        return -1;
    }
    if (nbytes != k->nbytes) {
        snprintf(k->what, sizeof k->what, "the stored tensor has %zu bytes, the buffer %zu", nbytes, k->nbytes);
        return -1;
    }
    return 0;
}

/* Fallback for an already-parsed reply: check it and copy its blob. */
static int sink_from_reply(lc_sink *k, redisReply **reply) {
    redisReply *r = *reply;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 6 || r->element[1]->type != REDIS_REPLY_STRING ||
        r->element[3]->type != REDIS_REPLY_ARRAY || r->element[5]->type != REDIS_REPLY_STRING)
        return 0; /* the caller reports it */
    const lc_dtype_info *dt = lc_dtype_by_name(r->element[1]->str, r->element[1]->len);
    size_t nd = r->element[3]->elements;
    long long dims[64];
    if (nd > 64)
        return 0;
    for (size_t i = 0; i < nd; i++)
        dims[i] = r->element[3]->element[i]->integer;
    if (check_sink(k, dt, dims, nd, r->element[5]->len) != 0)
        k->mismatch = 1;
    else
        memcpy(k->buf, r->element[5]->str, k->nbytes);
    freeReplyObject(r);
    *reply = NULL;
    return 0;
}

int lc_conn_read_into(lc_conn *cn, lc_sink *k, redisReply **reply) {
    *reply = NULL;
    if (!cn->ctx)
        return -1;
    redisReader *rd = cn->ctx->reader;
    if (rd->len > rd->pos) { /* hiredis already holds bytes: let it parse, then copy */
        if (lc_conn_read(cn, reply) != 0)
            return -1;
        return sink_from_reply(k, reply);
    }
    stream st_, *s = &st_; /* on the stack: a malloc per unpack shows in 1 KiB round trips */
    s->fd = cn->ctx->fd;
    s->len = s->pos = 0;
    size_t ll, bl;
    const char *l, *b;
    long long n, dims[64];
    const lc_dtype_info *dt = NULL;
    size_t nd = 0;
    int ok = 0;
    do {
        if (!(l = line(s, &ll)))
            goto io_error;
        if (parse_int(l, ll, '*', &n) != 0 || n != 6)
            break;
        if (!(b = bulk(s, &bl)) || bl != 5 || memcmp(b, "dtype", 5) != 0)
            break;
        if (!(b = bulk(s, &bl)) || !(dt = lc_dtype_by_name(b, bl)))
            break;
        if (!(b = bulk(s, &bl)) || bl != 5 || memcmp(b, "shape", 5) != 0)
            break;
        if (!(l = line(s, &ll)) || parse_int(l, ll, '*', &n) != 0 || n < 0 || n > 64)
            break;
        nd = (size_t)n;
        size_t i;
        for (i = 0; i < nd; i++)
            if (!(l = line(s, &ll)) || parse_int(l, ll, ':', &dims[i]) != 0)
                break;
        if (i < nd)
            break;
        if (!(b = bulk(s, &bl)) || bl != 4 || memcmp(b, "blob", 4) != 0)
            break;
        if (!(l = line(s, &ll)) || parse_int(l, ll, '$', &n) != 0 || n < 0)
            break;
        ok = 1;
    } while (0);
    if (!ok) {
        /* Not the reply shape we stream (an error, MOVED, ...): hand every byte seen to hiredis. */
        if (s->len)
            redisReaderFeed(rd, s->buf, s->len);
        if (lc_conn_read(cn, reply) != 0)
            return -1;
        return sink_from_reply(k, reply);
    }
    size_t nbytes = (size_t)n;
    size_t have = s->len - s->pos;
    int match = check_sink(k, dt, dims, nd, nbytes) == 0;
    if (match) {
        size_t take = have < nbytes ? have : nbytes;
        memcpy(k->buf, s->buf + s->pos, take);
        s->pos += take;
        if (take < nbytes && recv_exact(s->fd, (char *)k->buf + take, nbytes - take) != 0)
            goto io_error;
    } else {
        k->mismatch = 1;
        size_t left = nbytes;
        size_t take = have < left ? have : left;
        s->pos += take;
        left -= take;
        if (left > 0) { /* the staging buffer is used up; drain the rest of the blob through it */
            s->pos = s->len = 0;
            while (left > 0) {
                size_t chunk = left < sizeof s->buf ? left : sizeof s->buf;
                if (recv_exact(s->fd, s->buf, chunk) != 0)
                    goto io_error;
                left -= chunk;
            }
        }
    }
    /* trailing CRLF */
    while (s->len - s->pos < 2) {
        if (s->pos == s->len)
            s->pos = s->len = 0;
        else if (s->len == sizeof s->buf) { /* one byte of CRLF at the very end: keep it at the front */
            s->buf[0] = s->buf[s->pos];
            s->pos = 0, s->len = 1;
        }
        if (fill(s) != 0)
            goto io_error;
    }
    s->pos += 2;
    if (s->len > s->pos) /* more bytes than this reply: keep them for the next read */
        redisReaderFeed(rd, s->buf + s->pos, s->len - s->pos);
    return 0;
io_error:
    snprintf(cn->ctx->errstr, sizeof cn->ctx->errstr, "read failed: %s",
             errno == EAGAIN ? "timed out" : "connection lost");
    return -1;
}
