/* `locus sched simulate`: option parsing, the policy x load sweep, and the outputs (report.c). */
#ifndef LOCUS_SCHED_SIMULATE_CMD_H
#define LOCUS_SCHED_SIMULATE_CMD_H

#include "sim.h"

/* argv[0] is "simulate". Returns the exit status. */
int sched_simulate_main(int argc, char **argv);

/* Summary of one run (report.c). */
typedef struct sched_run_stats {
    char policy[64];
    char load[32];
    double load_value;          /* jobs per hour, NAN when the run has no load axis */
    long jobs_simulated, jobs_finished, measured;
    double mean_h, p99_h, p999_h, makespan_h, end_h;
    long rounds, failed;
    long unfinished;            /* measured jobs that did not finish (sched_sim_result.unfinished) */
    sched_stop_reason stop;
} sched_run_stats;

/* Computes the stats of a finished run. */
void sched_run_stats_compute(sched_run_stats *st, const sched_sim_result *res);
/* Each writer below adds the path of every file it wrote, one a line, to `listing` (NULL = none). */
/* Writes OUT/<policy>/jobs_<load>.csv, rounds_<load>.csv and cdf_<load>.dat. Returns 0 or -1 (err set). */
int sched_report_run(const char *out, const sched_run_stats *st, const sched_sim_result *res, FILE *listing,
                     char *err, size_t errlen);
/* Writes OUT/summary.csv and OUT/<policy>/load_mean.csv, prints the summary table to f. */
int sched_report_summary(const char *out, const sched_run_stats *runs, int n, FILE *f, FILE *listing, char *err,
                         size_t errlen);
/* Draws the PNGs that have meaning for the runs into plot_dir with gnuplot (script plots.gp, its output in
 * plots.log). Returns 0, or -1 when gnuplot failed or left a PNG empty (err names it). */
int sched_report_plots(const char *out, const char *plot_dir, const sched_run_stats *runs, int n, FILE *listing,
                       char *err, size_t errlen);
/* Where --record_trace writes a run's jobs: <prefix><load>_<mechanism> (Synergy's naming: the load as Python
 * prints a float, 9.0 for runs without a load axis; no suffix for a policy without +fair/+tune/+opt). */
void sched_record_path(char *buf, size_t len, const char *prefix, double load, const char *policy);
/* "done", "bound", "stuck" or "overrun". */
const char *sched_stop_name(sched_stop_reason r);

#endif
