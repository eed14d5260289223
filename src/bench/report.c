/* Post-processing of a scaling run (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FNS 16
#define MAX_SESSIONS 4096

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double quantile_sorted(const double *v, size_t n, double q) {
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

void stats_of(double *v, size_t n, fn_stats *out) {
    qsort(v, n, sizeof *v, cmp_double);
    out->count = n;
    out->total = 0;
    for (size_t i = 0; i < n; i++)
        out->total += v[i];
    out->min = n ? v[0] : NAN;
    out->max = n ? v[n - 1] : NAN;
    out->mean = n ? out->total / (double)n : NAN;
    out->p50 = quantile_sorted(v, n, 0.5);
    out->p99 = quantile_sorted(v, n, 0.99);
}

/* The settings a run can sweep besides the client count: each becomes a column of the table and, when its
 * values differ between sessions, part of every plot series' name (two swept settings are never folded into
 * one line). In this order: the sort order of tables and of series. */
static const char *const swept_keys[] = {"db_nodes", "db_cpus", "db_tpq", "batch_size", "tensor_bytes",
                                         "tensors_per_dataset", "client_threads", "pin_app_cpus", "language"};
#define NSWEPT (int)(sizeof swept_keys / sizeof swept_keys[0])

/* What --plot may name (the seed suite's plot_type names and ours): the setting the rate is also drawn
 * against. `swept` is its swept_keys entry, or one of the AXIS_* client counts. */
enum { AXIS_CLIENTS = -1, AXIS_NODES = -2, AXIS_PER_NODE = -3 };
static const struct {
    const char *name, *key;
    int swept;
} plot_axes[] = {
    {"database_nodes", "db_nodes", 0},      {"db_nodes", "db_nodes", 0},
    {"database_cpus", "db_cpus", 1},        {"db_cpus", "db_cpus", 1},
    {"database_threads_per_queue", "db_tpq", 2}, {"db_tpq", "db_tpq", 2},
    {"batch_size", "batch_size", 3},        {"tensor_bytes", "tensor_bytes", 4},
    {"tensors_per_dataset", "tensors_per_dataset", 5}, {"client_threads", "client_threads", 6},
    {"client_total", "clients", AXIS_CLIENTS}, {"clients", "clients", AXIS_CLIENTS},
    {"client_nodes", "nodes", AXIS_NODES},  {"nodes", "nodes", AXIS_NODES},
    {"client_per_node", "clients_per_node", AXIS_PER_NODE}, {"clients_per_node", "clients_per_node", AXIS_PER_NODE},
};
#define NAXES (int)(sizeof plot_axes / sizeof plot_axes[0])

static int axis_index(const char *name) {
    for (int i = 0; name && i < NAXES; i++)
        if (!strcmp(plot_axes[i].name, name))
            return i;
    return -1;
}

const char *report_plot_check(const char *name) {
    static char msg[700];
    if (!name || !name[0] || axis_index(name) >= 0)
        return NULL;
    size_t at = (size_t)snprintf(msg, sizeof msg, "--plot=%s: not a setting to plot against; one of:", name);
    for (int i = 0; i < NAXES && at < sizeof msg; i++)
        at += (size_t)snprintf(msg + at, sizeof msg - at, "%s %s", i ? "," : "", plot_axes[i].name);
    return msg;
}

typedef struct session {
    char name[256];
    char test[64], language[32];
    long clients, nodes, tensor_bytes, iterations, tensors_per_dataset, client_threads, db_nodes, db_cpus;
    char swept[NSWEPT][40]; /* session.cfg values of swept_keys ("" when absent) */
    int nfn;
    fn_stats fn[MAX_FNS];
    double gbps, ips; /* aggregate GB/s (throughput, aggregation), inferences/s (inference) */
    long ranks_seen;
} session;

typedef struct samples {
    char function[64];
    double *v;
    size_t n, cap;
    double per_rank_total[4096]; /* sum of this function's seconds per rank */
} samples;

static void add_sample(samples *s, long rank, double x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = x;
    if (rank >= 0 && rank < 4096)
        s->per_rank_total[rank] += x;
}

