/* The scheduler core shared by the simulator and the live scheduler: the cluster (servers with capacity, used
 * and held resource vectors), jobs with their profiles and allocations, and one scheduling round (policy order
 * + allocation mechanism) following the Synergy reference semantics.
 *
 * Resource vectors are [gpu, cpu, mem, sspeed, net]. Everything here is pure computation: no I/O, no clocks,
 * no randomness, no global or thread-local state (scratch memory belongs to the caller's cluster and queue).
 * Errors are reported by return value with a message in a caller-provided buffer; nothing aborts.
 *
 * The contract for a caller (the simulator, sim/; a live scheduler):
 *   - Jobs live in an array the caller owns and grows; the core names them by position in it. A job's
 *     arrival, demand (sched_job_apply_profile) and progress (executed, attained) are the caller's to keep.
 *   - Time is the caller's: `now` may come from any monotonic clock, in seconds, as long as arrivals and
 *     rounds use the same one.
 *   - The caller adds arrived jobs to the queue (sched_queue_add), ends every placed job's lease before the next
 *     round (sched_release, then sched_queue_ran), and removes finished jobs (sched_queue_remove).
 *   - sched_round returns the round's placements (ctx->placed): each placed job's allocation (alloc[],
 *     n_alloc) and the seconds per iteration it runs at there (round_iter_time; sched_job_round_iters gives
 *     the iterations a round of R seconds completes). The core never changes a job's progress: the simulator
 *     credits sched_job_round_iters at lease end, a live scheduler what the job reports. */
#ifndef LOCUS_SCHED_CORE_H
#define LOCUS_SCHED_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include "profiles.h"

enum { R_GPU, R_CPU, R_MEM, R_SSPEED, R_NET, R_N };

#define SCHED_MAX_SPAN 32 /* most servers one job may span (= most GPUs per job we accept) */
#define SCHED_MAX_SERVERS 100000   /* racks x servers_per_rack */
#define SCHED_MAX_GPUS 1000000     /* servers x gpus_per_server */
#define SCHED_MAX_CFG_VALUE 1000000 /* any one [CLUSTER] value */

/* ---- cluster ---------------------------------------------------------------------------------------- */

typedef struct sched_cluster_cfg {
    int racks, servers_per_rack, gpus_per_server, cpus_per_server;
    int dram_per_server, sspeed_per_server, net_per_server;
} sched_cluster_cfg;

/* A server in a heap ordered by free GPUs (placement.c); the cluster owns the scratch for one. */
typedef struct sched_srv_ent {
    int key, id;
} sched_srv_ent;

typedef struct sched_server {
    double cap[R_N];
    double used[R_N];
    double hold[R_N];  /* tentatively held during one allocation attempt, released after it */
    int *sched_jobs;   /* jobs placed on this server in the current round, in placement order */
    int n_sched, cap_sched;
} sched_server;

typedef struct sched_cluster {
    sched_cluster_cfg cfg;
    int n_servers, n_gpus;
    sched_server *servers;
    double total[R_N];          /* cluster-wide capacity */
    double per_server[R_N];     /* int(total / servers) per component, as the reference computes it */
    double fair[R_N];           /* fair share per GPU = per_server / GPUs per server */
    sched_srv_ent *scratch;     /* n_servers + 1 entries: the heaps of one allocation attempt */
} sched_cluster;

/* Default config: 1 rack x 16 servers x (8 GPUs, 24 CPUs, 500 GB, 500 MB/s, 40 Gbps) = 128 GPUs. */
void sched_cluster_cfg_default(sched_cluster_cfg *cfg);
/* (A configuration is read from a file by conf/cluster_ini.h.) */
/* Checks the sizes against SCHED_MAX_SERVERS and SCHED_MAX_GPUS. Returns 0 or -1 with the reason in err. */
int sched_cluster_cfg_check(const sched_cluster_cfg *cfg, char *err, size_t errlen);
/* Builds the cluster; caller owns it and frees it with sched_cluster_free. Returns 0 or -1 (err set). */
int sched_cluster_init(sched_cluster *c, const sched_cluster_cfg *cfg, char *err, size_t errlen);
void sched_cluster_free(sched_cluster *c); /* accepts a zeroed cluster */
/* Free GPUs in the whole cluster. */
int sched_cluster_free_gpus(const sched_cluster *c);

