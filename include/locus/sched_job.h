/* liblocus_job: a job's side of the live scheduler (locus sched serve; docs/sched-serve.md "Job ↔
 * scheduler").
 *
 * A training program started by a `locus sched worker` calls locus_job_begin once, locus_job_step after every
 * iteration, and locus_job_end before it exits:
 *
 *     locus_job *j;
 *     if (locus_job_begin(&j) != LOCUS_JOB_OK) { fprintf(stderr, "%s\n", locus_job_last_error()); return 1; }
 *     int action = LOCUS_JOB_CONTINUE;
 *     while (action == LOCUS_JOB_CONTINUE) {
 *         train_one_iteration();
 *         if (locus_job_step(j, &action) != LOCUS_JOB_OK) break;   (action is then LOCUS_JOB_STOP)
 *     }
 *     if (action == LOCUS_JOB_STOP) save_checkpoint(locus_job_executed(j));
 *     locus_job_end(j);
 *
 * The scheduler gives each round a step budget (what the policy core expects of the job's allocation); the
 * library counts the steps, and when the budget is used up or the round's time is over it reports the round
 * (`round_end`) and hands back the scheduler's answer: go on under an extended lease, stop, or done.
 *
 * A library of its own, not part of liblocus: a job needs no database client (liblocus links hiredis, and
 * a Redis client has nothing to do with being scheduled), and a training script should load only what it
 * uses. liblocus_job uses libcurl and jansson; the HTTP/JSON code is the scheduler's own
 * (src/sched/live/http.c), linked in and not exported (pkg-config: locus-job).
 *
 * Errors follow liblocus's convention: every call returns a locus_job_status (the numbers are locus_status's
 * where the meaning is the same); the message is kept per thread in a fixed buffer and read with
 * locus_job_last_error(). No call waits without a bound: each request has a timeout (LOCUS_JOB_TIMEOUT_MS,
 * default 5000 ms) and is retried at most 3 times on a refused connection; while the scheduler answers
 * round_end with "wait" (it has not decided the next round yet) the job asks again after the retry_s it
 * gives, for at most two round lengths.
 *
 * A locus_job is not thread-safe: call it from the thread that trains. */
#ifndef LOCUS_SCHED_JOB_H
#define LOCUS_SCHED_JOB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LOCUS_JOB_STATIC)
#define LOCUS_JOB_API
#elif defined(__GNUC__)
#define LOCUS_JOB_API __attribute__((visibility("default")))
#else
#define LOCUS_JOB_API
#endif

/* Status codes; LOCUS_JOB_OK is 0, the others use locus_status's numbers for the same meaning. */
typedef enum locus_job_status {
    LOCUS_JOB_OK = 0,
    LOCUS_JOB_ERR_BADALLOC = 1, /* out of memory */
    LOCUS_JOB_ERR_SCHED = 2,    /* the scheduler could not be reached or replied with an error */
    LOCUS_JOB_ERR_INTERNAL = 3, /* a reply the protocol does not allow (a missing field, an unknown action) */
    LOCUS_JOB_ERR_PARAMETER = 5, /* a bad argument, or a missing or malformed environment variable */
    LOCUS_JOB_ERR_TIMEOUT = 6    /* the scheduler did not answer within the timeout */
} locus_job_status;

/* What the job does next (locus_job_step). */
typedef enum locus_job_action {
    LOCUS_JOB_CONTINUE = 0, /* go on: the round goes on, or the lease was extended (new lease, budget) */
    LOCUS_JOB_STOP = 1,     /* the lease ended: save a checkpoint (locus_job_executed) and exit */
    LOCUS_JOB_DONE = 2      /* the job reached its total: exit */
} locus_job_action;

typedef struct locus_job locus_job;

