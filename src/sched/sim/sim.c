/* The simulator's event loop. Events are (time, kind, seq) ordered: arrival < job end < lease end < schedule
 * at equal times. A schedule event ends nothing by itself: the lease-end events of the previous round (kind
 * 3) have already released every placed job, so the policy re-places all runnable jobs from scratch and the
 * jobs it places get lease-end events one round later. Progress is credited at lease end (the core only
 * allocates); a job finishes at the lease end where its executed iterations reach the total, so JCT = that
 * lease end - arrival. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event_heap.h"
#include "sim.h"

typedef struct sim {
    const sched_sim_cfg *cfg;
    sched_rng rng;
    sched_cluster cluster;
    sched_workload wl;
    double *philly_dur;         /* exp-mode Philly durations, drawn first from the run's RNG */
    sched_event_heap heap;
    sched_job *jobs;
    int n_jobs, cap_jobs;
    sched_queue queue;          /* the runnable jobs in policy order */
    int *placed;                /* round output, capacity cap_jobs */
    long measured_done, measured_total, measured_arrived;
    double all_arrived;         /* when the last measured job arrived, -1 before */
    double idle_since;          /* start of a stretch of rounds that placed nothing on an empty cluster, -1 */
    bool terminate, exhausted;
    int pending_arrivals;
    double now;
    sched_sim_result *res;
    long cap_res, cap_rounds;
    char *err;
    size_t errlen;
} sim;

static int grow_jobs(sim *s)
{
    if (s->n_jobs < s->cap_jobs) return 0;
    int cap = s->cap_jobs ? 2 * s->cap_jobs : 1024;
    sched_job *j = realloc(s->jobs, (size_t)cap * sizeof *j);
    if (j) s->jobs = j;
    int *p = realloc(s->placed, (size_t)cap * sizeof *p);
    if (p) s->placed = p;
    if (!j || !p) {
        snprintf(s->err, s->errlen, "out of memory");
        return -1;
    }
    s->cap_jobs = cap;
    return 0;
}

static bool is_measured(const sim *s, int id)
{
    return s->cfg->measure_lo < 0 || (id >= s->cfg->measure_lo && id < s->cfg->measure_hi);
}