/* ---- jobs ------------------------------------------------------------------------------------------- */

typedef struct sched_alloc {
    int server;
    double res[R_N]; /* gpu, cpu, mem, sspeed (net unused) granted on that server */
} sched_alloc;

typedef struct sched_job {
    int id;
    const sched_profile *prof;
    double arrival;             /* seconds */
    int gpu_demand;
    double iter_time;           /* seconds per iteration at fair share */
    long total_iters;
    long executed;              /* progress: the caller's (see the contract above) */
    double attained;            /* seconds of service (rounds x R): the caller's */
    double last_exec;           /* end of the last lease, -1 if never run */
    int priority;               /* 1 once starved (> 1000 h without running) */
    double demand[R_N];         /* ideal demand, total over the job's GPUs (net 0) */
    double speedup_orig;        /* speed-up at the ideal demand */
    double speedup;             /* current speed-up (1 once shrunk to the fair share this round) */
    double opt_tput;            /* +opt: throughput granted this round (speed factor), 0 if none */
    double round_iter_time;     /* seconds per iteration at this round's allocation; 0 when not placed */
    int n_alloc;
    sched_alloc alloc[SCHED_MAX_SPAN];
    int alloc_gpus;
    bool finished;
    double finish;
    int cls;                    /* task class 0 image, 1 language, 2 speech */
} sched_job;

/* Fills demand and speed-up from the profile per the spec (capping at one server, linear re-interpolation
 * of the speed-up in CPU). `job->gpu_demand` and `job->prof` must be set. */
void sched_job_apply_profile(sched_job *job, const sched_cluster *c);
/* Allocated totals [gpu, cpu, mem, sspeed, 0]. */
void sched_job_alloc_vec(const sched_job *job, double out[R_N]);
/* GPUs this job holds on server s. */
int sched_job_gpus_on(const sched_job *job, int s);
/* Iterations the job's current allocation completes in `round` seconds (floor(round / round_iter_time)),
 * at most what it has left; 0 when it is not placed. */
long sched_job_round_iters(const sched_job *job, double round);

/* ---- one scheduling round --------------------------------------------------------------------------- */

typedef struct sched_policy sched_policy;
typedef struct sched_mechanism sched_mechanism;

typedef struct sched_spec {
    const sched_policy *policy;
    const sched_mechanism *mech;
    bool place;                 /* +place: consolidating placement */
    char name[64];              /* canonical "NAME[+place][+mech]" */
} sched_spec;

/* Parses "FIFO", "SRTF+tune", "LAS+place+fair", ... Returns 0 or -1 with a reason in err. */
int sched_spec_parse(sched_spec *sp, const char *name, char *err, size_t errlen);
/* Writes the valid names to a buffer for --help. */
void sched_spec_list(char *buf, size_t len);

/* Policy facts the queue needs (policy.c). The key is the policy's sort key of a job at time `now`
 * (ascending; ties by arrival). */
double sched_policy_key(const sched_spec *sp, const sched_cluster *c, const sched_job *j, double now);
bool sched_policy_prio(const sched_spec *sp);       /* starved jobs (priority 1) sort first */
bool sched_policy_clock_keys(const sched_spec *sp); /* keys move with the clock (FTF): re-sort all each round */

/* ---- the runnable queue (queue.c) ------------------------------------------------------------------- */

typedef struct sched_qent {
    double key, arrival;
    int prio, pos;
    unsigned ver;               /* the entry is live while it equals the job's version */
} sched_qent;

typedef struct sched_starve_ent {
    double base;                /* when the job arrived or its lease last ended */
    int pos;
} sched_starve_ent;