/* Registers with the scheduler (`/v1/job/register`) from the environment the worker sets:
 *   LOCUS_SCHED_ADDR        ip:port of the scheduler
 *   LOCUS_SCHED_TOKEN_FILE  the token file (its first line is the bearer token)
 *   LOCUS_JOB_ID, LOCUS_JOB_LEASE   integers >= 0
 *   LOCUS_TIME_SCALE        > 0 (scaled seconds per wall-clock second)
 *   LOCUS_JOB_TIMEOUT_MS    optional, > 0: the timeout of each request (default 5000)
 * A missing or malformed variable is LOCUS_JOB_ERR_PARAMETER with a message naming it. On success *out is a
 * new handle the caller owns (locus_job_end frees it), the round's clock already running from the used_s the
 * scheduler sent; on failure *out is NULL. */
LOCUS_JOB_API locus_job_status locus_job_begin(locus_job **out);

/* Counts one finished iteration. When the round's budget is used up, its time is over, or the job's total is
 * reached, reports the round (`round_end`) and sets *action to the answer: LOCUS_JOB_CONTINUE (the lease was
 * extended: locus_job_lease and locus_job_budget now give the new lease and budget, and a new round starts),
 * LOCUS_JOB_STOP or LOCUS_JOB_DONE; otherwise *action is LOCUS_JOB_CONTINUE. Between round ends, sends
 * `progress` every locus_job_set_progress_interval seconds (if set). On an error *action is LOCUS_JOB_STOP,
 * so a loop on LOCUS_JOB_CONTINUE ends (the step is counted; locus_job_end then reports it with
 * lease_ended). After STOP or DONE further calls return LOCUS_JOB_ERR_PARAMETER. A budget of 0 still runs
 * the one step that reaches this call. */
LOCUS_JOB_API locus_job_status locus_job_step(locus_job *j, int *action);

/* Sends `progress` (steps and seconds of the lease so far) every `seconds` of wall-clock time within a
 * round, taking the budget the scheduler answers; 0 (the default) sends none. LOCUS_JOB_ERR_PARAMETER for a
 * negative value or a NULL handle. */
LOCUS_JOB_API locus_job_status locus_job_set_progress_interval(locus_job *j, double seconds);
/* Lets a round run `seconds` past its time when its budget is not done yet (default 0: a round ends at its
 * time whatever ran). For jobs whose steps have a fixed cost, such as the dummy job: a late wake-up then
 * costs no steps. Keep it below the scheduler's grace for late reports (docs/sched-serve.md "Rounds"). */
LOCUS_JOB_API locus_job_status locus_job_set_time_slack(locus_job *j, double seconds);

/* Reports `lease_ended` with the steps and seconds of the current lease if it was cut short (neither STOP
 * nor DONE was answered: the job is being killed, or an error stopped it), then frees the handle. Accepts
 * NULL (LOCUS_JOB_OK). The handle is freed even when the report fails (the status says so). */
LOCUS_JOB_API locus_job_status locus_job_end(locus_job *j);

/* Accessors (0 for a NULL handle). */
LOCUS_JOB_API int64_t locus_job_id(const locus_job *j);
LOCUS_JOB_API int64_t locus_job_lease(const locus_job *j);        /* the current lease id */
LOCUS_JOB_API int64_t locus_job_executed(const locus_job *j);     /* iterations done in all leases so far */
LOCUS_JOB_API int64_t locus_job_total(const locus_job *j);        /* the job's length in iterations */
LOCUS_JOB_API int64_t locus_job_budget(const locus_job *j);       /* steps this round (the scheduler's) */
LOCUS_JOB_API int64_t locus_job_round_steps(const locus_job *j);  /* steps run in this round so far */
LOCUS_JOB_API double locus_job_round_seconds(const locus_job *j); /* wall-clock length of a round */
LOCUS_JOB_API double locus_job_time_scale(const locus_job *j);

/* The message of this thread's last failed call ("" when none); a thread-local fixed buffer, valid until the
 * thread's next failing call. Never NULL. */
LOCUS_JOB_API const char *locus_job_last_error(void);

/* A short fixed name for a status ("LOCUS_JOB_ERR_SCHED"). Static string. */
LOCUS_JOB_API const char *locus_job_status_name(locus_job_status s);

/* A short fixed name for an action ("continue", "stop", "done"; "?" otherwise). Static string. */
LOCUS_JOB_API const char *locus_job_action_name(int action);

#ifdef __cplusplus
}
#endif

#endif
