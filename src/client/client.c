/* The public client: creation from options and the environment, key prefixes, and tensors. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *process_env(const char *name, void *ud) {
    (void)ud;
    return getenv(name);
}

LOCUS_API void locus_options_init(locus_options *o) {
    if (o)
        memset(o, 0, sizeof *o);
}

LOCUS_API locus_status locus_client_create(const locus_options *o, locus_client **out) {
    CHECK_ARG(out);
    *out = NULL;
    locus_client *c = calloc(1, sizeof *c);
    if (!c)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory creating a client");
    locus_status st = lc_log_configure(o ? o->logger_name : NULL);
    if (st == LOCUS_OK)
        st = lc_config_resolve(o, process_env, NULL, &c->cfg);
    if (st != LOCUS_OK) {
        free(c);
        return st;
    }
    snprintf(c->keyout, sizeof c->keyout, "%s", c->cfg.keyout);
    /* SSKEYIN: comma list (older SmartSim used ';'); the first entry is the default data source. */
    char tmp[sizeof c->cfg.keyin];
    snprintf(tmp, sizeof tmp, "%s", c->cfg.keyin);
    char *save = NULL;
    for (char *t = strtok_r(tmp, ",;", &save); t && c->nkeyin < 16; t = strtok_r(NULL, ",;", &save))
        if (t[0])
            snprintf(c->keyin[c->nkeyin++], sizeof c->keyin[0], "%s", t);
    if (c->nkeyin > 0)
        snprintf(c->source, sizeof c->source, "%s", c->keyin[0]);
    c->use_prefix[LOCUS_KIND_TENSOR] = c->use_prefix[LOCUS_KIND_DATASET] = c->use_prefix[LOCUS_KIND_LIST] = true;
    st = lc_route_create(&c->cfg, &c->route);
    if (st != LOCUS_OK) {
        free(c);
        return st;
    }
    lc_logf(LC_LOG_INFO, "New client created: %s database at %s", lc_route_is_cluster(c->route) ? "clustered" :
            "standalone", lc_route_address(c->route));
    *out = c;
    return lc_ok();
}

LOCUS_API locus_status locus_client_create_from_env(const char *suffix, locus_client **out) {
    locus_options o;
    locus_options_init(&o);
    o.suffix = suffix;
    return locus_client_create(&o, out);
}

LOCUS_API void locus_client_destroy(locus_client *c) {
    if (!c)
        return;
    lc_logf(LC_LOG_INFO, "Client destroyed (%s)", lc_route_address(c->route));
    lc_route_destroy(c->route);
    free(c->scratch);
    free(c);
}

LOCUS_API bool locus_client_is_cluster(const locus_client *c) { return c && lc_route_is_cluster(c->route); }
LOCUS_API const char *locus_client_address(const locus_client *c) { return c ? lc_route_address(c->route) : ""; }

LOCUS_API locus_status locus_set_data_source(locus_client *c, const char *source) {
    CHECK_ARG(c && source);
    int ok = strcmp(source, c->keyout) == 0 && source[0];
    for (int i = 0; i < c->nkeyin && !ok; i++)
        ok = strcmp(source, c->keyin[i]) == 0;
    if (!ok)
        return lc_fail(LOCUS_ERR_PARAMETER, "data source '%s' is not one of the SSKEYIN prefixes", source);
    snprintf(c->source, sizeof c->source, "%s", source);
    return lc_ok();
}

LOCUS_API locus_status locus_use_prefix(locus_client *c, locus_kind kind, bool on) {
    CHECK_ARG(c && (unsigned)kind <= LOCUS_KIND_MODEL);
    c->use_prefix[kind] = on;
    return lc_ok();
}

