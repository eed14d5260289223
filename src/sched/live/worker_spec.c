/* The `/v1/run` request checked field by field, and the job's environment (see worker_spec.h). */
#define _GNU_SOURCE
#include "worker_spec.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* The variables the worker sets itself: a request's env may not set them (it would be overwritten). */
static const char *const reserved[] = {
    "LOCUS_SCHED_ADDR", "LOCUS_SCHED_TOKEN_FILE", "LOCUS_JOB_ID", "LOCUS_JOB_LEASE", "LOCUS_TIME_SCALE",
    "CUDA_VISIBLE_DEVICES",
};

static const char *const known_fields[] = {"job", "lease", "argv", "dir", "env", "gpus", "cpus", "mem_gb", "numa"};

static int fail(char *err, size_t errlen, const char *field, const char *what)
{
    snprintf(err, errlen, "field '%s': %s", field, what);
    return -1;
}

/* A JSON string without NUL bytes inside (C strings are what execve takes). */
static const char *c_string(const json_t *v)
{
    if (!json_is_string(v)) return NULL;
    const char *s = json_string_value(v);
    return strlen(s) == json_string_length(v) ? s : NULL;
}

void wk_cpuset_text(const cpu_set_t *set, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, set)) continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set)) e++;
        char part[32];
        int k = e > c ? snprintf(part, sizeof part, "%s%d-%d", n ? "," : "", c, e)
                      : snprintf(part, sizeof part, "%s%d", n ? "," : "", c);
        if (n + (size_t)k + 4 >= len) {
            snprintf(buf + n, len - n, "...");
            return;
        }
        memcpy(buf + n, part, (size_t)k + 1);
        n += (size_t)k;
        c = e;
    }
}

/* An array of distinct integer ids in [0, max]: 0 or -1 with the reason. */
static int parse_ids(const json_t *body, const char *field, int max, int *ids, int *n, char *err, size_t errlen)
{
    json_t *a = json_object_get(body, field);
    *n = 0;
    if (a == NULL) return 0;
    if (!json_is_array(a)) return fail(err, errlen, field, "not an array of integers");
    if (json_array_size(a) > WK_MAX_IDS) {
        snprintf(err, errlen, "field '%s': %zu ids, at most %d", field, json_array_size(a), WK_MAX_IDS);
        return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (!json_is_integer(v)) return fail(err, errlen, field, "not an array of integers");
        long long id = json_integer_value(v);
        if (id < 0 || id > max) {
            snprintf(err, errlen, "field '%s': id %lld out of range 0-%d", field, id, max);
            return -1;
        }
        for (int k = 0; k < *n; k++)
            if (ids[k] == id) {
                snprintf(err, errlen, "field '%s': id %lld given twice", field, id);
                return -1;
            }
        ids[(*n)++] = (int)id;
    }
    return 0;
}

/* `dir`: relative, no "..", no empty path. */
static int parse_dir(const json_t *body, wk_spec *s, char *err, size_t errlen)
{
    json_t *v = json_object_get(body, "dir");
    const char *d = v ? c_string(v) : ".";
    if (d == NULL) return fail(err, errlen, "dir", "not a string");
    if (!*d) return fail(err, errlen, "dir", "empty");
    if (*d == '/') return fail(err, errlen, "dir", "absolute (it is relative to --run_dir)");
    if (strlen(d) >= WK_MAX_PATH) return fail(err, errlen, "dir", "too long");
    for (const char *p = d; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.') return fail(err, errlen, "dir", "contains '..'");
        p += k;
        while (*p == '/') p++;
    }
    s->dir = strdup(d);
    return s->dir ? 0 : fail(err, errlen, "dir", "out of memory");
}

static int parse_argv(const json_t *body, wk_spec *s, char *err, size_t errlen)
{
    json_t *a = json_object_get(body, "argv");
    if (a == NULL) return fail(err, errlen, "argv", "missing");
    if (!json_is_array(a)) return fail(err, errlen, "argv", "not an array of strings");
    size_t n = json_array_size(a);
    if (n == 0) return fail(err, errlen, "argv", "empty (argv[0] is the program)");
    if (n > WK_MAX_ARGS) {
        snprintf(err, errlen, "field 'argv': %zu entries, at most %d", n, WK_MAX_ARGS);
        return -1;
    }
    s->argv = calloc(n + 1, sizeof *s->argv);
    if (s->argv == NULL) return fail(err, errlen, "argv", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *v = c_string(json_array_get(a, i));
        if (v == NULL) {
            snprintf(err, errlen, "field 'argv': entry %zu is not a string (without NUL bytes)", i);
            return -1;
        }
        if (i == 0 && !*v) return fail(err, errlen, "argv", "argv[0] (the program) is empty");
        if ((s->argv[i] = strdup(v)) == NULL) return fail(err, errlen, "argv", "out of memory");
        s->argc++;
    }
    return 0;
}