static int read_session_cfg(const char *dir, session *s) {
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/session.cfg", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        char key[64], val[256];
        if (sscanf(line, " %63[^= ] = %255[^\n]", key, val) != 2)
            continue;
        struct {
            const char *k;
            long *dst;
        } ints[] = {{"clients", &s->clients},         {"nodes", &s->nodes},
                    {"tensor_bytes", &s->tensor_bytes}, {"iterations", &s->iterations},
                    {"tensors_per_dataset", &s->tensors_per_dataset}, {"client_threads", &s->client_threads},
                    {"db_nodes", &s->db_nodes},       {"db_cpus", &s->db_cpus}};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            if (!strcmp(key, ints[i].k))
                *ints[i].dst = atol(val);
        for (int i = 0; i < NSWEPT; i++)
            if (!strcmp(key, swept_keys[i]))
                snprintf(s->swept[i], sizeof s->swept[i], "%.39s", val);
        if (!strcmp(key, "test"))
            snprintf(s->test, sizeof s->test, "%.63s", val);
        if (!strcmp(key, "language"))
            snprintf(s->language, sizeof s->language, "%.31s", val);
    }
    fclose(f);
    return 0;
}

/* Read every rank_<r>_timing.csv of one session; errors name the file and line. */
static int read_timings(const char *dir, session *s, samples *sm, int *nsm) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    *nsm = 0;
    s->ranks_seen = 0;
    while ((e = readdir(d)) && rc == 0) {
        int r;
        if (sscanf(e->d_name, "rank_%d_timing.csv", &r) != 1)
            continue;
        s->ranks_seen++;
        char path[1400], line[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "locus bench report: cannot read %s: %s\n", path, strerror(errno));
            rc = -1;
            break;
        }
        int lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            long rank;
            char fn[64];
            double sec;
            if (lineno == 1 && strncmp(line, "rank,", 5) == 0)
                continue; /* header */
            if (line[0] == '\n')
                continue;
            if (sscanf(line, "%ld,%63[^,],%lf", &rank, fn, &sec) != 3 || sec < 0) {
                fprintf(stderr, "locus bench report: %s:%d: expected 'rank,function,seconds', got '%.*s'\n", path,
                        lineno, (int)strcspn(line, "\n"), line);
                rc = -1;
                break;
            }
            int k = 0;
            while (k < *nsm && strcmp(sm[k].function, fn))
                k++;
            if (k == *nsm) {
                if (*nsm == MAX_FNS)
                    continue;
                memset(&sm[k], 0, sizeof sm[k]);
                snprintf(sm[k].function, sizeof sm[k].function, "%s", fn);
                (*nsm)++;
            }
            add_sample(&sm[k], rank, sec);
        }
        fclose(f);
    }
    closedir(d);
    return rc;
}

static double max_rank_total(const samples *sm, int nsm, const char *const *fns, int nf) {
    double worst = 0;
    for (int r = 0; r < 4096; r++) {
        double t = 0;
        for (int k = 0; k < nsm; k++)
            for (int j = 0; j < nf; j++)
                if (!strcmp(sm[k].function, fns[j]))
                    t += sm[k].per_rank_total[r];
        if (t > worst)
            worst = t;
    }
    return worst;
}

/* Two setting values: as numbers when both are numbers (1024 before 131072), else as text. */
static int cmp_value(const char *a, const char *b) {
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb)
        return (x > y) - (x < y);
    return strcmp(a, b);
}

/* Sessions by their swept settings, then client count, then name. */
static int cmp_session(const void *a, const void *b) {
    const session *x = a, *y = b;
    for (int i = 0; i < NSWEPT; i++) {
        int c = cmp_value(x->swept[i], y->swept[i]);
        if (c)
            return c;
    }
    if (x->clients != y->clients)
        return (x->clients > y->clients) - (x->clients < y->clients);
    return strcmp(x->name, y->name);
}

/* Which swept settings differ between the n sessions: varies[i] for swept_keys[i]. */
static void find_varying(const session *ss, int n, bool *varies) {
    for (int i = 0; i < NSWEPT; i++) {
        varies[i] = false;
        for (int k = 1; k < n && !varies[i]; k++)
            varies[i] = strcmp(ss[k].swept[i], ss[0].swept[i]) != 0;
    }
}

