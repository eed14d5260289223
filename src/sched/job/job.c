/* liblocus_job (include/locus/sched_job.h): a job's side of docs/sched-serve.md "Job ↔ scheduler". The
 * environment names the scheduler; register gives the round and the budget; each step is counted against
 * the budget and the round's clock, and a round ends with round_end, whose answer the caller gets as an
 * action. HTTP and JSON go through the scheduler's own layer (live/http.h), linked in statically. */
#define _GNU_SOURCE
#include "locus/sched_job.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/http.h"

struct locus_job {
    char host[256];
    int port;
    char token[LH_TOKEN_MAX];
    int timeout_ms;
    int64_t id, lease, executed, total;
    int64_t budget;      /* steps of this round (register, round_end's continue, progress replies) */
    int64_t round_steps; /* steps run under the current lease */
    double round_s, time_scale, progress_s;
    double slack_s;     /* a round also ends this long after its time (locus_job_set_time_slack) */
    double round_start; /* monotonic time the round began (register: now - used_s) */
    double lease_start; /* monotonic time the current lease's steps began */
    double last_progress;
    bool over; /* STOP or DONE answered: the lease is closed */
};

/* ---- errors: one thread-local status and message in a fixed buffer, as liblocus keeps them ---- */

static _Thread_local char tl_msg[1024];

static locus_job_status job_fail(locus_job_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static locus_job_status job_fail(locus_job_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
    va_end(ap);
    return s;
}

LOCUS_JOB_API const char *locus_job_last_error(void) {
    return tl_msg;
}

LOCUS_JOB_API const char *locus_job_status_name(locus_job_status s) {
    static const char *const names[] = {
        "LOCUS_JOB_OK", "LOCUS_JOB_ERR_BADALLOC",  "LOCUS_JOB_ERR_SCHED",  "LOCUS_JOB_ERR_INTERNAL",
        NULL,           "LOCUS_JOB_ERR_PARAMETER", "LOCUS_JOB_ERR_TIMEOUT"};
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s] != NULL)
        return names[s];
    return "LOCUS_JOB_ERR_UNKNOWN";
}

LOCUS_JOB_API const char *locus_job_action_name(int action) {
    static const char *const names[] = {"continue", "stop", "done"};
    return (unsigned)action < 3 ? names[action] : "?";
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the environment ---- */

static locus_job_status env_str(const char *name, const char **out) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "%s is not set (the worker sets it for the jobs it starts)",
                        name);
    *out = v;
    return LOCUS_JOB_OK;
}

static locus_job_status env_int(const char *name, int64_t min, int64_t *out) {
    const char *v = NULL;
    if (env_str(name, &v) != LOCUS_JOB_OK)
        return LOCUS_JOB_ERR_PARAMETER;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < min)
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "%s='%s' is not an integer >= %lld", name, v,
                        (long long)min);
    *out = x;
    return LOCUS_JOB_OK;
}

static locus_job_status env_pos(const char *name, double *out) {
    const char *v = NULL;
    if (env_str(name, &v) != LOCUS_JOB_OK)
        return LOCUS_JOB_ERR_PARAMETER;
    char *end;
    double x = strtod(v, &end);
    if (*end != '\0' || !(x > 0) || x > 1e12)
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "%s='%s' is not a number > 0", name, v);
    *out = x;
    return LOCUS_JOB_OK;
}

/* ---- requests ---- */

/* POSTs body (consumed) to path; 0 with *reply (the caller's) on a 200, else the status with the message. */
static locus_job_status post(locus_job *j, const char *path, json_t *body, json_t **reply, int timeout_ms) {
    if (body == NULL)
        return job_fail(LOCUS_JOB_ERR_BADALLOC, "%s: out of memory building the request", path);
    char err[512] = "";
    json_t *r = NULL;
    int status = lh_post(j->host, j->port, path, j->token, body, &r, timeout_ms, err, sizeof err);
    json_decref(body);
    if (status == 200) {
        *reply = r;
        return LOCUS_JOB_OK;
    }
    json_decref(r);
    if (status < 0)
        return job_fail(strstr(err, "Timeout") != NULL ? LOCUS_JOB_ERR_TIMEOUT : LOCUS_JOB_ERR_SCHED,
                        "job %lld: %s (after %d ms)", (long long)j->id, err, timeout_ms);
    return job_fail(LOCUS_JOB_ERR_SCHED, "job %lld: %s", (long long)j->id, err);
}

/* A field of a reply, or LOCUS_JOB_ERR_INTERNAL naming the call and the field. */
static locus_job_status reply_int(const json_t *r, const char *call, const char *name, int64_t min,
                                  int64_t *out) {
    char err[256];
    long long v;
    if (lh_get_int(r, name, &v, err, sizeof err) != 0)
        return job_fail(LOCUS_JOB_ERR_INTERNAL, "%s reply: %s", call, err);
    if (v < min)
        return job_fail(LOCUS_JOB_ERR_INTERNAL, "%s reply: field '%s': %lld is below %lld", call, name, v,
                        (long long)min);
    *out = v;
    return LOCUS_JOB_OK;
}