/* Every runnable job in the policy's order across rounds, and the start-of-round bookkeeping (speed-ups reset,
 * starvation priority). Either the whole queue is re-sorted each round (array mode) or a heap yields only
 * the jobs a round looks at (heap mode); both give the same order (see queue.c). Owns its memory. */
typedef struct sched_queue {
    const sched_spec *spec;     /* borrowed */
    bool heap_ok;               /* heap mode allowed: keys change only with the job, arrivals all distinct */
    bool heap_mode, use_prio, oom;
    int heap_above, heap_below; /* heap mode above this many runnable jobs, back to array mode below */
    long mode_changes;          /* how often the queue moved between modes (tests check both happen) */
    int n;                      /* runnable jobs */
    double last_arrival;
    unsigned *ver;              /* per job position */
    unsigned char *queued;
    int cap_jobs;
    sched_qent *heap, *visit;   /* heap mode: the heap; the entries popped this round */
    int h_n, h_cap, v_n, v_cap;
    int *pending, *next_pending;/* heap mode: jobs to re-key at the next round */
    int p_n, p_cap, np_n, np_cap;
    sched_starve_ent *starve;   /* heap mode: in time order; consumed from st_head */
    int st_head, st_n, st_cap;
    int *arr;                   /* array mode: the order */
    int a_n, a_cap, cursor;
    double *keys;               /* round scratch, per job position */
    int *tmp, *list;
} sched_queue;

/* A heap operation per job a round looks at costs more than the full re-sort of a short queue: heap mode is
 * used above SCHED_QUEUE_HEAP_ABOVE runnable jobs, array mode again below SCHED_QUEUE_HEAP_BELOW. */
#define SCHED_QUEUE_HEAP_ABOVE 1024
#define SCHED_QUEUE_HEAP_BELOW 256
/* heap_above/heap_below: 0 = the defaults above; heap_above < 0 = always array mode (tests compare modes and
 * move between them often with small thresholds). */
void sched_queue_init(sched_queue *q, const sched_spec *spec, int heap_above, int heap_below);
void sched_queue_free(sched_queue *q); /* accepts a zeroed queue */
/* A job arrived (jobs[pos], arrival set). Returns 0, -1 when out of memory. */
int sched_queue_add(sched_queue *q, const sched_job *jobs, int pos);
/* A job left the queue (finished). */
void sched_queue_remove(sched_queue *q, int pos);
/* A job's lease ended at `until` (its starvation clock restarts). Returns 0 or -1 (out of memory). */
int sched_queue_ran(sched_queue *q, int pos, double until);
/* Start of a round at `now`: orders the queue, resets speed-ups, applies starvation priority. 0 or -1 (OOM). */
int sched_queue_begin(sched_queue *q, sched_job *jobs, const sched_cluster *c, double now);
/* The next job of this round's order, or -1 at the end (or out of memory: q->oom). */
int sched_queue_next(sched_queue *q);

typedef struct sched_round_ctx {
    sched_cluster *cluster;
    sched_job *jobs;            /* all jobs, indexed by position */
    sched_queue *queue;         /* the runnable jobs */
    double now;
    double round;               /* R, seconds */
    const sched_spec *spec;
    int *placed;                /* out: positions placed this round (capacity >= queue->n) */
    int n_placed;
    int n_failed;               /* jobs a mechanism could not place though GPUs were free */
    bool oom;                   /* set when memory ran out during the round */
    char *err;                  /* for +opt solver failures */
    size_t errlen;
} sched_round_ctx;

/* Orders the runnable jobs by the policy and places them with the mechanism: every placed job gets its
 * resources reserved on the servers and its round_iter_time set; no progress is credited (see the contract
 * above). Returns 0, or -1 (err set) on a solver error or when out of memory. */
int sched_round(sched_round_ctx *ctx);

/* Releases a job's allocation (lease end): its resources go back to the servers, round_iter_time to 0. */
void sched_release(sched_cluster *c, sched_job *job);

/* +opt (opt.c): places ctx->placed[] jobs (already chosen) with the two-phase GLPK model. */
int sched_opt_round(sched_round_ctx *ctx);

#endif