/* The series a session belongs to: the values of the varying settings, except `skip` (the x axis; -1 none),
 * as "db_cpus=2 batch_size=8" (or `none` when nothing varies). */
static void series_name(const session *s, const bool *varies, int skip, const char *none, char *out, size_t n) {
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < NSWEPT && at + 1 < n; i++)
        if (varies[i] && i != skip)
            at += (size_t)snprintf(out + at, n - at, "%s%s=%s", at ? " " : "", swept_keys[i], s->swept[i]);
    if (!out[0])
        snprintf(out, n, "%s", none);
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* A function name as a file name: "client()" -> "client". */
static void file_safe(const char *in, char *out, size_t cap) {
    size_t o = 0;
    for (; *in && o + 1 < cap; in++)
        if ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') || (*in >= '0' && *in <= '9') || *in == '_' ||
            *in == '-')
            out[o++] = *in;
    out[o] = '\0';
}

static void run_gnuplot(const char *script_path) {
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>'%s.log'", script_path, script_path);
    if (system(cmd) != 0)
        fprintf(stderr, "locus bench report: gnuplot failed on %s (see %s.log)\n", script_path, script_path);
}

/* Distinct strings in first-appearance order (the sessions are sorted, so the series are too). */
static int add_unique(char (*list)[256], int n, int max, const char *v) {
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], v))
            return n;
    if (n < max)
        snprintf(list[n++], 256, "%s", v);
    return n;
}

#define MAX_SERIES 64

/* A session's value of a plot axis (NAN when it has none). */
static double axis_value(const session *s, int axis) {
    int sw = plot_axes[axis].swept;
    if (sw == AXIS_CLIENTS)
        return (double)s->clients;
    if (sw == AXIS_NODES)
        return s->nodes > 0 ? (double)s->nodes : NAN;
    if (sw == AXIS_PER_NODE)
        return s->nodes > 0 ? (double)s->clients / (double)s->nodes : NAN;
    char *end;
    double v = strtod(s->swept[sw], &end);
    return end != s->swept[sw] && *end == '\0' ? v : NAN;
}

/* The rate against one axis, a line per combination of everything else that varies (the client count
 * included, unless the axis is a client count): inferences/s for inference tests, aggregate GB/s for the
 * others. The default plot (`named` false: throughput.png against tensor size, inferences.png against
 * clients) and the one --plot asks for (<rate>_by_<setting>.png). */
