/* SmartRedis's administration calls, run on one database node named by its address: flush_db, save,
 * config_get, config_set, get_db_node_info (INFO), get_db_cluster_info (CLUSTER INFO) and get_ai_info
 * (AI.INFO of a model or script). Each opens its own connection to that node, with the client's password
 * and timeouts, so it reaches exactly the node named and never follows a redirect. Replies that are tables
 * come back as a locus_info of (section, key, value) strings. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct locus_info {
    size_t n, cap;
    struct {
        char *section, *key, *value;
    } *e;
};

static locus_status info_new(locus_info **out) {
    *out = calloc(1, sizeof **out);
    return *out ? LOCUS_OK : lc_fail(LOCUS_ERR_BADALLOC, "out of memory for a reply table");
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Appends (section, key, value) (lengths given); LOCUS_OK or out of memory. */
static locus_status info_add(locus_info *t, const char *sec, size_t slen, const char *key, size_t klen,
                             const char *val, size_t vlen) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        void *e = realloc(t->e, cap * sizeof *t->e);
        if (!e)
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory for a reply table");
        t->e = e;
        t->cap = cap;
    }
    char *a = dup_n(sec, slen), *b = dup_n(key, klen), *c = dup_n(val, vlen);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory for a reply table");
    }
    t->e[t->n].section = a, t->e[t->n].key = b, t->e[t->n].value = c;
    t->n++;
    return LOCUS_OK;
}

LOCUS_API void locus_info_destroy(locus_info *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].section), free(t->e[i].key), free(t->e[i].value);
    free(t->e);
    free(t);
}

LOCUS_API size_t locus_info_count(const locus_info *t) { return t ? t->n : 0; }

LOCUS_API locus_status locus_info_entry(const locus_info *t, size_t i, const char **section, const char **key,
                                        const char **value) {
    CHECK_ARG(t);
    if (i >= t->n)
        return lc_fail(LOCUS_ERR_PARAMETER, "info entry #%zu asked of %zu", i, t->n);
    if (section)
        *section = t->e[i].section;
    if (key)
        *key = t->e[i].key;
    if (value)
        *value = t->e[i].value;
    return lc_ok();
}

LOCUS_API const char *locus_info_get(const locus_info *t, const char *section, const char *key) {
    for (size_t i = 0; t && key && i < t->n; i++)
        if ((!section || strcmp(section, t->e[i].section) == 0) && strcmp(key, t->e[i].key) == 0)
            return t->e[i].value;
    return NULL;
}

/* "key:value" lines, "# Section" headers (INFO, CLUSTER INFO), into t. */
static locus_status parse_info_text(const char *s, size_t len, locus_info *t) {
    const char *end = s + len, *sec = "";
    size_t slen = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        size_t n = (size_t)(e - s);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n > 2 && s[0] == '#' && s[1] == ' ') {
            sec = s + 2;
            slen = n - 2;
        } else if (n > 0) {
            const char *colon = memchr(s, ':', n);
            if (colon) {
                locus_status st = info_add(t, sec, slen, s, (size_t)(colon - s), colon + 1, n - (size_t)(colon - s) - 1);
                if (st != LOCUS_OK)
                    return st;
            }
        }
        s = nl ? nl + 1 : end;
    }
    return LOCUS_OK;
}

/* [name, value, name, value, ...] (CONFIG GET, AI.INFO), integers as decimal text, into t. */
static locus_status parse_pairs(const redisReply *r, locus_info *t) {
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        char num[32];
        const char *vs = v->str ? v->str : "";
        size_t vl = v->str ? v->len : 0;
        if (v->type == REDIS_REPLY_INTEGER) {
            vl = (size_t)snprintf(num, sizeof num, "%lld", v->integer);
            vs = num;
        }
        locus_status st = info_add(t, "", 0, k->str ? k->str : "", k->str ? k->len : 0, vs, vl);
        if (st != LOCUS_OK)
            return st;
    }
    return LOCUS_OK;
}

/* Runs argv on the node at address; *out the reply (caller frees) unless it was an error, which is the
 * status (naming the call and the address). argv[1] is keylen bytes when keylen > 0 (a binary key). */
static locus_status node_command(locus_client *c, const char *what, const char *address, int argc,
                                 const char **argv, size_t keylen, redisReply **out) {
    *out = NULL;
    lc_addr a;
    char err[512];
    if (lc_addr_parse(address, strlen(address), &a, err, sizeof err) != 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "%s: %s", what, err);
    lc_conn cn = {0};
    if (lc_conn_open(&cn, &a, c->cfg.socket_timeout_ms, c->cfg.password, err, sizeof err) != 0)
        return lc_fail(LOCUS_ERR_DATABASE, "%s: %s", what, err);
    size_t lens[8];
    for (int i = 0; i < argc; i++)
        lens[i] = keylen > 0 && i == 1 ? keylen : strlen(argv[i]);
    redisReply *r = redisCommandArgv(cn.ctx, argc, argv, lens);
    locus_status st = LOCUS_OK;
    if (!r)
        st = lc_fail(LOCUS_ERR_DATABASE, "%s on %s: %s", what, address, cn.ctx->errstr);
    else if (r->type == REDIS_REPLY_ERROR)
        st = lc_reply_error(r, what, address);
    lc_conn_close(&cn);
    if (st != LOCUS_OK) {
        if (r)
            freeReplyObject(r);
        return st;
    }
    *out = r;
    return LOCUS_OK;
}

