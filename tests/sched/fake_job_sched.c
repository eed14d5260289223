/* The fake job scheduler (fake_job_sched.h): scripted answers, every call recorded. */
#define _GNU_SOURCE
#include "fake_job_sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/http.h"

struct fjs {
    fjs_script sc;
    lh_server *srv;
    pthread_mutex_t mu;
    long long lease, budget;
    bool open; /* the lease is live (registered, not stopped or done) */
    int next_answer;
    double round_start;
    bool pending; /* a round_end was reported; its answer (pend) is given out at `release` */
    fjs_answer pend;
    long long pend_steps;
    double release;
    int repeats;
    char *lines[FJS_MAX_CALLS];
    double seconds[FJS_MAX_CALLS];
    int n;
    void (*cb)(void *, const char *);
    void *cb_ud;
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Records a call (under mu). */
static void record(fjs *f, const char *line, double seconds, int status) {
    if (f->n >= FJS_MAX_CALLS)
        return;
    char buf[300];
    if (status == 200)
        snprintf(buf, sizeof buf, "%s", line);
    else
        snprintf(buf, sizeof buf, "%s -> %d", line, status);
    f->lines[f->n] = strdup(buf);
    f->seconds[f->n] = seconds;
    f->n++;
    if (f->cb)
        f->cb(f->cb_ud, buf);
}

static int handle(void *ud, const char *method, const char *path, const json_t *body, json_t **reply) {
    fjs *f = ud;
    char err[256], line[256];
    long long job = -1, lease = -1, steps = -1;
    double seconds = -1;
    (void)method;
    const char *name = strncmp(path, "/v1/job/", 8) == 0 ? path + 8 : path;
    if (body == NULL || lh_get_int(body, "job", &job, err, sizeof err) ||
        lh_get_int(body, "lease", &lease, err, sizeof err))
        return lh_error(reply, 400, "%s", body ? err : "no body");
    bool is_reg = strcmp(name, "register") == 0;
    if (!is_reg && (lh_get_int(body, "steps", &steps, err, sizeof err) ||
                    lh_get_num(body, "seconds", &seconds, err, sizeof err)))
        return lh_error(reply, 400, "%s", err);
    bool done = false, again = false;
    if (strcmp(name, "round_end") == 0) {
        json_t *d = json_object_get(body, "done");
        if (!json_is_boolean(d))
            return lh_error(reply, 400, "field 'done': missing or not a boolean");
        done = json_is_true(d);
        again = json_is_true(json_object_get(body, "again"));
    }
    if (is_reg)
        snprintf(line, sizeof line, "register job=%lld lease=%lld", job, lease);
    else if (strcmp(name, "round_end") == 0)
        snprintf(line, sizeof line, "round_end job=%lld lease=%lld steps=%lld done=%s", job, lease, steps,
                 done ? "true" : "false");
    else
        snprintf(line, sizeof line, "%s job=%lld lease=%lld steps=%lld", name, job, lease, steps);

    pthread_mutex_lock(&f->mu);
    int status = 200;
    bool log = true;
    if (strcmp(name, "register") && strcmp(name, "progress") && strcmp(name, "round_end") &&
        strcmp(name, "lease_ended")) {
        status = lh_error(reply, 404, "no such path %s", path);
    } else if (job != f->sc.job) {
        status = lh_error(reply, 404, "no job %lld", job);
    } else if (is_reg) {
        if (lease != f->lease || f->open) {
            status = lh_error(reply, 409, "lease %lld is not the job's next lease", lease);
        } else {
            f->open = true;
            f->round_start = now_s() - f->sc.used_s;
            *reply = json_pack("{s:f,s:f,s:I,s:I,s:I}", "round_s", f->sc.round_s, "used_s", f->sc.used_s,
                               "steps", (json_int_t)f->budget, "executed", (json_int_t)f->sc.executed,
                               "total", (json_int_t)f->sc.total);
        }
    } else if (!f->open || lease != f->lease) {
        status = lh_error(reply, 409, "lease %lld is stale or closed (current %lld)", lease, f->lease);
    } else if (strcmp(name, "progress") == 0) {
        if (f->sc.progress_steps >= 0)
            f->budget = f->sc.progress_steps;
        *reply = json_pack("{s:I}", "steps", (json_int_t)f->budget);
    } else if (strcmp(name, "lease_ended") == 0) {
        f->open = false;
        *reply = json_object();
    } else if (done) {
        f->open = false;
        *reply = json_pack("{s:s}", "action", "stop");
    } else {
        if (!f->pending) {
            f->pending = true;
            f->pend = (fjs_answer){.stop = true};
            if (f->next_answer < f->sc.nanswers)
                f->pend = f->sc.answers[f->next_answer++];
            f->pend_steps = steps;
            f->release = f->sc.wait_forever ? 1e300 : f->sc.hold ? f->round_start + f->sc.round_s : 0;
            if (again)
                strcat(line, " (repeat)");
        } else if (again && steps == f->pend_steps) {
            f->repeats++;
            log = false;
        } else {
            strcat(line, " (repeat)");
        }
        double now = now_s();
        if (now < f->release) {
            *reply = json_pack("{s:s,s:f}", "action", "wait", "retry_s", 0.02);
        } else if (f->pend.stop) {
            f->pending = f->open = false;
            *reply = json_pack("{s:s}", "action", "stop");
        } else {
            f->pending = false;
            f->lease = f->pend.lease;
            f->budget = f->pend.steps;
            f->round_start = now;
            *reply = json_pack("{s:s,s:I,s:I}", "action", "continue", "lease", (json_int_t)f->pend.lease,
                               "steps", (json_int_t)f->pend.steps);
        }
    }
    if (log)
        record(f, line, seconds, status);
    pthread_mutex_unlock(&f->mu);
    return status;
}

fjs *fjs_start(const fjs_script *sc, const char *token, char *err, size_t errlen) {
    fjs *f = calloc(1, sizeof *f);
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->sc = *sc;
    f->lease = sc->lease;
    f->budget = sc->steps;
    pthread_mutex_init(&f->mu, NULL);
    f->srv = lh_server_start("127.0.0.1", 0, token, 4, handle, f, err, errlen);
    if (f->srv == NULL) {
        pthread_mutex_destroy(&f->mu);
        free(f);
        return NULL;
    }
    return f;
}

int fjs_port(const fjs *f) {
    return lh_server_port(f->srv);
}

char *fjs_log(fjs *f) {
    pthread_mutex_lock(&f->mu);
    size_t len = 1;
    for (int i = 0; i < f->n; i++)
        len += strlen(f->lines[i]) + 1;
    char *s = malloc(len), *p = s;
    if (s != NULL) {
        for (int i = 0; i < f->n; i++)
            p += sprintf(p, "%s\n", f->lines[i]);
        *p = '\0';
    }
    pthread_mutex_unlock(&f->mu);
    return s;
}

int fjs_ncalls(fjs *f) {
    pthread_mutex_lock(&f->mu);
    int n = f->n;
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fjs_repeats(fjs *f) {
    pthread_mutex_lock(&f->mu);
    int n = f->repeats;
    pthread_mutex_unlock(&f->mu);
    return n;
}

double fjs_seconds(fjs *f, int i) {
    pthread_mutex_lock(&f->mu);
    double s = i >= 0 && i < f->n ? f->seconds[i] : -1;
    pthread_mutex_unlock(&f->mu);
    return s;
}

void fjs_on_line(fjs *f, void (*cb)(void *ud, const char *line), void *ud) {
    pthread_mutex_lock(&f->mu);
    f->cb = cb;
    f->cb_ud = ud;
    pthread_mutex_unlock(&f->mu);
}

void fjs_stop(fjs *f) {
    if (f == NULL)
        return;
    lh_server_stop(f->srv);
    for (int i = 0; i < f->n; i++)
        free(f->lines[i]);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
