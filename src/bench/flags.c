/* Parsing of the suite's list flags (see flags.h). */
#include "flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *trim(char *s) {
    while (*s == ' ' || *s == '\'' || *s == '"')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\'' || s[n - 1] == '"'))
        s[--n] = '\0';
    return s;
}

static bool parse_bool(const char *t, long *out) {
    if (!strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes")) {
        *out = 1;
        return true;
    }
    if (!strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "no")) {
        *out = 0;
        return true;
    }
    return false;
}

const char *flag_parse_value(const flag_spec *spec, const char *text, flag_value *v) {
    static char msg[512];
    memset(v, 0, sizeof *v);
    v->spec = spec;
    if (spec->type == FLAG_STR) {
        v->n = 1;
        snprintf(v->strs[0], sizeof v->strs[0], "%s", text);
        return NULL;
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *body = trim(buf);
    bool is_list = spec->type == FLAG_INT_LIST || spec->type == FLAG_BOOL_LIST || spec->type == FLAG_STR_LIST;
    size_t len = strlen(body);
    if (len >= 2 && body[0] == '[' && body[len - 1] == ']') {
        if (!is_list) {
            snprintf(msg, sizeof msg, "--%s takes one value, not a list ('%s')", spec->name, text);
            return msg;
        }
        body[len - 1] = '\0';
        body++;
    }
    char *save = NULL;
    for (char *tok = strtok_r(body, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (v->n == FLAG_MAX_VALUES) {
            snprintf(msg, sizeof msg, "--%s: at most %d values", spec->name, FLAG_MAX_VALUES);
            return msg;
        }
        int i = v->n;
        snprintf(v->strs[i], sizeof v->strs[i], "%s", tok);
        if (spec->type == FLAG_INT_LIST || spec->type == FLAG_INT) {
            char *end;
            errno = 0;
            long x = strtol(tok, &end, 10);
            if (*end != '\0' || errno || x < 0) {
                snprintf(msg, sizeof msg, "--%s: '%s' is not a non-negative integer", spec->name, tok);
                return msg;
            }
            v->ints[i] = x;
        } else if (spec->type == FLAG_BOOL_LIST || spec->type == FLAG_BOOL) {
            if (!parse_bool(tok, &v->ints[i])) {
                snprintf(msg, sizeof msg, "--%s: '%s' is not True or False", spec->name, tok);
                return msg;
            }
        }
        v->n++;
    }
    if (v->n == 0 && spec->type != FLAG_STR_LIST) {
        snprintf(msg, sizeof msg, "--%s needs a value", spec->name);
        return msg;
    }
    if (!is_list && v->n > 1) {
        snprintf(msg, sizeof msg, "--%s takes one value, got %d", spec->name, v->n);
        return msg;
    }
    return NULL;
}

static flag_value *find(flag_set *fs, const char *name, size_t len) {
    for (int i = 0; i < fs->n; i++) {
        const char *n = fs->specs[i].name;
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return &fs->values[i];
    }
    /* Accept dashes for underscores (--exp-name), as users type both. */
    char alt[128];
    if (len >= sizeof alt)
        return NULL;
    for (size_t k = 0; k < len; k++)
        alt[k] = name[k] == '-' ? '_' : name[k];
    alt[len] = '\0';
    for (int i = 0; i < fs->n; i++)
        if (strcmp(fs->specs[i].name, alt) == 0)
            return &fs->values[i];
    return NULL;
}

int flags_parse(flag_set *fs, const char *prog, int argc, char **argv, const char *const *extra,
                const char **extra_vals) {
    fs->n = 0;
    while (fs->specs[fs->n].name)
        fs->n++;
    for (int i = 0; i < fs->n; i++) {
        const char *err = flag_parse_value(&fs->specs[i], fs->specs[i].def, &fs->values[i]);
        if (err) {
            fprintf(stderr, "%s: bad default: %s\n", prog, err);
            return -1;
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            flags_help(fs, prog, stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "%s: unexpected argument '%s' (flags are --name=value)\n", prog, arg);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *val = eq ? eq + 1 : NULL;
        bool handled = false;
        for (int e = 0; extra && extra[e]; e++) {
            if (strlen(extra[e]) == nlen && !strncmp(extra[e], name, nlen)) {
                if (!val && a + 1 < argc)
                    val = argv[++a];
                if (!val) {
                    fprintf(stderr, "%s: --%s needs a value\n", prog, extra[e]);
                    return -1;
                }
                extra_vals[e] = val;
                handled = true;
            }
        }
        if (handled)
            continue;
        flag_value *v = find(fs, name, nlen);
        if (v == NULL) {
            fprintf(stderr, "%s: unknown flag '--%.*s' (see --help)\n", prog, (int)nlen, name);
            return -1;
        }
        if (!val) {
            if (a + 1 < argc && strncmp(argv[a + 1], "--", 2) != 0)
                val = argv[++a];
            else if (v->spec->type == FLAG_BOOL || v->spec->type == FLAG_BOOL_LIST)
                val = "True";
            else {
                fprintf(stderr, "%s: --%s needs a value\n", prog, v->spec->name);
                return -1;
            }
        }
        const flag_spec *spec = v->spec;
        const char *err = flag_parse_value(spec, val, v);
        if (err) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return -1;
        }
        v->given = true;
    }
    return 0;
}

const flag_value *flag_get(const flag_set *fs, const char *name) {
    for (int i = 0; i < fs->n; i++)
        if (!strcmp(fs->specs[i].name, name))
            return &fs->values[i];
    return NULL;
}

long flag_int(const flag_set *fs, const char *name, int i) {
    const flag_value *v = flag_get(fs, name);
    return v && i < v->n ? v->ints[i] : 0;
}

const char *flag_str(const flag_set *fs, const char *name, int i) {
    const flag_value *v = flag_get(fs, name);
    return v && i < v->n ? v->strs[i] : "";
}

void flag_format(const flag_value *v, char *out, size_t n) {
    bool list = v->spec->type == FLAG_INT_LIST || v->spec->type == FLAG_BOOL_LIST || v->spec->type == FLAG_STR_LIST;
    size_t used = 0;
    out[0] = '\0';
    if (list)
        used += (size_t)snprintf(out + used, n - used, "[");
    for (int i = 0; i < v->n && used < n; i++) {
        if (v->spec->type == FLAG_BOOL_LIST || v->spec->type == FLAG_BOOL)
            used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", v->ints[i] ? "True" : "False");
        else
            used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", v->strs[i]);
    }
    if (list && used < n)
        snprintf(out + used, n - used, "]");
}

void flags_help(const flag_set *fs, const char *prog, FILE *f) {
    fprintf(f, "usage: %s [--flag=value ...]\n\nList flags take [a,b,c]; every combination runs.\n\nflags:\n", prog);
    for (int i = 0; i < fs->n; i++)
        fprintf(f, "  --%-20s %s (default %s)\n", fs->specs[i].name, fs->specs[i].help, fs->specs[i].def);
}
