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

static int close_out(FILE *f, const char *path, char *err, size_t errlen)
{
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int sched_report_run(const char *out, const sched_run_stats *st, const sched_sim_result *res, char *err,
                     size_t errlen)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/%s", out, st->policy);
    if (mkdir_p(dir, err, errlen)) return -1;

    sched_job_result *sorted = malloc((size_t)(res->n_jobs ? res->n_jobs : 1) * sizeof *sorted);
    if (!sorted) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
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
    if (close_out(f, path, err, errlen)) {
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
    if (close_out(f, path, err, errlen)) return -1;

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
    return close_out(f, path, err, errlen);
}

int sched_report_summary(const char *out, const sched_run_stats *runs, int n, FILE *tf, char *err, size_t errlen)
{
    char path[4200];
    if (mkdir_p(out, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/summary.csv", out);
    FILE *f = open_out(path, err, errlen);
    if (!f) return -1;
    fprintf(f, "policy,load,jobs_simulated,jobs_finished,jobs_measured,mean_jct_h,p99_jct_h,p999_jct_h,"
               "makespan_h,rounds,failed_placements\n");
    for (int i = 0; i < n; i++) {
        const sched_run_stats *r = &runs[i];
        fprintf(f, "%s,%s,%ld,%ld,%ld,%.6f,%.6f,%.6f,%.6f,%ld,%ld\n", r->policy, r->load, r->jobs_simulated,
                r->jobs_finished, r->measured, r->mean_h, r->p99_h, r->p999_h, r->makespan_h, r->rounds, r->failed);
    }
    if (close_out(f, path, err, errlen)) return -1;

    /* load,mean per policy, in the order the policies first appear */
    for (int i = 0; i < n; i++) {
        bool first = true;
        for (int k = 0; k < i; k++)
            if (strcmp(runs[k].policy, runs[i].policy) == 0) first = false;
        if (!first) continue;
        snprintf(path, sizeof path, "%s/%s/load_mean.csv", out, runs[i].policy);
        if (!(f = open_out(path, err, errlen))) return -1;
        fprintf(f, "load,mean\n");
        for (int k = i; k < n; k++)
            if (strcmp(runs[k].policy, runs[i].policy) == 0) fprintf(f, "%s,%.6f\n", runs[k].load, runs[k].mean_h);
        if (close_out(f, path, err, errlen)) return -1;
    }

    fprintf(tf, "%-18s %8s %8s %8s %9s %9s %9s %10s\n", "policy", "load", "jobs", "measured", "mean_h", "p99_h",
            "p99.9_h", "makespan_h");
    for (int i = 0; i < n; i++) {
        const sched_run_stats *r = &runs[i];
        fprintf(tf, "%-18s %8s %8ld %8ld %9.3f %9.3f %9.3f %10.2f\n", r->policy, r->load, r->jobs_simulated,
                r->measured, r->mean_h, r->p99_h, r->p999_h, r->makespan_h);
    }
    return 0;
}

/* gnuplot wants quotes in file names escaped; policy names are [A-Za-z+] so plain quoting is enough. */
int sched_report_plots(const char *out, const char *plot_dir, const sched_run_stats *runs, int n, char *err,
                       size_t errlen)
{
    if (mkdir_p(plot_dir, err, errlen)) return -1;
    char script[4200];
    snprintf(script, sizeof script, "%s/plots.gp", plot_dir);
    FILE *f = open_out(script, err, errlen);
    if (!f) return -1;
    fprintf(f, "set terminal pngcairo size 900,600 noenhanced\nset datafile separator whitespace\nset key bottom right\n");
    /* JCT CDF: one PNG per load, one line per policy */
    for (int i = 0; i < n; i++) {
        bool first = true;
        for (int k = 0; k < i; k++)
            if (strcmp(runs[k].load, runs[i].load) == 0) first = false;
        if (!first) continue;
        fprintf(f, "set output '%s/jct_cdf_%s.png'\nset title 'JCT CDF, load %s'\nset xlabel 'JCT (hours)'\n"
                   "set ylabel 'fraction of jobs'\nset logscale x\nplot ",
                plot_dir, runs[i].load, runs[i].load);
        bool comma = false;
        for (int k = i; k < n; k++)
            if (strcmp(runs[k].load, runs[i].load) == 0) {
                fprintf(f, "%s'%s/%s/cdf_%s.dat' using 1:2 with lines title '%s'", comma ? ", " : "", out,
                        runs[k].policy, runs[k].load, runs[k].policy);
                comma = true;
            }
        fprintf(f, "\nunset logscale x\n");
    }
    /* average JCT against load, one line per policy */
    fprintf(f, "set datafile separator ','\nset output '%s/avg_jct_vs_load.png'\nset title 'Average JCT'\n"
               "set xlabel 'Load (jobs/hour)'\nset ylabel 'Avg. JCT (hours)'\nset key top left\nplot ", plot_dir);
    bool comma = false;
    for (int i = 0; i < n; i++) {
        bool first = true;
        for (int k = 0; k < i; k++)
            if (strcmp(runs[k].policy, runs[i].policy) == 0) first = false;
        if (!first) continue;
        fprintf(f, "%s'%s/%s/load_mean.csv' using 1:2 skip 1 with linespoints title '%s'", comma ? ", " : "", out,
                runs[i].policy, runs[i].policy);
        comma = true;
    }
    fprintf(f, "\n");
    /* utilisation over time, one PNG per run */
    for (int i = 0; i < n; i++)
        fprintf(f, "set output '%s/util_%s_%s.png'\nset title 'Utilisation, %s, load %s'\nset xlabel 'time (hours)'\n"
                   "set ylabel 'percent of cluster'\nset key top right\nplot '%s/%s/rounds_%s.csv' using 1:2 skip 1 "
                   "with lines title 'GPU alloc', '' using 1:3 skip 1 with lines title 'CPU alloc', '' using 1:4 "
                   "skip 1 with lines title 'mem alloc', '' using 1:6 skip 1 with lines title 'CPU util', '' using "
                   "1:9 skip 1 with lines title 'CPU demand'\n",
                plot_dir, runs[i].policy, runs[i].load, runs[i].policy, runs[i].load, out, runs[i].policy,
                runs[i].load);
    if (close_out(f, script, err, errlen)) return -1;
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>&1", script);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(err, errlen, "gnuplot failed on %s (exit %d); is gnuplot installed?", script, rc);
        return -1;
    }
    return 0;
}
