/* locus-sched-dummy-job: the job the scheduler's tests and benchmarks run. It trains nothing: each step
 * sleeps LOCUS_DUMMY_ITER_S seconds (its profile's iteration time at its allocation, already divided by the
 * time scale: the scheduler computes it, docs/sched-serve.md "Job ↔ scheduler") and counts the step through
 * liblocus_job, until the scheduler says stop or the job is done. On stop (and on SIGTERM, the worker's kill)
 * it writes its executed count to $SYNERGY_CHECKPOINT_DIR/job<id>.ckpt if that variable is set; a killed job
 * reports its lease with lease_ended. Exit status 0 on stop or done, 1 on an error (the message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "locus/sched_job.h"

static volatile sig_atomic_t terminated;

static void on_term(int sig) {
    (void)sig;
    terminated = 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Sleeps until the monotonic time `until` unless SIGTERM comes first. Steps end at absolute times (the lease's
 * start + k iterations), so the cost of a step's own work and of the wake-ups does not add up over a round: a
 * budget of floor(R / t) steps of t seconds ends within the round, as the scheduler's accounting assumes. */
static void sleep_until(double until) {
    struct timespec t = {.tv_sec = (time_t)until, .tv_nsec = (long)((until - (double)(time_t)until) * 1e9)};
    while (!terminated && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

static int write_checkpoint(const locus_job *j) {
    const char *dir = getenv("SYNERGY_CHECKPOINT_DIR");
    if (dir == NULL || *dir == '\0')
        return 0;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/job%" PRId64 ".ckpt", dir, locus_job_id(j));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%" PRId64 "\n", locus_job_executed(j)) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "locus-sched-dummy-job: cannot write the checkpoint %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(void) {
    const char *v = getenv("LOCUS_DUMMY_ITER_S");
    char *end;
    double iter_s = v != NULL ? strtod(v, &end) : -1;
    if (v == NULL || *v == '\0' || *end != '\0' || !(iter_s >= 0) || iter_s > 1e6) {
        fprintf(stderr, "locus-sched-dummy-job: LOCUS_DUMMY_ITER_S=%s: not a number of seconds >= 0\n",
                v ? v : "(not set)");
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    locus_job *j;
    if (locus_job_begin(&j) != LOCUS_JOB_OK) {
        fprintf(stderr, "locus-sched-dummy-job: %s\n", locus_job_last_error());
        return 1;
    }
    /* its steps have a fixed cost: a round ends by its budget, a late wake-up (a loaded machine) costing no
     * steps, within the scheduler's grace (at least 0.5 s) */
    double slack = 0.2 * locus_job_round_seconds(j);
    locus_job_set_time_slack(j, slack < 0.4 ? slack : 0.4);
    int action = LOCUS_JOB_CONTINUE, rc = 0;
    int64_t lease = locus_job_lease(j);
    double lease_start = now_s();
    while (action == LOCUS_JOB_CONTINUE && !terminated) {
        if (locus_job_lease(j) != lease) { /* extended: the new lease's steps count from now */
            lease = locus_job_lease(j);
            lease_start = now_s();
        }
        sleep_until(lease_start + (double)(locus_job_round_steps(j) + 1) * iter_s);
        if (terminated)
            break; /* the step was cut short: not counted */
        if (locus_job_step(j, &action) != LOCUS_JOB_OK) {
            fprintf(stderr, "locus-sched-dummy-job: %s\n", locus_job_last_error());
            rc = 1;
        }
    }
    if ((action == LOCUS_JOB_STOP || terminated) && write_checkpoint(j) != 0)
        rc = 1;
    printf("job %" PRId64 ": %s at %" PRId64 " of %" PRId64 " iterations\n", locus_job_id(j),
           terminated ? "terminated" : locus_job_action_name(action), locus_job_executed(j),
           locus_job_total(j));
    if (locus_job_end(j) != LOCUS_JOB_OK) {
        fprintf(stderr, "locus-sched-dummy-job: %s\n", locus_job_last_error());
        rc = 1;
    }
    return rc;
}