/* Shortest decimal that reads back as the same double, so recorded traces replay exactly. */
static void fmt_double(char *buf, size_t len, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

void sched_record_job(FILE *f, const sched_job *j)
{
    char a[40];
    fmt_double(a, sizeof a, j->arrival);
    fprintf(f, "%d,%s,%s,%ld,%d\n", j->id, j->prof->name, a, j->total_iters, j->gpu_demand);
}

/* Generates the next job of a generator workload and schedules its arrival. */
static int add_next_job(sim *s, double last_arrival)
{
    if (grow_jobs(s)) return -1;
    sched_job *j = &s->jobs[s->n_jobs];
    int rc = sched_workload_next(&s->wl, last_arrival, j, s->err, s->errlen);
    if (rc < 0) return -1;
    if (rc == 0) {
        s->exhausted = true;
        return 0;
    }
    if (s->cfg->record) sched_record_job(s->cfg->record, j);
    if (sched_heap_push(&s->heap, j->arrival, EV_ARRIVAL, s->n_jobs)) return -1;
    s->n_jobs++;
    s->pending_arrivals++;
    return 0;
}

static int on_arrival(sim *s, const sched_event *e)
{
    if (sched_queue_add(&s->queue, s->jobs, e->job)) {
        snprintf(s->err, s->errlen, "out of memory");
        return -1;
    }
    s->res->jobs_simulated++;
    if (is_measured(s, s->jobs[e->job].id) && ++s->measured_arrived == s->res->measured_expected)
        s->all_arrived = s->now;
    s->pending_arrivals--;
    if (s->cfg->kind != WL_REPLAY && !s->exhausted) return add_next_job(s, s->now);
    return 0;
}

static int on_job_end(sim *s, const sched_event *e)
{
    (void)s;
    (void)e; /* the simulator finishes jobs at lease end; the kind exists only to order events */
    return 0;
}

static int finish_job(sim *s, int pos)
{
    sched_job *j = &s->jobs[pos];
    j->finished = true;
    j->finish = s->now;
    sched_queue_remove(&s->queue, pos);
    s->res->jobs_finished++;
    if (!is_measured(s, j->id)) return 0;
    sched_sim_result *r = s->res;
    if (r->n_jobs == s->cap_res) {
        s->cap_res = s->cap_res ? 2 * s->cap_res : 1024;
        sched_job_result *nj = realloc(r->jobs, (size_t)s->cap_res * sizeof *nj);
        if (!nj) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        r->jobs = nj;
    }
    r->jobs[r->n_jobs++] = (sched_job_result){j->id, j->prof->name, j->gpu_demand, j->arrival, j->finish,
                                              j->finish - j->arrival};
    s->measured_done++;
    if (s->cfg->measure_lo >= 0 && s->measured_done == s->measured_total) s->terminate = true;
    return 0;
}

/* The round's progress, as the reference credits it: R seconds of service and the iterations the allocation
 * completes in R (the core recorded the iteration time when it placed the job). */
static void credit_round(const sim *s, sched_job *j)
{
    j->executed += sched_job_round_iters(j, s->cfg->round);
    j->attained += s->cfg->round;
}

static int on_lease_end(sim *s, const sched_event *e)
{
    sched_job *j = &s->jobs[e->job];
    j->last_exec = s->now;
    credit_round(s, j);
    sched_release(&s->cluster, j);
    if (sched_queue_ran(&s->queue, e->job, s->now)) {
        snprintf(s->err, s->errlen, "out of memory");
        return -1;
    }
    if (j->executed >= j->total_iters) return finish_job(s, e->job);
    return 0;
}

void sched_round_sample_fill(sched_round_sample *smp, double t, const sched_cluster *c, const sched_job *jobs,
                             const int *placed, int n_placed, int runnable)
{
    memset(smp, 0, sizeof *smp);
    smp->time = t;
    double used[3] = {0}, util[3] = {0}, dem[3] = {0};
    for (int i = 0; i < c->n_servers; i++)
        for (int k = 0; k < 3; k++) used[k] += c->servers[i].used[k];
    for (int i = 0; i < n_placed; i++) {
        const sched_job *j = &jobs[placed[i]];
        double a[R_N];
        sched_job_alloc_vec(j, a);
        for (int k = 0; k < 3; k++) {
            util[k] += a[k] < j->demand[k] ? a[k] : j->demand[k];
            dem[k] += j->demand[k];
        }
    }
    for (int k = 0; k < 3; k++) {
        smp->alloc[k] = 100.0 * used[k] / c->total[k];
        smp->util[k] = 100.0 * util[k] / c->total[k];
        smp->demand[k] = 100.0 * dem[k] / c->total[k];
    }
    smp->runnable = runnable;
    smp->running = n_placed;
}

static int sample_round(sim *s, int n_placed)
{
    sched_sim_result *r = s->res;
    if (r->n_rounds == s->cap_rounds) {
        s->cap_rounds = s->cap_rounds ? 2 * s->cap_rounds : 1024;
        sched_round_sample *nr = realloc(r->rounds, (size_t)s->cap_rounds * sizeof *nr);
        if (!nr) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        r->rounds = nr;
    }
    sched_round_sample_fill(&r->rounds[r->n_rounds++], s->now, &s->cluster, s->jobs, s->placed, n_placed,
                            s->queue.n);
    return 0;
}

static long measured_left(const sim *s)
{
    return s->res->measured_expected < 0 ? -1 : s->res->measured_expected - s->measured_done;
}

static void report_progress(const sim *s)
{
    sched_sim_progress p = {.now = s->now, .rounds = s->res->n_rounds, .arrived = s->res->jobs_simulated,
                            .finished = s->res->jobs_finished, .measured_left = measured_left(s),
                            .runnable = s->queue.n};
    s->cfg->progress(s->cfg->progress_arg, &p);
}

static int on_schedule(sim *s, const sched_event *e)
{
    (void)e;
    sched_round_ctx ctx = {
        .cluster = &s->cluster, .jobs = s->jobs, .queue = &s->queue, .now = s->now, .round = s->cfg->round,
        .spec = &s->cfg->spec, .placed = s->placed, .err = s->err, .errlen = s->errlen,
    };
    bool empty = sched_cluster_free_gpus(&s->cluster) == s->cluster.n_gpus;
    if (sched_round(&ctx)) return -1;
    s->res->failed_placements += ctx.n_failed;
    for (int i = 0; i < ctx.n_placed; i++)
        if (sched_heap_push(&s->heap, s->now + s->cfg->round, EV_LEASE_END, s->placed[i])) return -1;
    /* The run ends when no job is left to run and none is still to arrive; an idle gap between arrivals
     * (rounds with nothing runnable) does not end it. */
    bool to_come = !s->exhausted || s->pending_arrivals > 0;
    if (s->queue.n == 0 && !to_come)
        s->terminate = true;
    else if (sched_heap_push(&s->heap, s->now + s->cfg->round, EV_SCHEDULE, -1))
        return -1;
    /* Jobs that no round places on an empty cluster, with nothing left to arrive, would keep the run going
     * forever. Starvation priority (after 1000 h) can still reorder a greedy prefix, so wait past it. */
    if (ctx.n_placed == 0 && s->queue.n > 0 && empty && !to_come) {
        if (s->idle_since < 0) s->idle_since = s->now;
        if (s->now - s->idle_since > 1001.0 * 3600.0) {
            s->res->stop = SIM_STOP_STUCK;
            s->terminate = true;
        }
    } else {
        s->idle_since = -1;
    }
    if (sample_round(s, ctx.n_placed)) return -1;
    if (s->cfg->progress && s->res->n_rounds % SCHED_PROGRESS_ROUNDS == 0) report_progress(s);
    return 0;
}

/* Event handlers indexed by kind. */
static int (*const handlers[])(sim *, const sched_event *) = {
    [EV_ARRIVAL] = on_arrival,
    [EV_JOB_END] = on_job_end,
    [EV_LEASE_END] = on_lease_end,
    [EV_SCHEDULE] = on_schedule,
};

/* How many measured jobs the workload will produce: generated jobs have ids 0, 1, ...; a replay's are its
 * trace's. -1 for an open-ended workload measuring every job (no end is known). */
static long expected_measured(const sched_sim_cfg *cfg)
{
    long total = -1; /* jobs the workload produces */
    if (cfg->kind == WL_REPLAY) {
        long n = 0;
        for (int i = 0; i < cfg->trace->n; i++) {
            int id = cfg->trace->jobs[i].id;
            if (cfg->measure_lo < 0 || (id >= cfg->measure_lo && id < cfg->measure_hi)) n++;
        }
        return n;
    }
    if (cfg->num_jobs > 0) total = cfg->num_jobs;
    if (cfg->kind == WL_PHILLY && cfg->philly_arrival && (total < 0 || cfg->trace->n < total)) total = cfg->trace->n;
    if (cfg->measure_lo < 0) return total;
    long hi = total >= 0 && total < cfg->measure_hi ? total : cfg->measure_hi;
    return hi > cfg->measure_lo ? hi - cfg->measure_lo : 0;
}

static int setup(sim *s)
{
    const sched_sim_cfg *cfg = s->cfg;
    if (sched_cluster_init(&s->cluster, &cfg->cluster, s->err, s->errlen)) return -1;
    sched_queue_init(&s->queue, &cfg->spec, cfg->queue_heap_above, cfg->queue_heap_below);
    sched_rng_seed(&s->rng, cfg->seed);
    s->wl = (sched_workload){
        .kind = cfg->kind, .rng = &s->rng, .cluster = &s->cluster, .trace = cfg->trace,
        .ratio = sched_profile_ratio(s->cluster.fair[R_CPU]), .jobs_per_hour = cfg->jobs_per_hour,
        .limit = cfg->num_jobs, .philly_arrival = cfg->philly_arrival, .single_gpu = cfg->single_gpu,
        .prioritize = cfg->prioritize,
    };
    memcpy(s->wl.split, cfg->split, sizeof s->wl.split);
    if (cfg->kind == WL_PHILLY && cfg->trace->exponential) {
        s->philly_dur = sched_philly_draw_durations(cfg->trace, &s->rng);
        if (!s->philly_dur) {
            snprintf(s->err, s->errlen, "out of memory");
            return -1;
        }
        s->wl.philly_dur = s->philly_dur;
    }
    s->measured_total = cfg->measure_hi - cfg->measure_lo;
    s->idle_since = -1;
    s->all_arrived = -1;
    s->res->measured_expected = expected_measured(cfg);
    if (cfg->kind == WL_REPLAY) {
        /* every job arrives as recorded; the first round is aligned to the first job's arrival */
        for (int i = 0; i < cfg->trace->n; i++) {
            if (grow_jobs(s)) return -1;
            int rc = sched_workload_next(&s->wl, 0, &s->jobs[s->n_jobs], s->err, s->errlen);
            if (rc < 0) return -1;
            if (sched_heap_push(&s->heap, s->jobs[s->n_jobs].arrival, EV_ARRIVAL, s->n_jobs)) return -1;
            s->n_jobs++;
            s->pending_arrivals++;
        }
        s->exhausted = true;
        double first = cfg->static_start ? 1 : ceil(s->jobs[0].arrival / cfg->round) * cfg->round;
        return sched_heap_push(&s->heap, first, EV_SCHEDULE, -1);
    }
    if (add_next_job(s, 0)) return -1;
    return sched_heap_push(&s->heap, cfg->kind == WL_STATIC || cfg->static_start ? 1 : 0, EV_SCHEDULE, -1);
}

int sched_simulate(const sched_sim_cfg *cfg, sched_sim_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    sim s = {.cfg = cfg, .res = res, .err = err, .errlen = errlen};
    int rc = setup(&s);
    sched_event e;
    while (rc == 0 && !s.terminate && sched_heap_pop(&s.heap, &e) == 0) {
        if (cfg->max_time > 0 && e.time > cfg->max_time) {
            res->stop = SIM_STOP_BOUND;
            break;
        }
        if (cfg->max_overrun > 0 && s.all_arrived >= 0 && e.time > s.all_arrived + cfg->max_overrun) {
            res->stop = SIM_STOP_OVERRUN;
            break;
        }
        s.now = e.time;
        rc = handlers[e.kind](&s, &e);
    }
    res->end_time = s.now;
    res->queue_mode_changes = s.queue.mode_changes;
    res->unfinished = res->measured_expected < 0 ? s.n_jobs - res->jobs_finished
                                                 : res->measured_expected - s.measured_done;
    sched_heap_free(&s.heap);
    sched_cluster_free(&s.cluster);
    free(s.jobs);
    sched_queue_free(&s.queue);
    free(s.placed);
    free(s.philly_dur);
    if (rc) sched_sim_result_free(res);
    return rc;
}

void sched_sim_result_free(sched_sim_result *res)
{
    if (!res) return;
    free(res->jobs);
    free(res->rounds);
    memset(res, 0, sizeof *res);
}

double sched_quantile(const double *sorted, long n, double q)
{
    if (n <= 0) return 0;
    double h = (n - 1) * q;
    long lo = (long)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}
