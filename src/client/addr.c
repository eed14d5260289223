/* Finding the database: SSDB address lists and the SR_* settings, the SmartSim conventions. Pure apart from
 * the environment lookup, which is passed in so tests can feed a table. */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *fmt, const char *s, size_t len) {
    snprintf(err, errlen, fmt, (int)len, s);
    return -1;
}

int lc_addr_parse(const char *s, size_t len, lc_addr *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    const char *orig = s;
    size_t olen = len;
    if (len == 0)
        return fail(err, errlen, "empty database address%.*s", "", 0);
    if (len >= 7 && strncmp(s, "unix://", 7) == 0) {
        s += 7, len -= 7;
        if (len == 0 || s[0] != '/')
            return fail(err, errlen, "database address '%.*s': a Unix socket needs an absolute path", orig, olen);
        if (len >= sizeof out->path)
            return fail(err, errlen, "database address '%.*s': socket path too long", orig, olen);
        out->kind = LC_ADDR_UNIX;
        memcpy(out->path, s, len);
        return 0;
    }
    if (len >= 6 && strncmp(s, "tcp://", 6) == 0)
        s += 6, len -= 6;
    const char *host = s, *colon;
    size_t hlen;
    if (len > 0 && s[0] == '[') { /* [v6]:port */
        const char *close = memchr(s, ']', len);
        if (!close || close + 1 >= s + len || close[1] != ':')
            return fail(err, errlen, "database address '%.*s': expected [ipv6]:port", orig, olen);
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = len; i > 0; i--)
            if (s[i - 1] == ':') {
                colon = s + i - 1;
                break;
            }
        if (!colon)
            return fail(err, errlen, "database address '%.*s': expected host:port", orig, olen);
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= sizeof out->host)
        return fail(err, errlen, "database address '%.*s': bad host", orig, olen);
    const char *p = colon + 1, *end = s + len;
    long port = 0;
    if (p == end)
        return fail(err, errlen, "database address '%.*s': missing port", orig, olen);
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return fail(err, errlen, "database address '%.*s': port is not a number", orig, olen);
        port = port * 10 + (*p - '0');
        if (port > 65535)
            break;
    }
    if (port < 1 || port > 65535)
        return fail(err, errlen, "database address '%.*s': port out of range", orig, olen);
    out->kind = LC_ADDR_TCP;
    memcpy(out->host, host, hlen);
    out->port = (int)port;
    return 0;
}

int lc_addr_parse_list(const char *s, lc_addr *out, int max, char *err, size_t errlen) {
    int n = 0;
    const char *p = s;
    while (1) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int blank = 1;
        for (size_t i = 0; i < len; i++)
            if (!isspace((unsigned char)p[i]))
                blank = 0;
        if (!blank) {
            if (n == max) {
                snprintf(err, errlen, "too many database addresses (at most %d)", max);
                return -1;
            }
            if (lc_addr_parse(p, len, &out[n], err, errlen) != 0)
                return -1;
            n++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n == 0) {
        snprintf(err, errlen, "no database address given (set SSDB, e.g. SSDB=127.0.0.1:6379)");
        return -1;
    }
    return n;
}

void lc_addr_format(const lc_addr *a, char *buf, size_t len) {
    if (a->kind == LC_ADDR_UNIX)
        snprintf(buf, len, "unix://%s", a->path);
    else if (strchr(a->host, ':'))
        snprintf(buf, len, "[%s]:%d", a->host, a->port);
    else
        snprintf(buf, len, "%s:%d", a->host, a->port);
}

/* name or name_<suffix> */
static const char *env_get(lc_getenv_fn env, void *ud, const char *suffix, const char *name) {
    char full[128];
    if (suffix && suffix[0]) {
        snprintf(full, sizeof full, "%s_%s", name, suffix);
        return env(full, ud);
    }
    return env(name, ud);
}