static void make_rate_plot(const char *plots, session *ss, int n, const bool *varies, int axis, bool named) {
    bool inference = n > 0 && !strncmp(ss[0].test, "inference", 9);
    int sw = plot_axes[axis].swept;
    bool client_axis = sw < 0;
    const char *rate = inference ? "inferences" : "throughput";
    char base[160], data[1300], gp[1300], name[256];
    if (named)
        snprintf(base, sizeof base, "%s_by_%s", rate, plot_axes[axis].key);
    else
        snprintf(base, sizeof base, "%s", rate);
    snprintf(data, sizeof data, "%s/%s.dat", plots, base);
    snprintf(gp, sizeof gp, "%s/%s.gp", plots, base);
    static char lines[MAX_SERIES][256];
    int nl = 0;
    for (int i = 0; i < n; i++) {
        char rest[200];
        series_name(&ss[i], varies, sw, "", rest, sizeof rest);
        if (client_axis)
            snprintf(name, sizeof name, "%s", rest[0] ? rest : "all sessions");
        else
            snprintf(name, sizeof name, "%ld clients%s%s", ss[i].clients, rest[0] ? " " : "", rest);
        nl = add_unique(lines, nl, MAX_SERIES, name);
    }
    FILE *d = fopen(data, "w");
    for (int k = 0; d && k < nl; k++) {
        fprintf(d, "# %s\n", lines[k]);
        /* points in x order: sessions sorted by settings, so collect and sort by x */
        double xs[MAX_SESSIONS > 512 ? 512 : MAX_SESSIONS][2];
        int np = 0;
        for (int i = 0; i < n && np < 512; i++) {
            char rest[200];
            series_name(&ss[i], varies, sw, "", rest, sizeof rest);
            if (client_axis)
                snprintf(name, sizeof name, "%s", rest[0] ? rest : "all sessions");
            else
                snprintf(name, sizeof name, "%ld clients%s%s", ss[i].clients, rest[0] ? " " : "", rest);
            double y = inference ? ss[i].ips : ss[i].gbps, x = axis_value(&ss[i], axis);
            if (strcmp(name, lines[k]) || y <= 0 || isnan(x))
                continue;
            xs[np][0] = x;
            xs[np][1] = y;
            np++;
        }
        qsort(xs, (size_t)np, sizeof xs[0], cmp_double); /* by the first double: x */
        for (int p = 0; p < np; p++)
            fprintf(d, "%g %g\n", xs[p][0], xs[p][1]);
        fprintf(d, "\n\n");
    }
    if (d)
        fclose(d);
    FILE *g = fopen(gp, "w");
    if (!g)
        return;
    fprintf(g, "set terminal pngcairo size 1000,600 noenhanced\nset output '%s/%s.png'\n", plots, base);
    fprintf(g, "set title 'aggregate %s against %s'\nset xlabel '%s'\nset ylabel '%s'\n",
            inference ? "inferences per second" : "throughput", plot_axes[axis].key, plot_axes[axis].key,
            inference ? "inferences/s" : "GB/s");
    if (sw >= 0 && !strcmp(swept_keys[sw], "tensor_bytes"))
        fprintf(g, "set logscale x 2\nset format x \"%%.0b %%BB\"\n");
    fprintf(g, "set offsets graph 0.05, graph 0.05, graph 0.05, 0\nset key outside right\nset grid\nplot ");
    for (int k = 0; k < nl; k++)
        fprintf(g, "%s'%s' index %d using 1:2 with linespoints lc %d title '%s'", k ? ", " : "", data, k, k + 1,
                lines[k]);
    if (nl == 0)
        fprintf(g, "0 notitle");
    fprintf(g, "\n");
    fclose(g);
    run_gnuplot(gp);
}


/* One PNG per function: candlesticks (min, p50 box, p99, max) of latency against client count, one series
 * (and colour) per combination of the other swept settings. Then the rate: inference tests draw
 * inferences/s against client count, the others aggregate GB/s against tensor size with one line per client
 * count and other swept settings. */
