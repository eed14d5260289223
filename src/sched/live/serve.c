/* `locus sched serve`: the live scheduler (docs/sched-serve.md). The same policy core as the simulator decides
 * every round; workers start and stop the jobs; the jobs report their progress.
 *
 * Threads: the main thread runs the rounds; the HTTP server's pool answers workers and jobs. Everything they
 * share sits in one `serve` struct behind one mutex; the main thread sleeps on a condition variable with a
 * deadline (a round's end, the registration timeout), never spins, and sends its requests to workers with the
 * lock released. Time: the core gets logical seconds (round k of length R at T0 + k R, as in the simulator),
 * the wall clock only paces the rounds (R / time_scale each, ended early when every job has reported). So
 * JCT = (the round end at which a job's reported steps reach its total) - arrival, comparable with `simulate`'s
 * job for job. */
#define _GNU_SOURCE
#include "serve.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../conf/cluster_ini.h"
#include "../sim/simulate_cmd.h"
#include "../sim/workload.h"
#include "http.h"
#include "serve_int.h"
#include "worker.h"
#include "worker_spec.h"


double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void logf_(serve *s, const char *fmt, ...) {
    if (s->log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(s->log, "locus sched serve: ");
    vfprintf(s->log, fmt, ap);
    fprintf(s->log, "\n");
    va_end(ap);
}

/* ---- the conn file ---- */

static int load_conn_file(serve *s, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int want = s->ccfg.racks * s->ccfg.servers_per_rack, line = 0, n = 0;
    s->workers = calloc((size_t)want, sizeof *s->workers);
    char buf[512];
    int rc = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f) != NULL) {
        line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0] == '\0' || buf[0] == '#')
            continue;
        if (n == want) {
            snprintf(err, errlen, "%s:%d: more workers than the %d servers of the config", path, line, want);
            rc = -1;
            break;
        }
        serve_worker *w = &s->workers[n];
        char ip[64];
        int port, g, c, numa, used = 0;
        if (sscanf(buf, " %63[^, ] , %d , %d , %d , %d %n", ip, &port, &g, &c, &numa, &used) != 5 ||
            buf[used] != '\0' || port < 1 || port > 65535 || g < 0 || c < 0 || (numa != 0 && numa != 1)) {
            snprintf(err, errlen, "%s:%d: expected IP,port,start_gpu_id,start_cpu_id,numa_aware (numa 0 or 1), got "
                     "'%.200s'", path, line, buf);
            rc = -1;
            break;
        }
        for (int k = 0; k < n; k++)
            if (strcmp(s->workers[k].ip, ip) == 0 && s->workers[k].port == port) {
                snprintf(err, errlen, "%s:%d: worker %s:%d is listed twice", path, line, ip, port);
                rc = -1;
            }
        snprintf(w->ip, sizeof w->ip, "%s", ip);
        w->port = port, w->start_gpu = g, w->start_cpu = c, w->numa = numa;
        n++;
    }
    fclose(f);
    if (rc == 0 && n != want) {
        snprintf(err, errlen, "%s:%d: %d workers listed, but the config has %d servers (racks x servers_per_rack)",
                 path, line, n, want);
        rc = -1;
    }
    s->n_workers = n;
    for (int i = 0; rc == 0 && i < n; i++) {
        serve_worker *w = &s->workers[i];
        w->gpu_owner = malloc((size_t)s->ccfg.gpus_per_server * sizeof *w->gpu_owner);
        w->cpu_owner = malloc((size_t)s->ccfg.cpus_per_server * sizeof *w->cpu_owner);
        w->conn = lh_client_new(); /* NULL (out of memory): a connection per request */
        for (int k = 0; k < s->ccfg.gpus_per_server; k++)
            w->gpu_owner[k] = -1;
        for (int k = 0; k < s->ccfg.cpus_per_server; k++)
            w->cpu_owner[k] = -1;
    }
    return rc;
}

/* ---- HTTP handlers (server threads) ---- */

/* The position of the job with this id (by_id: positions sorted by id; ids are unique in a workload), or -1.
 * A binary search: every request of every job looks its job up. */
