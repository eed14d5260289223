/* What the core's own files share and callers do not see: resource helpers and placement strategies
 * (placement.c), reserving and releasing allocations (reserve.c), the mechanism and policy tables
 * (mechanisms.c, policies.c). The files depend on each other in this order only:
 *   placement <- reserve <- mechanisms, opt <- round;  policies (keys, names) stands alone. */
#ifndef LOCUS_SCHED_CORE_INTERNAL_H
#define LOCUS_SCHED_CORE_INTERNAL_H

#include "core.h"

/* ---- placement.c ---- */

/* A server fits a vector when every component of (free - held) is at least the vector's. */
bool sched_fits(const sched_server *s, const double v[R_N]);
int sched_free_gpus_on(const sched_server *s);

/* Min-heap of (free GPU count, server id), "the server with the fewest free GPUs first", ties by id, over
 * the cluster's scratch array (cluster->scratch, n_servers + 1 entries). */
typedef struct sched_srv_heap {
    sched_srv_ent *a;
    int n;
} sched_srv_heap;
void sched_srv_heap_push(sched_srv_heap *h, sched_srv_ent e);
sched_srv_ent sched_srv_heap_pop(sched_srv_heap *h);

/* How a job's GPUs are found for a demand (full: the job's total, per: per GPU, n: GPUs): first-fit in cluster
 * order, or consolidating (+place). true with the allocation in out[0..*n_out). */
typedef bool (*sched_find_fn)(sched_cluster *, const sched_job *, const double *full, const double *per, int n,
                              sched_alloc *out, int *n_out);
extern const sched_find_fn sched_placements[2]; /* [0] first-fit, [1] +place */

/* ---- reserve.c ---- */

/* Takes allocs on the servers for job (placed this round at ctx->placed) and records its iteration time at
 * that allocation: `fair` for the GPU-proportional share (no speed-up). false when out of memory (ctx->oom). */
bool sched_commit(sched_round_ctx *ctx, sched_job *job, const sched_alloc *allocs, int n, bool fair);
/* The allocation's resources back on the servers (the job keeps its list; see sched_release). */
void sched_unreserve(sched_cluster *c, const sched_job *job);
/* Takes job's allocs (n of them) on the servers; the job's allocation list becomes them. */
void sched_reserve(sched_cluster *c, sched_job *job, const sched_alloc *allocs, int n);
/* Seconds per iteration of job at its current allocation: the profile's, divided by the placement penalty
 * when it spans servers and by its speed-up unless `fair`. */
double sched_iter_time_at(const sched_job *job, bool fair);

/* ---- mechanisms.c / policies.c ---- */

typedef struct sched_mech_args {
    sched_round_ctx *ctx;
    sched_job *job;
    sched_find_fn find;
} sched_mech_args;

struct sched_mechanism {
    const char *suffix;         /* "" for greedy */
    bool fair;                  /* the GPU-proportional share: no speed-up, sort keys use fair durations */
    bool (*place)(sched_mech_args *);
    bool whole_round;           /* the mechanism allocates the round's chosen jobs together (+opt) */
    bool widest_first;          /* a greedy-prefix policy re-sorts its prefix by descending GPU demand */
};
extern const sched_mechanism sched_mechanisms[];
extern const int sched_n_mechanisms;

typedef struct sched_key_args {
    const sched_cluster *c;
    double now;
    bool fair;
} sched_key_args;

struct sched_policy {
    const char *name;
    double (*key)(const sched_job *, const sched_key_args *);
    bool use_priority;          /* starved jobs (priority 1) go first */
    bool greedy_prefix;         /* only the jobs whose GPUs fit the free count, in order, are considered */
    bool clock_keys;            /* keys move with the clock, not only when the job changes */
};

#endif