int lc_build_key(const locus_client *c, locus_kind kind, int out, const char *name, char *buf, size_t len) {
    const char *p = out ? c->keyout : c->source;
    int n;
    if (c->use_prefix[kind] && p[0])
        n = snprintf(buf, len, "%s.%s", p, name);
    else
        n = snprintf(buf, len, "%s", name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

#define KEY(buf, kind, out, name)                                                                            \
    char buf[1024];                                                                                          \
    if (lc_build_key(c, kind, out, name, buf, sizeof buf) != 0)                                              \
    return lc_fail(LOCUS_ERR_PARAMETER, "name '%.64s...' is too long", name)

/* ---- layouts ---- */

static locus_status check_dims(const size_t *dims, size_t ndims) {
    if (!dims || ndims == 0 || ndims > 32)
        return lc_fail(LOCUS_ERR_PARAMETER, "a tensor needs 1 to 32 dims (got %zu)", ndims);
    for (size_t i = 0; i < ndims; i++)
        if (dims[i] == 0)
            return lc_fail(LOCUS_ERR_PARAMETER, "dimension %zu is 0", i);
    return LOCUS_OK;
}

void *lc_scratch(locus_client *c, size_t n) {
    if (n > c->scratch_cap) {
        free(c->scratch);
        c->scratch = malloc(n);
        c->scratch_cap = c->scratch ? n : 0;
    }
    return c->scratch;
}

locus_status lc_to_rowmajor(const void *data, const size_t *dims, size_t ndims, size_t elsize,
                            locus_layout layout, void *buf, void **tmp, const void **rowmajor) {
    *tmp = NULL;
    size_t nbytes = lc_dims_count(dims, ndims) * elsize;
    switch (layout) {
    case LOCUS_LAYOUT_CONTIGUOUS:
        *rowmajor = data;
        return LOCUS_OK;
    case LOCUS_LAYOUT_FORTRAN_CONTIGUOUS:
    case LOCUS_LAYOUT_NESTED:
        if (layout == LOCUS_LAYOUT_NESTED && ndims == 1) {
            *rowmajor = data;
            return LOCUS_OK;
        }
        void *dst = buf;
        if (!dst && !(dst = *tmp = malloc(nbytes ? nbytes : 1)))
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory (%zu bytes) converting a tensor layout", nbytes);
        if (layout == LOCUS_LAYOUT_NESTED)
            lc_nested_gather(dst, data, dims, ndims, elsize);
        else
            lc_f2c(dst, data, dims, ndims, elsize);
        *rowmajor = dst;
        return LOCUS_OK;
    default:
        return lc_fail(LOCUS_ERR_PARAMETER, "unsupported memory layout %d", (int)layout);
    }
}

locus_status lc_from_rowmajor(void *dst, const void *rowmajor, const size_t *dims, size_t ndims,
                              size_t elsize, locus_layout layout) {
    switch (layout) {
    case LOCUS_LAYOUT_CONTIGUOUS:
        if (dst != rowmajor)
            memcpy(dst, rowmajor, lc_dims_count(dims, ndims) * elsize);
        return LOCUS_OK;
    case LOCUS_LAYOUT_FORTRAN_CONTIGUOUS:
        lc_c2f(dst, rowmajor, dims, ndims, elsize);
        return LOCUS_OK;
    case LOCUS_LAYOUT_NESTED:
        if (ndims == 1)
            memcpy(dst, rowmajor, dims[0] * elsize);
        else
            lc_nested_scatter(dst, rowmajor, dims, ndims, elsize);
        return LOCUS_OK;
    default:
        return lc_fail(LOCUS_ERR_PARAMETER, "unsupported memory layout %d", (int)layout);
    }
}

/* ---- tensors ---- */

/* Build "AI.TENSORSET key TYPE d.. BLOB <blob>" into cmd; dimsbuf holds the dim strings. */
static void tensorset_cmd(lc_cmd *cmd, const char *key, const lc_dtype_info *dt, const size_t *dims,
                          size_t ndims, char (*dimsbuf)[24], const void *blob, size_t nbytes) {
    lc_cmd_init(cmd, 1);
    lc_cmd_str(cmd, "AI.TENSORSET");
    lc_cmd_str(cmd, key);
    lc_cmd_str(cmd, dt->name);
    for (size_t i = 0; i < ndims; i++) {
        snprintf(dimsbuf[i], 24, "%zu", dims[i]);
        lc_cmd_str(cmd, dimsbuf[i]);
    }
    lc_cmd_str(cmd, "BLOB");
    cmd->blob = blob;
    cmd->bloblen = nbytes;
    cmd->has_blob = 1;
}

locus_status lc_put_tensor_key(locus_client *c, const char *key, const void *data, const size_t *dims,
                               size_t ndims, locus_dtype type, locus_layout layout) {
    const lc_dtype_info *dt = lc_dtype_by_type(type);
    if (!dt)
        return lc_fail(LOCUS_ERR_PARAMETER, "put_tensor '%s': unknown type %d", key, (int)type);
    locus_status st = check_dims(dims, ndims);
    if (st != LOCUS_OK)
        return st;
    if (ndims > 10)
        return lc_fail(LOCUS_ERR_PARAMETER, "put_tensor '%s': at most 10 dims", key);
    void *tmp;
    const void *rm;
    void *buf = layout == LOCUS_LAYOUT_CONTIGUOUS ? NULL : lc_scratch(c, lc_dims_count(dims, ndims) * dt->size);
    if ((st = lc_to_rowmajor(data, dims, ndims, dt->size, layout, buf, &tmp, &rm)) != LOCUS_OK)
        return st;
    lc_cmd cmd;
    char dimsbuf[10][24];
    tensorset_cmd(&cmd, key, dt, dims, ndims, dimsbuf, rm, lc_dims_count(dims, ndims) * dt->size);
    st = lc_exec(c->route, &cmd, NULL);
    free(tmp);
    if (st != LOCUS_OK)
        return st;
    if (cmd.reply->type == REDIS_REPLY_ERROR)
        st = lc_reply_error(cmd.reply, "put_tensor", key);
    freeReplyObject(cmd.reply);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_put_tensor(locus_client *c, const char *name, const void *data,
                                        const size_t *dims, size_t ndims, locus_dtype type,
                                        locus_layout layout) {
    CHECK_ARG(c && name && data);
    KEY(key, LOCUS_KIND_TENSOR, 1, name);
    return lc_put_tensor_key(c, key, data, dims, ndims, type, layout);
}

/* Parse an AI.TENSORGET META BLOB reply. */
int lc_parse_tensor_reply(const redisReply *r, const lc_dtype_info **dt, size_t *dims, size_t *ndims,
                          const char **blob, size_t *nbytes) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 6 || r->element[1]->type != REDIS_REPLY_STRING ||
        r->element[3]->type != REDIS_REPLY_ARRAY || r->element[5]->type != REDIS_REPLY_STRING ||
        r->element[3]->elements > 32 || r->element[3]->elements == 0)
        return -1;
    *dt = lc_dtype_by_name(r->element[1]->str, r->element[1]->len);
    if (!*dt)
        return -1;
    *ndims = r->element[3]->elements;
    size_t count = 1;
    for (size_t i = 0; i < *ndims; i++) {
        if (r->element[3]->element[i]->type != REDIS_REPLY_INTEGER || r->element[3]->element[i]->integer < 0)
            return -1;
        dims[i] = (size_t)r->element[3]->element[i]->integer;
        count *= dims[i];
    }
    *blob = r->element[5]->str;
    *nbytes = r->element[5]->len;
    return count * (*dt)->size == *nbytes ? 0 : -1;
}

static void tensorget_cmd(lc_cmd *cmd, const char *key) {
    lc_cmd_init(cmd, 1);
    lc_cmd_str(cmd, "AI.TENSORGET");
    lc_cmd_str(cmd, key);
    lc_cmd_str(cmd, "META");
    lc_cmd_str(cmd, "BLOB");
}

LOCUS_API locus_status locus_get_tensor(locus_client *c, const char *name, locus_layout layout,
                                        locus_tensor **out) {
    CHECK_ARG(c && name && out);
    *out = NULL;
    if (layout != LOCUS_LAYOUT_CONTIGUOUS && layout != LOCUS_LAYOUT_FORTRAN_CONTIGUOUS &&
        layout != LOCUS_LAYOUT_NESTED)
        return lc_fail(LOCUS_ERR_PARAMETER, "get_tensor '%s': unsupported layout %d", name, (int)layout);
    KEY(key, LOCUS_KIND_TENSOR, 0, name);
    lc_cmd cmd;
    tensorget_cmd(&cmd, key);
    locus_status st = lc_exec(c->route, &cmd, NULL);
    if (st != LOCUS_OK)
        return st;
    const lc_dtype_info *dt;
    size_t dims[32], ndims, nbytes;
    const char *blob;
    if (cmd.reply->type == REDIS_REPLY_ERROR || lc_parse_tensor_reply(cmd.reply, &dt, dims, &ndims, &blob, &nbytes)) {
        st = cmd.reply->type == REDIS_REPLY_ERROR ? lc_reply_error(cmd.reply, "get_tensor", key)
                                                   : lc_fail(LOCUS_ERR_INTERNAL, "get_tensor '%s': malformed reply", key);
        freeReplyObject(cmd.reply);
        return st;
    }
    /* One block: header, dims, nested tables, data (aligned to 64 bytes). */
    size_t tables = layout == LOCUS_LAYOUT_NESTED ? lc_nested_table_bytes(dims, ndims) : 0;
    size_t off_dims = (sizeof(locus_tensor) + 15) & ~(size_t)15;
    size_t off_tab = (off_dims + ndims * sizeof(size_t) + 15) & ~(size_t)15;
    size_t off_data = (off_tab + tables + 63) & ~(size_t)63;
    char *blk = aligned_alloc(64, (off_data + nbytes + 63) & ~(size_t)63);
    if (!blk) {
        freeReplyObject(cmd.reply);
        return lc_fail(LOCUS_ERR_BADALLOC, "get_tensor '%s': out of memory (%zu bytes)", key, nbytes);
    }
    locus_tensor *t = (locus_tensor *)blk;
    t->type = dt->type;
    t->layout = layout;
    t->ndims = ndims;
    t->dims = (size_t *)(blk + off_dims);
    memcpy(t->dims, dims, ndims * sizeof(size_t));
    t->nbytes = nbytes;
    char *data = blk + off_data;
    if (layout == LOCUS_LAYOUT_FORTRAN_CONTIGUOUS)
        lc_c2f(data, blob, dims, ndims, dt->size);
    else
        memcpy(data, blob, nbytes);
    t->data = layout == LOCUS_LAYOUT_NESTED ? lc_nested_build(blk + off_tab, data, dims, ndims, dt->size) : data;
    freeReplyObject(cmd.reply);
    *out = t;
    return lc_ok();
}

locus_status lc_unpack_tensor_key(locus_client *c, const char *key, void *data, const size_t *dims,
                                  size_t ndims, locus_dtype type, locus_layout layout) {
    const lc_dtype_info *dt = lc_dtype_by_type(type);
    if (!dt)
        return lc_fail(LOCUS_ERR_PARAMETER, "unpack_tensor '%s': unknown type %d", key, (int)type);
    locus_status st = check_dims(dims, ndims);
    if (st != LOCUS_OK)
        return st;
    if (layout != LOCUS_LAYOUT_CONTIGUOUS && layout != LOCUS_LAYOUT_FORTRAN_CONTIGUOUS &&
        layout != LOCUS_LAYOUT_NESTED)
        return lc_fail(LOCUS_ERR_PARAMETER, "unpack_tensor '%s': unsupported layout %d", key, (int)layout);
    size_t nbytes = lc_dims_count(dims, ndims) * dt->size;
    void *tmp = NULL;
    if (layout != LOCUS_LAYOUT_CONTIGUOUS && !(layout == LOCUS_LAYOUT_NESTED && ndims == 1)) {
        if (!(tmp = lc_scratch(c, nbytes)))
            return lc_fail(LOCUS_ERR_BADALLOC, "unpack_tensor '%s': out of memory", key);
    }
    lc_sink sink = {.buf = tmp ? tmp : data, .nbytes = nbytes, .type = type, .dims = dims, .ndims = ndims};
    lc_cmd cmd;
    tensorget_cmd(&cmd, key);
    st = lc_exec(c->route, &cmd, &sink);
    if (st == LOCUS_OK) {
        if (cmd.reply) {
            st = cmd.reply->type == REDIS_REPLY_ERROR ? lc_reply_error(cmd.reply, "unpack_tensor", key)
                                                       : lc_fail(LOCUS_ERR_INTERNAL, "unpack_tensor '%s': malformed reply", key);
            freeReplyObject(cmd.reply);
        } else if (sink.mismatch) {
            st = lc_fail(LOCUS_ERR_TYPE, "unpack_tensor '%s': %s", key, sink.what);
        } else if (tmp) {
            st = lc_from_rowmajor(data, tmp, dims, ndims, dt->size, layout);
        }
    }
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_unpack_tensor(locus_client *c, const char *name, void *data,
                                           const size_t *dims, size_t ndims, locus_dtype type,
                                           locus_layout layout) {
    CHECK_ARG(c && name && data);
    KEY(key, LOCUS_KIND_TENSOR, 0, name);
    return lc_unpack_tensor_key(c, key, data, dims, ndims, type, layout);
}

/* Run a one-key command; *reply_out (may be NULL) receives the reply when it is not an error. */
void lc_key_printable(const char *key, size_t len, char *buf, size_t buflen) {
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < buflen; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch >= 0x20 && ch < 0x7f)
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", ch);
    }
    if (buflen > 0)
        buf[o < buflen ? o : buflen - 1] = '\0';
}