static locus_status env_int(lc_getenv_fn env, void *ud, const char *suffix, const char *name, int given,
                            int dflt, int *out) {
    if (given > 0) {
        *out = given;
        return LOCUS_OK;
    }
    const char *v = env_get(env, ud, suffix, name);
    if (!v || !v[0]) {
        *out = dflt;
        return LOCUS_OK;
    }
    char *end;
    long x = strtol(v, &end, 10);
    while (*end && isspace((unsigned char)*end))
        end++;
    if (*end || x <= 0 || x > 1000000000L)
        return lc_fail(LOCUS_ERR_PARAMETER, "%s%s%s='%s': expected a positive integer", name,
                       suffix && suffix[0] ? "_" : "", suffix ? suffix : "", v);
    *out = (int)x;
    return LOCUS_OK;
}

static locus_status copy_str(char *dst, size_t cap, const char *src, const char *what) {
    if (strlen(src) >= cap)
        return lc_fail(LOCUS_ERR_PARAMETER, "%s is too long (%zu bytes, at most %zu)", what, strlen(src), cap - 1);
    strcpy(dst, src);
    return LOCUS_OK;
}

locus_status lc_config_resolve(const locus_options *o, lc_getenv_fn env, void *ud, lc_config *cfg) {
    static const locus_options none = {0};
    if (!o)
        o = &none;
    memset(cfg, 0, sizeof *cfg);
    const char *sfx = o->suffix;
    locus_status st;
    const char *addr = o->address ? o->address : env_get(env, ud, sfx, "SSDB");
    if (!addr || !addr[0])
        return lc_fail(LOCUS_ERR_PARAMETER, "no database address: set SSDB%s%s (e.g. 127.0.0.1:6379) or "
                       "locus_options.address", sfx && sfx[0] ? "_" : "", sfx ? sfx : "");
    if ((st = copy_str(cfg->address, sizeof cfg->address, addr, "SSDB")) != LOCUS_OK)
        return st;
    if (o->db_type == 1 || o->db_type == 2) {
        cfg->db_type = o->db_type;
    } else {
        const char *t = env_get(env, ud, sfx, "SR_DB_TYPE");
        if (!t || !t[0])
            cfg->db_type = 0;
        else if (strcasecmp(t, "Clustered") == 0)
            cfg->db_type = 2;
        else if (strcasecmp(t, "Standalone") == 0)
            cfg->db_type = 1;
        else
            return lc_fail(LOCUS_ERR_PARAMETER, "SR_DB_TYPE='%s': expected Clustered or Standalone", t);
    }
    const char *pw = o->password;
    if (!pw)
        pw = env_get(env, ud, sfx, "LOCUS_DB_PASSWORD");
    if (!pw)
        pw = env(  "REDISCLI_AUTH", ud);
    if (pw && (st = copy_str(cfg->password, sizeof cfg->password, pw, "the database password")) != LOCUS_OK)
        return st;
    if ((st = env_int(env, ud, sfx, "SR_CONN_TIMEOUT", o->conn_timeout_s, 100, &cfg->conn_timeout_s)) ||
        (st = env_int(env, ud, sfx, "SR_CONN_INTERVAL", o->conn_interval_ms, 1000, &cfg->conn_interval_ms)) ||
        (st = env_int(env, ud, sfx, "SR_CMD_TIMEOUT", o->cmd_timeout_s, 100, &cfg->cmd_timeout_s)) ||
        (st = env_int(env, ud, sfx, "SR_CMD_INTERVAL", o->cmd_interval_ms, 1000, &cfg->cmd_interval_ms)) ||
        (st = env_int(env, ud, sfx, "SR_SOCKET_TIMEOUT", o->socket_timeout_ms, 250, &cfg->socket_timeout_ms)) ||
        (st = env_int(env, ud, sfx, "SR_MODEL_TIMEOUT", o->model_timeout_ms, 60000, &cfg->model_timeout_ms)))
        return st;
    /* SSKEYIN/SSKEYOUT carry no suffix in SmartSim: one ensemble member, several databases. */
    const char *ko = o->keyout ? o->keyout : env("SSKEYOUT", ud);
    const char *ki = o->keyin ? o->keyin : env("SSKEYIN", ud);
    if (ko && (st = copy_str(cfg->keyout, sizeof cfg->keyout, ko, "SSKEYOUT")) != LOCUS_OK)
        return st;
    if (ki && (st = copy_str(cfg->keyin, sizeof cfg->keyin, ki, "SSKEYIN")) != LOCUS_OK)
        return st;
    return LOCUS_OK;
}