static int parse_env(const json_t *body, wk_spec *s, char *err, size_t errlen)
{
    json_t *o = json_object_get(body, "env");
    if (o == NULL) return 0;
    if (!json_is_object(o)) return fail(err, errlen, "env", "not an object of strings");
    size_t n = json_object_size(o);
    s->env_keys = calloc(n + 1, sizeof *s->env_keys);
    s->env_vals = calloc(n + 1, sizeof *s->env_vals);
    if (s->env_keys == NULL || s->env_vals == NULL) return fail(err, errlen, "env", "out of memory");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (!*k || strchr(k, '=')) {
            snprintf(err, errlen, "field 'env': '%s' is not a variable name", k);
            return -1;
        }
        for (size_t r = 0; r < sizeof reserved / sizeof reserved[0]; r++)
            if (strcmp(k, reserved[r]) == 0) {
                snprintf(err, errlen, "field 'env': %s is set by the worker", k);
                return -1;
            }
        const char *val = c_string(v);
        if (val == NULL) {
            snprintf(err, errlen, "field 'env': %s is not a string (without NUL bytes)", k);
            return -1;
        }
        s->env_keys[s->nenv] = strdup(k);
        s->env_vals[s->nenv] = strdup(val);
        if (!s->env_keys[s->nenv] || !s->env_vals[s->nenv]) return fail(err, errlen, "env", "out of memory");
        s->nenv++;
    }
    return 0;
}

int wk_check_fields(const json_t *body, const char *const *names, size_t n, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool known = false;
        for (size_t i = 0; i < n; i++) known |= !strcmp(k, names[i]);
        if (known) continue;
        char list[256];
        size_t m = 0;
        for (size_t i = 0; i < n && m + 1 < sizeof list; i++)
            m += (size_t)snprintf(list + m, sizeof list - m, "%s%s", i ? ", " : "", names[i]);
        snprintf(err, errlen, "field '%s': unknown (%s%s)", k, n ? "known: " : "this request takes none", list);
        return -1;
    }
    return 0;
}

int wk_get_grace(const json_t *body, double *grace, char *err, size_t errlen)
{
    *grace = WK_DEFAULT_GRACE_S;
    if (json_object_get(body, "grace_s") == NULL) return 0;
    if (lh_get_num(body, "grace_s", grace, err, errlen)) return -1;
    if (!(*grace >= 0 && *grace <= WK_MAX_GRACE_S)) {
        snprintf(err, errlen, "field 'grace_s': %g out of range 0-%g", *grace, WK_MAX_GRACE_S);
        return -1;
    }
    return 0;
}

/* The request's CPU ids onto this machine's CPUs (see wk_spec_parse). */
static void map_cpus(const wk_cpu_view *cv, wk_spec *s)
{
    for (int i = 0; i < s->ncpus; i++) {
        int c = s->cpus[i];
        if (s->numa && cv->n_numa > 0 && cv->n_map > 0) {
            s->cpus[i] = cv->numa[c % cv->n_numa];
        } else if (s->numa && cv->n_numa > 0) {
            if (!CPU_ISSET(c, cv->have)) continue; /* refused below, named as it was given */
            int rank = 0; /* c is the rank-th CPU of the worker's, which in NUMA order is numa[rank] */
            for (int k = 0; k < c; k++) rank += CPU_ISSET(k, cv->have) ? 1 : 0;
            if (rank < cv->n_numa) s->cpus[i] = cv->numa[rank];
        } else if (cv->n_map > 0) {
            s->cpus[i] = cv->map[c % cv->n_map];
        }
    }
}