/* A command whose reply is a status (OK). */
static locus_status node_simple(locus_client *c, const char *what, const char *address, int argc,
                                const char **argv) {
    redisReply *r;
    locus_status st = node_command(c, what, address, argc, argv, 0, &r);
    if (st != LOCUS_OK)
        return st;
    freeReplyObject(r);
    return lc_ok();
}

LOCUS_API locus_status locus_flush_db(locus_client *c, const char *address) {
    CHECK_ARG(c && address);
    const char *argv[] = {"FLUSHDB"};
    return node_simple(c, "flush_db", address, 1, argv);
}

LOCUS_API locus_status locus_save(locus_client *c, const char *address) {
    CHECK_ARG(c && address);
    const char *argv[] = {"SAVE"};
    return node_simple(c, "save", address, 1, argv);
}

LOCUS_API locus_status locus_config_set(locus_client *c, const char *config_param, const char *value,
                                        const char *address) {
    CHECK_ARG(c && config_param && config_param[0] && value && address);
    const char *argv[] = {"CONFIG", "SET", config_param, value};
    return node_simple(c, "config_set", address, 4, argv);
}

/* A command whose reply becomes a table: INFO text, or pairs. */
static locus_status node_table(locus_client *c, const char *what, const char *address, int argc, const char **argv,
                               size_t keylen, locus_info **out) {
    CHECK_ARG(out);
    *out = NULL;
    redisReply *r;
    locus_status st = node_command(c, what, address, argc, argv, keylen, &r);
    if (st != LOCUS_OK)
        return st;
    locus_info *t;
    st = info_new(&t);
    if (st == LOCUS_OK) {
        if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
            st = r->type == REDIS_REPLY_STATUS ? LOCUS_OK : parse_info_text(r->str, r->len, t);
        else if (r->type == REDIS_REPLY_ARRAY)
            st = parse_pairs(r, t);
        else
            st = lc_fail(LOCUS_ERR_INTERNAL, "%s on %s: unexpected reply type %d", what, address, r->type);
    }
    freeReplyObject(r);
    if (st != LOCUS_OK) {
        locus_info_destroy(t);
        return st;
    }
    *out = t;
    return lc_ok();
}

LOCUS_API locus_status locus_config_get(locus_client *c, const char *expression, const char *address,
                                        locus_info **out) {
    CHECK_ARG(c && expression && expression[0] && address);
    const char *argv[] = {"CONFIG", "GET", expression};
    return node_table(c, "config_get", address, 3, argv, 0, out);
}

LOCUS_API locus_status locus_get_db_node_info(locus_client *c, const char *address, locus_info **out) {
    CHECK_ARG(c && address);
    const char *argv[] = {"INFO", "everything"};
    return node_table(c, "get_db_node_info", address, 2, argv, 0, out);
}

LOCUS_API locus_status locus_get_db_cluster_info(locus_client *c, const char *address, locus_info **out) {
    CHECK_ARG(c && address);
    if (!lc_route_is_cluster(c->route))
        return lc_fail(LOCUS_ERR_RUNTIME, "get_db_cluster_info: the database at %s is not a cluster",
                       lc_route_address(c->route));
    const char *argv[] = {"CLUSTER", "INFO"};
    return node_table(c, "get_db_cluster_info", address, 2, argv, 0, out);
}

/* SmartRedis's get_ai_info: AI.INFO of the copy the node at address holds ({P}.name in a cluster, P the
 * prefix of the node's first slot range; the name with the model read prefix). */
LOCUS_API locus_status locus_get_ai_info(locus_client *c, const char *address, const char *name, bool reset_stat,
                                         locus_info **out) {
    CHECK_ARG(c && address && name && name[0]);
    char base[1024], key[1100];
    if (lc_build_key(c, LOCUS_KIND_MODEL, 0, name, base, sizeof base) != 0)
        return lc_fail(LOCUS_ERR_PARAMETER, "get_ai_info: name '%.64s' is too long", name);
    lc_prefix p = {{0}, 0};
    if (lc_route_is_cluster(c->route)) {
        lc_addr a;
        char err[512];
        if (lc_addr_parse(address, strlen(address), &a, err, sizeof err) != 0)
            return lc_fail(LOCUS_ERR_PARAMETER, "get_ai_info: %s", err);
        if (lc_route_address_prefix(c->route, &a, &p) != 0)
            return lc_fail(LOCUS_ERR_PARAMETER,
                           "get_ai_info: %s is not a node of the cluster at %s that serves slots (give the "
                           "address as CLUSTER SLOTS lists it)", address, lc_route_address(c->route));
    }
    size_t o = 0, blen = strlen(base);
    if (p.len > 0) {
        key[o++] = '{';
        memcpy(key + o, p.bytes, p.len);
        o += p.len;
        key[o++] = '}';
        key[o++] = '.';
    }
    memcpy(key + o, base, blen + 1);
    const char *argv[] = {"AI.INFO", key, "RESETSTAT"};
    return node_table(c, "get_ai_info", address, reset_stat ? 3 : 2, argv, o + blen, out);
}
