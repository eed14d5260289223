/* The mechanisms, the suffix of a scheduler's name: how a chosen job's CPU, memory and storage are found.
 * greedy takes the ideal demand or nothing; +fair the GPU-proportional share; +tune the ideal, else the fair
 * share, else shrinks over-provisioned peers on the servers it would use and retries once; +opt is a whole
 * round at once (opt.c). */
#include <string.h>

#include "core_internal.h"

/* Tries to place the job with total demand `full`; on success reserves it (false also when out of memory:
 * ctx->oom). */
static bool try_place(sched_mech_args *a, const double full[R_N], bool fair)
{
    sched_alloc out[SCHED_MAX_SPAN];
    int n_out, n = a->job->gpu_demand;
    double per[R_N];
    for (int r = 0; r < R_N; r++) per[r] = full[r] / n;
    if (!a->find(a->ctx->cluster, a->job, full, per, n, out, &n_out)) return false;
    return sched_commit(a->ctx, a->job, out, n_out, fair);
}

/* +fair: the GPU-proportional share, speed-up 1. */
static bool mech_fair(sched_mech_args *a)
{
    double full[R_N];
    for (int r = 0; r < R_N; r++) full[r] = a->ctx->cluster->fair[r] * a->job->gpu_demand;
    return try_place(a, full, true);
}

/* greedy: the ideal demand or nothing. */
static bool mech_greedy(sched_mech_args *a) { return try_place(a, a->job->demand, false); }

/* If any component of dv exceeds the fair share for the job's GPUs, rewrite CPU/mem/storage to the fair share
 * and drop the job's speed-up to 1. Returns whether it rewrote. */
static bool make_fair_share(const sched_cluster *c, sched_job *job, double dv[R_N])
{
    bool must = false;
    for (int r = 0; r < R_N; r++)
        if (dv[r] > c->fair[r] * job->gpu_demand) must = true;
    if (!must) return false;
    for (int r = R_CPU; r <= R_SSPEED; r++) dv[r] = c->fair[r] * job->gpu_demand;
    job->speedup = 1;
    return true;
}

/* Stable insertion sort of a server's jobs by (servers spanned, -CPU/GPU, -mem/GPU): single-server jobs with
 * the most CPU and memory per GPU are shrunk first. */
static void sort_peers(const sched_job *jobs, int *list, int n)
{
    for (int i = 1; i < n; i++) {
        int x = list[i], j = i - 1;
        const sched_job *jx = &jobs[x];
        double ax[R_N];
        sched_job_alloc_vec(jx, ax);
        for (; j >= 0; j--) {
            const sched_job *jy = &jobs[list[j]];
            double ay[R_N];
            sched_job_alloc_vec(jy, ay);
            double kx[3] = {jx->n_alloc, -(ax[R_CPU] / ax[R_GPU]), -(ax[R_MEM] / ax[R_GPU])};
            double ky[3] = {jy->n_alloc, -(ay[R_CPU] / ay[R_GPU]), -(ay[R_MEM] / ay[R_GPU])};
            int cmp = 0;
            for (int k = 0; k < 3 && !cmp; k++) cmp = (kx[k] > ky[k]) - (kx[k] < ky[k]);
            if (cmp >= 0) break;
            list[j + 1] = list[j];
        }
        list[j + 1] = x;
    }
}

/* Shrinks a peer to its fair share on the same GPUs: its allocation is given back and taken again with the
 * (fair-shared) demand split over its servers in proportion to its GPUs there; it then runs at 1x. */
static void shrink_peer(sched_round_ctx *ctx, sched_job *j)
{
    sched_alloc saved[SCHED_MAX_SPAN];
    int n = j->n_alloc, gpus = j->alloc_gpus;
    memcpy(saved, j->alloc, (size_t)n * sizeof *saved);
    sched_unreserve(ctx->cluster, j);
    double dv[R_N];
    memcpy(dv, j->demand, sizeof dv);
    make_fair_share(ctx->cluster, j, dv);
    for (int i = 0; i < n; i++) {
        double share = saved[i].res[R_GPU] / gpus;
        for (int r = 0; r < R_NET; r++) saved[i].res[r] = dv[r] * share;
    }
    sched_reserve(ctx->cluster, j, saved, n);
    j->round_iter_time = sched_iter_time_at(j, true);
}

/* Peer adjustment on server s for a demand share: walk its jobs (sorted, see sort_peers) shrinking them until
 * the shortfall is covered, by the reference's rule (all of diff 0: take and stop; all > 0: skip; else take
 * and carry diff on). */
