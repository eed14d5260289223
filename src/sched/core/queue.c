/* The runnable queue: every runnable job in the policy's order, kept from one round to the next, and the
 * bookkeeping at the start of a round (speed-ups reset, starvation priority).
 *
 * The order a round walks is a stable sort by (-priority, policy key, arrival), ties by the previous round's
 * order. Two ways to produce it, with identical results:
 *  - array mode (any policy): every round re-keys all runnable jobs and merge-sorts them, the previous order
 *    breaking ties. Needed when keys move with the clock (FTF) or two jobs arrived at the same time.
 *  - heap mode (keys that change only when the job itself changes: FIFO, SRTF, LAS, DRF, TETRIS; arrivals all
 *    distinct): (-priority, key, arrival) is then a total order, so no tie needs the previous order and a
 *    binary min-heap gives the same sequence. A round pops only the jobs it looks at (until the GPUs run out);
 *    those, the jobs whose speed-up or priority changed, and new arrivals are re-keyed at the next round. The
 *    cost of a round follows the jobs that can be placed, not the length of the queue.
 * If two jobs arrive at the same time in heap mode, the queue rebuilds the previous order from the keys it
 * holds and continues in array mode, so results never depend on the mode.
 *
 * Starvation (a job not run for over 1000 h gets priority 1) is checked in heap mode from a list of (time the
 * job last arrived or ran, job), which is in time order because those times only grow. */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define STARVE_S (1000.0 * 3600.0)


static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap) return 0;
    int nc = *cap ? *cap : 256;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

void sched_queue_init(sched_queue *q, const sched_spec *spec, int heap_above, int heap_below)
{
    memset(q, 0, sizeof *q);
    q->spec = spec;
    q->heap_above = heap_above ? heap_above : SCHED_QUEUE_HEAP_ABOVE;
    q->heap_below = heap_above ? heap_below : SCHED_QUEUE_HEAP_BELOW;
    q->heap_ok = heap_above >= 0 && !sched_policy_clock_keys(spec);
    q->heap_mode = false;
    q->use_prio = sched_policy_prio(spec);
    q->last_arrival = NAN;
}

void sched_queue_free(sched_queue *q)
{
    if (!q) return;
    free(q->ver);
    free(q->queued);
    free(q->heap);
    free(q->visit);
    free(q->pending);
    free(q->next_pending);
    free(q->starve);
    free(q->arr);
    free(q->keys);
    free(q->tmp);
    free(q->list);
    memset(q, 0, sizeof *q);
}

/* Per-job arrays and round scratch sized for job positions < n_jobs. */
static int reserve_jobs(sched_queue *q, int n_jobs)
{
    if (n_jobs <= q->cap_jobs) return 0;
    int cap = q->cap_jobs ? q->cap_jobs : 1024;
    while (cap < n_jobs) cap *= 2;
    unsigned *v = realloc(q->ver, (size_t)cap * sizeof *v);
    if (v) q->ver = v;
    unsigned char *u = realloc(q->queued, (size_t)cap);
    if (u) q->queued = u;
    double *k = realloc(q->keys, (size_t)cap * sizeof *k);
    if (k) q->keys = k;
    int *t = realloc(q->tmp, (size_t)cap * sizeof *t);
    if (t) q->tmp = t;
    int *l = realloc(q->list, (size_t)cap * sizeof *l);
    if (l) q->list = l;
    if (!v || !u || !k || !t || !l) return -1;
    memset(q->ver + q->cap_jobs, 0, (size_t)(cap - q->cap_jobs) * sizeof *v);
    memset(q->queued + q->cap_jobs, 0, (size_t)(cap - q->cap_jobs));
    q->cap_jobs = cap;
    return 0;
}

/* ---- heap mode ---------------------------------------------------------------------------------------- */

static bool ent_less(const sched_queue *q, const sched_qent *a, const sched_qent *b)
{
    if (q->use_prio && a->prio != b->prio) return a->prio > b->prio;
    if (a->key != b->key) return a->key < b->key;
    return a->arrival < b->arrival;
}

