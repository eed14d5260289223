/* Post-processing of a scaling run: per-session statistics from the ranks' timing CSVs, one CSV for the
 * whole run, aggregate throughput, gnuplot plots and a terminal summary. Runs at the end of every
 * `locus bench` run and alone as `locus bench report RUN_DIR`. */
#ifndef LOCUS_BENCH_REPORT_H
#define LOCUS_BENCH_REPORT_H

#include <stddef.h>

typedef struct fn_stats {
    char function[64];
    size_t count;
    double min, p50, mean, p99, max, total;
} fn_stats;

/* Statistics of n samples (sorted in place): linear-interpolated quantiles. */
void stats_of(double *v, size_t n, fn_stats *out);
/* Quantile q in [0,1] of sorted values, linear interpolation between closest ranks. */
double quantile_sorted(const double *v, size_t n, double q);

/* Process every session directory of run_dir; with plot_against (a --plot setting, or NULL) the rate is also
 * drawn against that setting. Returns 0, or -1 with a message naming the bad file. */
int report_run(const char *run_dir, int plots, const char *plot_against);
/* NULL when name is a setting --plot accepts (or empty), else a message listing them. */
const char *report_plot_check(const char *name);

int locus_bench_report_main(int argc, char **argv);

#endif
