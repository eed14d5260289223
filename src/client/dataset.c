/* Datasets and aggregation lists.
 *
 * Stored exactly as SmartRedis stores them, so either client reads what the other wrote:
 *   [prefix.]{name}.meta    hash: one field per metadata field, ".tensor_names" (a string field listing the
 *                           tensors), and ".COMPLETE" = "1" written last, so a reader never sees half a dataset
 *   [prefix.]{name}.<t>     one AI tensor per dataset tensor
 * A field's value is one type byte (locus_metatype) followed, for numbers, by the raw values in native byte
 * order, or, for strings, by (size_t length, bytes) per string. The hash tag {name} keeps a dataset on one
 * cluster slot, so its commands go to one node in one pipeline. A list holds dataset keys "[prefix.]{name}". */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACK_FIELD ".COMPLETE"
#define NAMES_FIELD ".tensor_names"


typedef struct ds_tensor {
    char *name;
    locus_dtype type;
    size_t ndims;
    size_t dims[32];
    void *data;
    size_t nbytes;
} ds_tensor;

typedef struct ds_field {
    char *name;
    locus_metatype type;
    size_t count, cap;
    void *vals;  /* scalars */
    char **strs; /* strings, NUL-terminated */
    size_t *lens;
} ds_field;

struct locus_dataset {
    char *name;
    ds_tensor *t;
    size_t nt, capt;
    ds_field *f;
    size_t nf, capf;
};

LOCUS_API locus_status locus_dataset_create(const char *name, locus_dataset **out) {
    CHECK_ARG(name && name[0] && out);
    *out = NULL;
    locus_dataset *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name))) {
        free(d);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory creating dataset '%s'", name);
    }
    *out = d;
    return lc_ok();
}

static void field_free(ds_field *f) {
    free(f->name);
    free(f->vals);
    for (size_t i = 0; f->strs && i < f->count; i++)
        free(f->strs[i]);
    free(f->strs);
    free(f->lens);
}

LOCUS_API void locus_dataset_destroy(locus_dataset *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->nt; i++)
        free(d->t[i].name), free(d->t[i].data);
    for (size_t i = 0; i < d->nf; i++)
        field_free(&d->f[i]);
    free(d->t);
    free(d->f);
    free(d->name);
    free(d);
}

LOCUS_API const char *locus_dataset_name(const locus_dataset *d) { return d ? d->name : ""; }

static ds_tensor *find_tensor(const locus_dataset *d, const char *name) {
    for (size_t i = 0; i < d->nt; i++)
        if (strcmp(d->t[i].name, name) == 0)
            return &d->t[i];
    return NULL;
}

static ds_field *find_field(const locus_dataset *d, const char *name) {
    for (size_t i = 0; i < d->nf; i++)
        if (strcmp(d->f[i].name, name) == 0)
            return &d->f[i];
    return NULL;
}

/* Take ownership of rowmajor data (malloc'ed) as tensor name. */
static locus_status add_tensor_owned(locus_dataset *d, const char *name, void *data, const size_t *dims,
                                     size_t ndims, locus_dtype type, size_t nbytes) {
    ds_tensor *t = find_tensor(d, name);
    if (!t) {
        if (d->nt == d->capt) {
            size_t cap = d->capt ? d->capt * 2 : 4;
            ds_tensor *n = realloc(d->t, sizeof *n * cap);
            if (!n) {
                free(data);
                return lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding tensor '%s'", name);
            }
            d->t = n, d->capt = cap;
        }
        t = &d->t[d->nt];
        memset(t, 0, sizeof *t);
        if (!(t->name = strdup(name))) {
            free(data);
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding tensor '%s'", name);
        }
        d->nt++;
    } else {
        free(t->data);
    }
    t->type = type;
    t->ndims = ndims;
    memcpy(t->dims, dims, ndims * sizeof *dims);
    t->data = data;
    t->nbytes = nbytes;
    return LOCUS_OK;
}