static void make_plots(const char *run_dir, session *ss, int n, int plot_against) {
    char plots[1100];
    snprintf(plots, sizeof plots, "%s/plots", run_dir);
    mkdir(plots, 0755);
    static char fns[MAX_FNS][256], series[MAX_SERIES][256];
    int nf = 0, nser = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ss[i].nfn; k++)
            nf = add_unique(fns, nf, MAX_FNS, ss[i].fn[k].function);
    bool varies[NSWEPT];
    find_varying(ss, n, varies);
    char name[256];
    for (int i = 0; i < n; i++) {
        series_name(&ss[i], varies, -1, "all sessions", name, sizeof name);
        nser = add_unique(series, nser, MAX_SERIES, name);
    }
    long clients[64];
    int nc = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int k = 0; k < nc; k++)
            seen |= clients[k] == ss[i].clients;
        if (!seen && nc < 64)
            clients[nc++] = ss[i].clients;
    }
    qsort(clients, (size_t)nc, sizeof clients[0], cmp_long);
    for (int j = 0; j < nf; j++) {
        char fname[64], data[1300], gp[1300];
        file_safe(fns[j], fname, sizeof fname);
        snprintf(data, sizeof data, "%s/latency_%s.dat", plots, fname);
        snprintf(gp, sizeof gp, "%s/latency_%s.gp", plots, fname);
        FILE *d = fopen(data, "w");
        if (!d)
            continue;
        /* columns: client-count category, min, p50, p99, max, mean (ms), client count */
        for (int k = 0; k < nser; k++) {
            fprintf(d, "# %s\n", series[k]);
            for (int c = 0; c < nc; c++)
                for (int i = 0; i < n; i++) {
                    series_name(&ss[i], varies, -1, "all sessions", name, sizeof name);
                    if (ss[i].clients != clients[c] || strcmp(name, series[k]))
                        continue;
                    for (int f = 0; f < ss[i].nfn; f++)
                        if (!strcmp(ss[i].fn[f].function, fns[j]))
                            fprintf(d, "%d %g %g %g %g %g %ld\n", c, ss[i].fn[f].min * 1e3, ss[i].fn[f].p50 * 1e3,
                                    ss[i].fn[f].p99 * 1e3, ss[i].fn[f].max * 1e3, ss[i].fn[f].mean * 1e3, clients[c]);
                }
            fprintf(d, "\n\n");
        }
        fclose(d);
        FILE *g = fopen(gp, "w");
        if (!g)
            continue;
        double w = 0.8 / nser;
        fprintf(g, "set terminal pngcairo size 1000,600 noenhanced\nset output '%s/latency_%s.png'\n", plots, fname);
        fprintf(g, "set title '%s latency by client count (box: p50 to p99, whiskers: min to max)'\n", fns[j]);
        fprintf(g, "set xlabel 'clients'\nset ylabel 'milliseconds'\nset logscale y\nset key outside right\n");
        fprintf(g, "set boxwidth %g absolute\nset xrange [-0.5:%d.5]\nset style fill solid 0.4\nset xtics (", w * 0.9,
                nc - 1);
        for (int c = 0; c < nc; c++)
            fprintf(g, "%s'%ld' %d", c ? ", " : "", clients[c], c);
        fprintf(g, ")\nplot ");
        for (int k = 0; k < nser; k++)
            fprintf(g, "%s'%s' index %d using ($1%+g):3:2:5:4 with candlesticks lc %d title '%s' whiskerbars",
                    k ? ", " : "", data, k, w * (k - (nser - 1) / 2.0), k + 1, series[k]);
        fprintf(g, "\n");
        fclose(g);
        run_gnuplot(gp);
    }

    bool inference = n > 0 && !strncmp(ss[0].test, "inference", 9);
    make_rate_plot(plots, ss, n, varies, axis_index(inference ? "clients" : "tensor_bytes"), false);
    if (plot_against >= 0)
        make_rate_plot(plots, ss, n, varies, plot_against, true);
}

