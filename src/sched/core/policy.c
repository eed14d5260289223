/* One scheduling round: the policy table (sort keys), the mechanism table (how a job's resources are found)
 * and the placement strategies (first-fit or consolidating), following the Synergy reference semantics.
 *
 * A round orders the runnable jobs by the policy's key, then walks them: a job whose GPU demand fits the free
 * GPU count is handed to the mechanism; if the mechanism fails the job waits and later jobs may still fit.
 * A placed job reserves its resources on the servers and is credited this round's progress immediately
 * (floor(R / effective iteration time) iterations), so the simulator only has to release it at lease end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

/* ---- resource helpers ------------------------------------------------------------------------------- */

/* A server fits a vector when every component of (free - held) is at least the vector's. */
static bool fits(const sched_server *s, const double v[R_N])
{
    for (int r = 0; r < R_N; r++)
        if (s->cap[r] - s->used[r] - s->hold[r] < v[r]) return false;
    return true;
}

static int free_gpus_on(const sched_server *s) { return (int)(s->cap[R_GPU] - s->used[R_GPU]); }

static void hold(sched_server *s, const double v[R_N])
{
    for (int r = 0; r < R_N; r++) s->hold[r] += v[r];
}

static void release_holds(sched_cluster *c)
{
    for (int s = 0; s < c->n_servers; s++) memset(c->servers[s].hold, 0, sizeof c->servers[s].hold);
}

/* Adds one GPU's worth (per-GPU vector v) to the allocation list entry for server s. */
static void add_to(sched_alloc *a, int *n, int s, const double v[R_N])
{
    for (int i = 0; i < *n; i++)
        if (a[i].server == s) {
            for (int r = 0; r < R_NET; r++) a[i].res[r] += v[r];
            return;
        }
    a[*n].server = s;
    for (int r = 0; r < R_N; r++) a[*n].res[r] = r < R_NET ? v[r] : 0;
    (*n)++;
}

/* ---- placement strategies --------------------------------------------------------------------------- */

/* Min-heap of (free GPU count, server id): "the server with the fewest free GPUs first", ties by id. */
typedef struct { int key, id; } heap_ent;
typedef struct { heap_ent *a; int n; } min_heap;

static bool heap_less(heap_ent x, heap_ent y) { return x.key < y.key || (x.key == y.key && x.id < y.id); }