LOCUS_API locus_status locus_dataset_add_tensor(locus_dataset *d, const char *name, const void *data,
                                                const size_t *dims, size_t ndims, locus_dtype type,
                                                locus_layout layout) {
    CHECK_ARG(d && name && name[0] && data && dims && ndims > 0 && ndims <= 10);
    const lc_dtype_info *dt = lc_dtype_by_type(type);
    if (!dt)
        return lc_fail(LOCUS_ERR_PARAMETER, "dataset tensor '%s': unknown type %d", name, (int)type);
    for (size_t i = 0; i < ndims; i++)
        if (dims[i] == 0)
            return lc_fail(LOCUS_ERR_PARAMETER, "dataset tensor '%s': dimension %zu is 0", name, i);
    size_t nbytes = lc_dims_count(dims, ndims) * dt->size;
    void *tmp;
    const void *rm;
    locus_status st = lc_to_rowmajor(data, dims, ndims, dt->size, layout, NULL, &tmp, &rm);
    if (st != LOCUS_OK)
        return st;
    if (!tmp) {
        if (!(tmp = malloc(nbytes)))
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding tensor '%s'", name);
        memcpy(tmp, rm, nbytes);
    }
    st = add_tensor_owned(d, name, tmp, dims, ndims, type, nbytes);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_dataset_get_tensor(const locus_dataset *d, const char *name, const void **data,
                                                const size_t **dims, size_t *ndims, locus_dtype *type) {
    CHECK_ARG(d && name);
    const ds_tensor *t = find_tensor(d, name);
    if (!t)
        return lc_fail(LOCUS_ERR_KEY, "dataset '%s' has no tensor '%s'", d->name, name);
    if (data)
        *data = t->data;
    if (dims)
        *dims = t->dims;
    if (ndims)
        *ndims = t->ndims;
    if (type)
        *type = t->type;
    return lc_ok();
}

LOCUS_API locus_status locus_dataset_unpack_tensor(const locus_dataset *d, const char *name, void *data,
                                                   const size_t *dims, size_t ndims, locus_dtype type,
                                                   locus_layout layout) {
    CHECK_ARG(d && name && data && dims);
    const ds_tensor *t = find_tensor(d, name);
    if (!t)
        return lc_fail(LOCUS_ERR_KEY, "dataset '%s' has no tensor '%s'", d->name, name);
    int same = t->type == type && t->ndims == ndims;
    for (size_t i = 0; same && i < ndims; i++)
        same = t->dims[i] == dims[i];
    if (!same)
        return lc_fail(LOCUS_ERR_TYPE, "dataset '%s' tensor '%s': type or dims differ from the buffer's", d->name,
                       name);
    locus_status st = lc_from_rowmajor(data, t->data, dims, ndims, locus_dtype_size(type), layout);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API size_t locus_dataset_tensor_count(const locus_dataset *d) { return d ? d->nt : 0; }
LOCUS_API const char *locus_dataset_tensor_name(const locus_dataset *d, size_t i) {
    return d && i < d->nt ? d->t[i].name : NULL;
}

static ds_field *field_get(locus_dataset *d, const char *name, locus_metatype type) {
    ds_field *f = find_field(d, name);
    if (f) {
        if (f->type != type) {
            lc_fail(LOCUS_ERR_TYPE, "dataset '%s' field '%s' holds another type", d->name, name);
            return NULL;
        }
        return f;
    }
    if (d->nf == d->capf) {
        size_t cap = d->capf ? d->capf * 2 : 4;
        ds_field *n = realloc(d->f, sizeof *n * cap);
        if (!n)
            goto oom;
        d->f = n, d->capf = cap;
    }
    f = &d->f[d->nf];
    memset(f, 0, sizeof *f);
    if (!(f->name = strdup(name)))
        goto oom;
    f->type = type;
    d->nf++;
    return f;
oom:
    lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding field '%s'", name);
    return NULL;
}

static int field_grow(ds_field *f) {
    if (f->count < f->cap)
        return 0;
    size_t cap = f->cap ? f->cap * 2 : 4;
    if (f->type == LOCUS_META_STRING) {
        char **s = realloc(f->strs, sizeof *s * cap);
        if (!s)
            return -1;
        f->strs = s;
        size_t *l = realloc(f->lens, sizeof *l * cap);
        if (!l)
            return -1;
        f->lens = l;
    } else {
        void *v = realloc(f->vals, lc_meta_scalar_size(f->type) * cap);
        if (!v)
            return -1;
        f->vals = v;
    }
    f->cap = cap;
    return 0;
}

static locus_status add_string_n(locus_dataset *d, const char *field, const char *value, size_t len) {
    ds_field *f = field_get(d, field, LOCUS_META_STRING);
    if (!f)
        return locus_last_status();
    char *s = malloc(len + 1);
    if (!s || field_grow(f) != 0) {
        free(s);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding to field '%s'", field);
    }
    memcpy(s, value, len);
    s[len] = 0;
    f->strs[f->count] = s;
    f->lens[f->count] = len;
    f->count++;
    return LOCUS_OK;
}

LOCUS_API locus_status locus_dataset_add_meta_scalar(locus_dataset *d, const char *field, const void *value,
                                                     locus_metatype type) {
    CHECK_ARG(d && field && field[0] && field[0] != '.' && value);
    if (lc_meta_scalar_size(type) == 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "field '%s': %d is not a scalar metadata type", field, (int)type);
    ds_field *f = field_get(d, field, type);
    if (!f)
        return locus_last_status();
    if (field_grow(f) != 0)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory adding to field '%s'", field);
    memcpy((char *)f->vals + f->count * lc_meta_scalar_size(type), value, lc_meta_scalar_size(type));
    f->count++;
    return lc_ok();
}

LOCUS_API locus_status locus_dataset_add_meta_string(locus_dataset *d, const char *field, const char *value) {
    CHECK_ARG(d && field && field[0] && field[0] != '.' && value);
    locus_status st = add_string_n(d, field, value, strlen(value));
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_dataset_get_meta_scalars(const locus_dataset *d, const char *field,
                                                      const void **values, size_t *count, locus_metatype *type) {
    CHECK_ARG(d && field);
    const ds_field *f = find_field(d, field);
    if (!f)
        return lc_fail(LOCUS_ERR_KEY, "dataset '%s' has no field '%s'", d->name, field);
    if (f->type == LOCUS_META_STRING)
        return lc_fail(LOCUS_ERR_TYPE, "dataset '%s' field '%s' holds strings", d->name, field);
    if (values)
        *values = f->vals;
    if (count)
        *count = f->count;
    if (type)
        *type = f->type;
    return lc_ok();
}

LOCUS_API locus_status locus_dataset_get_meta_string(const locus_dataset *d, const char *field, size_t i,
                                                     const char **value, size_t *len, size_t *count) {
    CHECK_ARG(d && field);
    const ds_field *f = find_field(d, field);
    if (!f)
        return lc_fail(LOCUS_ERR_KEY, "dataset '%s' has no field '%s'", d->name, field);
    if (f->type != LOCUS_META_STRING)
        return lc_fail(LOCUS_ERR_TYPE, "dataset '%s' field '%s' does not hold strings", d->name, field);
    if (count)
        *count = f->count;
    if (value || len) {
        if (i >= f->count)
            return lc_fail(LOCUS_ERR_PARAMETER, "dataset '%s' field '%s' has %zu strings, asked for #%zu", d->name,
                           field, f->count, i);
        if (value)
            *value = f->strs[i];
        if (len)
            *len = f->lens[i];
    }
    return lc_ok();
}

LOCUS_API locus_metatype locus_dataset_meta_type(const locus_dataset *d, const char *field) {
    const ds_field *f = d && field ? find_field(d, field) : NULL;
    return f ? f->type : LOCUS_META_INVALID;
}

/* ---- encoding ---- */

/* Serialize a field into a new buffer (caller frees). */
static char *encode_field(const ds_field *f, size_t *len) {
    return lc_meta_encode(f->type, f->count, f->vals, f->strs, f->lens, len);
}

typedef struct {
    locus_dataset *d;
    const char *name;
} decode_target;

static int add_decoded_string(void *arg, const char *s, size_t len) {
    decode_target *t = arg;
    return add_string_n(t->d, t->name, s, len) == LOCUS_OK ? 0 : -1;
}

/* Decode a stored field value into d (as field name); ".tensor_names" is decoded into names instead. */
static locus_status decode_field(locus_dataset *d, const char *name, const char *buf, size_t len) {
    decode_target t = {d, name};
    lc_meta_decoded m;
    if (lc_meta_decode(buf, len, &m, add_decoded_string, &t) != 0)
        return m.why ? lc_fail(LOCUS_ERR_RUNTIME, "dataset '%s' field '%s' %s", d->name, name, m.why)
                     : locus_last_status();
    ds_field *f = field_get(d, name, m.type);
    if (!f)
        return locus_last_status();
    size_t es = lc_meta_scalar_size(m.type);
    for (size_t i = 0; es > 0 && i < m.count; i++) {
        if (field_grow(f) != 0)
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory decoding field '%s'", name);
        memcpy((char *)f->vals + f->count * es, m.scalars + i * es, es);
        f->count++;
    }
    return LOCUS_OK;
}

/* ---- datasets in the database ---- */

static int base_key(const locus_client *c, int out, const char *name, char *buf, size_t len) {
    char tmp[1024];
    int n = snprintf(tmp, sizeof tmp, "{%s}", name);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    return lc_build_key(c, LOCUS_KIND_DATASET, out, tmp, buf, len);
}

#define BASE(buf, out, name)                                                                                 \
    char buf[1100];                                                                                          \
    if (base_key(c, out, name, buf, sizeof buf) != 0)                                                        \
    return lc_fail(LOCUS_ERR_PARAMETER, "dataset name '%.64s...' is too long", name)

static void free_replies(lc_cmd *cmds, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cmds[i].reply)
            freeReplyObject(cmds[i].reply), cmds[i].reply = NULL;
}

/* Put d under base key `base`. */
static locus_status put_dataset_at(locus_client *c, const locus_dataset *d, const char *base) {
    if (d->nt == 0 && d->nf == 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "dataset '%s' has no tensors and no metadata", d->name);
    size_t ncmd = 1 + d->nf + (d->nt ? 1 : 0) + d->nt + 1;
    size_t nkeys = 1 + d->nt;
    lc_cmd *cmds = calloc(ncmd, sizeof *cmds);
    char **bufs = calloc(d->nf + 1, sizeof *bufs);
    char (*keys)[1200] = malloc(sizeof *keys * nkeys);
    char (*dimsbuf)[10][24] = malloc(sizeof *dimsbuf * (d->nt ? d->nt : 1));
    locus_status st = LOCUS_OK;
    if (!cmds || !bufs || !keys || !dimsbuf) {
        st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory putting dataset '%s'", d->name);
        goto done;
    }
    snprintf(keys[0], sizeof keys[0], "%s.meta", base);
    size_t k = 0;
    lc_cmd_init(&cmds[k], 1);
    lc_cmd_str(&cmds[k], "DEL");
    lc_cmd_str(&cmds[k++], keys[0]);
    for (size_t i = 0; i < d->nf; i++) {
        size_t len;
        if (!(bufs[i] = encode_field(&d->f[i], &len))) {
            st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory putting dataset '%s'", d->name);
            goto done;
        }
        lc_cmd_init(&cmds[k], 1);
        lc_cmd_str(&cmds[k], "HSET");
        lc_cmd_str(&cmds[k], keys[0]);
        lc_cmd_str(&cmds[k], d->f[i].name);
        lc_cmd_arg(&cmds[k++], bufs[i], len);
    }
    if (d->nt) {
        ds_field names = {.type = LOCUS_META_STRING, .count = d->nt};
        names.strs = malloc(sizeof(char *) * d->nt);
        names.lens = malloc(sizeof(size_t) * d->nt);
        size_t len = 0;
        if (names.strs && names.lens) {
            for (size_t i = 0; i < d->nt; i++)
                names.strs[i] = d->t[i].name, names.lens[i] = strlen(d->t[i].name);
            bufs[d->nf] = encode_field(&names, &len);
        }
        free(names.strs);
        free(names.lens);
        if (!bufs[d->nf]) {
            st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory putting dataset '%s'", d->name);
            goto done;
        }
        lc_cmd_init(&cmds[k], 1);
        lc_cmd_str(&cmds[k], "HSET");
        lc_cmd_str(&cmds[k], keys[0]);
        lc_cmd_str(&cmds[k], NAMES_FIELD);
        lc_cmd_arg(&cmds[k++], bufs[d->nf], len);
    }
    for (size_t i = 0; i < d->nt; i++) {
        const ds_tensor *t = &d->t[i];
        snprintf(keys[1 + i], sizeof keys[0], "%s.%s", base, t->name);
        lc_cmd *cmd = &cmds[k++];
        lc_cmd_init(cmd, 1);
        lc_cmd_str(cmd, "AI.TENSORSET");
        lc_cmd_str(cmd, keys[1 + i]);
        lc_cmd_str(cmd, lc_dtype_by_type(t->type)->name);
        for (size_t j = 0; j < t->ndims; j++) {
            snprintf(dimsbuf[i][j], 24, "%zu", t->dims[j]);
            lc_cmd_str(cmd, dimsbuf[i][j]);
        }
        lc_cmd_str(cmd, "BLOB");
        cmd->blob = t->data;
        cmd->bloblen = t->nbytes;
        cmd->has_blob = 1;
    }
    lc_cmd_init(&cmds[k], 1);
    lc_cmd_str(&cmds[k], "HSET");
    lc_cmd_str(&cmds[k], keys[0]);
    lc_cmd_str(&cmds[k], ACK_FIELD);
    lc_cmd_str(&cmds[k++], "1");
    st = lc_exec_many(c->route, cmds, (int)k);
    for (size_t i = 0; st == LOCUS_OK && i < k; i++)
        if (cmds[i].reply && cmds[i].reply->type == REDIS_REPLY_ERROR)
            st = lc_reply_error(cmds[i].reply, "put_dataset", cmds[i].argv[1]);
    free_replies(cmds, k);
done:
    if (bufs)
        for (size_t i = 0; i <= d->nf; i++)
            free(bufs[i]);
    free(bufs);
    free(cmds);
    free(keys);
    free(dimsbuf);
    return st;
}

LOCUS_API locus_status locus_put_dataset(locus_client *c, const locus_dataset *d) {
    CHECK_ARG(c && d);
    BASE(base, 1, d->name);
    locus_status st = put_dataset_at(c, d, base);
    return st == LOCUS_OK ? lc_ok() : st;
}

/* Fill a dataset from its HGETALL reply; names receives the tensor names (a string field, freed by caller
 * with field_free). Returns LOCUS_ERR_KEY when the dataset is absent or incomplete. */
static locus_status decode_meta(locus_dataset *d, const redisReply *r, const char *base, ds_field *names) {
    memset(names, 0, sizeof *names);
    if (r->type == REDIS_REPLY_ERROR)
        return lc_reply_error(r, "get_dataset", base);
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return lc_fail(LOCUS_ERR_INTERNAL, "get_dataset '%s': malformed metadata reply", base);
    int complete = 0;
    for (size_t i = 0; i < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, ACK_FIELD) == 0)
            complete = 1;
    if (!complete)
        return lc_fail(LOCUS_ERR_KEY, "dataset '%s' does not exist (no %s in %s.meta)", d->name, ACK_FIELD, base);
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return lc_fail(LOCUS_ERR_INTERNAL, "get_dataset '%s': malformed metadata reply", base);
        if (strcmp(f->str, ACK_FIELD) == 0)
            continue;
        locus_status st;
        if (strcmp(f->str, NAMES_FIELD) == 0) {
            /* decode into a scratch dataset so the names do not become a user field */
            locus_dataset tmp = {.name = d->name};
            st = decode_field(&tmp, NAMES_FIELD, v->str, v->len);
            if (tmp.nf == 1) {
                *names = tmp.f[0];
            }
            free(tmp.f);
        } else {
            st = decode_field(d, f->str, v->str, v->len);
        }
        if (st != LOCUS_OK)
            return st;
    }
    return LOCUS_OK;
}

