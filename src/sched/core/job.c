/* Job demand and speed-up from a model profile, and small queries over a job's allocation.
 * The capping rules follow the reference's profile loader: a demand larger than one server is capped at the
 * server size and the speed-up re-interpolated linearly in CPU between fair share (1x) and the ideal; a job
 * wider than one server gets a proportional demand and no speed-up. */
#include "core.h"

/* Storage demand per GPU for every model: the reference's profile loader never overrides the default. */
#define SSPEED_PER_GPU 62.5

void sched_job_apply_profile(sched_job *job, const sched_cluster *c)
{
    const sched_profile *p = job->prof;
    const double *ps = c->per_server;
    double n = job->gpu_demand;
    double speed = p->speedup;
    double d[R_N] = {n, n * p->cpus_per_gpu, n * p->mem_per_gpu, n * SSPEED_PER_GPU, 0};
    bool reinterpolate = false;
    for (int r = R_CPU; r <= R_SSPEED; r++) {
        if (d[r] <= ps[r]) continue;
        d[r] = ps[r];
        reinterpolate = true;
        if (n > ps[R_GPU]) {
            d[r] = n * (ps[r] / ps[R_GPU]);
            speed = 1;
            reinterpolate = false;
        }
    }
    if (reinterpolate) {
        double ideal_cpu = n * p->cpus_per_gpu;
        double fair_cpu = n * (ps[R_CPU] / ps[R_GPU]);
        double diff = ideal_cpu - fair_cpu;
        if (diff != 0) speed = 1 + ((speed - 1) / diff) * (d[R_CPU] - fair_cpu);
    }
    for (int r = 0; r < R_N; r++) job->demand[r] = d[r];
    job->speedup_orig = job->speedup = speed;
    job->iter_time = p->iter_time;
}

void sched_job_alloc_vec(const sched_job *job, double out[R_N])
{
    for (int r = 0; r < R_N; r++) out[r] = 0;
    for (int i = 0; i < job->n_alloc; i++)
        for (int r = 0; r < R_NET; r++) out[r] += job->alloc[i].res[r];
}

int sched_job_gpus_on(const sched_job *job, int s)
{
    for (int i = 0; i < job->n_alloc; i++)
        if (job->alloc[i].server == s) return (int)job->alloc[i].res[R_GPU];
    return 0;
}