locus_status lc_simple_len(locus_client *c, const char *what, const char *a0, const char *key, size_t keylen,
                           const char *a2, const char *a3, redisReply **reply_out) {
    lc_cmd cmd;
    lc_cmd_init(&cmd, 1);
    lc_cmd_str(&cmd, a0);
    lc_cmd_arg(&cmd, key, keylen);
    if (a2)
        lc_cmd_str(&cmd, a2);
    if (a3)
        lc_cmd_str(&cmd, a3);
    locus_status st = lc_exec(c->route, &cmd, NULL);
    if (st != LOCUS_OK)
        return st;
    if (cmd.reply->type == REDIS_REPLY_ERROR) {
        char shown[1200];
        lc_key_printable(key, keylen, shown, sizeof shown);
        st = lc_reply_error(cmd.reply, what, shown);
        freeReplyObject(cmd.reply);
        return st;
    }
    if (reply_out)
        *reply_out = cmd.reply;
    else
        freeReplyObject(cmd.reply);
    return LOCUS_OK;
}

locus_status lc_simple(locus_client *c, const char *what, const char *a0, const char *key, const char *a2,
                       const char *a3, redisReply **reply_out) {
    return lc_simple_len(c, what, a0, key, strlen(key), a2, a3, reply_out);
}

/* Copy a raw key to another (overwriting): COPY when both hash to one slot, else DUMP + RESTORE REPLACE.
 * With del_src the source is removed afterwards (rename). */