static int heap_push(sched_queue *q, sched_qent e)
{
    if (grow((void **)&q->heap, &q->h_cap, q->h_n + 1, sizeof *q->heap)) return -1;
    int i = q->h_n++;
    while (i > 0 && ent_less(q, &e, &q->heap[(i - 1) / 2])) {
        q->heap[i] = q->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->heap[i] = e;
    return 0;
}

static sched_qent heap_pop(sched_queue *q)
{
    sched_qent top = q->heap[0], last = q->heap[--q->h_n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, m = l;
        if (l >= q->h_n) break;
        if (l + 1 < q->h_n && ent_less(q, &q->heap[l + 1], &q->heap[l])) m = l + 1;
        if (!ent_less(q, &q->heap[m], &last)) break;
        q->heap[i] = q->heap[m];
        i = m;
    }
    if (q->h_n > 0) q->heap[i] = last;
    return top;
}

static bool live(const sched_queue *q, const sched_qent *e) { return q->queued[e->pos] && q->ver[e->pos] == e->ver; }

static int add_pending(int **list, int *n, int *cap, int pos)
{
    if (grow((void **)list, cap, *n + 1, sizeof **list)) return -1;
    (*list)[(*n)++] = pos;
    return 0;
}

static int note_base(sched_queue *q, double base, int pos)
{
    if (!q->heap_mode) return 0;
    if (q->st_head > 0 && q->st_head == q->st_n) q->st_head = q->st_n = 0;
    if (q->st_head > 4096 && q->st_head > q->st_n / 2) { /* drop the consumed front now and then */
        memmove(q->starve, q->starve + q->st_head, (size_t)(q->st_n - q->st_head) * sizeof *q->starve);
        q->st_n -= q->st_head;
        q->st_head = 0;
    }
    if (grow((void **)&q->starve, &q->st_cap, q->st_n + 1, sizeof *q->starve)) return -1;
    q->starve[q->st_n++] = (sched_starve_ent){base, pos};
    return 0;
}

static int cmp_ent(const void *pa, const void *pb, void *arg)
{
    const sched_queue *q = arg;
    const sched_qent *a = pa, *b = pb;
    return ent_less(q, a, b) ? -1 : ent_less(q, b, a) ? 1 : 0;
}

/* Heap mode -> array mode: the previous round's order is the order of the keys held (live heap entries and
 * the entries the last round popped; no two equal, arrivals being distinct so far), then the jobs not keyed
 * yet (arrivals) in arrival order. */
static int to_array_mode(sched_queue *q)
{
    int n = 0;
    sched_qent *all = malloc((size_t)(q->h_n + q->v_n + 1) * sizeof *all);
    unsigned char *seen = calloc((size_t)q->cap_jobs, 1);
    if (!all || !seen || grow((void **)&q->arr, &q->a_cap, q->n + 1, sizeof *q->arr)) {
        free(all);
        free(seen);
        return -1;
    }
    for (int i = 0; i < q->h_n; i++)
        if (live(q, &q->heap[i])) all[n++] = q->heap[i];
    for (int i = 0; i < q->v_n; i++)
        if (live(q, &q->visit[i])) all[n++] = q->visit[i];
    qsort_r(all, (size_t)n, sizeof *all, cmp_ent, q);
    q->a_n = 0;
    for (int i = 0; i < n; i++) {
        q->arr[q->a_n++] = all[i].pos;
        seen[all[i].pos] = 1;
    }
    for (int i = 0; i < q->p_n; i++) {
        int pos = q->pending[i];
        if (q->queued[pos] && !seen[pos]) {
            q->arr[q->a_n++] = pos;
            seen[pos] = 1;
        }
    }
    free(all);
    free(seen);
    q->h_n = q->v_n = q->p_n = 0;
    q->heap_mode = false;
    q->mode_changes++;
    return 0;
}

/* ---- the queue's API ---------------------------------------------------------------------------------- */

int sched_queue_add(sched_queue *q, const sched_job *jobs, int pos)
{
    const sched_job *j = &jobs[pos];
    if (reserve_jobs(q, pos + 1)) return -1;
    if (j->arrival == q->last_arrival) {
        q->heap_ok = false;
        if (q->heap_mode && to_array_mode(q)) return -1;
    }
    q->last_arrival = j->arrival;
    q->queued[pos] = 1;
    q->n++;
    if (!q->heap_mode) {
        if (grow((void **)&q->arr, &q->a_cap, q->a_n + 1, sizeof *q->arr)) return -1;
        q->arr[q->a_n++] = pos;
        return 0;
    }
    if (add_pending(&q->pending, &q->p_n, &q->p_cap, pos)) return -1;
    return note_base(q, j->arrival, pos);
}

void sched_queue_remove(sched_queue *q, int pos)
{
    if (pos >= q->cap_jobs || !q->queued[pos]) return;
    q->queued[pos] = 0;
    q->ver[pos]++;
    q->n--;
}

int sched_queue_ran(sched_queue *q, int pos, double until) { return note_base(q, until, pos); }

/* Array mode: all keys, a stable merge sort with the previous order as the last tie-break. */
typedef struct sort_ctx {
    const sched_queue *q;
    const sched_job *jobs;
} sort_ctx;

static int cmp_pos(const sort_ctx *sc, int a, int b) /* a, b: indices into q->arr */
{
    const sched_queue *q = sc->q;
    const sched_job *ja = &sc->jobs[q->arr[a]], *jb = &sc->jobs[q->arr[b]];
    if (q->use_prio && ja->priority != jb->priority) return ja->priority > jb->priority ? -1 : 1;
    if (q->keys[a] != q->keys[b]) return q->keys[a] < q->keys[b] ? -1 : 1;
    if (ja->arrival != jb->arrival) return ja->arrival < jb->arrival ? -1 : 1;
    return (a > b) - (a < b);
}

/* Stable merge sort of indices that skips merging halves already in order: the order changes little from one
 * round to the next, so this is close to linear. */
static void merge_sort(const sort_ctx *sc, int *a, int *tmp, int n)
{
    if (n < 2) return;
    int mid = n / 2;
    merge_sort(sc, a, tmp, mid);
    merge_sort(sc, a + mid, tmp, n - mid);
    if (cmp_pos(sc, a[mid - 1], a[mid]) <= 0) return;
    int i = 0, j = mid, k = 0;
    while (i < mid && j < n) tmp[k++] = cmp_pos(sc, a[j], a[i]) < 0 ? a[j++] : a[i++];
    while (i < mid) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

static int begin_array(sched_queue *q, sched_job *jobs, const sched_cluster *c, double now)
{
    int n = 0;
    for (int i = 0; i < q->a_n; i++) /* drop the jobs removed since the last round, keeping the order */
        if (q->queued[q->arr[i]]) q->arr[n++] = q->arr[i];
    q->a_n = n;
    q->cursor = 0;
    if (n == 0)
        return 0;
    int *idx = q->list; /* list is free until the round walks */
    for (int i = 0; i < n; i++) {
        q->keys[i] = sched_policy_key(q->spec, c, &jobs[q->arr[i]], now);
        idx[i] = i;
    }
    sort_ctx sc = {q, jobs};
    merge_sort(&sc, idx, q->tmp, n);
    for (int i = 0; i < n; i++) q->tmp[i] = q->arr[idx[i]];
    memcpy(q->arr, q->tmp, (size_t)n * sizeof *q->arr);
    for (int i = 0; i < n; i++) {
        sched_job *j = &jobs[q->arr[i]];
        j->speedup = j->speedup_orig;
        double since = now - (j->last_exec < 0 ? j->arrival : j->last_exec);
        if (since > STARVE_S) j->priority = 1;
    }
    q->cursor = 0;
    return 0;
}

static int begin_heap(sched_queue *q, sched_job *jobs, const sched_cluster *c, double now)
{
    /* Re-key what changed since the last sort: the jobs the last round looked at, those whose speed-up or
     * priority changed after it sorted, and arrivals. */
    for (int i = 0; i < q->p_n; i++) {
        int pos = q->pending[i];
        if (!q->queued[pos]) continue;
        const sched_job *j = &jobs[pos];
        sched_qent e = {sched_policy_key(q->spec, c, j, now), j->arrival, j->priority, pos, ++q->ver[pos]};
        if (heap_push(q, e)) return -1;
    }
    /* Speed-ups back to the profile's (only the jobs the last round looked at can have another) and the
     * starvation priority: both change keys, so those jobs are re-keyed at the next round. */
    q->np_n = 0;
    for (int i = 0; i < q->p_n; i++) {
        sched_job *j = &jobs[q->pending[i]];
        if (!q->queued[q->pending[i]] || j->speedup == j->speedup_orig) continue;
        j->speedup = j->speedup_orig;
        if (add_pending(&q->next_pending, &q->np_n, &q->np_cap, q->pending[i])) return -1;
    }
    while (q->st_head < q->st_n && now - q->starve[q->st_head].base > STARVE_S) {
        sched_starve_ent e = q->starve[q->st_head++];
        sched_job *j = &jobs[e.pos];
        if (!q->queued[e.pos] || (j->last_exec < 0 ? j->arrival : j->last_exec) != e.base || j->priority == 1)
            continue;
        j->priority = 1;
        if (add_pending(&q->next_pending, &q->np_n, &q->np_cap, e.pos)) return -1;
    }
    int *t = q->pending;
    q->pending = q->next_pending;
    q->next_pending = t;
    int tc = q->p_cap;
    q->p_cap = q->np_cap;
    q->np_cap = tc;
    q->p_n = q->np_n;
    q->v_n = 0;
    return 0;
}

static int cmp_base(const void *pa, const void *pb)
{
    const sched_starve_ent *a = pa, *b = pb;
    return (a->base > b->base) - (a->base < b->base);
}

/* Array mode -> heap mode (arrivals distinct so far, so no previous order is needed): every queued job is
 * re-keyed at this round, and the starvation list starts from each job's last run or arrival. */
static int to_heap_mode(sched_queue *q, const sched_job *jobs)
{
    q->h_n = q->v_n = q->p_n = 0;
    q->st_head = q->st_n = 0;
    for (int i = 0; i < q->a_n; i++) {
        int pos = q->arr[i];
        if (!q->queued[pos]) continue;
        const sched_job *j = &jobs[pos];
        if (add_pending(&q->pending, &q->p_n, &q->p_cap, pos) ||
            grow((void **)&q->starve, &q->st_cap, q->st_n + 1, sizeof *q->starve))
            return -1;
        q->starve[q->st_n++] = (sched_starve_ent){j->last_exec < 0 ? j->arrival : j->last_exec, pos};
    }
    qsort(q->starve, (size_t)q->st_n, sizeof *q->starve, cmp_base);
    q->a_n = 0;
    q->heap_mode = true;
    q->mode_changes++;
    return 0;
}

int sched_queue_begin(sched_queue *q, sched_job *jobs, const sched_cluster *c, double now)
{
    if (!q->heap_mode && q->heap_ok && q->n > q->heap_above && to_heap_mode(q, jobs)) return -1;
    if (q->heap_mode && q->n < q->heap_below && to_array_mode(q)) return -1;
    return q->heap_mode ? begin_heap(q, jobs, c, now) : begin_array(q, jobs, c, now);
}

int sched_queue_next(sched_queue *q)
{
    if (!q->heap_mode) return q->cursor < q->a_n ? q->arr[q->cursor++] : -1;
    while (q->h_n > 0) {
        sched_qent e = heap_pop(q);
        if (!live(q, &e)) continue;
        /* looked at this round: re-keyed at the next */
        if (grow((void **)&q->visit, &q->v_cap, q->v_n + 1, sizeof *q->visit) ||
            add_pending(&q->pending, &q->p_n, &q->p_cap, e.pos)) {
            q->oom = true;
            return -1;
        }
        q->visit[q->v_n++] = e;
        return e.pos;
    }
    return -1;
}