static int parse(const json_t *body, const wk_cpu_view *cv, wk_spec *s, char *err, size_t errlen)
{
    const cpu_set_t *have = cv->have;
    if (body == NULL) return fail(err, errlen, "job", "missing");
    if (wk_check_fields(body, known_fields, sizeof known_fields / sizeof known_fields[0], err, errlen)) return -1;
    if (lh_get_int(body, "job", &s->job, err, errlen) || lh_get_int(body, "lease", &s->lease, err, errlen))
        return -1;
    if (s->job < 0) return fail(err, errlen, "job", "negative");
    if (s->lease < 0) return fail(err, errlen, "lease", "negative");
    if (parse_argv(body, s, err, errlen) || parse_dir(body, s, err, errlen) || parse_env(body, s, err, errlen))
        return -1;
    if (parse_ids(body, "gpus", WK_MAX_GPU_ID, s->gpus, &s->ngpus, err, errlen) ||
        parse_ids(body, "cpus", CPU_SETSIZE - 1, s->cpus, &s->ncpus, err, errlen))
        return -1;
    json_t *numa = json_object_get(body, "numa");
    if (numa != NULL && !json_is_boolean(numa)) return fail(err, errlen, "numa", "not a boolean");
    s->numa = numa != NULL && json_is_true(numa);
    map_cpus(cv, s);
    char missing[256] = "";
    size_t m = 0;
    for (int i = 0; i < s->ncpus; i++)
        if (!CPU_ISSET(s->cpus[i], have) && m + 16 < sizeof missing)
            m += (size_t)snprintf(missing + m, sizeof missing - m, "%s%d", m ? ", " : "", s->cpus[i]);
    if (m) {
        char h[128];
        wk_cpuset_text(have, h, sizeof h);
        snprintf(err, errlen, "field 'cpus': %s not on this machine (this worker has CPUs %s)", missing, h);
        return -1;
    }
    s->mem_gb = -1;
    if (json_object_get(body, "mem_gb")) {
        if (lh_get_num(body, "mem_gb", &s->mem_gb, err, errlen)) return -1;
        if (!(s->mem_gb >= 0) || !isfinite(s->mem_gb)) return fail(err, errlen, "mem_gb", "not a size >= 0");
    }
    return 0;
}

int wk_spec_parse(const json_t *body, const wk_cpu_view *cv, wk_spec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (parse(body, cv, s, err, errlen) == 0) return 0;
    wk_spec_free(s);
    return -1;
}

void wk_argv_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}

/* One word of line from *p (blanks before it skipped by the caller) into word (room for the rest of the line);
 * advances *p past it. 0, or -1 with the reason. */
static int split_word(const char **p, char *word, char *err, size_t errlen)
{
    const char *s = *p;
    size_t n = 0;
    while (*s && !strchr(" \t\n", *s)) {
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (end == NULL) return snprintf(err, errlen, "a ' is not closed"), -1;
            memcpy(word + n, s + 1, (size_t)(end - s - 1));
            n += (size_t)(end - s - 1);
            s = end + 1;
        } else if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1] == '\n') { /* a line continuation: both go */
                    s++;
                    continue;
                }
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1])) s++;
                word[n++] = *s;
            }
            if (*s != '"') return snprintf(err, errlen, "a \" is not closed"), -1;
            s++;
        } else if (*s == '\\') {
            if (!s[1]) return snprintf(err, errlen, "it ends with a backslash"), -1;
            if (s[1] != '\n') word[n++] = s[1]; /* a backslash-newline is a line continuation */
            s += 2;
        } else {
            word[n++] = *s++;
        }
    }
    word[n] = '\0';
    *p = s;
    return 0;
}

int wk_split_command(const char *line, char ***argv, int *argc, char *err, size_t errlen)
{
    *argv = NULL;
    *argc = 0;
    char **words = calloc(WK_MAX_ARGS + 1, sizeof *words);
    char *word = malloc(strlen(line) + 1);
    int n = 0, rc = 0;
    if (words == NULL || word == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (const char *p = line; rc == 0;) {
        p += strspn(p, " \t\n");
        if (!*p) break;
        if (n == WK_MAX_ARGS) {
            snprintf(err, errlen, "more than %d words", WK_MAX_ARGS);
            rc = -1;
        } else if (split_word(&p, word, err, errlen) != 0) {
            rc = -1;
        } else if ((words[n++] = strdup(word)) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "no program named");
        rc = -1;
    }
    free(word);
    if (rc != 0) {
        wk_argv_free(words);
        return -1;
    }
    *argv = words;
    *argc = n;
    return 0;
}

void wk_spec_free(wk_spec *s)
{
    if (s == NULL) return;
    for (int i = 0; s->argv && s->argv[i]; i++) free(s->argv[i]);
    for (int i = 0; i < s->nenv; i++) free(s->env_keys[i]), free(s->env_vals[i]);
    free(s->argv);
    free(s->env_keys);
    free(s->env_vals);
    free(s->dir);
    memset(s, 0, sizeof *s);
}

int wk_spec_has_env(const wk_spec *s, const char *key)
{
    for (int i = 0; i < s->nenv; i++)
        if (strcmp(s->env_keys[i], key) == 0) return 1;
    return 0;
}

void wk_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++) free(env[i]);
    free(env);
}

