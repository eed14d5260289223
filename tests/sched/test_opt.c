/* +opt tests. Round-level scenarios on a tiny cluster whose optimum is worked out by hand, then replays of a
 * shared trace comparing +opt with +fair.
 *
 * Cluster: 2 servers x (2 GPUs, 6 CPUs, 125 GB): fair share 3 CPUs and 62.5 GB per GPU, 12 CPUs and 250 GB in
 * all. Profiles at 3 CPUs per GPU: gnmt's throughput grid is flat (1.0 everywhere), so its cheapest cell
 * (1 CPU, 20.83 GB) is as good as any; alexnet's throughput rises with CPUs (3: 1.0, 4: 1.25, 5: 1.53,
 * 6: 1.75, 9: 2.0, 12 with >= 125 GB: 2.94) and needs >= 62.5 GB.
 *
 * A: alexnet + 3 gnmt. The gnmt jobs take 1 CPU each, leaving 9 for alexnet: 2.0 at (9 CPUs, 62.5 GB);
 *    12 CPUs would need 15 in all. Total throughput 5.0 (+fair: 4.0).
 * B: 2 alexnet + 2 gnmt. 10 CPUs for the two alexnets: (5, 5) gives 1.53 + 1.53 = 3.06, better than (4, 6) or
 *    (6, 4) = 3.0 and (3, 6) = 2.75; (3, 9) needs 12. Total 5.06 (+fair: 4.0).
 * usage: test_sched_opt DATA_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf/cluster_ini.h"
#include "sim/sim.h"

static char data[512];

static void setup_cluster(sched_cluster *c)
{
    sched_cluster_cfg cfg = {.racks = 1, .servers_per_rack = 2, .gpus_per_server = 2, .cpus_per_server = 6,
                             .dram_per_server = 125, .sspeed_per_server = 500, .net_per_server = 40};
    char err[256];
    if (sched_cluster_init(c, &cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

/* One +opt (or other) round over jobs of the given models (1 GPU each, all arrived at 0). Returns the sum of
 * throughputs; fills tput[], cpu[], mem[] per job. */
static double one_round(const char *policy, const char *const *models, int n, double *tput, double *cpu,
                        double *mem, long *executed)
{
    sched_cluster c;
    setup_cluster(&c);
    sched_job jobs[8];
    int placed[8];
    char err[256] = "";
    for (int i = 0; i < n; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].id = i;
        jobs[i].prof = sched_profile_find(3, models[i]);
        jobs[i].gpu_demand = 1;
        jobs[i].arrival = i * 0.001;
        jobs[i].last_exec = -1;
        jobs[i].total_iters = 100000;
        sched_job_apply_profile(&jobs[i], &c);
    }
    sched_spec spec;
    CHECK(sched_spec_parse(&spec, policy, err, sizeof err) == 0);
    sched_queue q;
    sched_queue_init(&q, &spec, 0, 0);
    for (int i = 0; i < n; i++) CHECK(sched_queue_add(&q, jobs, i) == 0);
    sched_round_ctx ctx = {.cluster = &c, .jobs = jobs, .queue = &q, .now = 0, .round = 300, .spec = &spec,
                           .placed = placed, .err = err, .errlen = sizeof err};
    int rc = sched_round(&ctx);
    sched_queue_free(&q);
    if (rc) fprintf(stderr, "%s: %s\n", policy, err);
    CHECK(rc == 0);
    CHECK(ctx.n_placed == n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double a[R_N];
        sched_job_alloc_vec(&jobs[i], a);
        CHECK_NEAR(a[R_GPU], 1, 1e-9);
        cpu[i] = a[R_CPU], mem[i] = a[R_MEM];
        tput[i] = jobs[i].opt_tput > 0 ? jobs[i].opt_tput : 1.0;
        executed[i] = sched_job_round_iters(&jobs[i], 300); /* what the allocation completes in the round */
        sum += tput[i];
    }
    for (int s = 0; s < c.n_servers; s++)
        for (int r = R_GPU; r <= R_MEM; r++) CHECK(c.servers[s].used[r] <= c.servers[s].cap[r] + 1e-6);
    for (int i = 0; i < n; i++) sched_release(&c, &jobs[i]);
    for (int s = 0; s < c.n_servers; s++)
        for (int r = R_GPU; r <= R_MEM; r++) CHECK(c.servers[s].used[r] == 0);
    sched_cluster_free(&c);
    return sum;
}

static void scenario_a(void)
{
    const char *const m[] = {"alexnet", "gnmt", "gnmt", "gnmt"};
    double t[4], cpu[4], mem[4];
    long ex[4];
    double total = one_round("FIFO+opt", m, 4, t, cpu, mem, ex);
    CHECK_NEAR(total, 5.0, 1e-9);
    CHECK_NEAR(t[0], 2.0, 1e-12);
    CHECK_NEAR(cpu[0], 9, 1e-6);
    CHECK_NEAR(mem[0], 62.5, 1e-6);
    CHECK(ex[0] == 1000); /* 300 / (0.6 / 2.0) */
    for (int i = 1; i < 4; i++) {
        CHECK_NEAR(t[i], 1.0, 1e-12);
        CHECK_NEAR(cpu[i], 1, 1e-6);
        CHECK_NEAR(mem[i], 20.83, 1e-6);
        CHECK(ex[i] == 2500); /* 300 / 0.12 */
    }
    double fair = one_round("FIFO+fair", m, 4, t, cpu, mem, ex);
    CHECK_NEAR(fair, 4.0, 1e-12);
    CHECK(ex[0] == 500);
}

