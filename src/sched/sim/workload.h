/* Workloads for the simulator: synthetic jobs with Poisson or static arrivals, replay of a recorded trace,
 * and the Philly cluster_job_log. A workload hands out jobs one at a time in arrival order; all randomness
 * comes from the sched_rng passed in (no globals, no clocks). Traces are parsed here and rejected with
 * "file:line: reason" when malformed. */
#ifndef LOCUS_SCHED_WORKLOAD_H
#define LOCUS_SCHED_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/core.h"
#include "rng.h"

typedef enum sched_wl_kind {
    WL_POISSON,  /* synthetic, Poisson arrivals at jobs_per_hour */
    WL_STATIC,   /* synthetic, job i at i * 0.001 s */
    WL_REPLAY,   /* recorded trace: id,model,arrival_s,total_iterations,gpu_demand */
    WL_PHILLY,   /* Philly cluster_job_log JSON */
} sched_wl_kind;

#define SCHED_MAX_ARRIVAL_S 1e9 /* a replayed arrival (about 31.7 years); the run steps through every round */

typedef struct sched_trace_job {
    int id;
    char model[32];
    double arrival;    /* seconds */
    double iters;      /* replay: iterations; Philly: duration in seconds at fair share */
    int gpus;
    int order;         /* Philly: position among the kept jobs in file order (exp-mode durations follow it) */
} sched_trace_job;

typedef struct sched_trace {
    sched_trace_job *jobs;
    int n;
    bool exponential;  /* Philly without --no_exp: durations are drawn per run (sched_philly_draw_durations) */
} sched_trace;

/* Reads a replay trace (format above, no header; blank lines and lines starting with '#' are skipped).
 * `max_gpus` bounds the GPU demand. Caller frees with sched_trace_free. Returns 0 or -1 ("file:line: ..."). */
int sched_trace_load(sched_trace *t, const char *path, int max_gpus, char *err, size_t errlen);
/* Reads a Philly cluster_job_log (rules in philly.c): keeps jobs with attempts and 10^1.5..10^4 minutes of
 * summed duration; multigpu keeps demands in {1,2,4,8,16} (otherwise every job gets 1 GPU); without
 * `exponential` (--no_exp) keeps real arrivals in (2400 h, 3000 h), at most 8000 jobs, sorted and shifted to
 * t = 0, and `iters` holds the real duration in seconds. With `exponential` the trace order and raw arrivals
 * are kept and durations are drawn per run. Caller frees with sched_trace_free. Returns 0 or -1 with
 * "file:line: reason" in err. */
int sched_philly_load(sched_trace *t, const char *path, bool multigpu, bool exponential, char *err,
                      size_t errlen);
/* Exp-mode Philly: one synthetic duration per trace job (80 % 60*10^U(1.5,3) s, else 60*10^U(3,4) s), drawn
 * in trace order before the run's other draws, as the reference does at parse time. Returns a malloc'ed
 * array of t->n seconds the caller frees, or NULL when out of memory. */
double *sched_philly_draw_durations(const sched_trace *t, sched_rng *rng);
/* Stable sort by arrival, ids renumbered 0.. in the new order (each job keeps its `order`). For exp-mode
 * Philly traces with --philly_arrival, whose file order is not arrival order: the reference walks the file
 * and lets its clock run backwards; we keep time monotonic. Returns 1 if the order changed, else 0. */
int sched_trace_sort_by_arrival(sched_trace *t);
void sched_trace_free(sched_trace *t);
/* A Philly trace ready for a run on n_gpus GPUs, as `simulate` and `serve` take it: loaded, every kept job
 * fitting the cluster (else -1, "path: a kept job needs N GPUs, ..."), and with --philly_arrival in exp mode
 * sorted by arrival (*reordered set when the file was not in arrival order). */
int sched_philly_prepare(sched_trace *t, const char *path, bool multigpu, bool exponential, bool philly_arrival,
                         int n_gpus, bool *reordered, char *err, size_t errlen);
/* --class_split "I,L,S": three non-negative percentages adding to 100 into split. 0, or -1. */
int sched_parse_class_split(const char *text, int split[3]);

typedef struct sched_workload {
    sched_wl_kind kind;
    sched_rng *rng;                 /* borrowed */
    const sched_cluster *cluster;   /* borrowed */
    const sched_trace *trace;       /* borrowed; replay and Philly */
    const double *philly_dur;       /* borrowed; exp-mode Philly durations per trace job, else NULL */
    int ratio;                      /* profile set (CPUs per GPU) */
    double jobs_per_hour;
    int split[3];                   /* image, language, speech percent */
    long limit;                     /* synthetic: jobs to generate, 0 = unlimited */
    bool philly_arrival;
    bool prioritize;                /* Philly: ids 4000-4999 start with priority 1 */
    bool single_gpu;                /* synthetic: draw the GPU demand as the reference does, then use 1 */
    long generated;
    int task_total[3];
    int task_next[3];
} sched_workload;

/* Produces the next job (fields for a fresh, unallocated job) given the arrival time of the previous one.
 * Returns 1, 0 when exhausted, -1 on error (err set). */
int sched_workload_next(sched_workload *wl, double last_arrival, sched_job *out, char *err, size_t errlen);

/* Model name to profile for this workload's cluster ratio (NULL if unknown). */
const sched_profile *sched_workload_profile(const sched_workload *wl, const char *model);

#endif