static char *dataset_name_from_key(const char *key) {
    const char *o = strchr(key, '{'), *e = strrchr(key, '}');
    if (!o || !e || e <= o + 1)
        return NULL;
    return strndup(o + 1, (size_t)(e - o - 1));
}

/* Fetch n datasets given their base keys: one pipelined round of HGETALLs, one of TENSORGETs, each split
 * per shard by lc_exec_many. */
static locus_status get_datasets(locus_client *c, char **bases, size_t n, locus_dataset **out) {
    locus_status st = LOCUS_OK;
    lc_cmd *cmds = calloc(n ? n : 1, sizeof *cmds);
    char (*mk)[1200] = malloc(sizeof *mk * (n ? n : 1));
    ds_field *names = calloc(n ? n : 1, sizeof *names);
    lc_cmd *tc = NULL;
    char (*tk)[1400] = NULL;
    size_t ntc = 0;
    if (!cmds || !mk || !names) {
        st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory fetching datasets");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        char *nm = dataset_name_from_key(bases[i]);
        if (!nm) {
            st = lc_fail(LOCUS_ERR_RUNTIME, "'%s' is not a dataset key (no {name})", bases[i]);
            goto done;
        }
        st = locus_dataset_create(nm, &out[i]);
        free(nm);
        if (st != LOCUS_OK)
            goto done;
        snprintf(mk[i], sizeof mk[i], "%s.meta", bases[i]);
        lc_cmd_init(&cmds[i], 1);
        lc_cmd_str(&cmds[i], "HGETALL");
        lc_cmd_str(&cmds[i], mk[i]);
    }
    if ((st = lc_exec_many(c->route, cmds, (int)n)) != LOCUS_OK)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if ((st = decode_meta(out[i], cmds[i].reply, bases[i], &names[i])) != LOCUS_OK)
            goto done;
        ntc += names[i].count;
    }
    tc = calloc(ntc ? ntc : 1, sizeof *tc);
    tk = malloc(sizeof *tk * (ntc ? ntc : 1));
    if (!tc || !tk) {
        st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory fetching datasets");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < names[i].count; j++, k++) {
            snprintf(tk[k], sizeof tk[k], "%s.%s", bases[i], names[i].strs[j]);
            lc_cmd_init(&tc[k], 1);
            lc_cmd_str(&tc[k], "AI.TENSORGET");
            lc_cmd_str(&tc[k], tk[k]);
            lc_cmd_str(&tc[k], "META");
            lc_cmd_str(&tc[k], "BLOB");
        }
    if ((st = lc_exec_many(c->route, tc, (int)ntc)) != LOCUS_OK)
        goto done;
    k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < names[i].count; j++, k++) {
            const lc_dtype_info *dt;
            size_t dims[32], nd, nb;
            const char *blob;
            if (tc[k].reply->type == REDIS_REPLY_ERROR) {
                st = lc_reply_error(tc[k].reply, "get_dataset tensor", tk[k]);
                goto done;
            }
            if (lc_parse_tensor_reply(tc[k].reply, &dt, dims, &nd, &blob, &nb) != 0) {
                st = lc_fail(LOCUS_ERR_INTERNAL, "get_dataset '%s': malformed tensor reply", tk[k]);
                goto done;
            }
            void *data = malloc(nb ? nb : 1);
            if (!data) {
                st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory fetching '%s'", tk[k]);
                goto done;
            }
            memcpy(data, blob, nb);
            if ((st = add_tensor_owned(out[i], names[i].strs[j], data, dims, nd, dt->type, nb)) != LOCUS_OK)
                goto done;
        }