locus_status lc_copy_key(locus_client *c, const char *src, const char *dst, int del_src, const char *what) {
    redisReply *r = NULL;
    locus_status st;
    if (!lc_route_is_cluster(c->route) || lc_key_slot(src, strlen(src)) == lc_key_slot(dst, strlen(dst))) {
        lc_cmd cmd;
        lc_cmd_init(&cmd, 1);
        lc_cmd_str(&cmd, del_src ? "RENAME" : "COPY");
        lc_cmd_str(&cmd, src);
        lc_cmd_str(&cmd, dst);
        if (!del_src)
            lc_cmd_str(&cmd, "REPLACE");
        if ((st = lc_exec(c->route, &cmd, NULL)) != LOCUS_OK)
            return st;
        r = cmd.reply;
        if (r->type == REDIS_REPLY_ERROR) {
            st = lc_reply_error(r, what, src);
        } else if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
            st = lc_fail(LOCUS_ERR_KEY, "%s '%s': the key does not exist", what, src);
        } else {
            st = LOCUS_OK;
        }
        freeReplyObject(r);
        return st;
    }
    if ((st = lc_simple(c, what, "DUMP", src, NULL, NULL, &r)) != LOCUS_OK)
        return st;
    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return lc_fail(LOCUS_ERR_KEY, "%s '%s': the key does not exist", what, src);
    }
    lc_cmd cmd;
    lc_cmd_init(&cmd, 1);
    lc_cmd_str(&cmd, "RESTORE");
    lc_cmd_str(&cmd, dst);
    lc_cmd_str(&cmd, "0");
    lc_cmd_arg(&cmd, r->str, r->len);
    lc_cmd_str(&cmd, "REPLACE");
    st = lc_exec(c->route, &cmd, NULL);
    freeReplyObject(r);
    if (st != LOCUS_OK)
        return st;
    if (cmd.reply->type == REDIS_REPLY_ERROR)
        st = lc_reply_error(cmd.reply, what, dst);
    freeReplyObject(cmd.reply);
    if (st == LOCUS_OK && del_src)
        st = lc_simple(c, what, "DEL", src, NULL, NULL, NULL);
    return st;
}

