/* Models and scripts: store (a copy on every shard of a cluster), fetch, delete, and run next to the inputs.
 *
 * Variadic commands (AI.MODELSTORE with chunks and names, AI.MODELEXECUTE with any number of tensors) are
 * built as an argument list that the connection layer sends without copying the large pieces. */
#define _GNU_SOURCE /* vasprintf */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SHARDS 256
#define DEFAULT_CHUNK (511u * 1024 * 1024) /* the module's default MODEL_CHUNK_SIZE */

/* ---- argument lists ---- */

typedef struct arglist {
    int n, cap;
    const char **v;
    size_t *l;
    char **owned; /* strings made here, freed with the list */
    int nowned, capowned;
    int oom;
} arglist;

static void al_add(arglist *a, const char *s, size_t len) {
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 16;
        const char **v = realloc(a->v, sizeof *v * (size_t)cap);
        size_t *l = v ? realloc(a->l, sizeof *l * (size_t)cap) : NULL;
        if (v)
            a->v = v;
        if (!v || !l) {
            a->oom = 1;
            return;
        }
        a->l = l;
        a->cap = cap;
    }
    a->v[a->n] = s;
    a->l[a->n] = len;
    a->n++;
}

static void al_str(arglist *a, const char *s) { al_add(a, s, strlen(s)); }

