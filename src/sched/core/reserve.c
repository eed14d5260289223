/* Allocations taken and given back: a placed job's resources reserved on its servers, the iteration time it
 * runs at there (what the caller turns into progress: the simulator at lease end, a live scheduler from the
 * job's own reports), and the release at lease end. */
#include <math.h>
#include <stdlib.h>

#include "core_internal.h"

void sched_reserve(sched_cluster *c, sched_job *job, const sched_alloc *allocs, int n)
{
    job->n_alloc = n;
    job->alloc_gpus = 0;
    for (int i = 0; i < n; i++) {
        job->alloc[i] = allocs[i];
        sched_server *sv = &c->servers[allocs[i].server];
        for (int r = 0; r < R_NET; r++) sv->used[r] += allocs[i].res[r];
        job->alloc_gpus += (int)allocs[i].res[R_GPU];
    }
}

/* The job is one of the server's placed jobs this round (the order +tune shrinks peers in). */
static bool note_on_servers(sched_cluster *c, int pos, const sched_job *job)
{
    for (int i = 0; i < job->n_alloc; i++) {
        sched_server *sv = &c->servers[job->alloc[i].server];
        if (sv->n_sched == sv->cap_sched) {
            int cap = sv->cap_sched ? 2 * sv->cap_sched : 16;
            int *list = realloc(sv->sched_jobs, (size_t)cap * sizeof *list);
            if (!list) return false;
            sv->sched_jobs = list;
            sv->cap_sched = cap;
        }
        sv->sched_jobs[sv->n_sched++] = pos;
    }
    return true;
}

double sched_iter_time_at(const sched_job *job, bool fair)
{
    double it = job->iter_time;
    if (job->n_alloc > 1) it = it / job->prof->placement_penalty;
    if (!fair) it = it / job->speedup;
    return it;
}

bool sched_commit(sched_round_ctx *ctx, sched_job *job, const sched_alloc *allocs, int n, bool fair)
{
    sched_reserve(ctx->cluster, job, allocs, n);
    job->round_iter_time = sched_iter_time_at(job, fair);
    if (!note_on_servers(ctx->cluster, (int)(job - ctx->jobs), job)) {
        ctx->oom = true;
        return false;
    }
    ctx->placed[ctx->n_placed++] = (int)(job - ctx->jobs);
    return true;
}

void sched_unreserve(sched_cluster *c, const sched_job *job)
{
    for (int i = 0; i < job->n_alloc; i++) {
        sched_server *sv = &c->servers[job->alloc[i].server];
        for (int r = 0; r < R_NET; r++) {
            sv->used[r] -= job->alloc[i].res[r];
            if (fabs(sv->used[r]) < 1e-9) sv->used[r] = 0; /* +opt's fractional shares leave float dust */
        }
    }
}

void sched_release(sched_cluster *c, sched_job *job)
{
    sched_unreserve(c, job);
    job->n_alloc = 0;
    job->alloc_gpus = 0;
    job->round_iter_time = 0;
}

long sched_job_round_iters(const sched_job *job, double round)
{
    if (job->round_iter_time <= 0) return 0;
    long n = (long)floor(round / job->round_iter_time);
    long left = job->total_iters - job->executed;
    return n < left ? n : left;
}