LOCUS_API locus_status locus_delete_tensor(locus_client *c, const char *name) {
    CHECK_ARG(c && name);
    KEY(key, LOCUS_KIND_TENSOR, 1, name);
    redisReply *r;
    locus_status st = lc_simple(c, "delete_tensor", "DEL", key, NULL, NULL, &r);
    if (st != LOCUS_OK)
        return st;
    int gone = r->type == REDIS_REPLY_INTEGER && r->integer == 0;
    freeReplyObject(r);
    if (gone)
        return lc_fail(LOCUS_ERR_KEY, "delete_tensor '%s': the key does not exist", key);
    return lc_ok();
}

LOCUS_API locus_status locus_copy_tensor(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    KEY(ks, LOCUS_KIND_TENSOR, 0, src);
    KEY(kd, LOCUS_KIND_TENSOR, 1, dst);
    locus_status st = lc_copy_key(c, ks, kd, 0, "copy_tensor");
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_rename_tensor(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    KEY(ks, LOCUS_KIND_TENSOR, 0, src);
    KEY(kd, LOCUS_KIND_TENSOR, 1, dst);
    locus_status st = lc_copy_key(c, ks, kd, 1, "rename_tensor");
    return st == LOCUS_OK ? lc_ok() : st;
}

static locus_status exists_len(locus_client *c, const char *key, size_t keylen, bool *exists) {
    redisReply *r;
    locus_status st = lc_simple_len(c, "exists", "EXISTS", key, keylen, NULL, NULL, &r);
    if (st != LOCUS_OK)
        return st;
    *exists = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    freeReplyObject(r);
    return lc_ok();
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static locus_status exists_raw(locus_client *c, const char *key, bool *exists) {
    return exists_len(c, key, strlen(key), exists);
}

locus_status lc_poll_len(locus_client *c, const char *key, size_t keylen, int poll_ms, int tries, bool *exists) {
    *exists = false;
    for (int i = 0; i < tries; i++) {
        locus_status st = exists_len(c, key, keylen, exists);
        if (st != LOCUS_OK || *exists)
            return st;
        if (i + 1 < tries)
            sleep_ms(poll_ms);
    }
    return lc_ok();
}

static locus_status poll_raw(locus_client *c, const char *key, int poll_ms, int tries, bool *exists) {
    return lc_poll_len(c, key, strlen(key), poll_ms, tries, exists);
}

LOCUS_API locus_status locus_tensor_exists(locus_client *c, const char *name, bool *exists) {
    CHECK_ARG(c && name && exists);
    KEY(key, LOCUS_KIND_TENSOR, 0, name);
    return exists_raw(c, key, exists);
}

LOCUS_API locus_status locus_poll_tensor(locus_client *c, const char *name, int poll_ms, int num_tries,
                                         bool *exists) {
    CHECK_ARG(c && name && exists && poll_ms >= 0 && num_tries > 0);
    KEY(key, LOCUS_KIND_TENSOR, 0, name);
    return poll_raw(c, key, poll_ms, num_tries, exists);
}

LOCUS_API locus_status locus_key_exists(locus_client *c, const char *key, bool *exists) {
    CHECK_ARG(c && key && exists);
    return exists_raw(c, key, exists);
}

LOCUS_API locus_status locus_poll_key(locus_client *c, const char *key, int poll_ms, int num_tries, bool *exists) {
    CHECK_ARG(c && key && exists && poll_ms >= 0 && num_tries > 0);
    return poll_raw(c, key, poll_ms, num_tries, exists);
}
