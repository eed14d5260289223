/* Philly cluster_job_log loader tests against the hand-made trace in data/philly (its README tabulates the
 * expected jobs per mode and why each other job is dropped), the malformed files (file:line of the bad job),
 * and an end-to-end simulation of the multi-GPU --philly_arrival --no_exp trace on the default 128-GPU
 * cluster, where every job runs from its first round: JCT = rounds needed + the wait for the first round.
 * usage: test_sched_philly DATA_DIR */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sim/sim.h"

static char dir[512];

static const char *path(const char *name)
{
    static char p[2][768];
    static int slot;
    char *s = p[slot++ % 2];
    snprintf(s, 768, "%s/philly/%s", dir, name);
    return s;
}

typedef struct { double arrival, dur; int gpus; } want;

static void expect(const char *mode, bool multigpu, bool exponential, const want *w, int n)
{
    sched_trace t;
    char err[512];
    int rc = sched_philly_load(&t, path("cluster_job_log.json"), multigpu, exponential, err, sizeof err);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "%s: %s\n", mode, err);
        return;
    }
    CHECK(t.n == n);
    CHECK(t.exponential == exponential);
    for (int i = 0; i < n && i < t.n; i++) {
        if (t.jobs[i].arrival != w[i].arrival || t.jobs[i].iters != w[i].dur || t.jobs[i].gpus != w[i].gpus)
            fprintf(stderr, "%s job %d: got (%.0f, %.0f, %d), want (%.0f, %.0f, %d)\n", mode, i, t.jobs[i].arrival,
                    t.jobs[i].iters, t.jobs[i].gpus, w[i].arrival, w[i].dur, w[i].gpus);
        CHECK(t.jobs[i].arrival == w[i].arrival);
        CHECK(t.jobs[i].iters == w[i].dur);
        CHECK(t.jobs[i].gpus == w[i].gpus);
        CHECK(t.jobs[i].id == i);
    }
    sched_trace_free(&t);
}

static void expect_error(const char *file, const char *needle)
{
    sched_trace t;
    char err[512] = "";
    CHECK(sched_philly_load(&t, path(file), true, false, err, sizeof err) == -1);
    if (!strstr(err, needle)) fprintf(stderr, "error for %s: '%s' lacks '%s'\n", file, err, needle);
    CHECK(strstr(err, needle) != NULL);
    CHECK(t.n == 0 && t.jobs == NULL);
}

static void loader(void)
{
    const double h = 3600;
    const want multi[] = {{0, 7200, 4}, {43200, 5400, 2}, {216000, 1920, 1}, {388800, 3600, 16},
                          {1943999, 3600, 1}};
    expect("multi", true, false, multi, 5);
    const want single[] = {{0, 7200, 1},      {43200, 5400, 1},  {216000, 1920, 1}, {302400, 3600, 1},
                           {388800, 3600, 1}, {475200, 3600, 1}, {1943999, 3600, 1}};
    expect("single", false, false, single, 7);
    /* exp mode: file order, raw arrivals, 3 GPUs mapped to 1, 17 dropped, no window */
    const want exp[] = {{0, 3600, 1},         {2424 * h, 5400, 2},  {2412 * h, 7200, 4},
                        {2472 * h, 1920, 1},  {2496 * h, 3600, 1},  {3024 * h, 3600, 1},
                        {2520 * h, 3600, 16}, {2951 * h + 3599, 3600, 1}};
    expect("exp", true, true, exp, 8);

    expect_error("bad_time.json", "bad_time.json:4: job entry 1: submitted_time");
    expect_error("bad_attempts.json", "bad_attempts.json:4: job entry 1: 'attempts'");
    expect_error("bad_syntax.json", "bad_syntax.json:3: invalid JSON");
    expect_error("bad_not_list.json", "bad_not_list.json:1: expected a JSON list");
    expect_error("does_not_exist.json", "does_not_exist.json: cannot open");
}

/* Multi-GPU real-arrival run with FIFO+fair: the cluster is never full, so each job starts at the first round
 * at or after its arrival and runs ceil(iters / per-round) rounds at fair share. */
static void simulate(void)
{
    char err[512];
    sched_trace t;
    if (sched_philly_load(&t, path("cluster_job_log.json"), true, false, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        CHECK(0);
        return;
    }
    sched_sim_cfg cfg = {.kind = WL_PHILLY, .seed = 3, .round = 300, .measure_lo = -1, .measure_hi = -1,
                         .split = {20, 70, 10}, .trace = &t, .philly_arrival = true};
    sched_cluster_cfg_default(&cfg.cluster);
    CHECK(sched_spec_parse(&cfg.spec, "FIFO+fair", err, sizeof err) == 0);
    sched_sim_result res;
    int rc = sched_simulate(&cfg, &res, err, sizeof err);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        sched_trace_free(&t);
        return;
    }
    CHECK(res.n_jobs == t.n);
    for (long i = 0; i < res.n_jobs; i++) {
        const sched_job_result *r = &res.jobs[i];
        const sched_trace_job *tj = &t.jobs[r->id];
        CHECK(r->gpus == tj->gpus);
        CHECK(r->arrival == tj->arrival);
        const sched_profile *p = sched_profile_find(3, r->model);
        CHECK(p != NULL);
        if (!p) continue;
        long iters = (long)(tj->iters / p->iter_time), per = (long)(300 / p->iter_time);
        double start = 300 * ceil(tj->arrival / 300);
        double want_jct = start + 300 * (double)((iters + per - 1) / per) - tj->arrival;
        if (r->jct != want_jct)
            fprintf(stderr, "job %d (%s): jct %.0f, want %.0f\n", r->id, r->model, r->jct, want_jct);
        CHECK(r->jct == want_jct);
    }
    sched_sim_result_free(&res);
    sched_trace_free(&t);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    loader();
    simulate();
    return check_failed();
}
