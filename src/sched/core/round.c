/* One scheduling round: the runnable jobs in the policy's order, each whose GPU demand fits the free GPU count
 * handed to the mechanism; a job the mechanism cannot place waits and later jobs may still fit. LAS and +opt
 * consider only the greedy prefix of jobs whose GPUs fit. A placed job gets its resources reserved and the
 * iteration time it runs at recorded (sched_job.round_iter_time); progress is the caller's (core.h). */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

/* Hands a job whose GPUs fit the free count to the mechanism; counts a failure. */
static void place_one(sched_mech_args *a, sched_job *j, int *free_gpus)
{
    int deficit = j->gpu_demand - j->alloc_gpus;
    if (deficit <= 0 || *free_gpus < deficit) return;
    a->job = j;
    if (a->ctx->spec->mech->place(a))
        *free_gpus -= deficit;
    else if (!a->ctx->oom)
        a->ctx->n_failed++;
}

int sched_round(sched_round_ctx *ctx)
{
    sched_cluster *c = ctx->cluster;
    sched_queue *q = ctx->queue;
    const sched_policy *pol = ctx->spec->policy;
    const sched_mechanism *mech = ctx->spec->mech;
    ctx->n_placed = 0;
    ctx->n_failed = 0;
    ctx->oom = false;

    /* Keys use each job's speed-up as the previous round left it; only then is it reset (in the queue). */
    if (sched_queue_begin(q, ctx->jobs, c, ctx->now)) goto oom;
    for (int s = 0; s < c->n_servers; s++) c->servers[s].n_sched = 0;
    int free_gpus = sched_cluster_free_gpus(c);
    sched_mech_args a = {ctx, NULL, sched_placements[ctx->spec->place]};

    /* Every job visited has all its GPUs to find (leases have ended), so a walk stops when none is free. */
    if (!pol->greedy_prefix && !mech->whole_round) {
        int pos;
        while (free_gpus > 0 && !ctx->oom && (pos = sched_queue_next(q)) >= 0)
            place_one(&a, &ctx->jobs[pos], &free_gpus);
        if (q->oom || ctx->oom) goto oom;
        return 0;
    }

    /* LAS and +opt: the greedy prefix of jobs whose GPU demand fits the free count, re-sorted by descending GPU
     * demand under +tune. */
    int *list = q->list, n_list = 0, left = free_gpus, pos;
    while (left > 0 && (pos = sched_queue_next(q)) >= 0) {
        sched_job *j = &ctx->jobs[pos];
        int deficit = j->gpu_demand - j->alloc_gpus;
        if (deficit > 0 && left >= deficit) {
            list[n_list++] = pos;
            left -= deficit;
        }
    }
    if (q->oom) goto oom;
    if (pol->greedy_prefix && mech->widest_first) {
        for (int i = 1; i < n_list; i++) { /* stable insertion sort by -GPU demand */
            int x = list[i], k = i - 1;
            while (k >= 0 && ctx->jobs[list[k]].gpu_demand < ctx->jobs[x].gpu_demand) {
                list[k + 1] = list[k];
                k--;
            }
            list[k + 1] = x;
        }
    }
    if (mech->whole_round) {
        if (n_list == 0)
            return 0;
        memcpy(ctx->placed, list, (size_t)n_list * sizeof *list);
        ctx->n_placed = n_list;
        return sched_opt_round(ctx);
    }
    for (int i = 0; i < n_list && !ctx->oom; i++) place_one(&a, &ctx->jobs[list[i]], &free_gpus);
    if (ctx->oom) goto oom;
    return 0;
oom:
    snprintf(ctx->err, ctx->errlen, "out of memory");
    return -1;
}
