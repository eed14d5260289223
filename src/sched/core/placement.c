/* Where a job's GPUs go: the resource checks of a server (free minus what an attempt holds) and the two
 * placement strategies, first-fit in cluster order and +place's consolidating one. An attempt holds what it
 * takes on each server and releases the holds before returning, whatever the outcome: nothing is reserved
 * here (reserve.c does that once a mechanism accepts the allocation). */
#include <string.h>

#include "core_internal.h"

bool sched_fits(const sched_server *s, const double v[R_N])
{
    for (int r = 0; r < R_N; r++)
        if (s->cap[r] - s->used[r] - s->hold[r] < v[r]) return false;
    return true;
}

int sched_free_gpus_on(const sched_server *s) { return (int)(s->cap[R_GPU] - s->used[R_GPU]); }

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

static bool heap_less(sched_srv_ent x, sched_srv_ent y) { return x.key < y.key || (x.key == y.key && x.id < y.id); }

void sched_srv_heap_push(sched_srv_heap *h, sched_srv_ent e)
{
    int i = h->n++;
    h->a[i] = e;
    while (i > 0 && heap_less(h->a[i], h->a[(i - 1) / 2])) {
        sched_srv_ent t = h->a[i];
        h->a[i] = h->a[(i - 1) / 2];
        h->a[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

sched_srv_ent sched_srv_heap_pop(sched_srv_heap *h)
{
    sched_srv_ent top = h->a[0];
    h->a[0] = h->a[--h->n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h->a[l], h->a[m])) m = l;
        if (r < h->n && heap_less(h->a[r], h->a[m])) m = r;
        if (m == i) break;
        sched_srv_ent t = h->a[i];
        h->a[i] = h->a[m];
        h->a[m] = t;
        i = m;
    }
    return top;
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
        for (int k = sched_free_gpus_on(sv); k > 0 && taken < n; k--) {
            if (!sched_fits(sv, per)) break; /* holding more on this server cannot make it fit */
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
            int f = sched_free_gpus_on(&c->servers[s]);
            if (f > 0 && sched_fits(&c->servers[s], full) && (best < 0 || f < sched_free_gpus_on(&c->servers[best])))
                best = s;
        }
        if (best >= 0) {
            out[0].server = best;
            for (int r = 0; r < R_N; r++) out[0].res[r] = r < R_NET ? full[r] : 0;
            *n_out = 1;
            return true;
        }
    }
    sched_srv_heap h = {c->scratch, 0};
    for (int s = 0; s < c->n_servers; s++) {
        int f = sched_free_gpus_on(&c->servers[s]);
        if (f > 0) sched_srv_heap_push(&h, (sched_srv_ent){f, s});
    }
    int taken = 0;
    while (taken < n && h.n > 0) {
        sched_srv_ent e = sched_srv_heap_pop(&h);
        sched_server *sv = &c->servers[e.id];
        if (!sched_fits(sv, per)) continue;
        hold(sv, per);
        add_to(out, n_out, e.id, per);
        taken++;
        if (e.key - 1 > 0) sched_srv_heap_push(&h, (sched_srv_ent){e.key - 1, e.id});
    }
    release_holds(c);
    return taken == n;
}

const sched_find_fn sched_placements[2] = {find_first_fit, find_placement};