done:
    if (cmds)
        free_replies(cmds, n);
    if (tc)
        free_replies(tc, ntc);
    if (names)
        for (size_t i = 0; i < n; i++)
            field_free(&names[i]);
    if (st != LOCUS_OK)
        for (size_t i = 0; i < n; i++)
            locus_dataset_destroy(out[i]), out[i] = NULL;
    free(cmds), free(mk), free(names), free(tc), free(tk);
    return st;
}

LOCUS_API locus_status locus_get_dataset(locus_client *c, const char *name, locus_dataset **out) {
    CHECK_ARG(c && name && out);
    *out = NULL;
    BASE(base, 0, name);
    char *b = base;
    locus_status st = get_datasets(c, &b, 1, out);
    return st == LOCUS_OK ? lc_ok() : st;
}

static locus_status exists_at(locus_client *c, const char *base, bool *exists) {
    char mk[1200];
    snprintf(mk, sizeof mk, "%s.meta", base);
    redisReply *r;
    locus_status st = lc_simple(c, "dataset_exists", "HEXISTS", mk, ACK_FIELD, NULL, &r);
    if (st != LOCUS_OK)
        return st;
    *exists = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return lc_ok();
}

LOCUS_API locus_status locus_dataset_exists(locus_client *c, const char *name, bool *exists) {
    CHECK_ARG(c && name && exists);
    BASE(base, 0, name);
    return exists_at(c, base, exists);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

LOCUS_API locus_status locus_poll_dataset(locus_client *c, const char *name, int poll_ms, int num_tries,
                                          bool *exists) {
    CHECK_ARG(c && name && exists && poll_ms >= 0 && num_tries > 0);
    BASE(base, 0, name);
    for (int i = 0; i < num_tries; i++) {
        locus_status st = exists_at(c, base, exists);
        if (st != LOCUS_OK || *exists)
            return st;
        if (i + 1 < num_tries)
            sleep_ms(poll_ms);
    }
    return lc_ok();
}

/* Delete the meta hash and every tensor listed in it (ack first, so readers stop seeing it at once). */
static locus_status delete_at(locus_client *c, const char *base, const char *name) {
    char mk[1200];
    snprintf(mk, sizeof mk, "%s.meta", base);
    redisReply *r;
    locus_status st = lc_simple(c, "delete_dataset", "HGET", mk, NAMES_FIELD, NULL, &r);
    if (st != LOCUS_OK)
        return st;
    locus_dataset tmp = {.name = (char *)name};
    if (r->type == REDIS_REPLY_STRING)
        st = decode_field(&tmp, NAMES_FIELD, r->str, r->len);
    freeReplyObject(r);
    size_t nt = tmp.nf ? tmp.f[0].count : 0;
    lc_cmd *cmds = calloc(nt + 2, sizeof *cmds);
    char (*keys)[1400] = malloc(sizeof *keys * (nt + 1));
    if (st == LOCUS_OK && (!cmds || !keys))
        st = lc_fail(LOCUS_ERR_BADALLOC, "out of memory deleting dataset '%s'", name);
    if (st == LOCUS_OK) {
        lc_cmd_init(&cmds[0], 1);
        lc_cmd_str(&cmds[0], "HDEL");
        lc_cmd_str(&cmds[0], mk);
        lc_cmd_str(&cmds[0], ACK_FIELD);
        for (size_t i = 0; i < nt; i++) {
            snprintf(keys[i], sizeof keys[i], "%s.%s", base, tmp.f[0].strs[i]);
            lc_cmd_init(&cmds[1 + i], 1);
            lc_cmd_str(&cmds[1 + i], "DEL");
            lc_cmd_str(&cmds[1 + i], keys[i]);
        }
        lc_cmd_init(&cmds[1 + nt], 1);
        lc_cmd_str(&cmds[1 + nt], "DEL");
        lc_cmd_str(&cmds[1 + nt], mk);
        st = lc_exec_many(c->route, cmds, (int)nt + 2);
        if (st == LOCUS_OK && cmds[nt + 1].reply->type == REDIS_REPLY_INTEGER && cmds[nt + 1].reply->integer == 0)
            st = lc_fail(LOCUS_ERR_KEY, "delete_dataset: dataset '%s' does not exist", name);
        free_replies(cmds, nt + 2);
    }
    if (tmp.nf)
        field_free(&tmp.f[0]);
    free(tmp.f);
    free(cmds);
    free(keys);
    return st;
}

LOCUS_API locus_status locus_delete_dataset(locus_client *c, const char *name) {
    CHECK_ARG(c && name);
    BASE(base, 1, name);
    locus_status st = delete_at(c, base, name);
    return st == LOCUS_OK ? lc_ok() : st;
}

static locus_status copy_dataset(locus_client *c, const char *src, const char *dst, int del) {
    BASE(sbase, 0, src);
    BASE(dbase, 1, dst);
    locus_dataset *d = NULL;
    char *b = sbase;
    locus_status st = get_datasets(c, &b, 1, &d);
    if (st != LOCUS_OK)
        return st;
    char *nn = strdup(dst);
    if (!nn) {
        locus_dataset_destroy(d);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    }
    free(d->name);
    d->name = nn;
    st = put_dataset_at(c, d, dbase);
    locus_dataset_destroy(d);
    if (st == LOCUS_OK && del)
        st = delete_at(c, sbase, src);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_copy_dataset(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    return copy_dataset(c, src, dst, 0);
}

LOCUS_API locus_status locus_rename_dataset(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    return copy_dataset(c, src, dst, 1);
}

/* ---- aggregation lists ---- */

#define LKEY(buf, out, name)                                                                                 \
    char buf[1100];                                                                                          \
    if (lc_build_key(c, LOCUS_KIND_LIST, out, name, buf, sizeof buf) != 0)                                   \
    return lc_fail(LOCUS_ERR_PARAMETER, "list name '%.64s...' is too long", name)

LOCUS_API locus_status locus_append_to_list(locus_client *c, const char *list, const locus_dataset *d) {
    CHECK_ARG(c && list && d);
    LKEY(lk, 1, list);
    BASE(base, 1, d->name);
    locus_status st = lc_simple(c, "append_to_list", "RPUSH", lk, base, NULL, NULL);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_delete_list(locus_client *c, const char *list) {
    CHECK_ARG(c && list);
    LKEY(lk, 1, list);
    locus_status st = lc_simple(c, "delete_list", "DEL", lk, NULL, NULL, NULL);
    return st == LOCUS_OK ? lc_ok() : st;
}

static locus_status copy_list(locus_client *c, const char *src, const char *dst, int del) {
    LKEY(sk, 0, src);
    LKEY(dk, 1, dst);
    bool ex;
    locus_status st = locus_key_exists(c, sk, &ex);
    if (st != LOCUS_OK)
        return st;
    if (!ex)
        return lc_fail(LOCUS_ERR_KEY, "list '%s' does not exist", sk);
    st = lc_copy_key(c, sk, dk, del, del ? "rename_list" : "copy_list");
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_copy_list(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    return copy_list(c, src, dst, 0);
}

LOCUS_API locus_status locus_rename_list(locus_client *c, const char *src, const char *dst) {
    CHECK_ARG(c && src && dst);
    return copy_list(c, src, dst, 1);
}

LOCUS_API locus_status locus_get_list_length(locus_client *c, const char *list, size_t *len) {
    CHECK_ARG(c && list && len);
    LKEY(lk, 0, list);
    redisReply *r;
    locus_status st = lc_simple(c, "get_list_length", "LLEN", lk, NULL, NULL, &r);
    if (st != LOCUS_OK)
        return st;
    *len = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? (size_t)r->integer : 0;
    freeReplyObject(r);
    return lc_ok();
}

LOCUS_API locus_status locus_poll_list_length(locus_client *c, const char *list, size_t len, locus_cmp cmp,
                                              int poll_ms, int num_tries, bool *ok) {
    CHECK_ARG(c && list && ok && poll_ms >= 0 && num_tries > 0 && (unsigned)cmp <= LOCUS_CMP_LE);
    *ok = false;
    for (int i = 0; i < num_tries; i++) {
        size_t n;
        locus_status st = locus_get_list_length(c, list, &n);
        if (st != LOCUS_OK)
            return st;
        if ((cmp == LOCUS_CMP_EQ && n == len) || (cmp == LOCUS_CMP_GE && n >= len) || (cmp == LOCUS_CMP_LE && n <= len)) {
            *ok = true;
            return lc_ok();
        }
        if (i + 1 < num_tries)
            sleep_ms(poll_ms);
    }
    return lc_ok();
}

LOCUS_API locus_status locus_get_dataset_list_range(locus_client *c, const char *list, long start, long end,
                                                    locus_dataset ***out, size_t *n) {
    CHECK_ARG(c && list && out && n);
    *out = NULL;
    *n = 0;
    LKEY(lk, 0, list);
    char a[32], b[32];
    snprintf(a, sizeof a, "%ld", start);
    snprintf(b, sizeof b, "%ld", end);
    redisReply *r;
    locus_status st = lc_simple(c, "get_datasets_from_list", "LRANGE", lk, a, b, &r);
    if (st != LOCUS_OK)
        return st;
    if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return lc_fail(LOCUS_ERR_INTERNAL, "LRANGE '%s': unexpected reply", lk);
    }
    size_t m = r->elements;
    char **bases = malloc(sizeof(char *) * (m ? m : 1));
    locus_dataset **ds = calloc(m ? m : 1, sizeof *ds);
    if (!bases || !ds) {
        free(bases), free(ds), freeReplyObject(r);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    }
    for (size_t i = 0; i < m; i++)
        bases[i] = r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
    st = m ? get_datasets(c, bases, m, ds) : LOCUS_OK;
    freeReplyObject(r);
    free(bases);
    if (st != LOCUS_OK) {
        free(ds);
        return st;
    }
    *out = ds;
    *n = m;
    return lc_ok();
}

LOCUS_API locus_status locus_get_datasets_from_list(locus_client *c, const char *list, locus_dataset ***out,
                                                    size_t *n) {
    return locus_get_dataset_list_range(c, list, 0, -1, out, n);
}

LOCUS_API void locus_free_datasets(locus_dataset **ds, size_t n) {
    if (!ds)
        return;
    for (size_t i = 0; i < n; i++)
        locus_dataset_destroy(ds[i]);
    free(ds);
}