static void heap_push(min_heap *h, heap_ent e)
{
    int i = h->n++;
    h->a[i] = e;
    while (i > 0 && heap_less(h->a[i], h->a[(i - 1) / 2])) {
        heap_ent t = h->a[i];
        h->a[i] = h->a[(i - 1) / 2];
        h->a[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static heap_ent heap_pop(min_heap *h)
{
    heap_ent top = h->a[0];
    h->a[0] = h->a[--h->n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h->a[l], h->a[m])) m = l;
        if (r < h->n && heap_less(h->a[r], h->a[m])) m = r;
        if (m == i) break;
        heap_ent t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
    return top;
}

static heap_ent *heap_scratch(const sched_cluster *c)
{
    static _Thread_local heap_ent *buf;
    static _Thread_local int cap;
    if (cap < c->n_servers + 1) {
        free(buf);
        cap = c->n_servers + 1;
        buf = malloc((size_t)cap * sizeof *buf);
        if (!buf) abort();
    }
    return buf;
}

/* First-fit over the free GPUs in cluster order: take a GPU when its server still fits one per-GPU vector. */
static bool find_first_fit(sched_cluster *c, const sched_job *job, const double full[R_N], const double per[R_N],
                           int n, sched_alloc *out, int *n_out)
{
    (void)job;
    (void)full;
    int taken = 0;
    *n_out = 0;
    for (int s = 0; s < c->n_servers && taken < n; s++) {
        sched_server *sv = &c->servers[s];
        for (int k = free_gpus_on(sv); k > 0 && taken < n; k--) {
            if (!fits(sv, per)) break; /* holding more on this server cannot make it fit */
            hold(sv, per);
            add_to(out, n_out, s, per);
            taken++;
        }
    }
    release_holds(c);
    return taken == n;
}

/* +place: a multi-GPU job first tries the one server that fits it whole with the fewest free GPUs; otherwise
 * GPUs are taken one at a time from the server with the fewest free GPUs (a server that does not fit is
 * dropped). */
static bool find_placement(sched_cluster *c, const sched_job *job, const double full[R_N], const double per[R_N],
                           int n, sched_alloc *out, int *n_out)
{
    *n_out = 0;
    if (job->gpu_demand > 1) {
        int best = -1;
        for (int s = 0; s < c->n_servers; s++) {
            int f = free_gpus_on(&c->servers[s]);
            if (f > 0 && fits(&c->servers[s], full) && (best < 0 || f < free_gpus_on(&c->servers[best])))
                best = s;
        }
        if (best >= 0) {
            out[0].server = best;
            for (int r = 0; r < R_N; r++) out[0].res[r] = r < R_NET ? full[r] : 0;
            *n_out = 1;
            return true;
        }
    }
    min_heap h = {heap_scratch(c), 0};
    for (int s = 0; s < c->n_servers; s++) {
        int f = free_gpus_on(&c->servers[s]);
        if (f > 0) heap_push(&h, (heap_ent){f, s});
    }
    int taken = 0;
    while (taken < n && h.n > 0) {
        heap_ent e = heap_pop(&h);
        sched_server *sv = &c->servers[e.id];
        if (!fits(sv, per)) continue;
        hold(sv, per);
        add_to(out, n_out, e.id, per);
        taken++;
        if (e.key - 1 > 0) heap_push(&h, (heap_ent){e.key - 1, e.id});
    }
    release_holds(c);
    return taken == n;
}

typedef bool (*find_fn)(sched_cluster *, const sched_job *, const double *, const double *, int, sched_alloc *,
                        int *);

/* ---- progress and commit ---------------------------------------------------------------------------- */

void sched_credit(sched_job *job, double round, bool fair)
{
    double it = job->iter_time;
    if (job->n_alloc > 1) it = it / job->prof->placement_penalty;
    if (!fair) it = it / job->speedup;
    job->attained += round;
    job->last_round_progress = job->executed;
    job->executed += (long)floor(round / it);
    if (job->executed > job->total_iters) job->executed = job->total_iters;
}

static void rollback(sched_job *job, double round)
{
    job->attained -= round;
    job->executed = job->last_round_progress;
    if (job->attained <= 0) job->attained = 0;
}

static void reserve(sched_cluster *c, sched_job *job, const sched_alloc *allocs, int n)
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

static void note_on_servers(sched_cluster *c, int pos, const sched_job *job)
{
    for (int i = 0; i < job->n_alloc; i++) {
        sched_server *sv = &c->servers[job->alloc[i].server];
        if (sv->n_sched == sv->cap_sched) {
            sv->cap_sched = sv->cap_sched ? 2 * sv->cap_sched : 16;
            sv->sched_jobs = realloc(sv->sched_jobs, (size_t)sv->cap_sched * sizeof *sv->sched_jobs);
            if (!sv->sched_jobs) abort();
        }
        sv->sched_jobs[sv->n_sched++] = pos;
    }
}

void sched_commit(sched_round_ctx *ctx, sched_job *job, const sched_alloc *allocs, int n, bool fair)
{
    reserve(ctx->cluster, job, allocs, n);
    sched_credit(job, ctx->round, fair);
    note_on_servers(ctx->cluster, (int)(job - ctx->jobs), job);
    ctx->placed[ctx->n_placed++] = (int)(job - ctx->jobs);
}

void sched_release(sched_cluster *c, sched_job *job)
{
    for (int i = 0; i < job->n_alloc; i++) {
        sched_server *sv = &c->servers[job->alloc[i].server];
        for (int r = 0; r < R_NET; r++) {
            sv->used[r] -= job->alloc[i].res[r];
            if (fabs(sv->used[r]) < 1e-9) sv->used[r] = 0; /* +opt's fractional shares leave float dust */
        }
    }
    job->n_alloc = 0;
    job->alloc_gpus = 0;
}

/* ---- mechanisms ------------------------------------------------------------------------------------- */

typedef struct mech_args {
    sched_round_ctx *ctx;
    sched_job *job;
    find_fn find;
} mech_args;

/* Tries to place the job with total demand `full`; on success reserves and credits it. */
static bool try_place(mech_args *a, const double full[R_N], bool fair)
{
    sched_alloc out[SCHED_MAX_SPAN];
    int n_out, n = a->job->gpu_demand;
    double per[R_N];
    for (int r = 0; r < R_N; r++) per[r] = full[r] / n;
    if (!a->find(a->ctx->cluster, a->job, full, per, n, out, &n_out)) return false;
    sched_commit(a->ctx, a->job, out, n_out, fair);
    return true;
}

/* +fair: the GPU-proportional share, speed-up 1. */
static bool mech_fair(mech_args *a)
{
    double full[R_N];
    for (int r = 0; r < R_N; r++) full[r] = a->ctx->cluster->fair[r] * a->job->gpu_demand;
    return try_place(a, full, true);
}

/* greedy: the ideal demand or nothing. */
static bool mech_greedy(mech_args *a) { return try_place(a, a->job->demand, false); }

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

/* Shrinks a peer to its fair share on the same GPUs: release it, roll back this round's progress, re-place it
 * with the (fair-shared) demand split over its servers in proportion to its GPUs there, credited at 1x. */
static void shrink_peer(sched_round_ctx *ctx, sched_job *j)
{
    sched_alloc saved[SCHED_MAX_SPAN];
    int n = j->n_alloc, gpus = j->alloc_gpus;
    memcpy(saved, j->alloc, (size_t)n * sizeof *saved);
    sched_release(ctx->cluster, j);
    rollback(j, ctx->round);
    double dv[R_N];
    memcpy(dv, j->demand, sizeof dv);
    make_fair_share(ctx->cluster, j, dv);
    for (int i = 0; i < n; i++) {
        double share = saved[i].res[R_GPU] / gpus;
        for (int r = 0; r < R_NET; r++) saved[i].res[r] = dv[r] * share;
    }
    reserve(ctx->cluster, j, saved, n);
    sched_credit(j, ctx->round, true);
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
static bool mech_tune(mech_args *a)
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
            if (free_gpus_on(&c->servers[s]) >= n) {
                sel[0] = s, sel_g[0] = n, n_sel = 1;
                break;
            }
    if (n_sel == 0) {
        min_heap h = {heap_scratch(c), 0};
        for (int s = 0; s < c->n_servers; s++) {
            int f = free_gpus_on(&c->servers[s]);
            if (f > 0) heap_push(&h, (heap_ent){f, s});
        }
        int left = n;
        while (left > 0 && h.n > 0 && n_sel < SCHED_MAX_SPAN) {
            heap_ent e = heap_pop(&h);
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
static bool mech_opt(mech_args *a)
{
    (void)a;
    return false;
}

struct sched_mechanism {
    const char *suffix;         /* "" for greedy */
    bool fair;                  /* credited at 1x and sort keys use fair-share durations */
    bool (*place)(mech_args *);
    bool whole_round;           /* the mechanism allocates the round's chosen jobs together (+opt) */
    bool widest_first;          /* a greedy-prefix policy re-sorts its prefix by descending GPU demand */
};

static const sched_mechanism mechanisms[] = {
    {"", false, mech_greedy, false, false},
    {"fair", true, mech_fair, false, false},
    {"tune", false, mech_tune, false, true},
    {"opt", false, mech_opt, true, false},
};

/* ---- policies --------------------------------------------------------------------------------------- */

typedef struct key_args {
    const sched_cluster *c;
    double now;
    bool fair;
} key_args;

static double remaining_duration(const sched_job *j, bool fair)
{
    double d = j->iter_time * (double)(j->total_iters - j->executed);
    return fair ? d : d / j->speedup;
}

static double key_fifo(const sched_job *j, const key_args *k)
{
    (void)k;
    return j->arrival;
}

static double key_las(const sched_job *j, const key_args *k)
{
    (void)k;
    return j->attained * j->gpu_demand;
}

static double key_srtf(const sched_job *j, const key_args *k) { return remaining_duration(j, k->fair); }

/* Finish-time fairness rho; smallest first, as the reference sorts it. */
static double key_ftf(const sched_job *j, const key_args *k)
{
    return (k->now - j->arrival + remaining_duration(j, k->fair)) / (j->iter_time * (double)j->total_iters);
}

static double key_drf(const sched_job *j, const key_args *k)
{
    double g = j->demand[R_GPU] / k->c->total[R_GPU], cp = j->demand[R_CPU] / k->c->total[R_CPU],
           m = j->demand[R_MEM] / k->c->total[R_MEM];
    double mx = g;
    if (cp > mx) mx = cp;
    if (m > mx) mx = m;
    return mx;
}

static double key_tetris(const sched_job *j, const key_args *k)
{
    double dur = remaining_duration(j, k->fair);
    double s = 0;
    for (int r = R_GPU; r <= R_MEM; r++) s += (j->demand[r] - 0) / k->c->total[r] * dur;
    return s;
}

struct sched_policy {
    const char *name;
    double (*key)(const sched_job *, const key_args *);
    bool use_priority;          /* starved jobs (priority 1) go first */
    bool greedy_prefix;         /* only the jobs whose GPUs fit the free count, in order, are considered */
    bool clock_keys;            /* keys move with the clock, not only when the job changes */
};

static const sched_policy policies[] = {
    {"FIFO", key_fifo, false, false, false},
    {"SRTF", key_srtf, true, false, false},
    {"LAS", key_las, true, true, false},
    {"FTF", key_ftf, true, false, true},
    {"DRF", key_drf, true, false, false},
    {"TETRIS", key_tetris, true, false, false},
};

static const find_fn placements[2] = {find_first_fit, find_placement};

int sched_spec_parse(sched_spec *sp, const char *name, char *err, size_t errlen)
{
    memset(sp, 0, sizeof *sp);
    char buf[64];
    if (strlen(name) >= sizeof buf) {
        snprintf(err, errlen, "scheduler name too long: '%s'", name);
        return -1;
    }
    strcpy(buf, name);
    char *save = NULL, *tok = strtok_r(buf, "+", &save);
    for (size_t i = 0; tok && i < sizeof policies / sizeof policies[0]; i++)
        if (strcasecmp(tok, policies[i].name) == 0) sp->policy = &policies[i];
    if (!sp->policy) {
        snprintf(err, errlen, "unknown policy in '%s' (FIFO, SRTF, LAS, FTF, DRF, TETRIS)", name);
        return -1;
    }
    sp->mech = &mechanisms[0];
    while ((tok = strtok_r(NULL, "+", &save))) {
        if (strcasecmp(tok, "place") == 0) {
            sp->place = true;
            continue;
        }
        const sched_mechanism *m = NULL;
        for (size_t i = 1; i < sizeof mechanisms / sizeof mechanisms[0]; i++)
            if (strcasecmp(tok, mechanisms[i].suffix) == 0) m = &mechanisms[i];
        if (!m || sp->mech != &mechanisms[0]) {
            snprintf(err, errlen, "bad mechanism '%s' in '%s' (NAME[+place][+fair|+tune|+opt])", tok, name);
            return -1;
        }
        sp->mech = m;
    }
    snprintf(sp->name, sizeof sp->name, "%s%s%s%s", sp->policy->name, sp->place ? "+place" : "",
             sp->mech->suffix[0] ? "+" : "", sp->mech->suffix);
    return 0;
}

void sched_spec_list(char *buf, size_t len)
{
    size_t off = 0;
    for (size_t i = 0; i < sizeof policies / sizeof policies[0] && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", policies[i].name);
}

double sched_policy_key(const sched_spec *sp, const sched_cluster *c, const sched_job *j, double now)
{
    key_args ka = {c, now, sp->mech->fair};
    return sp->policy->key(j, &ka);
}

bool sched_policy_prio(const sched_spec *sp) { return sp->policy->use_priority; }

bool sched_policy_clock_keys(const sched_spec *sp) { return sp->policy->clock_keys; }

/* ---- the round -------------------------------------------------------------------------------------- */

/* Hands a job whose GPUs fit the free count to the mechanism; counts a failure. */
static void place_one(mech_args *a, sched_job *j, int *free_gpus)
{
    int deficit = j->gpu_demand - j->alloc_gpus;
    if (deficit <= 0 || *free_gpus < deficit) return;
    a->job = j;
    if (a->ctx->spec->mech->place(a))
        *free_gpus -= deficit;
    else
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

    /* Keys use each job's speed-up as the previous round left it; only then is it reset (in the queue). */
    if (sched_queue_begin(q, ctx->jobs, c, ctx->now)) goto oom;
    for (int s = 0; s < c->n_servers; s++) c->servers[s].n_sched = 0;
    int free_gpus = sched_cluster_free_gpus(c);
    mech_args a = {ctx, NULL, placements[ctx->spec->place]};

    /* Every job visited has all its GPUs to find (leases have ended), so a walk stops when none is free. */
    if (!pol->greedy_prefix && !mech->whole_round) {
        int pos;
        while (free_gpus > 0 && (pos = sched_queue_next(q)) >= 0) place_one(&a, &ctx->jobs[pos], &free_gpus);
        if (q->oom) goto oom;
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
    for (int i = 0; i < n_list; i++) place_one(&a, &ctx->jobs[list[i]], &free_gpus);
    return 0;
oom:
    snprintf(ctx->err, ctx->errlen, "out of memory");
    return -1;
}
