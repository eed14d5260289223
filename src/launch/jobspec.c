/* What a batch request and a launch across a job's hosts look like on a scheduler's or an MPI launcher's
 * command line: pure text, no I/O, unit-tested by feeding values (tests/unit/test_launch_pure.c).
 *
 * The scaling suite takes its scheduler settings as Python dict text ({"C": "V100", "exclusive": None},
 * {'constraint': 'P100'}); suite_dict_parse reads it, dict_to_slurm turns it into sbatch options and
 * dict_to_pbs into qsub options and chunk resources (the mapping is a table; docs/launchers.md has it for
 * users). The MPI table says how each launcher family is told "R ranks on each of these hosts". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

int suite_dict_parse(const char *dict, suite_kv *kv, int max) {
    const char *p = dict;
    int n = 0;
    while (*p == ' ')
        p++;
    if (*p != '{')
        return -1;
    p++;
    while (*p && *p != '}') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '}')
            break;
        if (n == max)
            return -1;
        suite_kv *e = &kv[n];
        memset(e, 0, sizeof *e);
        char q = *p == '\'' || *p == '"' ? *p++ : 0;
        size_t k = 0;
        while (*p && (q ? *p != q : *p != ':' && *p != ' ') && k + 1 < sizeof e->key)
            e->key[k++] = *p++;
        if (q && *p == q)
            p++;
        while (*p == ' ')
            p++;
        if (*p++ != ':' || !e->key[0])
            return -1;
        while (*p == ' ')
            p++;
        q = *p == '\'' || *p == '"' ? *p++ : 0;
        k = 0;
        while (*p && (q ? *p != q : *p != ',' && *p != '}') && k + 1 < sizeof e->val)
            e->val[k++] = *p++;
        if (q && *p == q)
            p++;
        while (k > 0 && e->val[k - 1] == ' ')
            e->val[--k] = '\0';
        e->none = !q && (!strcmp(e->val, "None") || !e->val[0]);
        n++;
        while (*p == ' ')
            p++;
    }
    return *p == '}' ? n : -1;
}

int dict_to_slurm(const char *dict, char *out, size_t n) {
    suite_kv kv[32];
    int nk = suite_dict_parse(dict, kv, 32);
    out[0] = '\0';
    if (nk < 0)
        return -1;
    size_t at = 0;
    for (int i = 0; i < nk; i++) {
        bool shortopt = strlen(kv[i].key) == 1;
        at += (size_t)snprintf(out + at, at < n ? n - at : 0, "%s%s%s%s%s", at ? " " : "", shortopt ? "-" : "--",
                               kv[i].key, kv[i].none ? "" : shortopt ? " " : "=", kv[i].none ? "" : kv[i].val);
    }
    return at < n ? 0 : -1;
}

/* How a suite key reaches PBS. Keys not listed: a one-letter key is refused unless it is one of qsub's
 * harmless options below; a longer one becomes a chunk resource (key=value, or key=True for None), so PBS
 * names (ngpus, mem, a site's boolean host resources) pass through unchanged. */
typedef enum { PBS_FEATURES, PBS_OPTION, PBS_IGNORED, PBS_REFUSED } pbs_how;
static const struct {
    const char *key;
    pbs_how how;
    const char *what; /* PBS_OPTION: the qsub option; PBS_IGNORED/REFUSED: why */
} pbs_keys[] = {
    {"C", PBS_FEATURES, NULL},
    {"constraint", PBS_FEATURES, NULL},
    {"partition", PBS_OPTION, "-q"},
    {"queue", PBS_OPTION, "-q"},
    {"account", PBS_OPTION, "-A"},
    {"job-name", PBS_OPTION, "-N"},
    {"job_name", PBS_OPTION, "-N"},
    {"exclusive", PBS_IGNORED, "place=scatter:excl is always asked"},
    {"p", PBS_REFUSED, "Slurm's partition or qsub's priority; write 'queue' or 'priority'"},
    {"time", PBS_REFUSED, "the wall time comes from --wall_time"},
    {"t", PBS_REFUSED, "the wall time comes from --wall_time"},
    {"walltime", PBS_REFUSED, "the wall time comes from --wall_time"},
    {"nodes", PBS_REFUSED, "locus sizes the select statement itself"},
    {"ntasks", PBS_REFUSED, "locus sizes the select statement itself"},
    {"ntasks-per-node", PBS_REFUSED, "locus sizes the select statement itself"},
    {"n", PBS_REFUSED, "locus sizes the select statement itself"},
    {"select", PBS_REFUSED, "locus writes the select statement itself"},
    {"place", PBS_REFUSED, "locus asks place=scatter:excl itself"},
    {"ncpus", PBS_REFUSED, "locus sizes the chunks itself"},
    {"mpiprocs", PBS_REFUSED, "locus sizes the chunks itself"},
};
/* qsub's one-letter options that only name, account, mail, prioritise or add -l/-W attributes. */
#define PBS_SAFE_LETTERS "ANPWlmMqr"