static int job_pos(const serve *s, long long id) {
    int lo = 0, hi = s->n_jobs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, p = s->by_id[mid];
        if (s->jobs[p].id == id)
            return p;
        if (s->jobs[p].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Machine m is gone (killed, hung, or replaced by a new worker process), under the lock: its jobs' processes
 * there count as ended, their leases as lost (no fault of theirs: not a retry); what they reported before
 * still counts. The next round end re-queues them, and the policy places them on the other machines, from
 * their credited steps (their checkpoints), until m registers again. A job with processes elsewhere too is
 * stopped there (it is not extended: fewer processes are alive than it has). */
void worker_lost(serve *s, int m, const char *why) {
    serve_worker *w = &s->workers[m];
    if (w->lost)
        return;
    if (w->registered)
        s->n_registered--;
    w->registered = false;
    w->lost = true;
    w->times_lost++;
    snprintf(w->lost_why, sizeof w->lost_why, "%s", why);
    int hit = 0;
    for (int i = 0; i < s->n_placed; i++) {
        int pos = s->placed[i];
        live_job *l = &s->live[pos];
        for (int k = 0; k < l->n_alloc; k++) {
            if (l->alloc[k].server != m)
                continue;
            hit++;
            l->lease_lost = true;
            if (l->alive > 0)
                l->alive--;
            if (l->reports < l->n_proc)
                l->reports = l->n_proc;
            if (l->steps < 0)
                l->steps = 0;
        }
    }
    /* (processes told to stop there will not report their exit either: a restart of their job waits for them
     * at most its bound, 2 s + the grace) */
    pthread_cond_broadcast(&s->cv);
    logf_(s, "machine %d (%s:%d) lost: %s; %d running process%s there re-queued", m, w->ip, w->port, why, hit,
          hit == 1 ? "" : "es");
}

/* Machine m answers, as the process `instance` ("": unknown; NULL: the one recorded), under the lock: it is
 * registered and not lost, seen now, and whoever waits for workers is woken. */
static void worker_up(serve *s, int m, const char *instance) {
    serve_worker *w = &s->workers[m];
    if (instance != NULL)
        snprintf(w->instance, sizeof w->instance, "%s", instance);
    w->last_seen = wall_s();
    w->lost = false;
    if (!w->registered) {
        w->registered = true;
        s->n_registered++;
    }
    pthread_cond_broadcast(&s->cv);
}

/* POST /v1/reset to the worker at ip:port on connection c (the lock released): it stops every job it still
 * runs, 1 s of grace each. true on its 200. */
static bool reset_worker(serve *s, lh_client *c, const char *ip, int port, char *err, size_t errlen) {
    json_t *b = json_pack("{s:f}", "grace_s", 1.0);
    bool ok = lh_client_post(c, ip, port, "/v1/reset", s->token, b, NULL, 5000, err, errlen) == 200;
    json_decref(b);
    return ok;
}

/* Job pos is given up at round time T (failures past --max_retries), under the lock, at a round end (its lease
 * released, its progress credited): out of the queue, listed in failed_all.csv. */
static void give_up(serve *s, int pos, double T, const char *reason) {
    live_job *l = &s->live[pos];
    if (reason != NULL)
        snprintf(l->reason, sizeof l->reason, "%s", reason);
    l->failed = true;
    l->failed_at = T;
    sched_queue_remove(&s->queue, pos);
    s->n_failed++;
    logf_(s, "job %d given up: %s", s->jobs[pos].id, l->reason);
}

static int h_worker_register(serve *s, const json_t *b, json_t **reply) {
    char err[160];
    const char *ip;
    long long port, gpus;
    if (lh_get_str(b, "ip", &ip, err, sizeof err) || lh_get_int(b, "port", &port, err, sizeof err) ||
        lh_get_int(b, "gpus", &gpus, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    for (int i = 0; i < s->n_workers; i++) {
        serve_worker *w = &s->workers[i];
        if (strcmp(w->ip, ip) != 0 || w->port != port)
            continue;
        const char *inst = json_string_value(json_object_get(b, "instance"));
        const char *mem = json_string_value(json_object_get(b, "memory_limit"));
        if (gpus < s->ccfg.gpus_per_server)
            return lh_error(reply, 400, "worker %s:%lld offers %lld GPUs; the config's servers have %d", ip, port,
                            gpus, s->ccfg.gpus_per_server);
        if (w->registered) {
            /* a new process on the worker's address: the one before it is gone (two cannot listen on one port) */
            if (inst == NULL || w->instance[0] == '\0' || strcmp(inst, w->instance) == 0)
                return lh_error(reply, 409, "worker %s:%lld (machine %d) is already registered", ip, port, i);
            worker_lost(s, i, "restarted (a new worker process registered)");
        }
        bool back = w->lost;
        worker_up(s, i, inst != NULL ? inst : "");
        snprintf(w->memory_limit, sizeof w->memory_limit, "%s", mem != NULL ? mem : "unknown");
        logf_(s, "worker %s:%lld %s machine %d (%d of %d)", ip, port, back ? "is back as" : "registered as", i,
              s->n_registered, s->n_workers);
        *reply = json_pack("{s:i,s:f,s:f}", "machine", i, "round_duration", s->round, "time_scale", s->scale);
        return 200;
    }
    return lh_error(reply, 403, "worker %s:%lld is not in the conn file", ip, port);
}

static int h_worker_exit(serve *s, const json_t *b, json_t **reply) {
    char err[160];
    long long machine, job, lease;
    if (lh_get_int(b, "machine", &machine, err, sizeof err) || lh_get_int(b, "job", &job, err, sizeof err) ||
        lh_get_int(b, "lease", &lease, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    int pos = job_pos(s, job);
    if (pos < 0)
        return lh_error(reply, 404, "no job %lld", job);
    live_job *l = &s->live[pos];
    json_t *code = json_object_get(b, "exit_code"), *sig = json_object_get(b, "signal");
    json_t *reason = json_object_get(b, "reason"); /* the worker's word on it: "memory limit (...)" */
    if (reason != NULL && !json_is_string(reason))
        return lh_error(reply, 400, "field 'reason': not a string");
    const char *why = json_string_value(reason);
    l->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
    l->exit_signal = json_is_integer(sig) ? (int)json_integer_value(sig) : -1;
    /* the lease a process was started with (the worker's record), or the one it last learned (continue) */
    bool current = (lease == l->run_lease || lease == l->lease) && l->lease != 0 && l->alive > 0;
    if (current)
        l->alive--;
    else if ((lease == l->old_run_lease || lease == l->ended) && l->old_alive > 0 && --l->old_alive == 0)
        pthread_cond_broadcast(&s->cv);
    /* a process of the running lease that ends by a signal or a code != 0 (not one told to stop: those are
     * old_run_lease's) failed: the lease counts as failed, and the job is retried from its checkpoint */
    if (current && (l->exit_signal > 0 || (l->exit_signal < 0 && l->exit_code != 0)) && !l->lease_failed) {
        l->lease_failed = true;
        if (l->exit_signal > 0)
            snprintf(l->reason, sizeof l->reason, "killed by signal %d (%s) on machine %lld%s%s", l->exit_signal,
                     strsignal(l->exit_signal), machine, why ? ": " : "", why ? why : "");
        else
            snprintf(l->reason, sizeof l->reason, "exit code %d on machine %lld%s%s", l->exit_code, machine,
                     why ? ": " : "", why ? why : "");
        logf_(s, "job %lld lease %d failed: %s", job, l->lease, l->reason);
    }
    if (current && l->reports < l->n_proc) {
        /* gone before it reported this round: the round does not wait for it */
        logf_(s, "job %lld lease %lld on machine %lld ended (%s %d%s%s) before reporting its round", job, lease,
              machine, l->exit_signal >= 0 ? "signal" : "exit code",
              l->exit_signal >= 0 ? l->exit_signal : l->exit_code, why ? ", " : "", why ? why : "");
        l->reports = l->n_proc;
        if (l->steps < 0)
            l->steps = 0;
        pthread_cond_broadcast(&s->cv);
    }
    *reply = json_object();
    return 200;
}

static int find_job(serve *s, const json_t *b, long long *lease, json_t **reply, int *status) {
    char err[160];
    long long job;
    if (lh_get_int(b, "job", &job, err, sizeof err) || lh_get_int(b, "lease", lease, err, sizeof err)) {
        *status = lh_error(reply, 400, "%s", err);
        return -1;
    }
    int pos = job_pos(s, job);
    if (pos >= 0)
        return pos;
    *status = lh_error(reply, 404, "no job %lld", job);
    return -1;
}

static void note_steps(serve *s, live_job *l, long long steps) {
    long st = steps < 0 ? 0 : steps > l->budget ? l->budget : (long)steps;
    l->steps = l->steps < 0 || st < l->steps ? st : l->steps;
    l->reports++;
    if (l->reports >= l->n_proc)
        pthread_cond_broadcast(&s->cv);
}

/* A report of a lease the round closed without it: its steps (beyond what was credited) are progress all the
 * same; only the round it comes in is later than the simulator's. */
static void credit_late(serve *s, int pos, long long steps) {
    sched_job *j = &s->jobs[pos];
    live_job *l = &s->live[pos];
    long add = steps < 0 ? 0 : steps > l->late_budget ? l->late_budget : (long)steps;
    if (add > 0 && !j->finished) {
        j->executed += add;
        if (j->executed > j->total_iters)
            j->executed = j->total_iters;
        logf_(s, "job %d: %ld steps of lease %d reported after its round closed, credited now", j->id, add, l->ended);
    }
    l->late_budget = 0;
}

static int h_job(serve *s, const char *what, const json_t *b, json_t **reply) {
    long long lease;
    int status;
    int pos = find_job(s, b, &lease, reply, &status);
    if (pos < 0)
        return status;
    sched_job *j = &s->jobs[pos];
    live_job *l = &s->live[pos];
    char err[160];
    if (strcmp(what, "register") == 0) {
        if (lease != l->lease || l->lease == 0)
            return lh_error(reply, 409, "job %d: lease %lld is not its current lease (%d)", j->id, lease, l->lease);
        /* a process started for this lease runs its round from now: startup does not eat its budget */
        *reply = json_pack("{s:f,s:f,s:I,s:I,s:I}", "round_s", s->round / s->scale, "used_s", 0.0, "steps",
                           (json_int_t)l->budget, "executed",
                           (json_int_t)j->executed, "total", (json_int_t)j->total_iters);
        return 200;
    }
    if (strcmp(what, "progress") == 0) {
        *reply = json_pack("{s:I}", "steps", (json_int_t)(lease == l->lease ? l->budget : 0));
        return 200;
    }
    long long steps;
    if (lh_get_int(b, "steps", &steps, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    if (lease == l->ended && l->late_budget > 0)
        credit_late(s, pos, steps);
    if (strcmp(what, "lease_ended") == 0) {
        if (lease == l->lease && l->reports < l->n_proc)
            note_steps(s, l, steps);
        *reply = json_object();
        return 200;
    }
    /* round_end: counted once per process and lease (asking again repeats the same numbers) */
    json_t *again = json_object_get(b, "again");
    if (lease == l->lease && l->reports < l->n_proc && !json_is_true(again))
        note_steps(s, l, steps);
    if (lease == l->ended && l->action == ACT_CONTINUE)
        *reply = json_pack("{s:s,s:i,s:I}", "action", "continue", "lease", l->next_lease, "steps",
                           (json_int_t)l->next_budget);
    else if (lease == l->ended || lease != l->lease)
        *reply = json_pack("{s:s}", "action", "stop");
    else
        *reply = json_pack("{s:s,s:f}", "action", "wait", "retry_s", 0.02);
    return 200;
}

static int on_http(void *ud, const char *method, const char *path, const json_t *body, json_t **reply) {
    serve *s = ud;
    json_t *empty = NULL;
    if (body == NULL)
        body = empty = json_object();
    int status;
    pthread_mutex_lock(&s->mu);
    if (strcmp(method, "GET") == 0 && strcmp(path, "/v1/status") == 0) {
        *reply = json_pack("{s:i,s:i,s:i}", "workers", s->n_registered, "jobs", s->n_jobs, "running", s->n_placed);
        status = 200;
    } else if (strcmp(method, "GET") == 0 && strcmp(path, "/status") == 0) {
        *reply = serve_status_json(s);
        status = *reply != NULL ? 200 : lh_error(reply, 500, "out of memory");
    } else if (strcmp(method, "GET") == 0 && strcmp(path, "/") == 0) {
        char *page = serve_status_html(s);
        *reply = page != NULL ? json_string_nocheck(page) : NULL;
        free(page);
        status = *reply != NULL ? 200 : lh_error(reply, 500, "out of memory");
    } else if (strcmp(method, "POST") != 0) {
        status = lh_error(reply, 404, "no %s %s", method, path);
    } else if (strcmp(path, "/v1/worker/register") == 0) {
        status = h_worker_register(s, body, reply);
    } else if (strcmp(path, "/v1/worker/exit") == 0) {
        status = h_worker_exit(s, body, reply);
    } else if (strncmp(path, "/v1/job/", 8) == 0 &&
               (!strcmp(path + 8, "register") || !strcmp(path + 8, "progress") || !strcmp(path + 8, "round_end") ||
                !strcmp(path + 8, "lease_ended"))) {
        status = h_job(s, path + 8, body, reply);
    } else {
        status = lh_error(reply, 404, "no such call %s", path);
    }
    pthread_mutex_unlock(&s->mu);
    json_decref(empty);
    return status;
}

/* ---- rounds (main thread) ---- */

static bool same_alloc(const live_job *l, const sched_job *j) {
    if (l->n_alloc != j->n_alloc)
        return false;
    for (int i = 0; i < j->n_alloc; i++) {
        if (l->alloc[i].server != j->alloc[i].server)
            return false;
        for (int r = R_GPU; r <= R_MEM; r++)
            if (fabs(l->alloc[i].res[r] - j->alloc[i].res[r]) > 1e-9)
                return false;
    }
    return true;
}

static void free_ids(serve *s, int pos) {
    live_job *l = &s->live[pos];
    for (int i = 0; i < l->n_alloc; i++) {
        serve_worker *w = &s->workers[l->alloc[i].server];
        for (int k = 0; k < l->n_gpus[i]; k++)
            w->gpu_owner[l->gpus[i][k]] = -1;
        for (int k = 0; k < l->n_cpus[i]; k++)
            w->cpu_owner[l->cpus[i][k]] = -1;
        free(l->gpus[i]), free(l->cpus[i]);
        l->gpus[i] = l->cpus[i] = NULL;
        l->n_gpus[i] = l->n_cpus[i] = 0;
    }
    l->n_alloc = 0;
}

/* Concrete GPU and CPU ids on each machine for the job's new allocation (the first free ones). */
static int take_ids(serve *s, int pos) {
    sched_job *j = &s->jobs[pos];
    live_job *l = &s->live[pos];
    l->n_alloc = j->n_alloc;
    memcpy(l->alloc, j->alloc, (size_t)j->n_alloc * sizeof *j->alloc);
    for (int i = 0; i < j->n_alloc; i++) {
        serve_worker *w = &s->workers[j->alloc[i].server];
        int ng = (int)lround(j->alloc[i].res[R_GPU]), nc = (int)floor(j->alloc[i].res[R_CPU] + 1e-9);
        l->gpus[i] = malloc((size_t)(ng > 0 ? ng : 1) * sizeof(int));
        l->cpus[i] = malloc((size_t)(nc > 0 ? nc : 1) * sizeof(int));
        if (!l->gpus[i] || !l->cpus[i])
            return -1;
        for (int k = 0; k < s->ccfg.gpus_per_server && l->n_gpus[i] < ng; k++)
            if (w->gpu_owner[k] < 0) {
                w->gpu_owner[k] = pos;
                l->gpus[i][l->n_gpus[i]++] = k;
            }
        for (int k = 0; k < s->ccfg.cpus_per_server && l->n_cpus[i] < nc; k++)
            if (w->cpu_owner[k] < 0) {
                w->cpu_owner[k] = pos;
                l->cpus[i][l->n_cpus[i]++] = k;
            }
    }
    return 0;
}

/* A request for a worker, sent once the lock is released. */
typedef struct outgoing {
    int machine, job;           /* job: the position a /v1/run starts, -1 for other calls */
    char path[32];
    json_t *body;
    bool failed, no_reply;      /* no_reply: the worker did not answer at all */
    char why[640];
} outgoing;

static json_t *run_body(serve *s, int pos, int part) {
    sched_job *j = &s->jobs[pos];
    live_job *l = &s->live[pos];
    serve_worker *w = &s->workers[l->alloc[part].server];
    json_t *argv = json_array(), *gpus = json_array(), *cpus = json_array(), *env = json_object();
    for (int i = 0; i < s->job_argc; i++)
        json_array_append_new(argv, json_string(s->job_argv[i]));
    for (int k = 0; k < l->n_gpus[part]; k++)
        json_array_append_new(gpus, json_integer(w->start_gpu + l->gpus[part][k]));
    for (int k = 0; k < l->n_cpus[part]; k++)
        json_array_append_new(cpus, json_integer(w->start_cpu + l->cpus[part][k]));
    double a[R_N];
    sched_job_alloc_vec(j, a);
    char v[64];
#define SETENV(k, fmt, ...)                                                                                          \
    do {                                                                                                             \
        snprintf(v, sizeof v, fmt, __VA_ARGS__);                                                                     \
        json_object_set_new(env, k, json_string(v));                                                                 \
    } while (0)
    SETENV("SYNERGY_CPU_THIS_SERVER", "%d", l->n_cpus[part]);
    SETENV("SYNERGY_MEM_THIS_SERVER", "%g", l->alloc[part].res[R_MEM]);
    SETENV("SYNERGY_GPU_THIS_SERVER", "%d", l->n_gpus[part]);
    SETENV("SYNERGY_ELAPSED_ITERS", "%ld", j->executed);
    SETENV("SYNERGY_TOTAL_ITERS", "%ld", j->total_iters);
    SETENV("SYNERGY_ARCH", "%s", j->prof->name);
    SETENV("SYNERGY_BATCH_SIZE", "%d", j->prof->batch);
    SETENV("SYNERGY_GPUS_ALLOCATED", "%g", a[R_GPU]);
    SETENV("SYNERGY_CPUS_ALLOCATED", "%g", a[R_CPU]);
    SETENV("LOCUS_DUMMY_ITER_S", "%.9g", j->round_iter_time / s->scale);
    if (l->n_alloc > 1) {
        SETENV("SYNERGY_DISTRIBUTED", "%d", 1);
        SETENV("SYNERGY_NNODES", "%d", l->n_alloc);
        SETENV("SYNERGY_MASTER_IP", "%s", s->workers[l->alloc[0].server].ip);
        SETENV("SYNERGY_MASTER_PORT", "%d", 29500 + j->id % 10000);
        SETENV("SYNERGY_RANK", "%d", part);
        SETENV("SYNERGY_WORLD_SIZE", "%d", l->n_alloc);
    }
#undef SETENV
    char dir[64];
    snprintf(dir, sizeof dir, "job%d", j->id);
    return json_pack("{s:i,s:i,s:o,s:s,s:o,s:o,s:o,s:f,s:b}", "job", j->id, "lease", l->lease, "argv", argv, "dir",
                     dir, "env", env, "gpus", gpus, "cpus", cpus, "mem_gb", l->alloc[part].res[R_MEM], "numa",
                     w->numa);
}

/* One row per machine of the job's placement: time_s,job,lease,event,machine,gpus,cpus,mem_gb,steps
 * (the machine's own GPU and CPU ids, space-separated; steps: the budget, or what the ended lease ran). */
static void log_lease(serve *s, double t, int pos, const char *event, int lease) {
    const live_job *l = &s->live[pos];
    for (int i = 0; s->leases && i < l->n_alloc; i++) {
        serve_worker *w = &s->workers[l->alloc[i].server];
        fprintf(s->leases, "%.0f,%d,%d,%s,%d,", t, s->jobs[pos].id, lease, event, l->alloc[i].server);
        for (int k = 0; k < l->n_gpus[i]; k++)
            fprintf(s->leases, "%s%d", k ? " " : "", w->start_gpu + l->gpus[i][k]);
        fprintf(s->leases, ",");
        for (int k = 0; k < l->n_cpus[i]; k++)
            fprintf(s->leases, "%s%d", k ? " " : "", w->start_cpu + l->cpus[i][k]);
        fprintf(s->leases, ",%g,%ld\n", l->alloc[i].res[R_MEM],
                strcmp(event, "start") == 0 ? l->budget : strcmp(event, "extend") == 0 ? l->next_budget
                                                                                       : (l->steps < 0 ? 0 : l->steps));
    }
}

static void push(outgoing **out, int *n, int *cap, int machine, int job, const char *path, json_t *body) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *out = realloc(*out, (size_t)*cap * sizeof **out);
    }
    (*out)[*n].machine = machine;
    (*out)[*n].job = job;
    (*out)[*n].failed = (*out)[*n].no_reply = false;
    snprintf((*out)[*n].path, sizeof (*out)[*n].path, "%s", path);
    (*out)[*n].body = body;
    (*n)++;
}

static void mark_failed(serve *s, outgoing *o, const char *reason) {
    serve_worker *w = &s->workers[o->machine];
    o->failed = true;
    snprintf(o->why, sizeof o->why, "machine %d (%s:%d) %s: %s", o->machine, w->ip, w->port, o->path, reason);
    logf_(s, "%s", o->why);
}

/* One machine's requests of a dispatch, in order: a single one as itself, several in one /v1/batch (one round
 * trip; the worker runs them in this order). Every body is consumed. */
static void send_machine(serve *s, outgoing **list, int n) {
    serve_worker *w = &s->workers[list[0]->machine];
    char err[400];
    err[0] = '\0';
    if (n == 1) {
        int st = lh_client_post(w->conn, w->ip, w->port, list[0]->path, s->token, list[0]->body, NULL,
                                LH_DEFAULT_TIMEOUT_MS, err, sizeof err);
        list[0]->no_reply = st < 0;
        if (st != 200)
            mark_failed(s, list[0], st < 0 || err[0] ? err : "refused");
        json_decref(list[0]->body);
        return;
    }
    json_t *reqs = json_array(), *reply = NULL;
    for (int i = 0; i < n; i++)
        json_array_append_new(reqs, json_pack("{s:s,s:o}", "path", list[i]->path, "body", list[i]->body));
    json_t *body = json_pack("{s:o}", "requests", reqs);
    int st = lh_client_post(w->conn, w->ip, w->port, "/v1/batch", s->token, body, &reply,
                            LH_DEFAULT_TIMEOUT_MS + 50 * n, err, sizeof err);
    json_decref(body);
    json_t *replies = json_object_get(reply, "replies");
    for (int i = 0; i < n; i++) {
        json_t *one = json_array_get(replies, (size_t)i);
        json_t *stv = json_object_get(one, "status");
        list[i]->no_reply = st < 0;
        if (st != 200 || !json_is_integer(stv)) {
            mark_failed(s, list[i], st != 200 && err[0] ? err : "no reply in the batch's answer");
        } else if (json_integer_value(stv) != 200) {
            const char *e = json_string_value(json_object_get(json_object_get(one, "body"), "error"));
            char why[300];
            snprintf(why, sizeof why, "%lld %s", json_integer_value(stv), e != NULL ? e : "refused");
            mark_failed(s, list[i], why);
        }
    }
    json_decref(reply);
}

/* One sender's share of a dispatch: the machines m with m % stride == k, each machine's requests in order. */
typedef struct send_part {
    serve *s;
    outgoing *out;
    int n, k, stride;
} send_part;

static void *send_part_main(void *arg) {
    send_part *p = arg;
    outgoing **list = malloc((size_t)(p->n > 0 ? p->n : 1) * sizeof *list);
    for (int m = p->k; m < p->s->n_workers; m += p->stride) {
        int n = 0;
        for (int i = 0; i < p->n; i++)
            if (p->out[i].machine == m) {
                if (list != NULL)
                    list[n++] = &p->out[i];
                else /* out of memory: one at a time */
                    send_machine(p->s, (outgoing *[]){&p->out[i]}, 1);
            }
        if (n > 0)
            send_machine(p->s, list, n);
    }
    free(list);
    return NULL;
}

/* Sends the requests (the lock released). A round that starts hundreds of jobs spent its dispatch waiting on
 * one connection after another (bench/sched_serve: 1000 /v1/run in about 0.3 s), so many requests go out on
 * up to SEND_THREADS threads, each taking whole machines: a machine's requests keep their order, and a slow
 * worker holds up only its share. */
static void send_all(serve *s, outgoing *out, int n) {
    int nt = s->n_workers < SEND_THREADS ? s->n_workers : SEND_THREADS;
    if (n < SEND_MIN_PER_THREAD * nt)
        nt = 1;
    send_part parts[SEND_THREADS];
    pthread_t th[SEND_THREADS];
    bool here[SEND_THREADS] = {false};
    for (int k = 0; k < nt; k++)
        parts[k] = (send_part){s, out, n, k, nt};
    for (int k = 1; k < nt; k++)
        here[k] = pthread_create(&th[k], NULL, send_part_main, &parts[k]) != 0; /* no thread: sent here */
    send_part_main(&parts[0]);
    for (int k = 1; k < nt; k++) {
        if (here[k])
            send_part_main(&parts[k]);
        else
            pthread_join(th[k], NULL);
    }
}


static int record_finish(serve *s, serve_run *run, int pos, double t) {
    sched_job *j = &s->jobs[pos];
    j->finished = true;
    j->finish = t;
    sched_queue_remove(&s->queue, pos);
    sched_sim_result *r = &run->res;
    r->jobs_finished++;
    if (r->n_jobs == run->cap_jobs) {
        run->cap_jobs = run->cap_jobs ? 2 * run->cap_jobs : 256;
        sched_job_result *nj = realloc(r->jobs, (size_t)run->cap_jobs * sizeof *nj);
        if (!nj)
            return -1;
        r->jobs = nj;
    }
    r->jobs[r->n_jobs++] = (sched_job_result){j->id, j->prof->name, j->gpu_demand, j->arrival, t, t - j->arrival};
    return 0;
}

static void sample(serve *s, serve_run *run, double t) {
    sched_sim_result *r = &run->res;
    if (r->n_rounds == run->cap_rounds) {
        run->cap_rounds = run->cap_rounds ? 2 * run->cap_rounds : 256;
        r->rounds = realloc(r->rounds, (size_t)run->cap_rounds * sizeof *r->rounds);
    }
    sched_round_sample_fill(&r->rounds[r->n_rounds++], t, &s->cluster, s->jobs, s->placed, s->n_placed,
                            s->queue.n);
}

static void timed_wait(serve *s, double until) {
    struct timespec now_rt;
    clock_gettime(CLOCK_REALTIME, &now_rt);
    double left = until - wall_s();
    if (left <= 0)
        return;
    long long ns = (long long)now_rt.tv_nsec + (long long)(left * 1e9);
    struct timespec ts = {now_rt.tv_sec + (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* ---- the monitor thread: are the workers there? ---- */

/* Every heartbeat (half a round's wall time, 0.2 to 2 s) each worker's GET /v1/status on the monitor's own
 * connection, the lock released around it. A worker silent for --worker_timeout, or answering as another
 * process, is lost; a lost one that answers again as the same process (it was hung, or the network was) is
 * reset (its old jobs stopped: they were re-queued) and gets work again. A new process registers itself. */
static void *monitor_main(void *arg) {
    serve *s = arg;
    double hb = fmin(2.0, fmax(0.2, s->round / s->scale / 2));
    int timeout_ms = (int)fmin(2000, fmax(200, s->worker_timeout * 500));
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        double next = wall_s() + hb;
        while (!s->stopping && wall_s() < next)
            timed_wait(s, next);
        for (int m = 0; m < s->n_workers && !s->stopping; m++) {
            serve_worker *w = &s->workers[m];
            if (!w->registered && !w->lost)
                continue;
            char ip[64], inst[64], err[400];
            snprintf(ip, sizeof ip, "%s", w->ip);
            snprintf(inst, sizeof inst, "%s", w->instance);
            int port = w->port;
            bool was_lost = w->lost;
            pthread_mutex_unlock(&s->mu);
            json_t *reply = NULL;
            int st = lh_client_get(w->mon, ip, port, "/v1/status", s->token, &reply, timeout_ms, err, sizeof err);
            const char *ri = json_string_value(json_object_get(reply, "instance"));
            /* any reply is an answer (a worker without the status call still lives); a 200 names its process */
            bool same = st > 0 && (st != 200 || ri == NULL || inst[0] == '\0' || strcmp(ri, inst) == 0);
            bool reset = was_lost && same && reset_worker(s, w->mon, ip, port, err, sizeof err);
            json_decref(reply);
            pthread_mutex_lock(&s->mu);
            if (st == 200 && !same && !w->lost) {
                worker_lost(s, m, "restarted (its status names another process)");
            } else if (same) {
                w->last_seen = wall_s();
                if (w->lost && was_lost && reset) {
                    worker_up(s, m, NULL);
                    logf_(s, "machine %d (%s:%d) answers again: its old jobs stopped, it gets work again", m, ip,
                          port);
                }
            } else if (!w->lost && wall_s() - w->last_seen > s->worker_timeout) {
                char why[600];
                snprintf(why, sizeof why, "no answer for %.1f s (%s)", wall_s() - w->last_seen, err);
                worker_lost(s, m, why);
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* At a round's end, each machine with a job that did not report is asked at once whether it is there (the
 * monitor would notice only after --worker_timeout): one that does not answer is lost now, before its jobs'
 * leases are extended on it, so a machine that dies in a round costs its jobs that round and no more. Lock
 * held, released around the calls. */
static void probe_silent(serve *s) {
    bool *ask = calloc((size_t)s->n_workers, 1);
    if (ask == NULL)
        return;
    for (int i = 0; i < s->n_placed; i++) {
        live_job *l = &s->live[s->placed[i]];
        if (l->reports < l->n_proc)
            for (int k = 0; k < l->n_alloc; k++)
                ask[l->alloc[k].server] = true;
    }
    for (int m = 0; m < s->n_workers; m++) {
        serve_worker *w = &s->workers[m];
        if (!ask[m] || w->lost)
            continue;
        char ip[64], err[400];
        snprintf(ip, sizeof ip, "%s", w->ip);
        int port = w->port;
        pthread_mutex_unlock(&s->mu);
        int st = lh_client_get(w->conn, ip, port, "/v1/status", s->token, NULL, 1000, err, sizeof err);
        pthread_mutex_lock(&s->mu);
        if (st < 0 && !w->lost) {
            char why[600];
            snprintf(why, sizeof why, "jobs silent at the round end and no answer (%s)", err);
            worker_lost(s, m, why);
        }
    }
    free(ask);
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

/* The whole deployment run; fills run->res. 0, or -1 with err set. */
static int run_rounds(serve *s, serve_run *run, double first_round, char *err, size_t errlen) {
    outgoing *out = NULL;
    int n_out = 0, cap_out = 0, next_arrival = s->next_arrival, stuck_rounds = 0;
    double lost_since = -1;
    long rounds_before = s->rounds; /* a resumed run counts on */
    double T = first_round;
    sched_sim_result *r = &run->res;
    r->measured_expected = s->n_jobs;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        double t_begin = wall_s(); /* the scheduler's own time per round: deciding, then dispatching */
        /* 1. every lease of the last round ends: its reported steps are its progress */
        for (int i = 0; i < s->n_placed; i++) {
            int pos = s->placed[i];
            sched_job *j = &s->jobs[pos];
            live_job *l = &s->live[pos];
            long steps = l->steps < 0 ? 0 : l->steps;
            /* not reported in time (a loaded machine): what it reports later still counts */
            l->late_budget = l->reports < l->n_proc && l->alive > 0 ? l->budget - steps : 0;
            j->executed += steps;
            if (j->executed > j->total_iters)
                j->executed = j->total_iters;
            j->attained += s->round;
            j->last_exec = T;
            sched_release(&s->cluster, j);
            if (sched_queue_ran(&s->queue, pos, T) || (j->executed >= j->total_iters && record_finish(s, run, pos, T))) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                goto done;
            }
            /* a failed lease (not a lost machine's: that is no fault of the job's) is retried, up to a bound; so
             * is a job that never reports progress (it would hold the run forever) */
            l->idle_leases = steps > 0 || l->lease_lost ? 0 : l->idle_leases + 1;
            if (!j->finished && !l->lease_failed && l->idle_leases >= NO_PROGRESS_LEASES) {
                char why[96];
                snprintf(why, sizeof why, "no progress reported in %d leases in a row", NO_PROGRESS_LEASES);
                give_up(s, pos, T, why);
            } else if (!j->finished && l->lease_failed && !l->lease_lost && ++l->failures > s->max_retries)
                give_up(s, pos, T, NULL);
            else if (!j->finished && l->lease_failed && !l->lease_lost)
                logf_(s, "job %d: retry %d of %d from step %ld (%s)", j->id, l->failures, s->max_retries, j->executed,
                      l->reason);
        }
        /* a lost machine offers nothing until it is back */
        for (int m = 0; m < s->n_workers; m++) {
            sched_server *sv = &s->cluster.servers[m];
            for (int k = 0; k < R_N; k++)
                sv->used[k] = s->workers[m].lost ? sv->cap[k] : 0;
        }
        s->T = T;
        s->rounds = rounds_before + r->n_rounds;
        s->next_arrival = next_arrival;
        if (s->state_path[0] && serve_state_save(s, err, errlen))
            logf_(s, "%s (the run goes on; a restart would resume from the state before)", err);
        memcpy(s->prev_placed, s->placed, (size_t)s->n_placed * sizeof *s->placed);
        s->n_prev = s->n_placed;
        /* 2. arrivals up to now */
        while (next_arrival < s->n_jobs && s->jobs[next_arrival].arrival <= T) {
            if (sched_queue_add(&s->queue, s->jobs, next_arrival)) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                goto done;
            }
            r->jobs_simulated++;
            next_arrival++;
        }
        if (interrupted) {
            snprintf(err, errlen, "interrupted");
            rc = -1;
            goto done;
        }
        if (s->queue.n == 0 && next_arrival == s->n_jobs) {
            /* everything finished: the leases just ended answer stop */
            for (int i = 0; i < s->n_prev; i++) {
                live_job *l = &s->live[s->prev_placed[i]];
                l->ended = l->lease, l->action = ACT_STOP;
                free_ids(s, s->prev_placed[i]);
            }
            break;
        }
        /* jobs that no round can place on the empty cluster, with nothing left to arrive, would hold the run
         * forever: after two such rounds they are reported and the run ends */
        bool empty = sched_cluster_free_gpus(&s->cluster) == s->cluster.n_gpus;
        /* 3. the policy places the runnable jobs */
        sched_round_ctx ctx = {.cluster = &s->cluster, .jobs = s->jobs, .queue = &s->queue, .now = T,
                               .round = s->round, .spec = &s->spec, .placed = s->placed, .err = err,
                               .errlen = errlen};
        if (sched_round(&ctx)) {
            rc = -1;
            goto done;
        }
        s->n_placed = ctx.n_placed;
        r->failed_placements += ctx.n_failed;
        int n_lost = 0;
        for (int m = 0; m < s->n_workers; m++)
            n_lost += s->workers[m].lost;
        if (ctx.n_placed == 0 && n_lost > 0 && s->queue.n > 0) {
            /* the runnable jobs wait for lost machines: a round's wall time at a time (a registration wakes
             * it), at most lost_timeout in all */
            if (lost_since < 0)
                lost_since = wall_s();
            if (wall_s() - lost_since > s->lost_timeout) {
                snprintf(err, errlen, "%d job%s waited %.0f s for %d lost worker%s to come back (--lost_timeout)",
                         s->queue.n, s->queue.n == 1 ? "" : "s", s->lost_timeout, n_lost, n_lost == 1 ? "" : "s");
                rc = -1;
                goto done;
            }
            double until = wall_s() + s->round / s->scale;
            int before = s->n_registered;
            while (wall_s() < until && s->n_registered == before && !interrupted)
                timed_wait(s, until);
        } else {
            lost_since = -1;
        }
        if (ctx.n_placed == 0 && empty && next_arrival == s->n_jobs) {
            if (++stuck_rounds >= 2) {
                snprintf(err, errlen, "%d job%s can never be placed on this cluster (nothing ran on the empty "
                         "cluster for two rounds and no job is left to arrive)", s->queue.n, s->queue.n == 1 ? "" : "s");
                r->stop = SIM_STOP_STUCK;
                rc = -1;
                goto done;
            }
        } else {
            stuck_rounds = 0;
        }
        /* 4. extensions keep their processes; the others stop; new placements start */
        bool *now_placed = calloc((size_t)s->n_jobs, 1);
        for (int i = 0; i < s->n_placed; i++)
            now_placed[s->placed[i]] = true;
        for (int i = 0; i < s->n_prev; i++) {
            int pos = s->prev_placed[i];
            live_job *l = &s->live[pos];
            sched_job *j = &s->jobs[pos];
            l->ended = l->lease;
            if (now_placed[pos] && l->alive == l->n_proc && same_alloc(l, j)) {
                l->action = ACT_CONTINUE;
                l->next_lease = ++s->next_lease;
                l->next_budget = sched_job_round_iters(j, s->round);
                log_lease(s, T, pos, "extend", l->next_lease);
            } else {
                log_lease(s, T, pos, "stop", l->lease);
                l->old_alive = l->alive;
                l->old_run_lease = l->run_lease;
                l->alive = 0; /* its processes are the old ones now: their exits are counted there */
                l->action = ACT_STOP;
                bool reported = l->reports >= l->n_proc;
                for (int k = 0; k < l->n_alloc && l->alive > 0; k++)
                    if (!reported) /* it did not end its round: its worker stops it */
                        push(&out, &n_out, &cap_out, l->alloc[k].server, -1, "/v1/kill",
                             json_pack("{s:i,s:f}", "job", j->id, "grace_s", 2.0));
                free_ids(s, pos);
            }
        }
        for (int i = 0; i < s->n_placed; i++) {
            int pos = s->placed[i];
            live_job *l = &s->live[pos];
            sched_job *j = &s->jobs[pos];
            if (l->ended == l->lease && l->action == ACT_CONTINUE && l->lease != 0) {
                l->lease = l->next_lease;
                l->budget = l->next_budget;
            } else {
                if (take_ids(s, pos)) {
                    free(now_placed);
                    snprintf(err, errlen, "out of memory");
                    rc = -1;
                    goto done;
                }
                l->lease = ++s->next_lease;
                l->run_lease = l->lease;
                l->budget = sched_job_round_iters(j, s->round);
                log_lease(s, T, pos, "start", l->lease);
                l->n_proc = l->n_alloc;
                l->alive = l->n_alloc;
                for (int k = 0; k < l->n_alloc; k++)
                    push(&out, &n_out, &cap_out, l->alloc[k].server, pos, "/v1/run", run_body(s, pos, k));
            }
            l->reports = 0;
            l->steps = -1;
            l->lease_failed = l->lease_lost = false;
        }
        free(now_placed);
        sample(s, run, T);
        s->round_start = wall_s();
        double t_decided = wall_s();
        /* 5. dispatch without the lock: the stops first; a job started again waits (bounded) for its old
         * processes to be gone, so a worker never has two of one job */
        pthread_mutex_unlock(&s->mu);
        int n_kill = 0;
        for (int i = 0; i < n_out; i++)
            if (out[i].job < 0) {
                outgoing t = out[i];
                out[i] = out[n_kill];
                out[n_kill++] = t;
            }
        send_all(s, out, n_kill);
        double t_killed = wall_s();
        pthread_mutex_lock(&s->mu);
        double gone_by = wall_s() + 2.0 + s->grace_s;
        for (;;) {
            bool waiting = false;
            for (int i = n_kill; i < n_out && !waiting; i++)
                waiting = s->live[out[i].job].old_alive > 0;
            if (!waiting || wall_s() >= gone_by || interrupted)
                break;
            timed_wait(s, gone_by);
        }
        s->round_start = wall_s();
        pthread_mutex_unlock(&s->mu);
        double t_waited = wall_s();
        send_all(s, out + n_kill, n_out - n_kill);
        double t_sent = wall_s();
        pthread_mutex_lock(&s->mu);
        /* a worker that did not answer at all is lost (its jobs go back to the queue); a process a worker refused
         * to start runs nothing this round (its lease does not wait for it) and counts as a failed lease */
        for (int i = 0; i < n_out; i++)
            if (out[i].no_reply && !s->workers[out[i].machine].lost)
                worker_lost(s, out[i].machine, out[i].why);
        for (int i = 0; i < n_out; i++) {
            if (out[i].job < 0 || !out[i].failed)
                continue;
            live_job *l = &s->live[out[i].job];
            if (l->alive > 0)
                l->alive--;
            if (!out[i].no_reply && !l->lease_failed) {
                l->lease_failed = true;
                snprintf(l->reason, sizeof l->reason, "could not be started: %s", out[i].why);
            }
            if (l->reports < l->n_proc)
                l->reports = l->n_proc;
            if (l->steps < 0)
                l->steps = 0;
        }
        int n_requests = n_out;
        n_out = 0;
        /* 6. the round runs until every placed job reported, or its time plus the grace */
        double deadline = s->round_start + s->round / s->scale + s->grace_s;
        for (;;) {
            bool all = true;
            for (int i = 0; i < s->n_placed && all; i++) {
                live_job *l = &s->live[s->placed[i]];
                all = l->reports >= l->n_proc;
            }
            if (all || wall_s() >= deadline || interrupted)
                break;
            timed_wait(s, deadline);
        }
        probe_silent(s);
        if (r->n_rounds % 20 == 0 && s->log)
            logf_(s, "round %ld at %.0f s: %d running, %d runnable, %ld finished of %d", r->n_rounds, T, s->n_placed,
                  s->queue.n, r->jobs_finished, s->n_jobs);
        if (s->timing)
            fprintf(s->timing, "%ld,%.0f,%d,%d,%.3f,%.3f,%.3f,%.3f\n", rounds_before + r->n_rounds, T, s->n_placed,
                    n_requests, (t_decided - t_begin) * 1e3, (t_waited - t_killed) * 1e3,
                    (t_killed - t_decided + t_sent - t_waited) * 1e3, t_begin - s->started_wall);
        T += s->round;
    }
done:
    r->end_time = T;
    r->unfinished = s->n_jobs - r->jobs_finished;
    /* the last jobs learn "stop" at their next round_end; give them a moment to exit on their own */
    double until = wall_s() + fmin(2.0, 2 * s->round / s->scale);
    for (;;) {
        int alive = 0;
        for (int i = 0; i < s->n_jobs; i++)
            alive += s->live[i].alive;
        if (alive == 0 || wall_s() >= until)
            break;
        timed_wait(s, until);
    }
    pthread_mutex_unlock(&s->mu);
    free(out);
    return rc;
}

/* ---- options ---- */

typedef struct serve_opts {
    const char *config, *conn, *token, *policy, *replay, *philly, *split, *listen, *out, *job_command, *rec_trace;
    const char *state_dir;
    long num_jobs, seed, max_retries;
    double round, scale, jobs_per_hour, register_timeout, worker_timeout, lost_timeout;
    bool is_static, single_gpu, philly_arrival, no_exp, multigpu, prioritize, record, plot, quiet, help;
} serve_opts;

typedef enum { SO_FLAG, SO_STR, SO_LONG, SO_POS } so_kind;
static const struct sopt {
    const char *name;
    so_kind kind;
    size_t off;
    const char *arg, *help;
} sopts[] = {
    {"--config_file", SO_STR, offsetof(serve_opts, config), "INI", "the cluster (required): one server per worker"},
    {"--conn_file", SO_STR, offsetof(serve_opts, conn), "FILE",
     "the workers (required): IP,port,start_gpu_id,start_cpu_id,numa_aware a line, line k = server k"},
    {"--token_file", SO_STR, offsetof(serve_opts, token), "FILE",
     "shared token (required): its first line is required on every request, of workers and jobs"},
    {"--policy", SO_STR, offsetof(serve_opts, policy), "NAME", "scheduler NAME[+place][+fair|+tune|+opt] (FIFO+fair)"},
    {"--replay_trace", SO_STR, offsetof(serve_opts, replay), "FILE",
     "replay a trace: job_id,model_name,arrival_s,total_iterations,gpu_demand per line"},
    {"--static", SO_FLAG, offsetof(serve_opts, is_static), NULL,
     "static workload (job i at i*0.001 s, first round at t=1; with --num-jobs-default) or replay with t=1"},
    {"--num-jobs-default", SO_LONG, offsetof(serve_opts, num_jobs), "N", "synthetic jobs to generate"},
    {"--jobs_per_hour", SO_POS, offsetof(serve_opts, jobs_per_hour), "X", "Poisson arrival rate (default 9)"},
    {"--single_gpu", SO_FLAG, offsetof(serve_opts, single_gpu), NULL, "synthetic jobs all take 1 GPU"},
    {"--class_split", SO_STR, offsetof(serve_opts, split), "I,L,S",
     "percent of image, language and speech jobs (default 20,70,10)"},
    {"--cluster_job_log", SO_STR, offsetof(serve_opts, philly), "FILE",
     "Philly cluster_job_log JSON trace (with --philly_arrival or --num-jobs-default N)"},
    {"--philly_arrival", SO_FLAG, offsetof(serve_opts, philly_arrival), NULL,
     "Philly: the trace's real arrivals (every kept job runs)"},
    {"--no_exp", SO_FLAG, offsetof(serve_opts, no_exp), NULL, "Philly: keep trace durations (no synthetic mode)"},
    {"--multigpu", SO_FLAG, offsetof(serve_opts, multigpu), NULL,
     "Philly: keep multi-GPU demands in {1,2,4,8,16} (default: every job 1 GPU)"},
    {"--prioritize", SO_FLAG, offsetof(serve_opts, prioritize), NULL, "Philly: jobs 4000-4999 start with priority 1"},
    {"--record_trace", SO_FLAG, offsetof(serve_opts, record), NULL,
     "write the workload's jobs to <rec_trace><load>_<mechanism> in replay format (as simulate)"},
    {"--rec_trace", SO_STR, offsetof(serve_opts, rec_trace), "PREFIX", "record file prefix (default ./record)"},
    {"--seed", SO_LONG, offsetof(serve_opts, seed), "N", "random seed of synthetic workloads (42)"},
    {"--round_duration", SO_POS, offsetof(serve_opts, round), "S", "round (lease) length in seconds (300)"},
    {"--time_scale", SO_POS, offsetof(serve_opts, scale), "K",
     "run rounds of R/K wall-clock seconds; jobs are told K (default 1)"},
    {"--listen", SO_STR, offsetof(serve_opts, listen), "ADDR:PORT", "where to listen (default 127.0.0.1:14040)"},
    {"--register_timeout", SO_POS, offsetof(serve_opts, register_timeout), "S",
     "seconds to wait for every listed worker to register (default 120)"},
    {"--max_retries", SO_LONG, offsetof(serve_opts, max_retries), "N",
     "a job whose process fails (exit code != 0, a signal) is started again N times, then failed (2)"},
    {"--worker_timeout", SO_POS, offsetof(serve_opts, worker_timeout), "S",
     "a worker that does not answer for S s is lost; its jobs go to the others (10)"},
    {"--lost_timeout", SO_POS, offsetof(serve_opts, lost_timeout), "S",
     "jobs that only lost workers could run wait S s for them, then the run ends (600)"},
    {"--state_dir", SO_STR, offsetof(serve_opts, state_dir), "DIR",
     "keep the state in DIR/state.json (every round); started again with it, serve resumes"},
    {"--job_command", SO_STR, offsetof(serve_opts, job_command), "'PROGRAM ARGS'",
     "what every job runs, a command line split into words as a shell splits them, quotes kept, nothing "
     "expanded (default: locus-sched-dummy-job next to locus)"},
    {"--out", SO_STR, offsetof(serve_opts, out), "DIR", "output directory, as simulate's (default ./sched-serve-out)"},
    {"--plot", SO_FLAG, offsetof(serve_opts, plot), NULL, "draw PNG plots with gnuplot"},
    {"--quiet", SO_FLAG, offsetof(serve_opts, quiet), NULL, "no progress lines on stderr"},
    {"--help", SO_FLAG, offsetof(serve_opts, help), NULL, "this text"},
};

static void serve_usage(FILE *f) {
    fprintf(f, "usage: locus sched serve --config_file INI --conn_file FILE --token_file FILE [options]\n\n"
               "Runs the scheduler on real machines: waits for every worker of the conn file to register, then\n"
               "runs rounds (the policy core of `simulate`) in real time, starting and stopping the jobs on the\n"
               "workers, and writes the same outputs as `simulate` (per-job CSV, summary, series) to --out.\n"
               "Protocol: docs/sched-serve.md. Options (--name VALUE or --name=VALUE):\n\n");
    for (size_t i = 0; i < sizeof sopts / sizeof sopts[0]; i++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "%s%s%s", sopts[i].name, sopts[i].arg ? " " : "", sopts[i].arg ? sopts[i].arg : "");
        fprintf(f, "  %-28s %s\n", lhs, sopts[i].help);
    }
    fprintf(f, "\nExit status: 0 when every job finished, 1 when the run could not (a worker missing, a job that\n"
               "never fits, an interrupt) or an input is bad, 2 for a usage error.\n");
}

static int serve_parse(serve_opts *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const struct sopt *op = NULL;
        for (size_t k = 0; k < sizeof sopts / sizeof sopts[0] && !op; k++)
            if (strlen(sopts[k].name) == len && strncmp(a, sopts[k].name, len) == 0)
                op = &sopts[k];
        if (!op) {
            fprintf(stderr, "locus sched serve: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        void *field = (char *)o + op->off;
        if (op->kind == SO_FLAG) {
            if (eq) {
                fprintf(stderr, "locus sched serve: %s takes no value\n", op->name);
                return -1;
            }
            *(bool *)field = true;
            continue;
        }
        const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val) {
            fprintf(stderr, "locus sched serve: %s needs a value (%s)\n", op->name, op->arg);
            return -1;
        }
        char *end;
        errno = 0;
        if (op->kind == SO_STR) {
            *(const char **)field = val;
        } else if (op->kind == SO_LONG) {
            long v = strtol(val, &end, 10);
            if (errno || end == val || *end || v < 0) {
                fprintf(stderr, "locus sched serve: %s: '%s' is not a non-negative integer\n", op->name, val);
                return -1;
            }
            *(long *)field = v;
        } else {
            double v = strtod(val, &end);
            if (errno || end == val || *end || !(v > 0) || !isfinite(v)) {
                fprintf(stderr, "locus sched serve: %s: '%s' is not a positive number\n", op->name, val);
                return -1;
            }
            *(double *)field = v;
        }
    }
    return 0;
}

static int cmp_id(const void *a, const void *b, void *jobs) {
    const sched_job *j = jobs;
    int x = j[*(const int *)a].id, y = j[*(const int *)b].id;
    return (x > y) - (x < y);
}

/* The jobs of the workload, all known in advance (a replay, or a finite synthetic workload). */
static int load_jobs(serve *s, const serve_opts *o, sched_trace *trace, bool *static_start, char *err,
                     size_t errlen) {
    sched_rng rng;
    sched_rng_seed(&rng, (uint64_t)o->seed);
    sched_workload wl = {.rng = &rng, .cluster = &s->cluster, .ratio = sched_profile_ratio(s->cluster.fair[R_CPU]),
                         .jobs_per_hour = o->jobs_per_hour, .limit = o->num_jobs, .single_gpu = o->single_gpu,
                         .philly_arrival = o->philly_arrival, .prioritize = o->prioritize, .split = {20, 70, 10}};
    if (o->split != NULL && sched_parse_class_split(o->split, wl.split)) {
        snprintf(err, errlen, "--class_split '%s': expected three percentages adding to 100", o->split);
        return -1;
    }
    if ((o->philly_arrival || o->no_exp || o->multigpu || o->prioritize) && o->philly == NULL) {
        snprintf(err, errlen, "--philly_arrival, --no_exp, --multigpu and --prioritize apply to a Philly trace "
                              "(--cluster_job_log FILE)");
        return -1;
    }
    if (o->record && o->replay != NULL) {
        snprintf(err, errlen, "--record_trace records generated jobs; a replay has none (its trace is the record)");
        return -1;
    }
    if (o->replay != NULL && o->philly != NULL) {
        snprintf(err, errlen, "--replay_trace and --cluster_job_log exclude each other");
        return -1;
    }
    int n_gpus = s->cluster.n_gpus;
    double *philly_dur = NULL;
    if (o->replay) {
        if (sched_trace_load(trace, o->replay, n_gpus, err, errlen))
            return -1;
        wl.kind = WL_REPLAY;
        wl.trace = trace;
    } else if (o->philly) {
        if (!o->philly_arrival && o->num_jobs == 0) {
            snprintf(err, errlen, "a Philly trace without --philly_arrival has Poisson arrivals without end: give "
                                  "--philly_arrival or --num-jobs-default N (a deployment runs a finite workload)");
            return -1;
        }
        bool reordered;
        if (sched_philly_prepare(trace, o->philly, o->multigpu, !o->no_exp, o->philly_arrival, n_gpus, &reordered,
                                 err, errlen))
            return -1;
        if (reordered && !o->quiet)
            fprintf(stderr, "locus sched serve: note: %s is not in arrival order; its jobs arrive in time order\n",
                    o->philly);
        wl.kind = WL_PHILLY;
        wl.trace = trace;
        if (trace->exponential) { /* drawn first from the run's generator, as simulate does */
            philly_dur = sched_philly_draw_durations(trace, &rng);
            if (philly_dur == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            wl.philly_dur = philly_dur;
        }
    } else if (o->num_jobs > 0) {
        wl.kind = o->is_static ? WL_STATIC : WL_POISSON;
    } else {
        snprintf(err, errlen, "no workload: give --replay_trace FILE or --num-jobs-default N (a deployment runs a "
                              "finite workload)");
        return -1;
    }
    *static_start = o->is_static;
    int cap = 64;
    s->jobs = malloc((size_t)cap * sizeof *s->jobs);
    double last = 0;
    for (;;) {
        if (s->n_jobs == cap) {
            cap *= 2;
            s->jobs = realloc(s->jobs, (size_t)cap * sizeof *s->jobs);
        }
        int rc = sched_workload_next(&wl, last, &s->jobs[s->n_jobs], err, errlen);
        if (rc < 0) {
            free(philly_dur);
            return -1;
        }
        if (rc == 0)
            break;
        last = s->jobs[s->n_jobs].arrival;
        s->n_jobs++;
    }
    free(philly_dur);
    if (s->n_jobs == 0) {
        snprintf(err, errlen, "the workload has no job");
        return -1;
    }
    if (o->record) { /* every job is known now: the record is whole before the first round */
        char path[4200];
        bool has_load = wl.kind == WL_POISSON || (wl.kind == WL_PHILLY && !o->philly_arrival);
        sched_record_path(path, sizeof path, o->rec_trace, has_load ? o->jobs_per_hour : 9.0, s->spec.name);
        FILE *f = fopen(path, "w");
        if (f == NULL) {
            snprintf(err, errlen, "%.900s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        for (int i = 0; i < s->n_jobs; i++)
            sched_record_job(f, &s->jobs[i]);
        if (fclose(f) != 0) {
            snprintf(err, errlen, "%.900s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        if (!o->quiet)
            fprintf(stderr, "locus sched serve: recorded %d jobs to %s\n", s->n_jobs, path);
    }
    s->live = calloc((size_t)s->n_jobs, sizeof *s->live);
    s->by_id = malloc((size_t)s->n_jobs * sizeof *s->by_id);
    for (int i = 0; i < s->n_jobs; i++)
        s->by_id[i] = i;
    qsort_r(s->by_id, (size_t)s->n_jobs, sizeof *s->by_id, cmp_id, s->jobs);
    for (int i = 1; i < s->n_jobs; i++)
        if (s->jobs[s->by_id[i]].id == s->jobs[s->by_id[i - 1]].id) {
            snprintf(err, errlen, "the workload has two jobs with id %d", s->jobs[s->by_id[i]].id);
            return -1;
        }
    s->placed = malloc((size_t)s->n_jobs * sizeof *s->placed);
    s->prev_placed = malloc((size_t)s->n_jobs * sizeof *s->prev_placed);
    for (int i = 0; i < s->n_jobs; i++)
        s->live[i].exit_code = s->live[i].exit_signal = -1, s->live[i].steps = -1, s->live[i].ended = -1;
    return 0;
}

/* OUT/<policy>/<name>: the header, then the rows gathered in memory. 0, or -1 with the path in path. */
static int write_rows(serve *s, const char *out, const char *name, const char *header, FILE *mem, char **buf,
                      size_t *len, char *path, size_t pathlen) {
    snprintf(path, pathlen, "%s/%s/%s", out, s->spec.name, name);
    fflush(mem);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    bool ok = fprintf(f, "%s\n", header) >= 0 && fwrite(*buf, 1, *len, f) == *len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* OUT/<policy>/failed_all.csv: the jobs given up, with the reason of their last failure. */
static int write_failed(serve *s, const char *out, char *path, size_t pathlen) {
    snprintf(path, pathlen, "%s/%s/failed_all.csv", out, s->spec.name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "id,model,gpus,arrival_s,failed_s,executed,total,failures,reason\n");
    for (int i = 0; i < s->n_jobs; i++) {
        const sched_job *j = &s->jobs[i];
        const live_job *l = &s->live[i];
        if (!l->failed)
            continue;
        fprintf(f, "%d,%s,%d,%.3f,%.3f,%ld,%ld,%d,\"", j->id, j->prof->name, j->gpu_demand, j->arrival,
                l->failed_at, j->executed, j->total_iters, l->failures);
        for (const char *c = l->reason; *c; c++) /* a CSV field in quotes: its quotes doubled */
            fputs(*c == '"' ? "\"\"" : *c == '\n' ? " " : (char[]){*c, 0}, f);
        fprintf(f, "\"\n");
    }
    return fclose(f);
}

/* A resumed scheduler takes over the workers of the one before, which are still running and registered with
 * it: each listed worker not registered yet that answers GET /v1/status is reset (its old jobs stopped; the
 * state has their progress up to the last round end) and counts as registered. Called with the lock held,
 * released around the calls. */
static void adopt_workers(serve *s) {
    for (int m = 0; m < s->n_workers; m++) {
        serve_worker *w = &s->workers[m];
        if (w->registered)
            continue;
        char ip[64], err[400];
        snprintf(ip, sizeof ip, "%s", w->ip);
        int port = w->port;
        pthread_mutex_unlock(&s->mu);
        json_t *reply = NULL;
        int st = lh_client_get(w->conn, ip, port, "/v1/status", s->token, &reply, 1000, err, sizeof err);
        bool reset = st == 200 && reset_worker(s, w->conn, ip, port, err, sizeof err);
        const char *inst = json_string_value(json_object_get(reply, "instance"));
        pthread_mutex_lock(&s->mu);
        if (reset && !w->registered) {
            worker_up(s, m, inst != NULL ? inst : "");
            logf_(s, "worker %s:%d (machine %d) taken over from the scheduler before, its jobs stopped (%d of %d)",
                  ip, port, m, s->n_registered, s->n_workers);
        }
        json_decref(reply);
    }
}

static void default_job_command(char *buf, size_t len) {
    char self[2048];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, len, "%s/locus-sched-dummy-job", n > 0 ? self : ".");
}

/* The command every job runs, into s->job_argv: --job_command split into words, or the dummy job. A program
 * named by an absolute path must be executable here; a relative path is the worker's to resolve (from the
 * job's folder); a bare name is looked up in this PATH, and only warned about when it is not there (the
 * workers look it up in theirs). 0, or -1 with the reason on stderr. */
static int job_command(serve *s, const char *line) {
    char err[256];
    if (line == NULL) {
        char dummy[4096];
        default_job_command(dummy, sizeof dummy);
        s->job_argv = calloc(2, sizeof *s->job_argv);
        s->job_argv[0] = strdup(dummy);
        s->job_argc = 1;
    } else if (wk_split_command(line, &s->job_argv, &s->job_argc, err, sizeof err) != 0) {
        fprintf(stderr, "locus sched serve: --job_command '%s': %s\n", line, err);
        return -1;
    }
    const char *prog = s->job_argv[0];
    if (prog[0] == '/') {
        if (access(prog, X_OK) != 0) {
            fprintf(stderr, "locus sched serve: the job command %s is not an executable: %s\n", prog,
                    strerror(errno));
            return -1;
        }
    } else if (strchr(prog, '/') == NULL) { /* a relative path is the worker's, from the job's folder */
        extern char **environ;
        char full[4096];
        if (wk_resolve_prog(prog, ".", environ, full, sizeof full, err, sizeof err) != 0 && s->log)
            fprintf(s->log, "locus sched serve: the job program %s is not in this PATH; the workers look it up in "
                            "theirs\n", prog);
    }
    return 0;
}

int sched_serve_main(int argc, char **argv) {
    serve_opts o = {.rec_trace = "./record", .policy = "FIFO+fair", .listen = "127.0.0.1:14040",
                    .out = "./sched-serve-out", .seed = 42, .round = 300, .scale = 1, .jobs_per_hour = 9, .register_timeout = 120,
                    .max_retries = 2, .worker_timeout = 10, .lost_timeout = 600};
    if (serve_parse(&o, argc, argv))
        return 2;
    if (o.help) {
        serve_usage(stdout);
        return 0;
    }
    if (!o.config || !o.conn || !o.token) {
        fprintf(stderr, "locus sched serve: --config_file, --conn_file and --token_file are required (see --help)\n");
        return 2;
    }
    static serve s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&s.cv, &ca);
    s.round = o.round, s.scale = o.scale;
    s.max_retries = (int)(o.max_retries > 1000 ? 1000 : o.max_retries);
    s.worker_timeout = o.worker_timeout, s.lost_timeout = o.lost_timeout;
    s.started_wall = wall_s();
    s.grace_s = fmin(fmax(o.round / o.scale, 0.5), 30.0);
    s.log = o.quiet ? NULL : stderr;
    char err[1024];
    int status = 1;
    sched_trace trace = {0};
    serve_run run = {0};
    if (sched_spec_parse(&s.spec, o.policy, err, sizeof err)) {
        fprintf(stderr, "locus sched serve: --policy: %s\n", err);
        return 2;
    }
    if (lh_parse_addr(o.listen, s.listen_host, sizeof s.listen_host, &s.listen_port, err, sizeof err)) {
        fprintf(stderr, "locus sched serve: --listen: %s\n", err);
        return 2;
    }
    if (sched_cluster_cfg_load(&s.ccfg, o.config, err, sizeof err) ||
        sched_cluster_init(&s.cluster, &s.ccfg, err, sizeof err) || load_conn_file(&s, o.conn, err, sizeof err) ||
        lh_read_token(o.token, s.token, sizeof s.token, err, sizeof err)) {
        fprintf(stderr, "locus sched serve: %s\n", err);
        goto out;
    }
    snprintf(s.token_path, sizeof s.token_path, "%s", o.token);
    bool static_start = false;
    if (load_jobs(&s, &o, &trace, &static_start, err, sizeof err)) {
        fprintf(stderr, "locus sched serve: %s\n", err);
        goto out;
    }
    if (job_command(&s, o.job_command) != 0)
        goto out;
    sched_queue_init(&s.queue, &s.spec, 0, 0);
    if (o.state_dir != NULL) {
        if (mkdir(o.state_dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "locus sched serve: --state_dir %s: %s\n", o.state_dir, strerror(errno));
            goto out;
        }
        snprintf(s.state_path, sizeof s.state_path, "%s/state.json", o.state_dir);
        if (access(s.state_path, F_OK) == 0) {
            if (serve_state_load(&s, &run, err, sizeof err)) {
                fprintf(stderr, "locus sched serve: %s\n", err);
                goto out;
            }
            if (run.res.jobs_finished + s.n_failed == s.n_jobs) {
                /* a run that had ended: its outputs stand; running no round would overwrite them with empty ones */
                fprintf(stderr, "locus sched serve: %s: every job of this workload has ended already (%ld finished, "
                        "%ld failed); nothing to resume, the outputs of the run that ended them stay as they are "
                        "(another --state_dir runs the workload again)\n", s.state_path, run.res.jobs_finished,
                        s.n_failed);
                status = s.n_failed == 0 ? 0 : 1;
                goto out;
            }
            logf_(&s, "resuming from %s: round %ld at %.0f s, %ld of %d jobs finished, %ld failed", s.state_path,
                  s.rounds, s.T, run.res.jobs_finished, s.n_jobs, s.n_failed);
        }
    }
    s.leases = open_memstream(&s.leases_buf, &s.leases_len);
    s.timing = open_memstream(&s.timing_buf, &s.timing_len);
    s.http = lh_server_start(s.listen_host, s.listen_port, s.token, 8, on_http, &s, err, sizeof err);
    if (!s.http) {
        fprintf(stderr, "locus sched serve: %s\n", err);
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    logf_(&s, "listening on %s:%d; waiting for %d workers (%s)", s.listen_host, lh_server_port(s.http), s.n_workers,
          o.conn);
    /* every listed worker registers, or the run does not start */
    pthread_mutex_lock(&s.mu);
    double until = wall_s() + o.register_timeout;
    while (s.n_registered < s.n_workers && wall_s() < until && !interrupted) {
        if (s.resumed)
            adopt_workers(&s); /* the workers of the scheduler before are still there: take them over */
        double step = s.resumed ? fmin(until, wall_s() + 0.5) : until;
        timed_wait(&s, step);
    }
    bool all = s.n_registered == s.n_workers;
    pthread_mutex_unlock(&s.mu);
    if (!all) {
        fprintf(stderr, "locus sched serve: %d of %d workers registered within %g s; missing:", s.n_registered,
                s.n_workers, o.register_timeout);
        for (int i = 0; i < s.n_workers; i++)
            if (!s.workers[i].registered)
                fprintf(stderr, " %s:%d (line %d)", s.workers[i].ip, s.workers[i].port, i + 1);
        fprintf(stderr, "\n");
        goto stop;
    }
    double first = static_start ? 1 : ceil(s.jobs[0].arrival / s.round) * s.round;
    if (!o.replay && !o.is_static)
        first = 0;
    if (s.resumed)
        first = s.T; /* the round the scheduler before was in: run again from its start */
    double t0 = wall_s();
    for (int i = 0; i < s.n_workers; i++)
        s.workers[i].mon = lh_client_new(), s.workers[i].last_seen = wall_s();
    s.monitor_on = pthread_create(&s.monitor, NULL, monitor_main, &s) == 0;
    if (!s.monitor_on)
        logf_(&s, "no monitor thread (%s): lost workers are noticed only when a request to them fails",
              strerror(errno));
    int rc = run_rounds(&s, &run, first, err, sizeof err);
    pthread_mutex_lock(&s.mu);
    s.stopping = true;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    if (s.monitor_on)
        pthread_join(s.monitor, NULL);
    if (rc) {
        fprintf(stderr, "locus sched serve: %s\n", err);
    } else {
        sched_run_stats st = {0};
        snprintf(st.policy, sizeof st.policy, "%s", s.spec.name);
        snprintf(st.load, sizeof st.load, "all");
        st.load_value = NAN;
        sched_run_stats_compute(&st, &run.res);
        if (sched_report_run(o.out, &st, &run.res, NULL, err, sizeof err) ||
            sched_report_summary(o.out, &st, 1, stdout, NULL, err, sizeof err) ||
            (o.plot && sched_report_plots(o.out, o.out, &st, 1, NULL, err, sizeof err))) {
            fprintf(stderr, "locus sched serve: %s\n", err);
        } else {
            char path[4200];
            if (write_failed(&s, o.out, path, sizeof path) ||
                write_rows(&s, o.out, "leases_all.csv", "time_s,job,lease,event,machine,gpus,cpus,mem_gb,steps",
                           s.leases, &s.leases_buf, &s.leases_len, path, sizeof path) ||
                write_rows(&s, o.out, "serve_rounds_all.csv",
                           "round,time_s,running,requests,decide_ms,wait_exits_ms,dispatch_ms,wall_s", s.timing,
                           &s.timing_buf, &s.timing_len, path, sizeof path)) {
                fprintf(stderr, "locus sched serve: %s: cannot write: %s\n", path, strerror(errno));
            } else {
                logf_(&s, "%ld jobs finished in %ld rounds, %.1f s of wall time; results in %s", run.res.jobs_finished,
                      run.res.n_rounds, wall_s() - t0, o.out);
                status = run.res.unfinished == 0 ? 0 : 1;
                if (s.n_failed > 0) {
                    fprintf(stderr, "locus sched serve: %ld job%s failed (their reasons in %s/%s/failed_all.csv):",
                            s.n_failed, s.n_failed == 1 ? "" : "s", o.out, s.spec.name);
                    for (int i = 0; i < s.n_jobs; i++)
                        if (s.live[i].failed)
                            fprintf(stderr, " %d", s.jobs[i].id);
                    fprintf(stderr, "\n");
                }
            }
        }
    }
stop:
    /* the workers stop their jobs and leave */
    for (int i = 0; i < s.n_workers; i++)
        if (s.workers[i].registered) {
            char e2[256];
            json_t *b = json_object();
            lh_post(s.workers[i].ip, s.workers[i].port, "/v1/shutdown", s.token, b, NULL, 2000, e2, sizeof e2);
            json_decref(b);
        }
    lh_server_stop(s.http);
out:
    sched_queue_free(&s.queue);
    for (int i = 0; s.live && i < s.n_jobs; i++)
        free_ids(&s, i);
    for (int i = 0; s.workers && i < s.n_workers; i++)
        free(s.workers[i].gpu_owner), free(s.workers[i].cpu_owner), lh_client_free(s.workers[i].conn),
            lh_client_free(s.workers[i].mon);
    free(s.workers);
    sched_cluster_free(&s.cluster);
    free(s.jobs), free(s.live), free(s.placed), free(s.prev_placed), free(s.by_id);
    sched_sim_result_free(&run.res);
    sched_trace_free(&trace);
    wk_argv_free(s.job_argv);
    if (s.leases)
        fclose(s.leases);
    free(s.leases_buf);
    if (s.timing)
        fclose(s.timing);
    free(s.timing_buf);
    return status;
}