static locus_job_status reply_num(const json_t *r, const char *call, const char *name, double *out) {
    char err[256];
    if (lh_get_num(r, name, out, err, sizeof err) != 0)
        return job_fail(LOCUS_JOB_ERR_INTERNAL, "%s reply: %s", call, err);
    if (!(*out >= 0))
        return job_fail(LOCUS_JOB_ERR_INTERNAL, "%s reply: field '%s' is negative", call, name);
    return LOCUS_JOB_OK;
}

static json_t *lease_body(const locus_job *j, double now) {
    return json_pack("{s:I,s:I,s:I,s:f}", "job", (json_int_t)j->id, "lease", (json_int_t)j->lease, "steps",
                     (json_int_t)j->round_steps, "seconds", now - j->lease_start);
}

LOCUS_JOB_API locus_job_status locus_job_begin(locus_job **out) {
    if (out == NULL)
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "locus_job_begin: out is NULL");
    *out = NULL;
    locus_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return job_fail(LOCUS_JOB_ERR_BADALLOC, "locus_job_begin: out of memory");
    const char *addr = NULL, *token_file = NULL, *t;
    char err[512];
    locus_job_status s;
    if ((s = env_str("LOCUS_SCHED_ADDR", &addr)) || (s = env_str("LOCUS_SCHED_TOKEN_FILE", &token_file)) ||
        (s = env_int("LOCUS_JOB_ID", 0, &j->id)) || (s = env_int("LOCUS_JOB_LEASE", 0, &j->lease)) ||
        (s = env_pos("LOCUS_TIME_SCALE", &j->time_scale)))
        goto fail;
    j->timeout_ms = LH_DEFAULT_TIMEOUT_MS;
    if ((t = getenv("LOCUS_JOB_TIMEOUT_MS")) != NULL) {
        int64_t ms;
        if ((s = env_int("LOCUS_JOB_TIMEOUT_MS", 1, &ms)))
            goto fail;
        j->timeout_ms = ms > 3600000 ? 3600000 : (int)ms;
    }
    if (lh_parse_addr(addr, j->host, sizeof j->host, &j->port, err, sizeof err) != 0) {
        s = job_fail(LOCUS_JOB_ERR_PARAMETER, "LOCUS_SCHED_ADDR: %s", err);
        goto fail;
    }
    if (lh_read_token(token_file, j->token, sizeof j->token, err, sizeof err) != 0) {
        s = job_fail(LOCUS_JOB_ERR_PARAMETER, "LOCUS_SCHED_TOKEN_FILE: %s", err);
        goto fail;
    }
    json_t *r = NULL;
    double used_s = 0;
    if ((s = post(j, "/v1/job/register",
                  json_pack("{s:I,s:I}", "job", (json_int_t)j->id, "lease", (json_int_t)j->lease), &r,
                  j->timeout_ms)))
        goto fail;
    if (!(s = reply_num(r, "register", "round_s", &j->round_s)) &&
        !(s = reply_num(r, "register", "used_s", &used_s)) &&
        !(s = reply_int(r, "register", "steps", 0, &j->budget)) &&
        !(s = reply_int(r, "register", "executed", 0, &j->executed)))
        s = reply_int(r, "register", "total", 0, &j->total);
    json_decref(r);
    if (s)
        goto fail;
    double now = now_s();
    j->round_start = now - used_s;
    j->lease_start = j->last_progress = now;
    *out = j;
    return LOCUS_JOB_OK;
fail:
    free(j);
    return s;
}

