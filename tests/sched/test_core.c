/* The scheduler core as a live caller drives it (core.h's contract), with no simulator: jobs in a caller-owned
 * array, rounds at times the caller picks, progress kept by the caller. Checks that a round allocates and
 * records the iteration time without touching progress, that +tune's shrunk peer runs at the fair share, that a
 * lease end gives everything back, and that the core credits nothing by itself over many rounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/core.h"

static sched_cluster cl;

/* 1 server: 2 GPUs, 6 CPUs, 125 GB (fair share 3 CPUs, 62.5 GB per GPU). */
static void cluster_2gpu(void)
{
    sched_cluster_cfg cfg = {.racks = 1, .servers_per_rack = 1, .gpus_per_server = 2, .cpus_per_server = 6,
                             .dram_per_server = 125, .sspeed_per_server = 500, .net_per_server = 40};
    char err[256];
    if (sched_cluster_init(&cl, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

static void make_job(sched_job *j, int id, const char *model, double arrival)
{
    memset(j, 0, sizeof *j);
    j->id = id;
    j->prof = sched_profile_find(3, model);
    if (!j->prof) {
        fprintf(stderr, "no profile for %s\n", model);
        exit(1);
    }
    j->gpu_demand = 1;
    j->arrival = arrival;
    j->last_exec = -1;
    j->total_iters = 100000;
    sched_job_apply_profile(j, &cl);
}

/* One round at `now` with the queue's scheduler; returns the number placed. */
static int round_at(sched_job *jobs, sched_queue *q, double now, int *placed)
{
    char err[256] = "";
    sched_round_ctx ctx = {.cluster = &cl, .jobs = jobs, .queue = q, .now = now, .round = 300, .spec = q->spec,
                           .placed = placed, .err = err, .errlen = sizeof err};
    int rc = sched_round(&ctx);
    if (rc) fprintf(stderr, "%s\n", err);
    CHECK(rc == 0 && !ctx.oom);
    return ctx.n_placed;
}

/* A round allocates and records the rate; progress stays where the caller left it. */
static void test_round_records_rate(void)
{
    cluster_2gpu();
    sched_job jobs[2];
    make_job(&jobs[0], 0, "alexnet", 0);
    make_job(&jobs[1], 1, "alexnet", 1);
    jobs[0].executed = 123; /* the caller's progress, e.g. from a job's own report */
    jobs[0].attained = 600;
    sched_spec spec;
    char err[128];
    CHECK(sched_spec_parse(&spec, "FIFO+fair", err, sizeof err) == 0);
    sched_queue q;
    sched_queue_init(&q, &spec, 0, 0);
    CHECK(sched_queue_add(&q, jobs, 0) == 0 && sched_queue_add(&q, jobs, 1) == 0);
    int placed[2];
    CHECK(round_at(jobs, &q, 300, placed) == 2);
    for (int i = 0; i < 2; i++) {
        CHECK(jobs[i].n_alloc == 1 && jobs[i].alloc_gpus == 1);
        CHECK_NEAR(jobs[i].alloc[0].res[R_CPU], 3, 1e-12); /* the fair share */
        CHECK_NEAR(jobs[i].round_iter_time, jobs[i].iter_time, 1e-12); /* +fair: no speed-up */
    }
    CHECK(jobs[0].executed == 123 && jobs[0].attained == 600); /* untouched */
    CHECK(jobs[1].executed == 0 && jobs[1].attained == 0);
    CHECK(sched_job_round_iters(&jobs[0], 300) == (long)floor(300 / jobs[0].iter_time));
    jobs[0].executed = jobs[0].total_iters - 5; /* capped at what is left */
    CHECK(sched_job_round_iters(&jobs[0], 300) == 5);
    for (int i = 0; i < 2; i++) {
        sched_release(&cl, &jobs[i]);
        CHECK(jobs[i].n_alloc == 0 && jobs[i].round_iter_time == 0 && sched_job_round_iters(&jobs[i], 300) == 0);
    }
    CHECK(sched_cluster_free_gpus(&cl) == 2);
    for (int r = 0; r < R_NET; r++) CHECK(cl.servers[0].used[r] == 0);
    sched_queue_free(&q);
    sched_cluster_free(&cl);
}

/* +tune: the first job takes its ideal CPUs, the second shrinks it to the fair share; the shrunk peer's rate
 * is then the fair one (its speed-up gone), the newcomer's too. */
static void test_tune_shrink_rate(void)
{
    cluster_2gpu();
    sched_job jobs[2];
    make_job(&jobs[0], 0, "alexnet", 0);
    make_job(&jobs[1], 1, "alexnet", 1);
    if (!(jobs[0].demand[R_CPU] > 3 && jobs[0].speedup_orig > 1)) {
        fprintf(stderr, "alexnet no longer wants more than the fair share: pick another model\n");
        check_failures++;
        return;
    }
    sched_spec spec;
    char err[128];
    CHECK(sched_spec_parse(&spec, "FIFO+tune", err, sizeof err) == 0);
    sched_queue q;
    sched_queue_init(&q, &spec, 0, 0);
    CHECK(sched_queue_add(&q, jobs, 0) == 0);
    int placed[2];
    CHECK(round_at(jobs, &q, 300, placed) == 1);
    CHECK_NEAR(jobs[0].round_iter_time, jobs[0].iter_time / jobs[0].speedup_orig, 1e-12); /* ideal: sped up */
    sched_release(&cl, &jobs[0]);
    CHECK(sched_queue_ran(&q, 0, 600) == 0);
    CHECK(sched_queue_add(&q, jobs, 1) == 0);
    CHECK(round_at(jobs, &q, 600, placed) == 2);
    CHECK_NEAR(jobs[0].alloc[0].res[R_CPU], 3, 1e-9);                 /* shrunk to the fair share */
    CHECK_NEAR(jobs[0].round_iter_time, jobs[0].iter_time, 1e-12);    /* and runs at 1x */
    CHECK_NEAR(jobs[1].round_iter_time, jobs[1].iter_time, 1e-12);
    CHECK(cl.servers[0].used[R_CPU] <= cl.servers[0].cap[R_CPU] + 1e-9);
    CHECK(jobs[0].executed == 0 && jobs[0].attained == 0); /* still nothing credited by the core */
    sched_release(&cl, &jobs[0]);
    sched_release(&cl, &jobs[1]);
    sched_queue_free(&q);
    sched_cluster_free(&cl);
}

/* Many rounds with no crediting by the caller: the core never advances a job, so the same job keeps winning
 * the same allocation (FIFO) and nobody finishes; crediting as the simulator does finishes it in the expected
 * number of rounds. */
static void test_caller_owns_progress(void)
{
    cluster_2gpu();
    sched_job jobs[1];
    make_job(&jobs[0], 0, "alexnet", 0);
    jobs[0].total_iters = 5000;
    sched_spec spec;
    char err[128];
    CHECK(sched_spec_parse(&spec, "FIFO+fair", err, sizeof err) == 0);
    sched_queue q;
    sched_queue_init(&q, &spec, 0, 0);
    CHECK(sched_queue_add(&q, jobs, 0) == 0);
    int placed[1], rounds = 0;
    for (double now = 0; now < 300 * 50; now += 300) {
        CHECK(round_at(jobs, &q, now, placed) == 1);
        sched_release(&cl, &jobs[0]);
        CHECK(sched_queue_ran(&q, 0, now + 300) == 0);
    }
    CHECK(jobs[0].executed == 0);
    long per_round = (long)floor(300 / jobs[0].iter_time);
    for (double now = 0; jobs[0].executed < jobs[0].total_iters; now += 300, rounds++) {
        CHECK(round_at(jobs, &q, now, placed) == 1);
        jobs[0].executed += sched_job_round_iters(&jobs[0], 300);
        sched_release(&cl, &jobs[0]);
        CHECK(sched_queue_ran(&q, 0, now + 300) == 0);
    }
    CHECK(rounds == (int)((jobs[0].total_iters + per_round - 1) / per_round));
    sched_queue_free(&q);
    sched_cluster_free(&cl);
}

int main(void)
{
    test_round_records_rate();
    test_tune_shrink_rate();
    test_caller_owns_progress();
    if (!check_failures) printf("sched_core: all checks passed\n");
    return check_failed();
}