int report_run(const char *run_dir, int plots, const char *plot_against) {
    DIR *d = opendir(run_dir);
    if (!d) {
        fprintf(stderr, "locus bench report: cannot open %s: %s\n", run_dir, strerror(errno));
        return -1;
    }
    session *ss = calloc(MAX_SESSIONS, sizeof *ss);
    samples *sm = calloc(MAX_FNS, sizeof *sm);
    int n = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SESSIONS) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", run_dir, e->d_name);
        session *s = &ss[n];
        memset(s, 0, sizeof *s);
        if (e->d_name[0] == '.' || read_session_cfg(dir, s) != 0)
            continue;
        snprintf(s->name, sizeof s->name, "%s", e->d_name);
        int nsm = 0;
        if (read_timings(dir, s, sm, &nsm) != 0) {
            rc = -1;
            break;
        }
        s->nfn = nsm;
        for (int k = 0; k < nsm; k++) {
            snprintf(s->fn[k].function, sizeof s->fn[k].function, "%s", sm[k].function);
            stats_of(sm[k].v, sm[k].n, &s->fn[k]);
        }
        /* Aggregate GB/s: bytes moved by all ranks over the slowest rank's time in the data calls. */
        if (!strncmp(s->test, "throughput", 10)) {
            const char *fns[] = {"put_tensor", "unpack_tensor"};
            double t = max_rank_total(sm, nsm, fns, 2);
            s->gbps = t > 0 ? (double)s->ranks_seen * s->iterations * s->tensor_bytes * 2 / t / 1e9 : 0;
        } else if (!strncmp(s->test, "inference", 9)) {
            /* Inferences/s: every rank's iterations over the slowest rank's loop */
            const char *fns[] = {"loop_time"};
            double t = max_rank_total(sm, nsm, fns, 1);
            s->ips = t > 0 ? (double)s->ranks_seen * s->iterations / t : 0;
        } else if (!strcmp(s->test, "aggregation")) {
            const char *fns[] = {"get_list"};
            double t = max_rank_total(sm, nsm, fns, 1);
            double per_iter = (double)(s->clients) * s->tensor_bytes * (s->tensors_per_dataset ? s->tensors_per_dataset : 1);
            s->gbps = t > 0 ? per_iter * s->iterations / t / 1e9 : 0;
        }
        char path[1200];
        snprintf(path, sizeof path, "%s/stats.csv", dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "function,count,min,p50,mean,p99,max\n");
            for (int k = 0; k < s->nfn; k++)
                fprintf(f, "%s,%zu,%.9f,%.9f,%.9f,%.9f,%.9f\n", s->fn[k].function, s->fn[k].count, s->fn[k].min,
                        s->fn[k].p50, s->fn[k].mean, s->fn[k].p99, s->fn[k].max);
            fclose(f);
        }
        for (int k = 0; k < nsm; k++)
            free(sm[k].v);
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        fprintf(stderr, "locus bench report: no session directories (with session.cfg) in %s\n", run_dir);
        rc = -1;
    }
    if (rc == 0) {
        qsort(ss, (size_t)n, sizeof *ss, cmp_session);
        char path[1100];
        snprintf(path, sizeof path, "%s/results.csv", run_dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "session,test,language,nodes,clients,tensor_bytes,iterations,tensors_per_dataset,client_threads,"
                   "db_nodes,db_cpus,db_tpq,batch_size,function,count,min,p50,mean,p99,max,aggregate_gb_s,"
                   "inferences_per_s\n");
            for (int i = 0; i < n; i++)
                for (int k = 0; k < ss[i].nfn; k++)
                    fprintf(f, "%s,%s,%s,%ld,%ld,%ld,%ld,%ld,%ld,%s,%s,%s,%s,%s,%zu,%.9f,%.9f,%.9f,%.9f,%.9f,%.6f,%.3f\n",
                            ss[i].name, ss[i].test, ss[i].language, ss[i].nodes, ss[i].clients, ss[i].tensor_bytes,
                            ss[i].iterations, ss[i].tensors_per_dataset, ss[i].client_threads, ss[i].swept[0],
                            ss[i].swept[1], ss[i].swept[2], ss[i].swept[3], ss[i].fn[k].function, ss[i].fn[k].count,
                            ss[i].fn[k].min, ss[i].fn[k].p50, ss[i].fn[k].mean, ss[i].fn[k].p99, ss[i].fn[k].max,
                            ss[i].gbps, ss[i].ips);
            fclose(f);
        }
        /* the table: the swept settings that vary are columns, rows sorted by them (as numbers) */
        bool varies[NSWEPT], inference = !strncmp(ss[0].test, "inference", 9);
        find_varying(ss, n, varies);
        printf("\n%-44s %7s", "session", "clients");
        for (int i = 0; i < NSWEPT; i++)
            if (varies[i])
                printf(" %*s", (int)(strlen(swept_keys[i]) > 8 ? strlen(swept_keys[i]) : 8), swept_keys[i]);
        printf(" %-14s %10s %10s %11s\n", "function", "p50 ms", "p99 ms", inference ? "inf/s" : "GB/s");
        for (int i = 0; i < n; i++)
            for (int k = 0; k < ss[i].nfn; k++) {
                printf("%-44.44s %7ld", ss[i].name, ss[i].clients);
                for (int v = 0; v < NSWEPT; v++)
                    if (varies[v])
                        printf(" %*s", (int)(strlen(swept_keys[v]) > 8 ? strlen(swept_keys[v]) : 8), ss[i].swept[v]);
                printf(" %-14s %10.3f %10.3f %11.3f\n", ss[i].fn[k].function, ss[i].fn[k].p50 * 1e3,
                       ss[i].fn[k].p99 * 1e3, inference ? ss[i].ips : ss[i].gbps);
            }
        if (plots)
            make_plots(run_dir, ss, n, axis_index(plot_against));
        char full[PATH_MAX];
        const char *shown = realpath(run_dir, full) ? full : run_dir;
        printf("\nresults: %s/results.csv%s%s%s\n", shown, plots ? "; plots in " : "", plots ? shown : "",
               plots ? "/plots/" : "");
    }
    free(ss);
    free(sm);
    return rc;
}