static void adjust_peers_on(sched_round_ctx *ctx, int s, const double share[R_N])
{
    sched_cluster *c = ctx->cluster;
    sched_server *sv = &c->servers[s];
    double need[R_N];
    bool any = false;
    for (int r = 0; r < R_N; r++) {
        double v = share[r] - (sv->cap[r] - sv->used[r]);
        need[r] = v > 0 ? v : 0;
        if (need[r] != 0) any = true;
    }
    if (!any) return;
    sort_peers(ctx->jobs, sv->sched_jobs, sv->n_sched);
    int take[SCHED_MAX_SPAN * 8];
    int n_take = 0;
    for (int i = 0; i < sv->n_sched && n_take < (int)(sizeof take / sizeof take[0]); i++) {
        const sched_job *j = &ctx->jobs[sv->sched_jobs[i]];
        int here = sched_job_gpus_on(j, s);
        double a[R_N], diff[R_N];
        sched_job_alloc_vec(j, a);
        double gshare = here / a[R_GPU];
        bool all_zero = true, all_pos = true;
        for (int r = 0; r < R_N; r++) {
            double excess = a[r] * gshare - c->fair[r] * here;
            if (excess < 0) excess = 0;
            diff[r] = need[r] - excess;
            if (diff[r] < 0) diff[r] = 0;
            if (diff[r] != 0) all_zero = false;
            if (!(diff[r] > 0)) all_pos = false;
        }
        if (all_zero) {
            take[n_take++] = sv->sched_jobs[i];
            break;
        }
        if (all_pos) continue;
        take[n_take++] = sv->sched_jobs[i];
        memcpy(need, diff, sizeof need);
    }
    for (int i = 0; i < n_take; i++) shrink_peer(ctx, &ctx->jobs[take[i]]);
}

/* +tune: ideal demand; else fair share (speed-up 1); else shrink over-provisioned peers on the servers the
 * job would use and retry once. */
static bool mech_tune(sched_mech_args *a)
{
    sched_round_ctx *ctx = a->ctx;
    sched_cluster *c = ctx->cluster;
    sched_job *job = a->job;
    double dv[R_N];
    memcpy(dv, job->demand, sizeof dv);
    if (try_place(a, dv, false)) return true;
    make_fair_share(c, job, dv);
    if (try_place(a, dv, false)) return true;

    /* Servers to adjust: a multi-GPU job takes the first server with enough free GPUs; otherwise servers
     * with the fewest free GPUs until the job's GPUs are covered. */
    int n = job->gpu_demand;
    int sel[SCHED_MAX_SPAN], sel_g[SCHED_MAX_SPAN], n_sel = 0;
    if (n > 1)
        for (int s = 0; s < c->n_servers; s++)
            if (sched_free_gpus_on(&c->servers[s]) >= n) {
                sel[0] = s, sel_g[0] = n, n_sel = 1;
                break;
            }
    if (n_sel == 0) {
        sched_srv_heap h = {c->scratch, 0};
        for (int s = 0; s < c->n_servers; s++) {
            int f = sched_free_gpus_on(&c->servers[s]);
            if (f > 0) sched_srv_heap_push(&h, (sched_srv_ent){f, s});
        }
        int left = n;
        while (left > 0 && h.n > 0 && n_sel < SCHED_MAX_SPAN) {
            sched_srv_ent e = sched_srv_heap_pop(&h);
            sel[n_sel] = e.id;
            sel_g[n_sel++] = e.key >= left ? left : e.key;
            left -= e.key >= left ? left : e.key;
        }
    }
    for (int i = 0; i < n_sel; i++) {
        double share[R_N];
        double ratio = (double)sel_g[i] / n;
        for (int r = 0; r < R_N; r++) share[r] = dv[r] * ratio;
        adjust_peers_on(ctx, sel[i], share);
    }
    return try_place(a, dv, false);
}

/* +opt chooses all allocations of the round at once (opt.c); the per-job hook is unused. */
static bool mech_opt(sched_mech_args *a)
{
    (void)a;
    return false;
}

const sched_mechanism sched_mechanisms[] = {
    {"", false, mech_greedy, false, false},
    {"fair", true, mech_fair, false, false},
    {"tune", false, mech_tune, false, true},
    {"opt", false, mech_opt, true, false},
};

const int sched_n_mechanisms = (int)(sizeof sched_mechanisms / sizeof sched_mechanisms[0]);