static void scenario_b(void)
{
    const char *const m[] = {"alexnet", "gnmt", "alexnet", "gnmt"};
    double t[4], cpu[4], mem[4];
    long ex[4];
    double total = one_round("LAS+opt", m, 4, t, cpu, mem, ex);
    CHECK_NEAR(total, 5.06, 1e-9);
    CHECK_NEAR(t[0], 1.53, 1e-12);
    CHECK_NEAR(t[2], 1.53, 1e-12);
    CHECK_NEAR(cpu[0], 5, 1e-6);
    CHECK_NEAR(cpu[2], 5, 1e-6);
    CHECK(ex[0] == (long)floor(300 / (0.6 / 1.53)));
    CHECK(ex[0] == 765 || ex[0] == 764);
    CHECK_NEAR(t[1], 1.0, 1e-12);
}

/* The fair share must be a grid point; 4.5 CPUs per GPU is not. */
static void off_grid(void)
{
    sched_cluster c;
    sched_cluster_cfg cfg = {.racks = 1, .servers_per_rack = 1, .gpus_per_server = 2, .cpus_per_server = 9,
                             .dram_per_server = 125, .sspeed_per_server = 500, .net_per_server = 40};
    char err[256] = "";
    CHECK(sched_cluster_init(&c, &cfg, err, sizeof err) == 0);
    sched_job j;
    memset(&j, 0, sizeof j);
    j.prof = sched_profile_find(4, "gnmt");
    j.gpu_demand = 1;
    j.last_exec = -1;
    j.total_iters = 10;
    sched_job_apply_profile(&j, &c);
    int placed[1];
    sched_spec spec;
    CHECK(sched_spec_parse(&spec, "FIFO+opt", err, sizeof err) == 0);
    sched_queue q;
    sched_queue_init(&q, &spec, 0, 0);
    CHECK(sched_queue_add(&q, &j, 0) == 0);
    sched_round_ctx ctx = {.cluster = &c, .jobs = &j, .queue = &q, .round = 300, .spec = &spec,
                           .placed = placed, .err = err, .errlen = sizeof err};
    CHECK(sched_round(&ctx) == -1);
    sched_queue_free(&q);
    CHECK(strstr(err, "not a point of the profile grid") != NULL);
    sched_cluster_free(&c);
}

typedef struct { double mean, makespan; long n; } summary;

static int replay(const char *policy, summary *out)
{
    char err[512], path[768];
    sched_sim_cfg cfg = {.kind = WL_REPLAY, .seed = 1, .round = 300, .measure_lo = -1, .measure_hi = -1,
                         .split = {20, 70, 10}};
    snprintf(path, sizeof path, "%s/configs/static_trace.ini", data);
    if (sched_cluster_cfg_load(&cfg.cluster, path, err, sizeof err)) goto fail;
    if (sched_spec_parse(&cfg.spec, policy, err, sizeof err)) goto fail;
    sched_trace t;
    snprintf(path, sizeof path, "%s/traces/dynamic_100job.csv", data);
    if (sched_trace_load(&t, path, 1000, err, sizeof err)) goto fail;
    cfg.trace = &t;
    sched_sim_result res;
    int rc = sched_simulate(&cfg, &res, err, sizeof err);
    sched_trace_free(&t);
    if (rc) goto fail;
    double sum = 0, first = 1e300, last = 0;
    for (long i = 0; i < res.n_jobs; i++) {
        sum += res.jobs[i].jct;
        if (res.jobs[i].arrival < first) first = res.jobs[i].arrival;
        if (res.jobs[i].finish > last) last = res.jobs[i].finish;
    }
    out->n = res.n_jobs;
    out->mean = sum / (double)res.n_jobs;
    out->makespan = last - first;
    sched_sim_result_free(&res);
    return 0;
fail:
    fprintf(stderr, "%s: %s\n", policy, err);
    return -1;
}

/* On the shared 100-job trace every policy finishes all jobs with +opt, no later overall (makespan) and with
 * a mean JCT no worse than +fair; a second run is identical. */
static void replays(void)
{
    static const char *const pols[] = {"FIFO", "SRTF", "LAS"};
    for (int i = 0; i < 3; i++) {
        char f[32], o[32];
        snprintf(f, sizeof f, "%s+fair", pols[i]);
        snprintf(o, sizeof o, "%s+opt", pols[i]);
        summary sf, so, so2;
        CHECK(replay(f, &sf) == 0);
        CHECK(replay(o, &so) == 0);
        CHECK(replay(o, &so2) == 0);
        CHECK(so.n == 100 && sf.n == 100);
        fprintf(stderr, "%-10s mean %.3f h makespan %.2f h | %-10s mean %.3f h makespan %.2f h\n", f,
                sf.mean / 3600, sf.makespan / 3600, o, so.mean / 3600, so.makespan / 3600);
        CHECK(so.mean <= sf.mean);
        CHECK(so.makespan <= sf.makespan);
        CHECK(so.mean == so2.mean && so.makespan == so2.makespan);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    snprintf(data, sizeof data, "%s", argv[1]);
    scenario_a();
    scenario_b();
    off_grid();
    replays();
    return check_failed();
}