/* A printf-made argument owned by the list. */
static void al_fmt(arglist *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void al_fmt(arglist *a, const char *fmt, ...) {
    if (a->nowned == a->capowned) {
        int cap = a->capowned ? a->capowned * 2 : 16;
        char **o = realloc(a->owned, sizeof *o * (size_t)cap);
        if (!o) {
            a->oom = 1;
            return;
        }
        a->owned = o;
        a->capowned = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        a->oom = 1;
        return;
    }
    a->owned[a->nowned++] = s;
    al_add(a, s, (size_t)n);
}

static void al_free(arglist *a) {
    for (int i = 0; i < a->nowned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->v);
    free(a->l);
    memset(a, 0, sizeof *a);
}

/* A command "verb key" (keylen bytes) followed by the list's arguments. */
static void xcmd(lc_cmd *cmd, const char *verb, const char *key, size_t keylen, const arglist *a) {
    lc_cmd_init(cmd, 1);
    lc_cmd_str(cmd, verb);
    lc_cmd_arg(cmd, key, keylen);
    cmd->xargc = a->n;
    cmd->xargv = a->v;
    cmd->xlens = a->l;
}

/* ---- keys ---- */

/* A model or script copy's key, as SmartRedis names it: "[prefix.]name" standalone, "{P}.[prefix.]name" in a
 * cluster (P binary: see lc_slot_prefix). Its length in *keylen; -1 when it does not fit in len bytes. */
typedef struct copy_key {
    char bytes[1100];
    size_t len;
} copy_key;

static int model_key(const locus_client *c, int out, const lc_prefix *p, const char *name, copy_key *k) {
    char base[1024];
    if (lc_build_key(c, LOCUS_KIND_MODEL, out, name, base, sizeof base) != 0)
        return -1;
    size_t blen = strlen(base), o = 0;
    if (p->len + blen + 4 > sizeof k->bytes)
        return -1;
    if (p->len > 0) {
        k->bytes[o++] = '{';
        memcpy(k->bytes + o, p->bytes, p->len);
        o += p->len;
        k->bytes[o++] = '}';
        k->bytes[o++] = '.';
    }
    memcpy(k->bytes + o, base, blen + 1);
    k->len = o + blen;
    return 0;
}

static locus_status too_long(const char *name) {
    return lc_fail(LOCUS_ERR_PARAMETER, "name '%.64s' is too long", name);
}

static locus_status shard_prefixes(locus_client *c, lc_prefix *p, int *n) {
    *n = lc_route_shard_prefixes(c->route, p, MAX_SHARDS);
    if (*n <= 0)
        return lc_fail(LOCUS_ERR_DATABASE, "%s: cannot read the cluster's shards (CLUSTER SLOTS)",
                       lc_route_address(c->route));
    return LOCUS_OK;
}

/* "verb {tag}.name args.." on every shard (pipelined); the first error reply becomes the status. */
static locus_status on_every_copy(locus_client *c, const char *verb, const char *what, const char *name,
                                  const arglist *a) {
    if (a->oom)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    lc_prefix prefixes[MAX_SHARDS];
    int n;
    locus_status st = shard_prefixes(c, prefixes, &n);
    if (st != LOCUS_OK)
        return st;
    copy_key *keys = malloc(sizeof *keys * (size_t)n);
    lc_cmd *cmds = keys ? malloc(sizeof *cmds * (size_t)n) : NULL;
    if (!cmds) {
        free(keys);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    }
    for (int i = 0; i < n && st == LOCUS_OK; i++) {
        if (model_key(c, 1, &prefixes[i], name, &keys[i]) != 0)
            st = too_long(name);
        else
            xcmd(&cmds[i], verb, keys[i].bytes, keys[i].len, a);
    }
    if (st == LOCUS_OK)
        st = lc_exec_many(c->route, cmds, n);
    for (int i = 0; i < n && st == LOCUS_OK; i++)
        if (cmds[i].reply && cmds[i].reply->type == REDIS_REPLY_ERROR)
            st = lc_reply_error(cmds[i].reply, what, name);
    for (int i = 0; i < n; i++)
        if (cmds[i].reply)
            freeReplyObject(cmds[i].reply);
    free(cmds);
    free(keys);
    return st == LOCUS_OK ? lc_ok() : st;
}

/* ---- files ---- */

locus_status lc_read_file(const char *path, char **data, size_t *len) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lc_fail(LOCUS_ERR_PARAMETER, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return lc_fail(LOCUS_ERR_PARAMETER, "'%s' is not a regular file", path);
    }
    size_t n = (size_t)sb.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory reading '%s' (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        free(buf);
        return lc_fail(LOCUS_ERR_RUNTIME, "could not read '%s'", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return LOCUS_OK;
}

/* ---- models ---- */

LOCUS_API void locus_model_options_init(locus_model_options *o) {
    if (o)
        memset(o, 0, sizeof *o);
}

/* The database's MODEL_CHUNK_SIZE, asked once per client. */
static size_t chunk_size(locus_client *c) {
    if (c->model_chunk)
        return c->model_chunk;
    c->model_chunk = DEFAULT_CHUNK;
    lc_cmd cmd;
    lc_cmd_init(&cmd, -1);
    lc_cmd_str(&cmd, "AI.CONFIG");
    lc_cmd_str(&cmd, "GET");
    lc_cmd_str(&cmd, "MODEL_CHUNK_SIZE");
    if (lc_exec(c->route, &cmd, NULL) == LOCUS_OK) {
        if (cmd.reply->type == REDIS_REPLY_INTEGER && cmd.reply->integer > 0)
            c->model_chunk = (size_t)cmd.reply->integer;
        freeReplyObject(cmd.reply);
    }
    return c->model_chunk;
}

LOCUS_API locus_status locus_set_model(locus_client *c, const char *name, const void *blob, size_t len,
                                       const locus_model_options *o) {
    CHECK_ARG(c && name && name[0] && blob && len > 0);
    locus_model_options defaults;
    locus_model_options_init(&defaults);
    if (!o)
        o = &defaults;
    CHECK_ARG(o->batch_size >= 0 && o->min_batch_size >= 0 && o->min_batch_timeout_ms >= 0);
    CHECK_ARG((o->n_inputs == 0 || o->inputs) && (o->n_outputs == 0 || o->outputs));
    if ((o->min_batch_size > 0 || o->min_batch_timeout_ms > 0) && o->batch_size == 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "set_model '%s': min_batch_size and min_batch_timeout need batch_size",
                       name);
    if (o->min_batch_timeout_ms > 0 && o->min_batch_size == 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "set_model '%s': min_batch_timeout needs min_batch_size", name);

    arglist a = {0};
    al_str(&a, o->backend ? o->backend : "TORCH");
    al_str(&a, o->device ? o->device : "CPU");
    if (o->tag) {
        al_str(&a, "TAG");
        al_str(&a, o->tag);
    }
    if (o->batch_size > 0) {
        al_str(&a, "BATCHSIZE");
        al_fmt(&a, "%d", o->batch_size);
        if (o->min_batch_size > 0) {
            al_str(&a, "MINBATCHSIZE");
            al_fmt(&a, "%d", o->min_batch_size);
        }
        if (o->min_batch_timeout_ms > 0) {
            al_str(&a, "MINBATCHTIMEOUT");
            al_fmt(&a, "%d", o->min_batch_timeout_ms);
        }
    }
    if (o->n_inputs > 0) {
        al_str(&a, "INPUTS");
        al_fmt(&a, "%zu", o->n_inputs);
        for (size_t i = 0; i < o->n_inputs; i++)
            al_str(&a, o->inputs[i]);
    }
    if (o->n_outputs > 0) {
        al_str(&a, "OUTPUTS");
        al_fmt(&a, "%zu", o->n_outputs);
        for (size_t i = 0; i < o->n_outputs; i++)
            al_str(&a, o->outputs[i]);
    }
    al_str(&a, "BLOB");
    size_t cs = chunk_size(c);
    for (size_t off = 0; off < len; off += cs)
        al_add(&a, (const char *)blob + off, len - off < cs ? len - off : cs);

    locus_status st = on_every_copy(c, "AI.MODELSTORE", "set_model", name, &a);
    al_free(&a);
    return st;
}

LOCUS_API locus_status locus_set_model_from_file(locus_client *c, const char *name, const char *path,
                                                 const locus_model_options *o) {
    CHECK_ARG(c && name && path);
    char *data;
    size_t len;
    locus_status st = lc_read_file(path, &data, &len);
    if (st != LOCUS_OK)
        return st;
    if (len == 0) {
        free(data);
        return lc_fail(LOCUS_ERR_PARAMETER, "set_model_from_file: '%s' is empty", path);
    }
    st = locus_set_model(c, name, data, len, o);
    free(data);
    return st;
}

/* The prefix of the first slot range (empty standalone): the copy SmartRedis reads. */
static locus_status first_prefix(locus_client *c, lc_prefix *p) {
    lc_prefix all[MAX_SHARDS];
    int n;
    locus_status st = shard_prefixes(c, all, &n);
    if (st == LOCUS_OK)
        *p = all[0];
    return st;
}

/* The key of the copy of the first slot range, for reads. */
static locus_status first_copy(locus_client *c, const char *name, copy_key *key) {
    lc_prefix p;
    locus_status st = first_prefix(c, &p);
    if (st != LOCUS_OK)
        return st;
    return model_key(c, 0, &p, name, key) == 0 ? LOCUS_OK : too_long(name);
}

/* The tag of the first slot range ("" standalone), for keys that must share its copy's slot. */
static locus_status first_tag(locus_client *c, char *tag) {
    char tags[1][LC_TAG_MAX];
    int n = lc_route_range_tags(c->route, tags, 1);
    if (n <= 0)
        return lc_fail(LOCUS_ERR_DATABASE, "%s: cannot read the cluster's shards (CLUSTER SLOTS)",
                       lc_route_address(c->route));
    memcpy(tag, tags[0], LC_TAG_MAX);
    return LOCUS_OK;
}

/* AI.MODELGET / AI.SCRIPTGET of the first copy; the payload is one bulk string or an array of chunks. */
static locus_status get_payload(locus_client *c, const char *verb, const char *kw, const char *what,
                                const char *name, char **out, size_t *len) {
    copy_key key;
    locus_status st = first_copy(c, name, &key);
    redisReply *r;
    if (st != LOCUS_OK || (st = lc_simple_len(c, what, verb, key.bytes, key.len, kw, NULL, &r)) != LOCUS_OK)
        return st;
    size_t total = 0;
    int ok = r->type == REDIS_REPLY_STRING;
    if (ok)
        total = r->len;
    else if (r->type == REDIS_REPLY_ARRAY) {
        ok = 1;
        for (size_t i = 0; i < r->elements && ok; i++) {
            ok = r->element[i]->type == REDIS_REPLY_STRING;
            total += ok ? r->element[i]->len : 0;
        }
    }
    if (!ok) {
        st = lc_fail(LOCUS_ERR_INTERNAL, "%s '%s': unexpected reply type %d", what, name, r->type);
        freeReplyObject(r);
        return st;
    }
    char *buf = malloc(total + 1);
    if (!buf) {
        freeReplyObject(r);
        return lc_fail(LOCUS_ERR_BADALLOC, "%s '%s': out of memory for %zu bytes", what, name, total);
    }
    if (r->type == REDIS_REPLY_STRING) {
        memcpy(buf, r->str, r->len);
    } else {
        size_t off = 0;
        for (size_t i = 0; i < r->elements; i++) {
            memcpy(buf + off, r->element[i]->str, r->element[i]->len);
            off += r->element[i]->len;
        }
    }
    buf[total] = '\0';
    freeReplyObject(r);
    *out = buf;
    *len = total;
    return LOCUS_OK;
}

LOCUS_API locus_status locus_get_model(locus_client *c, const char *name, void **blob, size_t *len) {
    CHECK_ARG(c && name && blob && len);
    char *buf;
    locus_status st = get_payload(c, "AI.MODELGET", "BLOB", "get_model", name, &buf, len);
    if (st != LOCUS_OK)
        return st;
    *blob = buf;
    return lc_ok();
}

/* Whether the first shard's copy exists, polled up to num_tries times (locus_poll_key on its key). */
static locus_status poll_copy(locus_client *c, const char *name, int poll_ms, int num_tries, bool *exists) {
    copy_key key;
    locus_status st = first_copy(c, name, &key);
    return st == LOCUS_OK ? lc_poll_len(c, key.bytes, key.len, poll_ms, num_tries, exists) : st;
}

LOCUS_API locus_status locus_model_exists(locus_client *c, const char *name, bool *exists) {
    CHECK_ARG(c && name && exists);
    return poll_copy(c, name, 0, 1, exists);
}

LOCUS_API locus_status locus_poll_model(locus_client *c, const char *name, int poll_ms, int num_tries,
                                        bool *exists) {
    CHECK_ARG(c && name && exists && poll_ms >= 0 && num_tries > 0);
    return poll_copy(c, name, poll_ms, num_tries, exists);
}

/* AI.MODELDEL / AI.SCRIPTDEL on every copy. */
static locus_status delete_copies(locus_client *c, const char *verb, const char *what, const char *name) {
    arglist none = {0};
    return on_every_copy(c, verb, what, name, &none);
}

LOCUS_API locus_status locus_delete_model(locus_client *c, const char *name) {
    CHECK_ARG(c && name);
    return delete_copies(c, "AI.MODELDEL", "delete_model", name);
}

/* ---- runs ---- */

/* A run's tensor keys: the callers' (prefixed) and the ones the command uses (temporaries when moved). */
typedef struct run_keys {
    size_t n_in, n_out;
    char (*in)[1024], (*out)[1024];         /* the callers' keys */
    char (*run_in)[1100], (*run_out)[1100]; /* the keys the run uses */
    int moved;                              /* 1 when run_* are temporaries on the model's shard */
    copy_key model;                         /* the copy that runs */
} run_keys;

static void run_keys_free(run_keys *k) {
    free(k->in), free(k->out), free(k->run_in), free(k->run_out);
}

/* Decide where the run goes and which keys it uses; copy the inputs there when they live elsewhere. */
static locus_status run_prepare(locus_client *c, const char *what, const char *name, const char *const *inputs,
                                size_t n_in, const char *const *outputs, size_t n_out, run_keys *k) {
    memset(k, 0, sizeof *k);
    k->n_in = n_in, k->n_out = n_out;
    size_t a = n_in ? n_in : 1, b = n_out ? n_out : 1;
    k->in = malloc(sizeof *k->in * a), k->out = malloc(sizeof *k->out * b);
    k->run_in = malloc(sizeof *k->run_in * a), k->run_out = malloc(sizeof *k->run_out * b);
    if (!k->in || !k->out || !k->run_in || !k->run_out)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    for (size_t i = 0; i < n_in; i++)
        if (!inputs[i] || lc_build_key(c, LOCUS_KIND_TENSOR, 0, inputs[i], k->in[i], sizeof k->in[i]) != 0)
            return lc_fail(LOCUS_ERR_PARAMETER, "%s '%s': input %zu is NULL or too long", what, name, i);
    for (size_t i = 0; i < n_out; i++)
        if (!outputs[i] || lc_build_key(c, LOCUS_KIND_TENSOR, 1, outputs[i], k->out[i], sizeof k->out[i]) != 0)
            return lc_fail(LOCUS_ERR_PARAMETER, "%s '%s': output %zu is NULL or too long", what, name, i);

    /* the copy of the slot range of the first tensor named (or of the first range) runs it */
    char tag[LC_TAG_MAX] = "";
    lc_prefix p;
    const char *anchor = n_in ? k->in[0] : n_out ? k->out[0] : NULL;
    if (anchor && (lc_route_key_prefix(c->route, anchor, strlen(anchor), &p) != 0 ||
                   lc_route_key_tag(c->route, anchor, strlen(anchor), tag) != 0))
        return lc_fail(LOCUS_ERR_DATABASE, "%s '%s': no shard serves the slot of '%s'", what, name, anchor);
    if (!anchor) {
        locus_status st = first_prefix(c, &p);
        if (st == LOCUS_OK)
            st = first_tag(c, tag);
        if (st != LOCUS_OK)
            return st;
    }
    if (model_key(c, 0, &p, name, &k->model) != 0)
        return too_long(name);
    for (size_t i = 0; i < n_in && !k->moved; i++)
        k->moved = !lc_route_same_slot(c->route, k->model.bytes, k->model.len, k->in[i], strlen(k->in[i]));
    for (size_t i = 0; i < n_out && !k->moved; i++)
        k->moved = !lc_route_same_slot(c->route, k->model.bytes, k->model.len, k->out[i], strlen(k->out[i]));
    if (!k->moved) {
        for (size_t i = 0; i < n_in; i++)
            memcpy(k->run_in[i], k->in[i], sizeof k->in[i]);
        for (size_t i = 0; i < n_out; i++)
            memcpy(k->run_out[i], k->out[i], sizeof k->out[i]);
        return LOCUS_OK;
    }
    /* temporaries in the model copy's slot, unique per process and run */
    unsigned run = ++c->tmp_counter;
    for (size_t i = 0; i < n_in; i++)
        snprintf(k->run_in[i], sizeof k->run_in[i], "{%s}.locus.tmp.%ld.%u.in%zu", tag, (long)getpid(), run, i);
    for (size_t i = 0; i < n_out; i++)
        snprintf(k->run_out[i], sizeof k->run_out[i], "{%s}.locus.tmp.%ld.%u.out%zu", tag, (long)getpid(), run,
                 i);
    for (size_t i = 0; i < n_in; i++) {
        locus_status st = lc_copy_key(c, k->in[i], k->run_in[i], 0, what);
        if (st != LOCUS_OK) {
            for (size_t j = 0; j < i; j++)
                lc_simple(c, what, "DEL", k->run_in[j], NULL, NULL, NULL);
            return st;
        }
    }
    return LOCUS_OK;
}

/* After the run: move the outputs to the callers' keys and drop the temporaries. */
static locus_status run_finish(locus_client *c, const char *what, run_keys *k, locus_status st) {
    if (!k->moved)
        return st;
    for (size_t i = 0; i < k->n_out && st == LOCUS_OK; i++)
        st = lc_copy_key(c, k->run_out[i], k->out[i], 1, what);
    for (size_t i = 0; i < k->n_in; i++)
        lc_simple(c, what, "DEL", k->run_in[i], NULL, NULL, NULL);
    if (st != LOCUS_OK)
        for (size_t i = 0; i < k->n_out; i++)
            lc_simple(c, what, "DEL", k->run_out[i], NULL, NULL, NULL);
    return st;
}

static void add_keys(arglist *a, const char *scope, char (*keys)[1100], size_t n) {
    al_str(a, scope);
    al_fmt(a, "%zu", n);
    for (size_t i = 0; i < n; i++)
        al_str(a, keys[i]);
}

/* Run verb on the model copy with fn (scripts) and the run keys. */
static locus_status run_exec(locus_client *c, const char *verb, const char *fn, const char *what,
                             const char *name, run_keys *k) {
    arglist a = {0};
    if (fn)
        al_str(&a, fn);
    add_keys(&a, "INPUTS", k->run_in, k->n_in);
    add_keys(&a, "OUTPUTS", k->run_out, k->n_out);
    if (a.oom) {
        al_free(&a);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    }
    lc_cmd cmd;
    xcmd(&cmd, verb, k->model.bytes, k->model.len, &a);
    locus_status st = lc_exec(c->route, &cmd, NULL);
    if (st == LOCUS_OK) {
        if (cmd.reply->type == REDIS_REPLY_ERROR)
            st = lc_reply_error(cmd.reply, what, name);
        freeReplyObject(cmd.reply);
    }
    al_free(&a);
    return st;
}

static locus_status run_any(locus_client *c, const char *verb, const char *fn, const char *what,
                            const char *name, const char *const *inputs, size_t n_in, const char *const *outputs,
                            size_t n_out) {
    run_keys k;
    locus_status st = run_prepare(c, what, name, inputs, n_in, outputs, n_out, &k);
    if (st == LOCUS_OK) {
        st = run_exec(c, verb, fn, what, name, &k);
        st = run_finish(c, what, &k, st);
    }
    run_keys_free(&k);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_run_model(locus_client *c, const char *name, const char *const *inputs,
                                       size_t n_inputs, const char *const *outputs, size_t n_outputs) {
    CHECK_ARG(c && name && (n_inputs == 0 || inputs) && (n_outputs == 0 || outputs));
    return run_any(c, "AI.MODELEXECUTE", NULL, "run_model", name, inputs, n_inputs, outputs, n_outputs);
}

/* ---- scripts ---- */

LOCUS_API locus_status locus_set_script(locus_client *c, const char *name, const char *device,
                                        const char *source) {
    CHECK_ARG(c && name && name[0] && source);
    arglist a = {0};
    al_str(&a, device ? device : "CPU");
    al_str(&a, "SOURCE");
    al_str(&a, source);
    /* AI.SCRIPTSET: AI.SCRIPTSTORE would need ENTRY_POINTS, and every function is callable this way */
    locus_status st = on_every_copy(c, "AI.SCRIPTSET", "set_script", name, &a);
    al_free(&a);
    return st;
}

LOCUS_API locus_status locus_set_script_from_file(locus_client *c, const char *name, const char *device,
                                                  const char *path) {
    CHECK_ARG(c && name && path);
    char *data;
    size_t len;
    locus_status st = lc_read_file(path, &data, &len);
    if (st != LOCUS_OK)
        return st;
    if (strlen(data) != len) {
        free(data);
        return lc_fail(LOCUS_ERR_PARAMETER, "set_script_from_file: '%s' holds a NUL byte; not a script", path);
    }
    st = locus_set_script(c, name, device, data);
    free(data);
    return st;
}

LOCUS_API locus_status locus_get_script(locus_client *c, const char *name, char **source) {
    CHECK_ARG(c && name && source);
    size_t len;
    locus_status st = get_payload(c, "AI.SCRIPTGET", "SOURCE", "get_script", name, source, &len);
    return st == LOCUS_OK ? lc_ok() : st;
}

LOCUS_API locus_status locus_script_exists(locus_client *c, const char *name, bool *exists) {
    CHECK_ARG(c && name && exists);
    return poll_copy(c, name, 0, 1, exists);
}

LOCUS_API locus_status locus_delete_script(locus_client *c, const char *name) {
    CHECK_ARG(c && name);
    return delete_copies(c, "AI.SCRIPTDEL", "delete_script", name);
}

LOCUS_API locus_status locus_run_script(locus_client *c, const char *name, const char *function,
                                        const char *const *inputs, size_t n_inputs, const char *const *outputs,
                                        size_t n_outputs) {
    CHECK_ARG(c && name && function && function[0] && (n_inputs == 0 || inputs) && (n_outputs == 0 || outputs));
    return run_any(c, "AI.SCRIPTEXECUTE", function, "run_script", name, inputs, n_inputs, outputs, n_outputs);
}

LOCUS_API locus_status locus_colocation_tag(locus_client *c, const char *near, char *buf, size_t len) {
    CHECK_ARG(c && buf && len >= LC_TAG_MAX + 2);
    char tag[LC_TAG_MAX];
    if (near) {
        char key[1024];
        if (lc_build_key(c, LOCUS_KIND_TENSOR, 0, near, key, sizeof key) != 0)
            return too_long(near);
        if (lc_route_key_tag(c->route, key, strlen(key), tag) != 0)
            return lc_fail(LOCUS_ERR_DATABASE, "colocation_tag: no shard serves the slot of '%s'", key);
    } else {
        locus_status st = first_tag(c, tag);
        if (st != LOCUS_OK)
            return st;
    }
    if (tag[0])
        snprintf(buf, len, "{%s}", tag);
    else
        buf[0] = '\0';
    return lc_ok();
}