static void sleep_s(double s) {
    struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* The round is over: round_end, and the answer into *action. Until the scheduler has decided the next round
 * it answers "wait": the same request is sent again ("again": true) after retry_s, for at most two round
 * lengths (docs/sched-serve.md). */
static locus_job_status round_end(locus_job *j, bool done, int *action) {
    double now = now_s(), deadline = now + 2 * j->round_s + j->timeout_ms / 1000.0;
    json_t *body = lease_body(j, now);
    if (body == NULL)
        return job_fail(LOCUS_JOB_ERR_BADALLOC, "round_end: out of memory building the request");
    json_object_set_new(body, "done", json_boolean(done));
    locus_job_status s;
    json_t *r = NULL;
    const char *a = NULL;
    char err[256];
    for (int tries = 0;; tries++) {
        if (tries == 1)
            json_object_set_new(body, "again", json_true());
        if ((s = post(j, "/v1/job/round_end", json_incref(body), &r, j->timeout_ms)))
            break;
        if (done) /* whatever the answer, the job has nothing left to run */
            break;
        if (lh_get_str(r, "action", &a, err, sizeof err) != 0) {
            s = job_fail(LOCUS_JOB_ERR_INTERNAL, "round_end reply: %s", err);
            break;
        }
        if (strcmp(a, "wait") != 0)
            break;
        json_t *rs = json_object_get(r, "retry_s");
        double retry = json_is_number(rs) ? json_number_value(rs) : 0.05;
        retry = retry < 0.001 ? 0.001 : retry > 1 ? 1 : retry;
        json_decref(r);
        r = NULL;
        if (now_s() + retry > deadline) {
            s = job_fail(LOCUS_JOB_ERR_TIMEOUT,
                         "job %lld: round_end: the scheduler still answers 'wait' after %.3g s "
                         "(two rounds)",
                         (long long)j->id, 2 * j->round_s);
            break;
        }
        sleep_s(retry);
    }
    json_decref(body);
    if (s) {
        json_decref(r);
        return s;
    }
    if (done) {
        j->over = true;
        *action = LOCUS_JOB_DONE;
    } else if (strcmp(a, "stop") == 0) {
        j->over = true;
        *action = LOCUS_JOB_STOP;
    } else if (strcmp(a, "continue") == 0) {
        int64_t lease, budget;
        double used_s = 0;
        if (!(s = reply_int(r, "round_end", "lease", 0, &lease)) &&
            !(s = reply_int(r, "round_end", "steps", 0, &budget)) &&
            !(json_object_get(r, "used_s") != NULL && (s = reply_num(r, "round_end", "used_s", &used_s)))) {
            now = now_s();
            j->lease = lease;
            j->budget = budget;
            j->round_steps = 0;
            j->round_start = now - used_s;
            j->lease_start = j->last_progress = now;
            *action = LOCUS_JOB_CONTINUE;
        }
    } else {
        s = job_fail(LOCUS_JOB_ERR_INTERNAL,
                     "round_end reply: field 'action': '%s' is not wait, continue or stop", a);
    }
    json_decref(r);
    return s;
}

static locus_job_status progress(locus_job *j, double now) {
    json_t *r = NULL;
    locus_job_status s = post(j, "/v1/job/progress", lease_body(j, now), &r, j->timeout_ms);
    if (s)
        return s;
    int64_t budget;
    s = reply_int(r, "progress", "steps", 0, &budget);
    json_decref(r);
    if (s)
        return s;
    j->budget = budget;
    j->last_progress = now;
    return LOCUS_JOB_OK;
}

LOCUS_JOB_API locus_job_status locus_job_step(locus_job *j, int *action) {
    int dummy;
    if (action == NULL)
        action = &dummy;
    *action = LOCUS_JOB_STOP;
    if (j == NULL)
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "locus_job_step: the job is NULL");
    if (j->over)
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "job %lld: locus_job_step after the lease ended",
                        (long long)j->id);
    j->executed++;
    j->round_steps++;
    double now = now_s();
    if (j->executed >= j->total)
        return round_end(j, true, action);
    if (j->round_steps >= j->budget || now >= j->round_start + j->round_s + j->slack_s)
        return round_end(j, false, action);
    if (j->progress_s > 0 && now - j->last_progress >= j->progress_s) {
        locus_job_status s = progress(j, now);
        if (s)
            return s;
        if (j->round_steps >= j->budget) /* the scheduler lowered the budget below what already ran */
            return round_end(j, false, action);
    }
    *action = LOCUS_JOB_CONTINUE;
    return LOCUS_JOB_OK;
}

LOCUS_JOB_API locus_job_status locus_job_set_time_slack(locus_job *j, double seconds) {
    if (j == NULL || !(seconds >= 0))
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "locus_job_set_time_slack: %s",
                        j == NULL ? "the job is NULL" : "seconds must be >= 0");
    j->slack_s = seconds;
    return LOCUS_JOB_OK;
}

LOCUS_JOB_API locus_job_status locus_job_set_progress_interval(locus_job *j, double seconds) {
    if (j == NULL || !(seconds >= 0))
        return job_fail(LOCUS_JOB_ERR_PARAMETER, "locus_job_set_progress_interval: %s",
                        j == NULL ? "the job is NULL" : "seconds must be >= 0");
    j->progress_s = seconds;
    return LOCUS_JOB_OK;
}

LOCUS_JOB_API locus_job_status locus_job_end(locus_job *j) {
    if (j == NULL)
        return LOCUS_JOB_OK;
    locus_job_status s = LOCUS_JOB_OK;
    if (!j->over) {
        json_t *r = NULL;
        s = post(j, "/v1/job/lease_ended", lease_body(j, now_s()), &r, j->timeout_ms);
        json_decref(r);
    }
    free(j);
    return s;
}

LOCUS_JOB_API int64_t locus_job_id(const locus_job *j) {
    return j ? j->id : 0;
}
LOCUS_JOB_API int64_t locus_job_lease(const locus_job *j) {
    return j ? j->lease : 0;
}
LOCUS_JOB_API int64_t locus_job_executed(const locus_job *j) {
    return j ? j->executed : 0;
}
LOCUS_JOB_API int64_t locus_job_total(const locus_job *j) {
    return j ? j->total : 0;
}
LOCUS_JOB_API int64_t locus_job_budget(const locus_job *j) {
    return j ? j->budget : 0;
}
LOCUS_JOB_API int64_t locus_job_round_steps(const locus_job *j) {
    return j ? j->round_steps : 0;
}
LOCUS_JOB_API double locus_job_round_seconds(const locus_job *j) {
    return j ? j->round_s : 0;
}
LOCUS_JOB_API double locus_job_time_scale(const locus_job *j) {
    return j ? j->time_scale : 0;
}