/* A run directory, or an experiment directory holding run-* directories (the seed suite's
 * process_scaling_results --scaling_results_dir takes the experiment: every run in it is processed). */
static int report_dir(const char *dir, int plots, const char *plot_against) {
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/run.cfg", dir);
    if (access(probe, R_OK) == 0)
        return report_run(dir, plots, plot_against);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "locus bench report: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char runs[256][256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (!strncmp(e->d_name, "run-", 4))
            snprintf(runs[n++], sizeof runs[0], "%s", e->d_name);
    closedir(d);
    if (n == 0) /* not an experiment either: let report_run say what is missing */
        return report_run(dir, plots, plot_against);
    qsort(runs, (size_t)n, sizeof runs[0], (int (*)(const void *, const void *))strcmp);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char run[PATH_MAX + 300];
        snprintf(run, sizeof run, "%.*s/%.255s", PATH_MAX - 1, dir, runs[i]);
        printf("\n== %s\n", run);
        if (report_run(run, plots, plot_against) != 0)
            rc = -1;
    }
    return rc;
}

int locus_bench_report_main(int argc, char **argv) {
    int plots = 1;
    const char *dir = NULL, *plot_against = NULL;
    char named[PATH_MAX];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: locus bench report [--no-plots] [--plot=SETTING] RUN_DIR|EXPERIMENT_DIR\n"
                   "       locus bench process_scaling_results --scaling_results_dir=EXP [--plot_type=SETTING]\n"
                   "                                           [--overwrite=True]\n\n"
                   "Recompute per-session statistics, the run's results.csv, aggregate rates (GB/s, inferences/s)\n"
                   "and the plots from the ranks' timing files. An experiment directory (results/<exp_name>) has\n"
                   "every run in it processed; --scaling_results_dir also takes the bare <exp_name> under results/.\n"
                   "--overwrite is accepted (each run's files are always rewritten).\n"
                   "--plot (--plot_type) also draws the rate against SETTING (plots/<rate>_by_<setting>.png), a\n"
                   "line per combination of everything else that varies: database_nodes (db_nodes),\n"
                   "database_cpus (db_cpus), database_threads_per_queue (db_tpq), batch_size, tensor_bytes,\n"
                   "tensors_per_dataset, client_threads, client_total (clients), client_nodes (nodes),\n"
                   "client_per_node (clients_per_node).\n");
            return 0;
        }
        if (!strcmp(argv[i], "--no-plots"))
            plots = 0;
        else if (!strncmp(argv[i], "--scaling_results_dir", 21)) {
            const char *v = argv[i][21] == '=' ? argv[i] + 22 : (i + 1 < argc ? argv[++i] : "");
            struct stat sb;
            if (stat(v, &sb) != 0 && !strchr(v, '/')) { /* the seed suite passes the bare experiment name */
                snprintf(named, sizeof named, "results/%s", v);
                v = named;
            }
            dir = v;
        } else if (!strncmp(argv[i], "--plot_type", 11) || !strncmp(argv[i], "--plot", 6)) {
            size_t k = !strncmp(argv[i], "--plot_type", 11) ? 11 : 6;
            if (argv[i][k] != '=' && argv[i][k] != '\0') {
                fprintf(stderr, "locus bench report: unknown option %s\n", argv[i]);
                return 2;
            }
            plot_against = argv[i][k] == '=' ? argv[i] + k + 1 : (i + 1 < argc ? argv[++i] : "");
            const char *bad = report_plot_check(plot_against);
            if (bad) {
                fprintf(stderr, "locus bench report: %s\n", bad);
                return 2;
            }
        } else if (!strncmp(argv[i], "--overwrite", 11)) {
            if (argv[i][11] != '=' && i + 1 < argc && argv[i + 1][0] != '-')
                i++;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "locus bench report: unknown option %s\n", argv[i]);
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir || !dir[0]) {
        fprintf(stderr, "usage: locus bench report [--no-plots] [--plot=SETTING] RUN_DIR|EXPERIMENT_DIR\n");
        return 2;
    }
    return report_dir(dir, plots, plot_against) == 0 ? 0 : 1;
}
