/* The runnable queue's two modes give the same simulation, job by job: heap mode (a round looks only at the
 * jobs it can place) against array mode (the whole queue re-sorted every round, the reference's way). Covered:
 * every policy and mechanism on an overloaded small cluster where starvation priority kicks in (> 1000 h
 * waits) and the queue moves between modes, and a trace with equal arrival times, which ends heap mode in the
 * middle of a run. usage: test_sched_queue */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sim/sim.h"

static const char *const policies[] = {
    "FIFO", "FIFO+fair", "FIFO+tune", "SRTF", "SRTF+fair", "SRTF+tune", "LAS", "LAS+fair", "LAS+tune",
    "FTF+tune", "DRF", "DRF+fair", "DRF+tune", "TETRIS", "TETRIS+fair", "TETRIS+tune", "LAS+place+tune",
    "SRTF+place+fair"};

/* Runs cfg with the queue always re-sorted (the reference's way) and with the queue moving between heap and
 * array mode at small thresholds (15 and 5 jobs, so both modes and both switches happen often); compares
 * every measured job's finish time, every round's sample and the run's end. */
/* Returns how often the switching run's queue changed mode. */
static long compare_modes(sched_sim_cfg cfg, const char *what, long *starved)
{
    sched_sim_result r[2];
    char err[256];
    for (int m = 0; m < 2; m++) {
        cfg.queue_heap_above = m == 1 ? -1 : 15;
        cfg.queue_heap_below = m == 1 ? 0 : 5;
        if (sched_simulate(&cfg, &r[m], err, sizeof err)) {
            fprintf(stderr, "%s %s: %s\n", what, cfg.spec.name, err);
            CHECK(0);
            if (m) sched_sim_result_free(&r[0]);
            return 0;
        }
    }
    bool same = r[0].n_jobs == r[1].n_jobs && r[0].n_rounds == r[1].n_rounds && r[0].end_time == r[1].end_time;
    for (long i = 0; same && i < r[0].n_jobs; i++)
        same = r[0].jobs[i].id == r[1].jobs[i].id && r[0].jobs[i].finish == r[1].jobs[i].finish;
    for (long i = 0; same && i < r[0].n_rounds; i++)
        same = memcmp(&r[0].rounds[i], &r[1].rounds[i], sizeof r[0].rounds[i]) == 0;
    if (!same) fprintf(stderr, "%s %s: heap and array queues differ (%ld/%ld jobs)\n", what, cfg.spec.name,
                       r[0].n_jobs, r[1].n_jobs);
    CHECK(same);
    CHECK(r[0].n_jobs > 0);
    CHECK(r[1].queue_mode_changes == 0);
    long changes = r[0].queue_mode_changes;
    /* jobs that waited over 1000 h: the starvation priority was exercised */
    for (long i = 0; i < r[0].n_jobs; i++)
        if (r[0].jobs[i].jct > 1000.0 * 3600) (*starved)++;
    sched_sim_result_free(&r[0]);
    sched_sim_result_free(&r[1]);
    return changes;
}

int main(void)
{
    char err[256];
    /* 16 GPUs (2 servers x 8), 600 jobs of 1-8 GPUs at 6 jobs/h: heavily overloaded, every job ends. */
    sched_sim_cfg cfg = {.kind = WL_POISSON, .jobs_per_hour = 6, .split = {20, 70, 10}, .num_jobs = 600,
                         .seed = 4, .round = 300, .measure_lo = -1, .measure_hi = -1};
    cfg.cluster = (sched_cluster_cfg){1, 2, 8, 24, 500, 500, 40};
    long starved = 0, changes = 0;
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
        CHECK(sched_spec_parse(&cfg.spec, policies[p], err, sizeof err) == 0);
        long c = compare_modes(cfg, "poisson", &starved);
        /* the queue grows past 15 jobs and drains below 5: to heap mode and back (FTF stays in array mode) */
        CHECK(c >= 2 || strncmp(policies[p], "FTF", 3) == 0);
        changes += c;
    }
    printf("overloaded Poisson runs: %ld job results waited > 1000 h, %ld queue mode changes\n", starved,
           changes);
    CHECK(starved > 0);

    /* A replay where pairs of jobs arrive together, the first pair only after some rounds (heap mode then
     * switches to array mode). */
    char path[] = "/tmp/locus-sched-queue-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    static const char *const models[] = {"gnmt", "res18", "alexnet", "transformer", "m5"};
    for (int i = 0; i < 60; i++) {
        int t = i < 20 ? 250 * i : 250 * 20 + 600 * ((i - 20) / 2);
        fprintf(f, "%d,%s,%d,%d,%d\n", i, models[i % 5], t, 2000 + 997 * (i % 7), 1 << (i % 3));
    }
    fclose(f);
    sched_sim_cfg rc = {.kind = WL_REPLAY, .split = {20, 70, 10}, .seed = 1, .round = 300, .measure_lo = -1,
                        .measure_hi = -1};
    rc.cluster = (sched_cluster_cfg){1, 1, 8, 24, 500, 500, 40};
    sched_trace t;
    CHECK(sched_trace_load(&t, path, 8, err, sizeof err) == 0);
    rc.trace = &t;
    changes = 0;
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++) {
        CHECK(sched_spec_parse(&rc.spec, policies[p], err, sizeof err) == 0);
        changes += compare_modes(rc, "equal-arrivals replay", &starved);
    }
    CHECK(changes > 0); /* some runs were in heap mode when the first equal arrival came */
    sched_trace_free(&t);
    unlink(path);
    if (!check_failures) printf("queue modes agree on every run\n");
    return check_failed();
}
