/* Outputs of `locus sched simulate`: per-run CSVs (per-job results, per-round allocation/utilisation/demand,
 * JCT CDF points), the summary CSV and table, per-policy load,mean CSVs, and gnuplot PNGs. Everything written
 * here is a pure function of the simulation results, so identical runs give byte-identical files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simulate_cmd.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_result_id(const void *a, const void *b)
{
    const sched_job_result *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void sched_run_stats_compute(sched_run_stats *st, const sched_sim_result *res)
{
    long n = res->n_jobs;
    double *h = malloc((size_t)(n ? n : 1) * sizeof *h);
    double sum = 0, first = INFINITY, last = 0;
    for (long i = 0; i < n && h; i++) {
        h[i] = res->jobs[i].jct / 3600.0;
        sum += h[i];
        if (res->jobs[i].arrival < first) first = res->jobs[i].arrival;
        if (res->jobs[i].finish > last) last = res->jobs[i].finish;
    }
    if (h) qsort(h, (size_t)n, sizeof *h, cmp_double);
    st->jobs_simulated = res->jobs_simulated;
    st->jobs_finished = res->jobs_finished;
    st->measured = n;
    st->mean_h = n && h ? sum / n : 0;
    st->p99_h = h ? sched_quantile(h, n, 0.99) : 0;
    st->p999_h = h ? sched_quantile(h, n, 0.999) : 0;
    st->makespan_h = n ? (last - first) / 3600.0 : 0;
    st->end_h = res->end_time / 3600.0;
    st->rounds = res->n_rounds;
    st->failed = res->failed_placements;
    st->unfinished = res->unfinished;
    st->stop = res->stop;
    free(h);
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c == '/' || c == '\0') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
        }
        if (c == '\0') break;
    }
    return 0;
}

static FILE *open_out(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

/* Closes an output file and, on success, adds its path to the listing (NULL = none). */
static int close_out(FILE *f, const char *path, FILE *listing, char *err, size_t errlen)
{
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    if (listing) fprintf(listing, "  %s\n", path);
    return 0;
}

int sched_report_run(const char *out, const sched_run_stats *st, const sched_sim_result *res, FILE *listing,
                     char *err, size_t errlen)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/%s", out, st->policy);
    if (mkdir_p(dir, err, errlen)) return -1;

    sched_job_result *sorted = malloc((size_t)(res->n_jobs ? res->n_jobs : 1) * sizeof *sorted);
    if (!sorted) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (res->n_jobs > 0)
        memcpy(sorted, res->jobs, (size_t)res->n_jobs * sizeof *sorted);
    qsort(sorted, (size_t)res->n_jobs, sizeof *sorted, cmp_result_id);
    snprintf(path, sizeof path, "%s/jobs_%s.csv", dir, st->load);
    FILE *f = open_out(path, err, errlen);
    if (!f) {
        free(sorted);
        return -1;
    }
    fprintf(f, "id,model,gpus,arrival_s,finish_s,jct_s,jct_h\n");
    for (long i = 0; i < res->n_jobs; i++) {
        const sched_job_result *r = &sorted[i];
        fprintf(f, "%d,%s,%d,%.3f,%.3f,%.3f,%.6f\n", r->id, r->model, r->gpus, r->arrival, r->finish, r->jct,
                r->jct / 3600.0);
    }
    if (close_out(f, path, listing, err, errlen)) {
        free(sorted);
        return -1;
    }

    /* CDF points: JCT hours against the fraction of measured jobs done */
    double *h = malloc((size_t)(res->n_jobs ? res->n_jobs : 1) * sizeof *h);
    for (long i = 0; h && i < res->n_jobs; i++) h[i] = sorted[i].jct / 3600.0;
    free(sorted);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    qsort(h, (size_t)res->n_jobs, sizeof *h, cmp_double);
    snprintf(path, sizeof path, "%s/cdf_%s.dat", dir, st->load);
    if (!(f = open_out(path, err, errlen))) {
        free(h);
        return -1;
    }
    fprintf(f, "# jct_h fraction\n");
    for (long i = 0; i < res->n_jobs; i++) fprintf(f, "%.6f %.6f\n", h[i], (double)(i + 1) / res->n_jobs);
    free(h);
    if (close_out(f, path, listing, err, errlen)) return -1;

    snprintf(path, sizeof path, "%s/rounds_%s.csv", dir, st->load);
    if (!(f = open_out(path, err, errlen))) return -1;
    fprintf(f, "time_h,gpu_alloc,cpu_alloc,mem_alloc,gpu_util,cpu_util,mem_util,gpu_demand,cpu_demand,mem_demand,"
               "runnable,running\n");
    for (long i = 0; i < res->n_rounds; i++) {
        const sched_round_sample *s = &res->rounds[i];
        fprintf(f, "%.6f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d\n", s->time / 3600.0, s->alloc[0],
                s->alloc[1], s->alloc[2], s->util[0], s->util[1], s->util[2], s->demand[0], s->demand[1],
                s->demand[2], s->runnable, s->running);
    }
    return close_out(f, path, listing, err, errlen);
}