static int put(char *out, size_t n, size_t *at, const char *fmt, const char *a, const char *b) {
    int w = snprintf(out + *at, *at < n ? n - *at : 0, fmt, a, b);
    *at += (size_t)(w > 0 ? w : 0);
    return *at < n ? 0 : -1;
}

int dict_to_pbs(const char *dict, pbs_request *r, char *err, size_t errn) {
    suite_kv kv[32];
    memset(r, 0, sizeof *r);
    err[0] = '\0';
    int nk = suite_dict_parse(dict, kv, 32);
    if (nk < 0) {
        snprintf(err, errn, "not a dict such as {\"constraint\": \"P100\", \"queue\": \"gpu\"}");
        return -1;
    }
    size_t cat = 0, lat = 0;
    for (int i = 0; i < nk; i++) {
        const char *key = kv[i].key, *val = kv[i].val;
        pbs_how how = PBS_FEATURES;
        const char *what = NULL;
        bool listed = false;
        char opt[3] = "-?";
        for (size_t k = 0; k < sizeof pbs_keys / sizeof pbs_keys[0] && !listed; k++)
            if (!strcmp(pbs_keys[k].key, key))
                listed = true, how = pbs_keys[k].how, what = pbs_keys[k].what;
        if (!listed && strlen(key) == 1) {
            if (!strchr(PBS_SAFE_LETTERS, key[0])) {
                snprintf(err, errn, "'%s': qsub -%s is not passed through (accepted letters: %s)", key, key,
                         PBS_SAFE_LETTERS);
                return -1;
            }
            opt[1] = key[0];
            how = PBS_OPTION, what = opt;
        } else if (!listed) {
            /* a resource of each chunk: name=value, or name=True for a boolean host resource */
            if (strpbrk(key, ":=+ ") || strpbrk(val, ":+ ")) {
                snprintf(err, errn, "'%s': a chunk resource's name and value cannot hold ':', '+' or spaces", key);
                return -1;
            }
            if (put(r->chunk, sizeof r->chunk, &cat, ":%s=%s", key, kv[i].none ? "True" : val) != 0)
                goto too_long;
            continue;
        }
        switch (how) {
        case PBS_REFUSED:
            snprintf(err, errn, "'%s' is not passed to PBS: %s", key, what);
            return -1;
        case PBS_IGNORED:
            continue;
        case PBS_OPTION:
            if (strchr(val, '\n')) {
                snprintf(err, errn, "'%s': the value holds a line break", key);
                return -1;
            }
            if (put(r->lines, sizeof r->lines, &lat, "%s%s", what, kv[i].none ? "" : " ") != 0 ||
                put(r->lines, sizeof r->lines, &lat, "%s%s", kv[i].none ? "" : val, "\n") != 0)
                goto too_long;
            continue;
        case PBS_FEATURES: {
            /* Slurm's constraint "a&b" (all of them) is one boolean resource per feature; "a|b" (any of them)
             * and counted or bracketed forms have no chunk equivalent */
            if (kv[i].none || !val[0] || strpbrk(val, "|[]*:+ =")) {
                snprintf(err, errn, "'%s': '%s' cannot be a PBS chunk request (features joined by & become "
                                    "feature=True each; | and [ ] have no equivalent)", key, val);
                return -1;
            }
            char copy[256];
            snprintf(copy, sizeof copy, "%s", val);
            for (char *save = NULL, *f = strtok_r(copy, "&,", &save); f; f = strtok_r(NULL, "&,", &save))
                if (put(r->chunk, sizeof r->chunk, &cat, ":%s=%s", f, "True") != 0)
                    goto too_long;
            continue;
        }
        }
    }
    return 0;
too_long:
    snprintf(err, errn, "the request is too long");
    return -1;
}

