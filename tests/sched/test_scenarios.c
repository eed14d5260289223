/* Scenario tests for the scheduler simulator: small commented traces and clusters whose per-job JCTs are
 * worked out by hand below. Profiles at 3 CPUs per GPU: gnmt 0.12 s/iter (floor(300/0.12) = 2500 iterations a
 * round at fair share), alexnet 0.6 s/iter (500 a round), res18 0.64 s/iter (468 a round; 9 CPUs ideal,
 * speed-up 2.4). R = 300 s throughout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/cluster_ini.h"
#include "sim/sim.h"

static char tmpdir[] = "/tmp/locus-sched-test-XXXXXX";

/* Writes text to a file in the temp dir; returns its path (static buffer per slot). */
static const char *write_tmp(const char *name, const char *text)
{
    static char paths[8][512];
    static int slot;
    char *p = paths[slot++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
    return p;
}

/* Runs a replay of `trace` on `ini` with scheduler `policy`; writes each job's JCT (seconds) into jct[id]. */
static int run(const char *ini, const char *trace, const char *policy, double *jct, int max_id)
{
    char err[512];
    sched_sim_cfg cfg = {.kind = WL_REPLAY, .seed = 1, .round = 300, .measure_lo = -1, .split = {20, 70, 10}};
    if (sched_cluster_cfg_load(&cfg.cluster, write_tmp("c.ini", ini), err, sizeof err) ||
        sched_spec_parse(&cfg.spec, policy, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    sched_trace t;
    if (sched_trace_load(&t, write_tmp("t.csv", trace), 1000, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    cfg.trace = &t;
    sched_sim_result res;
    int rc = sched_simulate(&cfg, &res, err, sizeof err);
    sched_trace_free(&t);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    for (int i = 0; i <= max_id; i++) jct[i] = -1;
    for (long i = 0; i < res.n_jobs; i++)
        if (res.jobs[i].id <= max_id) jct[res.jobs[i].id] = res.jobs[i].jct;
    sched_sim_result_free(&res);
    return 0;
}

/* One server, one GPU: every job queues for the same GPU. */
static const char *one_gpu = "[CLUSTER]\nracks = 1\nservers_per_rack = 1\ngpus_per_server = 1\n"
                             "cpus_per_server = 3\ndram_per_server = 62\nsspeed_per_server = 63\n";
/* One server, two GPUs, 6 CPUs: fair share 3 CPUs and 250 GB per GPU. */
static const char *two_gpu = "[CLUSTER]\nracks = 1\nservers_per_rack = 1\ngpus_per_server = 2\n"
                             "cpus_per_server = 6\ndram_per_server = 500\nsspeed_per_server = 125\n";

static void test_round_quantisation_fifo(void)
{
    /* Two GPUs. First schedule at ceil(0/300)*300 = 0, when only job 0 has arrived.
     * t=0: job0 runs (2500 it). t=300: FIFO places job0 and job1; job2 waits.
     * t=600: job0 has 5000 -> finished (JCT 600); job1 (2500 of 2501) and job2 run.
     * t=900: job1 and job2 finish: JCT 900-10 = 890 and 900-20 = 880 (quantised to the round). */
    double jct[3];
    CHECK(run(two_gpu, "# id,model,arrival,iterations,gpus\n0,gnmt,0,5000,1\n1,gnmt,10,2501,1\n2,gnmt,20,1,1\n",
              "FIFO+fair", jct, 2) == 0);
    CHECK_NEAR(jct[0], 600, 1e-9);
    CHECK_NEAR(jct[1], 890, 1e-9);
    CHECK_NEAR(jct[2], 880, 1e-9);
}

static const char *srtf_trace = "0,gnmt,0,7500,1\n" /* 3 rounds of work */
                                "1,gnmt,0,2500,1\n"; /* 1 round */

static void test_srtf_vs_fifo(void)
{
    double jct[2];
    /* FIFO: job0 0..900, job1 900..1200. */
    CHECK(run(one_gpu, srtf_trace, "FIFO+fair", jct, 1) == 0);
    CHECK_NEAR(jct[0], 900, 1e-9);
    CHECK_NEAR(jct[1], 1200, 1e-9);
    /* SRTF: job1 (300 s left) before job0 (900 s): job1 0..300, job0 300..1200. Both arrive at t=0, before the
     * schedule at t=0 (arrival events order before schedule events at equal times). */
    CHECK(run(one_gpu, srtf_trace, "SRTF+fair", jct, 1) == 0);
    CHECK_NEAR(jct[0], 1200, 1e-9);
    CHECK_NEAR(jct[1], 300, 1e-9);
}

static void test_las(void)
{
    /* job0 at 0, job1 at 100, 2 rounds each. t=0: job0 (only one). t=300: job1 has attained 0 < 300 -> job1.
     * t=600: both 300 -> tie broken by arrival: job0, done at 900 (JCT 900). job1 900..1200: JCT 1100. */
    double jct[2];
    CHECK(run(one_gpu, "0,gnmt,0,5000,1\n1,gnmt,100,5000,1\n", "LAS+fair", jct, 1) == 0);
    CHECK_NEAR(jct[0], 900, 1e-9);
    CHECK_NEAR(jct[1], 1100, 1e-9);
}

static void test_ftf(void)
{
    /* rho = (now - arrival + remaining) / ideal, smallest first.
     * t=0: job0 and job1 (rho 1 each, tie -> arrival/order): job0 runs and finishes at 300.
     * t=300: job1 rho = (300+300)/300 = 2; job2 (arrived at 100, 9000 s ideal) rho = (200+9000)/9000 = 1.02
     *   -> job2, and it keeps rho ~1.02 < job1's growing rho, so it runs 30 rounds: 300..9300 (JCT 9200).
     * job1 runs 9300..9600: JCT 9600. */
    double jct[3];
    const char *tr = "0,gnmt,0,2500,1\n1,gnmt,0,2500,1\n2,gnmt,100,75000,1\n";
    CHECK(run(one_gpu, tr, "FTF+fair", jct, 2) == 0);
    CHECK_NEAR(jct[0], 300, 1e-9);
    CHECK_NEAR(jct[1], 9600, 1e-9);
    CHECK_NEAR(jct[2], 9200, 1e-9);
    /* FIFO on the same trace: 300, 600, 9600-100 = 9500 */
    CHECK(run(one_gpu, tr, "FIFO+fair", jct, 2) == 0);
    CHECK_NEAR(jct[1], 600, 1e-9);
    CHECK_NEAR(jct[2], 9500, 1e-9);
}

static void test_drf(void)
{
    /* Two GPUs, 6 CPUs. alexnet wants 12 CPUs -> capped to the server's 6: dominant share 6/6 = 1.
     * gnmt: max(1/2, 1/6, 20/500) = 0.5. DRF places gnmt (job2) and alexnet job0 at t=0, job1 waits:
     * JCTs 300, 600, 300. FIFO places job0 and job1 first: 300, 300, 600. One round of work each. */
    double jct[3];
    const char *tr = "0,alexnet,0,500,1\n1,alexnet,0,500,1\n2,gnmt,0,2500,1\n";
    CHECK(run(two_gpu, tr, "DRF+fair", jct, 2) == 0);
    CHECK_NEAR(jct[0], 300, 1e-9);
    CHECK_NEAR(jct[1], 600, 1e-9);
    CHECK_NEAR(jct[2], 300, 1e-9);
    CHECK(run(two_gpu, tr, "FIFO+fair", jct, 2) == 0);
    CHECK_NEAR(jct[0], 300, 1e-9);
    CHECK_NEAR(jct[1], 300, 1e-9);
    CHECK_NEAR(jct[2], 600, 1e-9);
}

static void test_tetris(void)
{
    /* score = sum over gpu/cpu/mem of demand/total * remaining: alexnet (2 rounds, 600 s): (1/2 + 6/6 +
     * 125/500) * 600 = 1050; gnmt 2 rounds: (1/2 + 1/6 + 20/500) * 600 = 424; gnmt 1 round: 212.
     * t=0: job2, job1. t=300: job2 done (JCT 300); job1 (212) and job0 run. t=600: job1 done (600); job0 runs
     * its second round: done at 900. */
    double jct[3];
    const char *tr = "0,alexnet,0,1000,1\n1,gnmt,0,5000,1\n2,gnmt,0,2500,1\n";
    CHECK(run(two_gpu, tr, "TETRIS+fair", jct, 2) == 0);
    CHECK_NEAR(jct[0], 900, 1e-9);
    CHECK_NEAR(jct[1], 600, 1e-9);
    CHECK_NEAR(jct[2], 300, 1e-9);
}

static const char *res18_pair = "0,res18,0,1000,1\n1,res18,0,1000,1\n";

static void test_greedy(void)
{
    /* res18 wants 9 CPUs: capped to 6, speed-up re-interpolated 1 + 1.4/6 * (6-3) = 1.7, so 796 it/round.
     * Greedy: job0 takes all 6 CPUs, job1 cannot fit and waits. job0: 796, 1592 -> done at 600.
     * job1 runs 600..1200. */
    double jct[2];
    CHECK(run(two_gpu, res18_pair, "FIFO", jct, 1) == 0);
    CHECK_NEAR(jct[0], 600, 1e-9);
    CHECK_NEAR(jct[1], 1200, 1e-9);
}

static void test_fair(void)
{
    /* +fair: 3 CPUs each, 468 it/round: 468, 936, 1404 -> both done at 900. */
    double jct[2];
    CHECK(run(two_gpu, res18_pair, "FIFO+fair", jct, 1) == 0);
    CHECK_NEAR(jct[0], 900, 1e-9);
    CHECK_NEAR(jct[1], 900, 1e-9);
}

static void test_tune_peer_shrink(void)
{
    /* +tune: job0 first gets its ideal 6 CPUs (796 it). job1 fails at its ideal and at the fair share (no CPU
     * left), so the peer job0 is shrunk: its round is rolled back and re-credited at 1x (468), then job1 fits
     * at the fair share (468). This repeats every round, so both reach 1404 >= 1000 at t=900. Without the
     * rollback job0 would finish at 600. */
    double jct[2];
    CHECK(run(two_gpu, res18_pair, "FIFO+tune", jct, 1) == 0);
    CHECK_NEAR(jct[0], 900, 1e-9);
    CHECK_NEAR(jct[1], 900, 1e-9);
    /* Alone, job0 runs at its ideal: 796 + 796 >= 1000 at t=600. */
    CHECK(run(two_gpu, "0,res18,0,1000,1\n", "FIFO+tune", jct, 0) == 0);
    CHECK_NEAR(jct[0], 600, 1e-9);
}

static void test_event_order(void)
{
    /* job0 runs 0..300 and its lease ends at t=300 (kind 3) before the schedule at 300 (kind 4); job1 arriving
     * exactly at 300 (kind 1) is runnable at that schedule: JCT 300, not 600. */
    double jct[2];
    CHECK(run(one_gpu, "0,gnmt,0,2500,1\n1,gnmt,300,2500,1\n", "FIFO+fair", jct, 1) == 0);
    CHECK_NEAR(jct[0], 300, 1e-9);
    CHECK_NEAR(jct[1], 300, 1e-9);
}

static void test_starvation_guard(void)
{
    /* SRTF, one GPU. job1 needs 1100 h (33e6 it), job0 1200 h (36e6 it); job1 is shorter and runs first.
     * job0 waits from t=0; at the first schedule with wait > 1000 h (t = 3,600,300) it gets priority 1, which
     * takes effect at the next round: job0 runs from 3,600,600. job1 stopped at lease end 3,600,600 with
     * 12002 rounds (30,005,000 it) done; at t = 7,200,900 its wait exceeds 1000 h and from 7,201,200 both have
     * priority 1: remaining job1 359,400 s < job0 719,400 s -> job1 runs 1198 rounds, done at 7,560,600.
     * job0 then finishes its remaining 2398 rounds at 8,280,000. Without the guard job1 would finish at
     * 3,960,000. */
    double jct[2];
    CHECK(run(one_gpu, "0,gnmt,0,36000000,1\n1,gnmt,0,33000000,1\n", "SRTF+fair", jct, 1) == 0);
    CHECK_NEAR(jct[1], 7560600, 1e-6);
    CHECK_NEAR(jct[0], 8280000, 1e-6);
}

/* Multi-GPU placement, checked on the allocation itself: two servers x 4 GPUs, a 1-GPU job then a 4-GPU job. */
static void test_placement(void)
{
    char err[256];
    sched_cluster_cfg cc = {.racks = 1, .servers_per_rack = 2, .gpus_per_server = 4, .cpus_per_server = 12,
                            .dram_per_server = 250, .sspeed_per_server = 250, .net_per_server = 40};
    for (int place = 0; place < 2; place++) {
        sched_cluster c;
        CHECK(sched_cluster_init(&c, &cc, err, sizeof err) == 0);
        sched_job jobs[2];
        memset(jobs, 0, sizeof jobs);
        for (int i = 0; i < 2; i++) {
            jobs[i].id = i;
            jobs[i].arrival = i;
            jobs[i].last_exec = -1;
            jobs[i].gpu_demand = i ? 4 : 1;
            jobs[i].total_iters = 100000;
            jobs[i].prof = sched_profile_find(3, "gnmt");
            sched_job_apply_profile(&jobs[i], &c);
        }
        int placed[2];
        sched_spec sp;
        CHECK(sched_spec_parse(&sp, place ? "FIFO+place+fair" : "FIFO+fair", err, sizeof err) == 0);
        sched_queue q;
        sched_queue_init(&q, &sp, 0, 0);
        CHECK(sched_queue_add(&q, jobs, 0) == 0 && sched_queue_add(&q, jobs, 1) == 0);
        sched_round_ctx ctx = {.cluster = &c, .jobs = jobs, .queue = &q, .now = 0, .round = 300, .spec = &sp,
                               .placed = placed, .err = err, .errlen = sizeof err};
        CHECK(sched_round(&ctx) == 0);
        sched_queue_free(&q);
        CHECK(ctx.n_placed == 2);
        if (!place) {
            /* first-fit: job0 on server 0; job1 takes server 0's other 3 GPUs and 1 on server 1 */
            CHECK(jobs[0].n_alloc == 1 && jobs[0].alloc[0].server == 0);
            CHECK(jobs[1].n_alloc == 2 && sched_job_gpus_on(&jobs[1], 0) == 3 && sched_job_gpus_on(&jobs[1], 1) == 1);
        } else {
            /* +place: job1 goes whole to server 1, the one server that fits it */
            CHECK(jobs[0].n_alloc == 1 && jobs[0].alloc[0].server == 0);
            CHECK(jobs[1].n_alloc == 1 && jobs[1].alloc[0].server == 1 && jobs[1].alloc_gpus == 4);
        }
        CHECK(sched_cluster_free_gpus(&c) == 3);
        sched_cluster_free(&c);
    }
}

static void test_malformed(void)
{
    char err[512];
    sched_cluster_cfg cc;
    CHECK(sched_cluster_cfg_load(&cc, write_tmp("bad.ini", "[CLUSTER]\nracks = 1\ngpus_per_server = eight\n"), err,
                                 sizeof err) == -1);
    CHECK(strstr(err, "bad.ini:3:") != NULL && strstr(err, "gpus_per_server") != NULL);
    sched_trace t;
    CHECK(sched_trace_load(&t, write_tmp("bad.csv", "# header comment\n0,gnmt,0,10,1\n1,nosuchmodel,0,10,1\n"), 8,
                           err, sizeof err) == -1);
    CHECK(strstr(err, "bad.csv:3:") != NULL && strstr(err, "nosuchmodel") != NULL);
    CHECK(sched_trace_load(&t, write_tmp("bad2.csv", "0,gnmt,0,10\n"), 8, err, sizeof err) == -1);
    CHECK(strstr(err, "bad2.csv:1:") != NULL);
    CHECK(sched_trace_load(&t, write_tmp("bad3.csv", "0,gnmt,0,10,9\n"), 8, err, sizeof err) == -1);
    CHECK(strstr(err, "gpu_demand") != NULL);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) return 1;
    test_round_quantisation_fifo();
    test_srtf_vs_fifo();
    test_las();
    test_ftf();
    test_drf();
    test_tetris();
    test_greedy();
    test_fair();
    test_tune_peer_shrink();
    test_event_order();
    test_starvation_guard();
    test_placement();
    test_malformed();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    if (!check_failures) printf("all scenario checks passed\n");
    return check_failed();
}