/* Appends "key=val" (a new string) to env at *n; -1 when out of memory. */
static int put(char **env, size_t *n, const char *key, const char *val)
{
    size_t len = strlen(key) + strlen(val) + 2;
    if ((env[*n] = malloc(len)) == NULL) return -1;
    snprintf(env[(*n)++], len, "%s=%s", key, val);
    return 0;
}

char **wk_spec_environ(const wk_spec *s, char *const *base, const wk_vars *v)
{
    char id[32], lease[32], scale[32], gpus[WK_MAX_IDS * 7 + 1] = "", ckpt[WK_MAX_PATH + 32];
    snprintf(id, sizeof id, "%lld", s->job);
    snprintf(lease, sizeof lease, "%lld", s->lease);
    for (int prec = 1; prec <= 17; prec++) /* the shortest text that reads back the same: 0.1, not 0.1000...1 */
        if (snprintf(scale, sizeof scale, "%.*g", prec, v->time_scale) > 0 && strtod(scale, NULL) == v->time_scale)
            break;
    for (int i = 0, n = 0; i < s->ngpus; i++)
        n += snprintf(gpus + n, sizeof gpus - (size_t)n, "%s%d", i ? "," : "", s->gpus[i]);
    snprintf(ckpt, sizeof ckpt, "%s/job%lld", v->checkpoint_dir, s->job);
    const char *own[][2] = {
        {"LOCUS_SCHED_ADDR", v->sched_addr}, {"LOCUS_SCHED_TOKEN_FILE", v->token_file}, {"LOCUS_JOB_ID", id},
        {"LOCUS_JOB_LEASE", lease},          {"LOCUS_TIME_SCALE", scale},           {"CUDA_VISIBLE_DEVICES", gpus},
        {"SYNERGY_LOG_DIR", v->log_dir},     {"SYNERGY_CHECKPOINT_DIR", ckpt},
    };
    size_t nown = sizeof own / sizeof own[0], nbase = 0;
    while (base && base[nbase]) nbase++;
    char **env = calloc(nbase + (size_t)s->nenv + nown + 1, sizeof *env);
    if (env == NULL) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < nbase; i++) {
        size_t klen = strcspn(base[i], "=");
        bool over = false;
        for (int k = 0; k < s->nenv && !over; k++)
            over = strlen(s->env_keys[k]) == klen && strncmp(s->env_keys[k], base[i], klen) == 0;
        for (size_t k = 0; k < nown && !over; k++)
            over = strlen(own[k][0]) == klen && strncmp(own[k][0], base[i], klen) == 0;
        if (!over && (env[n++] = strdup(base[i])) == NULL) goto oom;
    }
    for (int k = 0; k < s->nenv; k++)
        if (put(env, &n, s->env_keys[k], s->env_vals[k])) goto oom;
    for (size_t k = 0; k < nown; k++)
        if (!wk_spec_has_env(s, own[k][0]) && put(env, &n, own[k][0], own[k][1])) goto oom;
    return env;
oom:
    wk_env_free(env);
    return NULL;
}

int wk_parse_cpu_list(const char *text, int *ids, int max, char *err, size_t errlen)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a >= CPU_SETSIZE) goto bad;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q || b < a || b >= CPU_SETSIZE) goto bad;
        }
        for (long c = a; c <= b; c++) {
            if (n == max) goto bad;
            ids[n++] = (int)c;
        }
        if (*end == ',') end++;
        else if (*end) goto bad;
        p = end;
    }
    if (n > 0) return n;
bad:
    snprintf(err, errlen, "--cpus '%s': expected CPU ids and ranges such as 0-3,8", text);
    return -1;
}