/* ---- MPI launchers: R ranks on each of these hosts ---- */

static const mpi_flavour flavours[] = {
    /* Open MPI's mpiexec (orterun): slots per host in --host, ppr mapping keeps exactly R per node, and
     * the environment reaches remote ranks only through -x */
    {"openmpi", "Open MPI|OpenRTE", MPI_HOST_SLOTS},
    /* MPICH's and Intel MPI's Hydra: -ppn R -hosts a,b; -genvall passes the whole environment */
    {"hydra", "HYDRA|Intel(R) MPI", MPI_PPN_HOSTS},
};

const mpi_flavour *mpi_flavour_of(const char *version_text) {
    for (size_t i = 0; i < sizeof flavours / sizeof flavours[0]; i++) {
        char pats[64];
        snprintf(pats, sizeof pats, "%s", flavours[i].match);
        for (char *save = NULL, *m = strtok_r(pats, "|", &save); m; m = strtok_r(NULL, "|", &save))
            if (strstr(version_text, m))
                return &flavours[i];
    }
    return NULL;
}

const mpi_flavour *mpi_flavour_by_name(const char *name) {
    for (size_t i = 0; i < sizeof flavours / sizeof flavours[0]; i++)
        if (!strcmp(flavours[i].name, name))
            return &flavours[i];
    return NULL;
}

/* Append s to buf (NUL-terminated, kept) and return where it starts; NULL when buf is full. */
static char *keep(char *buf, size_t n, size_t *at, const char *s) {
    size_t len = strlen(s);
    if (*at + len + 1 > n)
        return NULL;
    char *dst = buf + *at;
    memcpy(dst, s, len + 1);
    *at += len + 1;
    return dst;
}

int mpi_hosts_argv(const mpi_flavour *f, const char (*hosts)[256], int nhosts, long per_node,
                   const char *const *env_names, int nenv, bool as_root, char **argv, int max, char *buf,
                   size_t bufn) {
    if (nhosts < 1 || per_node < 1)
        return -1;
    size_t at = 0;
    int n = 0;
    char num[32], list[65536];
    size_t lat = 0;
    list[0] = '\0';
    for (int i = 0; i < nhosts; i++) {
        int w = f->style == MPI_HOST_SLOTS
                    ? snprintf(list + lat, sizeof list - lat, "%s%s:%ld", i ? "," : "", hosts[i], per_node)
                    : snprintf(list + lat, sizeof list - lat, "%s%s", i ? "," : "", hosts[i]);
        if (w < 0 || (size_t)w >= sizeof list - lat)
            return -1;
        lat += (size_t)w;
    }
#define ARG(s)                                                                                               \
    do {                                                                                                     \
        if (n + 1 >= max || !(argv[n] = keep(buf, bufn, &at, (s))))                                          \
            return -1;                                                                                       \
        n++;                                                                                                 \
    } while (0)
    ARG("mpiexec");
    snprintf(num, sizeof num, "%ld", per_node * nhosts);
    if (f->style == MPI_HOST_SLOTS) {
        ARG("-np");
        ARG(num);
        ARG("--host");
        ARG(list);
        snprintf(num, sizeof num, "ppr:%ld:node", per_node);
        ARG("--map-by");
        ARG(num);
        ARG("--bind-to");
        ARG("none");
        if (as_root)
            ARG("--allow-run-as-root");
        for (int i = 0; i < nenv; i++) {
            ARG("-x");
            ARG(env_names[i]);
        }
    } else {
        ARG("-n");
        ARG(num);
        snprintf(num, sizeof num, "%ld", per_node);
        ARG("-ppn");
        ARG(num);
        ARG("-hosts");
        ARG(list);
        ARG("-genvall");
    }
#undef ARG
    argv[n] = NULL;
    return n;
}
