/* One simulation run: a cluster, a policy+mechanism and a workload driven through the deterministic event
 * loop (arrivals, lease ends and schedule rounds every R seconds). No I/O except the optional record-trace
 * stream, no clock reads; the only randomness is the seeded sched_rng created here from cfg->seed. */
#ifndef LOCUS_SCHED_SIM_H
#define LOCUS_SCHED_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "workload.h"

struct sched_sim_progress;

typedef struct sched_sim_cfg {
    sched_cluster_cfg cluster;
    sched_spec spec;
    sched_wl_kind kind;
    double jobs_per_hour;
    int split[3];
    long num_jobs;              /* synthetic/Philly: jobs to generate, 0 = unlimited */
    uint64_t seed;
    const sched_trace *trace;   /* replay / Philly jobs (borrowed) */
    bool philly_arrival;
    bool prioritize;            /* Philly: jobs 4000-4999 start with priority 1 (Synergy's --prioritize) */
    bool single_gpu;            /* synthetic jobs all take 1 GPU (the paper's single-GPU experiments) */
    bool static_start;          /* first schedule at t = 1 (static runs, replay with --static) */
    double round;               /* R in seconds */
    long measure_lo, measure_hi;/* measured ids [lo, hi); lo < 0 measures every job */
    FILE *record;               /* if set, every generated job is written in replay format */
    int queue_heap_above, queue_heap_below; /* sched_queue_init's thresholds (0 = defaults; tests) */
    double max_time;            /* simulated seconds; a run reaching it stops (SIM_STOP_BOUND); 0 = none */
    double max_overrun;         /* seconds after the last measured job arrived; past it with measured jobs
                                   unfinished the run stops (SIM_STOP_OVERRUN); 0 = none */
    /* Called every SCHED_PROGRESS_ROUNDS schedule rounds with the run's state (the caller may read a clock
     * and print; the simulation never does). NULL = none. */
    void (*progress)(void *arg, const struct sched_sim_progress *p);
    void *progress_arg;
} sched_sim_cfg;

#define SCHED_PROGRESS_ROUNDS 64

typedef struct sched_sim_progress {
    double now;                 /* simulated seconds */
    long rounds, arrived, finished;
    long measured_left;         /* measured jobs not finished yet (of those the workload can produce) */
    int runnable;               /* runnable queue length */
} sched_sim_progress;

typedef enum sched_stop_reason {
    SIM_STOP_DONE,              /* every measured job finished, or no job left to run or to arrive */
    SIM_STOP_BOUND,             /* max_time reached */
    SIM_STOP_STUCK,             /* jobs left that no round could place on the empty cluster for > 1000 h */
    SIM_STOP_OVERRUN,           /* max_overrun passed since the last measured job arrived */
} sched_stop_reason;

typedef struct sched_job_result {
    int id;
    const char *model;          /* static profile string */
    int gpus;
    double arrival, finish, jct;/* seconds */
} sched_job_result;

typedef struct sched_round_sample {
    double time;                /* seconds */
    double alloc[3], util[3], demand[3]; /* percent of the cluster, for GPU, CPU, memory */
    int runnable, running;
} sched_round_sample;

/* One round's sample (percentages of the cluster allocated, used within demand, demanded; counts) from the
 * cluster and the round's placed jobs: the simulator's and the live scheduler's series are the same. */
void sched_round_sample_fill(sched_round_sample *smp, double t, const sched_cluster *c, const sched_job *jobs,
                             const int *placed, int n_placed, int runnable);

typedef struct sched_sim_result {
    sched_job_result *jobs;     /* measured jobs that finished, by finish order */
    long n_jobs;
    sched_round_sample *rounds;
    long n_rounds;
    long jobs_simulated;        /* jobs that arrived */
    long jobs_finished;         /* all finished jobs, measured or not */
    long failed_placements;     /* jobs a mechanism could not place although GPUs were free */
    double end_time;            /* simulated seconds at the end */
    long measured_expected;     /* measured jobs the workload produces (-1: open-ended, unknown) */
    long unfinished;            /* of those, how many did not finish (0 after a SIM_STOP_DONE run) */
    sched_stop_reason stop;
    long queue_mode_changes;    /* the runnable queue's moves between heap and array mode */
} sched_sim_result;

/* Runs one simulation. On success returns 0 and fills res (caller frees with sched_sim_result_free);
 * on error returns -1 with err set. */
int sched_simulate(const sched_sim_cfg *cfg, sched_sim_result *res, char *err, size_t errlen);

/* One job as a line of the replay format (id,model,arrival_s,total_iterations,gpu_demand), the arrival in the
 * shortest decimal that reads back as the same double, so a recorded trace replays exactly. */
void sched_record_job(FILE *f, const sched_job *j);
void sched_sim_result_free(sched_sim_result *res); /* accepts a zeroed result */

/* Linear-interpolated quantile (numpy's default) of n sorted values; 0 if n == 0. */
double sched_quantile(const double *sorted, long n, double q);

#endif