/* Whether runs[i] is the first run with its load (by_load) or with its policy (!by_load). */
static bool first_of(const sched_run_stats *runs, int i, bool by_load)
{
    for (int k = 0; k < i; k++)
        if (strcmp(by_load ? runs[k].load : runs[k].policy, by_load ? runs[i].load : runs[i].policy) == 0)
            return false;
    return true;
}

int sched_report_summary(const char *out, const sched_run_stats *runs, int n, FILE *tf, FILE *listing, char *err,
                         size_t errlen)
{
    char path[4200];
    if (mkdir_p(out, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/summary.csv", out);
    FILE *f = open_out(path, err, errlen);
    if (!f) return -1;
    fprintf(f, "policy,load,jobs_simulated,jobs_finished,jobs_measured,mean_jct_h,p99_jct_h,p999_jct_h,"
               "makespan_h,rounds,failed_placements,unfinished,stop,end_h\n");
    for (int i = 0; i < n; i++) {
        const sched_run_stats *r = &runs[i];
        fprintf(f, "%s,%s,%ld,%ld,%ld,%.6f,%.6f,%.6f,%.6f,%ld,%ld,%ld,%s,%.6f\n", r->policy, r->load,
                r->jobs_simulated, r->jobs_finished, r->measured, r->mean_h, r->p99_h, r->p999_h, r->makespan_h,
                r->rounds, r->failed, r->unfinished, sched_stop_name(r->stop), r->end_h);
    }
    if (close_out(f, path, listing, err, errlen)) return -1;

    /* load,mean per policy, in the order the policies first appear */
    for (int i = 0; i < n; i++) {
        if (!first_of(runs, i, false)) continue;
        snprintf(path, sizeof path, "%s/%s/load_mean.csv", out, runs[i].policy);
        if (!(f = open_out(path, err, errlen))) return -1;
        fprintf(f, "load,mean\n");
        for (int k = i; k < n; k++)
            if (strcmp(runs[k].policy, runs[i].policy) == 0) fprintf(f, "%s,%.6f\n", runs[k].load, runs[k].mean_h);
        if (close_out(f, path, listing, err, errlen)) return -1;
    }

    bool any_unfinished = false;
    for (int i = 0; i < n; i++) any_unfinished |= runs[i].unfinished != 0;
    fprintf(tf, "%-18s %8s %8s %8s %9s %9s %9s %10s%s\n", "policy", "load", "jobs", "measured", "mean_h", "p99_h",
            "p99.9_h", "makespan_h", any_unfinished ? " unfinished" : "");
    for (int i = 0; i < n; i++) {
        const sched_run_stats *r = &runs[i];
        fprintf(tf, "%-18s %8s %8ld %8ld %9.3f %9.3f %9.3f %10.2f", r->policy, r->load, r->jobs_simulated,
                r->measured, r->mean_h, r->p99_h, r->p999_h, r->makespan_h);
        if (any_unfinished) fprintf(tf, " %10ld", r->unfinished);
        fprintf(tf, "\n");
    }
    return 0;
}

const char *sched_stop_name(sched_stop_reason r)
{
    static const char *const names[] = {[SIM_STOP_DONE] = "done", [SIM_STOP_BOUND] = "bound",
                                        [SIM_STOP_STUCK] = "stuck", [SIM_STOP_OVERRUN] = "overrun"};
    return names[r];
}


/* ", load 9 jobs/h", or nothing for runs without a load axis (replay, static, Philly arrivals). */
static void load_title(char *buf, size_t len, const sched_run_stats *r)
{
    if (isnan(r->load_value))
        buf[0] = '\0';
    else
        snprintf(buf, len, ", load %s jobs/h", r->load);
}

/* Adds a PNG to the list of plots the script will draw. */
static int want_png(char (*pngs)[4200], int *n, int max, const char *dir, const char *name)
{
    if (*n == max) return -1;
    snprintf(pngs[*n], sizeof pngs[*n], "%s/%s", dir, name);
    (*n)++;
    return 0;
}

/* Plots that mean something for the runs: a JCT CDF per load (runs that measured jobs), average JCT against
 * load (only with two or more loads), and per run a three-panel utilisation plot (GPU, CPU, memory: allocation,
 * utilisation and demand side by side, legend outside). gnuplot's output goes to plots.log; a failure or an
 * empty PNG is an error that names the file. Policy names are [A-Za-z+], loads numbers or "all", so plain
 * quoting is enough in the script. */
int sched_report_plots(const char *out, const char *plot_dir, const sched_run_stats *runs, int n, FILE *listing,
                       char *err, size_t errlen)
{
    if (mkdir_p(plot_dir, err, errlen)) return -1;
    enum { MAX_PNGS = 4096 };
    char(*pngs)[4200] = malloc(MAX_PNGS * sizeof *pngs);
    if (!pngs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n_png = 0, rc = -1;
    char script[4200], log[4200], name[256];
    snprintf(script, sizeof script, "%s/plots.gp", plot_dir);
    snprintf(log, sizeof log, "%s/plots.log", plot_dir);
    FILE *f = open_out(script, err, errlen);
    if (!f) goto done;
    fprintf(f, "set terminal pngcairo size 1000,600 noenhanced\nset key outside right top\nset grid\n");

    for (int i = 0; i < n; i++) { /* JCT CDF: one PNG per load, one line per policy that measured jobs */
        if (!first_of(runs, i, true)) continue;
        bool any = false;
        for (int k = i; k < n; k++) any |= strcmp(runs[k].load, runs[i].load) == 0 && runs[k].measured > 0;
        if (!any) continue;
        snprintf(name, sizeof name, "jct_cdf_%s.png", runs[i].load);
        if (want_png(pngs, &n_png, MAX_PNGS, plot_dir, name)) break;
        char what[64];
        load_title(what, sizeof what, &runs[i]);
        fprintf(f, "set output '%s'\nset title 'JCT CDF%s'\nset xlabel 'JCT (hours)'\n"
                   "set ylabel 'fraction of jobs'\nset logscale x\nset datafile separator whitespace\nplot ",
                pngs[n_png - 1], what);
        bool comma = false;
        for (int k = i; k < n; k++)
            if (strcmp(runs[k].load, runs[i].load) == 0 && runs[k].measured > 0) {
                fprintf(f, "%s'%s/%s/cdf_%s.dat' using 1:2 with lines lw 2 title '%s'", comma ? ", " : "", out,
                        runs[k].policy, runs[k].load, runs[k].policy);
                comma = true;
            }
        fprintf(f, "\nunset logscale x\n");
    }

    int n_loads = 0;
    for (int i = 0; i < n; i++) n_loads += first_of(runs, i, true) && !isnan(runs[i].load_value);
    if (n_loads >= 2 && want_png(pngs, &n_png, MAX_PNGS, plot_dir, "avg_jct_vs_load.png") == 0) {
        fprintf(f, "set output '%s'\nset title 'Average JCT against load'\nset xlabel 'load (jobs/hour)'\n"
                   "set ylabel 'average JCT (hours)'\nset datafile separator ','\nplot ",
                pngs[n_png - 1]);
        bool comma = false;
        for (int i = 0; i < n; i++) {
            if (!first_of(runs, i, false)) continue;
            fprintf(f, "%s'%s/%s/load_mean.csv' using 1:2 skip 1 with linespoints lw 2 title '%s'",
                    comma ? ", " : "", out, runs[i].policy, runs[i].policy);
            comma = true;
        }
        fprintf(f, "\n");
    }

    /* Utilisation over time: rounds_<load>.csv columns 2-4 allocation, 5-7 utilisation, 8-10 demand
     * (GPU, CPU, memory), percent of the cluster. */
    static const char *const res_names[3] = {"GPU", "CPU", "memory"};
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "util_%s_%s.png", runs[i].policy, runs[i].load);
        if (want_png(pngs, &n_png, MAX_PNGS, plot_dir, name)) break;
        char what[64];
        load_title(what, sizeof what, &runs[i]);
        fprintf(f, "set terminal pngcairo size 1000,900 noenhanced\nset output '%s'\nset datafile separator ','\n"
                   "set multiplot layout 3,1 title 'Cluster use, %s%s'\n",
                pngs[n_png - 1], runs[i].policy, what);
        for (int r = 0; r < 3; r++) {
            fprintf(f, "set title '%s'\nset ylabel 'percent of cluster'\nset xlabel '%s'\n", res_names[r],
                    r == 2 ? "time (hours)" : "");
            /* allocation wide and pale under utilisation, demand dashed on top: lines that coincide stay
             * visible */
            fprintf(f, "plot '%s/%s/rounds_%s.csv' using 1:%d skip 1 with lines lw 5 lc rgb '#a6cee3' title "
                       "'allocated', '' using 1:%d skip 1 with lines lw 1.5 lc rgb '#1f3a93' title 'utilised', '' "
                       "using 1:%d skip 1 with lines lw 1.5 dt 2 lc rgb '#d62728' title 'demand'\n",
                    out, runs[i].policy, runs[i].load, 2 + r, 5 + r, 8 + r);
        }
        fprintf(f, "unset multiplot\nset terminal pngcairo size 1000,600 noenhanced\n");
    }
    if (close_out(f, script, NULL, err, errlen)) goto done;
    if (n_png == MAX_PNGS) {
        snprintf(err, errlen, "more than %d plots for one command; run fewer policies or loads", MAX_PNGS - 1);
        goto done;
    }

    char cmd[8600];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' > '%s' 2>&1", script, log);
    int st = system(cmd);
    if (st != 0) {
        char first[300] = "";
        FILE *lf = fopen(log, "r");
        if (lf) {
            if (!fgets(first, sizeof first, lf)) first[0] = '\0';
            fclose(lf);
        }
        first[strcspn(first, "\n")] = '\0';
        snprintf(err, errlen, "gnuplot failed on %s (exit status %d%s%s; see %s)", script, st, first[0] ? ": " : "",
                 first, log);
        goto done;
    }
    struct stat sb;
    if (stat(log, &sb) == 0 && sb.st_size > 0)
        fprintf(stderr, "locus sched simulate: gnuplot printed warnings, see %s\n", log);
    for (int i = 0; i < n_png; i++) {
        if (stat(pngs[i], &sb) != 0 || sb.st_size == 0) {
            snprintf(err, errlen, "gnuplot did not draw %s (see %s)", pngs[i], log);
            goto done;
        }
        if (listing) fprintf(listing, "  %s\n", pngs[i]);
    }
    rc = 0;
done:
    free(pngs);
    return rc;
}
