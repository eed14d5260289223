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
#include <time.h>
#include <unistd.h>

#include "../conf/cluster_ini.h"
#include "../sim/simulate_cmd.h"
#include "../sim/workload.h"
#include "http.h"

enum { ACT_NONE, ACT_CONTINUE, ACT_STOP };

#define SEND_THREADS 8        /* most threads sending one round's requests to the workers */
#define SEND_MIN_PER_THREAD 4 /* fewer requests than this per thread go out from the main thread alone */

typedef struct serve_worker {
    char ip[64];
    int port, start_gpu, start_cpu;
    bool numa, registered;
    int *gpu_owner, *cpu_owner; /* per local GPU / CPU: the job position holding it, -1 free */
    lh_client *conn;            /* the connection the dispatch keeps open to it (one sender at a time) */
} serve_worker;

/* A job's life on the machines, next to its sched_job. */
typedef struct live_job {
    int lease;                  /* current lease id; 0 when not placed */
    long budget;                /* steps the current lease should run (sched_job_round_iters) */
    int n_proc, reports;        /* processes of the current lease; round_end reports received from them */
    long steps;                 /* fewest steps any of them reported (-1: none yet) */
    int alive;                  /* processes started and not yet reported gone by their worker */
    int n_alloc;                /* the allocation the processes run with (to tell an extension) */
    sched_alloc alloc[SCHED_MAX_SPAN];
    int *gpus[SCHED_MAX_SPAN], *cpus[SCHED_MAX_SPAN]; /* local ids per machine of alloc[] */
    int n_gpus[SCHED_MAX_SPAN], n_cpus[SCHED_MAX_SPAN];
    /* the answer to round_end of lease `ended`: continue with `next_lease`/`next_budget`, or stop */
    int ended, action, next_lease;
    long next_budget;
    int exit_code, exit_signal; /* the last exit a worker reported (-1 none) */
    int refused;                /* /v1/run refusals in a row */
    int old_alive;              /* processes of the lease that ended (`ended`) not yet reported gone */
    long late_budget;           /* > 0: the ended lease closed before its report came; the report, when it
                                   comes, is still credited up to this many steps */
} live_job;

typedef struct serve {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* configuration */
    sched_cluster_cfg ccfg;
    sched_spec spec;
    double round, scale, grace_s;
    char token[LH_TOKEN_MAX];
    char listen_host[64], sched_addr[96], token_path[4096];
    int listen_port;
    char **job_argv;            /* the command every job runs (the dummy job by default) */
    int job_argc;
    /* state */
    sched_cluster cluster;
    sched_queue queue;
    sched_job *jobs;
    live_job *live;
    int n_jobs;
    int *by_id;                 /* job positions in id order (job_pos) */
    int *placed, n_placed, *prev_placed, n_prev;
    serve_worker *workers;
    int n_workers, n_registered;
    int next_lease;
    double round_start;         /* monotonic wall seconds when the current round began */
    bool stopping;
    lh_server *http;
    FILE *log;
    FILE *leases;               /* leases_all.csv rows, in memory until the output folder exists */
    char *leases_buf;
    size_t leases_len;
    FILE *timing;               /* serve_rounds_all.csv rows, likewise */
    char *timing_buf;
    size_t timing_len;
} serve;

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void logf_(serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(serve *s, const char *fmt, ...) {
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
        if (w->registered)
            return lh_error(reply, 409, "worker %s:%lld (machine %d) is already registered", ip, port, i);
        if (gpus < s->ccfg.gpus_per_server)
            return lh_error(reply, 400, "worker %s:%lld offers %lld GPUs; the config's servers have %d", ip, port,
                            gpus, s->ccfg.gpus_per_server);
        w->registered = true;
        s->n_registered++;
        pthread_cond_broadcast(&s->cv);
        logf_(s, "worker %s:%lld registered as machine %d (%d of %d)", ip, port, i, s->n_registered, s->n_workers);
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
    l->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
    l->exit_signal = json_is_integer(sig) ? (int)json_integer_value(sig) : -1;
    if (lease == l->lease && l->alive > 0)
        l->alive--;
    else if (lease == l->ended && l->old_alive > 0 && --l->old_alive == 0)
        pthread_cond_broadcast(&s->cv);
    if (lease == l->lease && l->reports < l->n_proc) {
        /* gone before it reported this round: the round does not wait for it */
        logf_(s, "job %lld lease %lld on machine %lld ended (%s %d) before reporting its round", job, lease, machine,
              l->exit_signal >= 0 ? "signal" : "exit code", l->exit_signal >= 0 ? l->exit_signal : l->exit_code);
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
    bool failed;
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
    return json_pack("{s:i,s:i,s:o,s:s,s:o,s:o,s:o,s:f}", "job", j->id, "lease", l->lease, "argv", argv, "dir", dir,
                     "env", env, "gpus", gpus, "cpus", cpus, "mem_gb", l->alloc[part].res[R_MEM]);
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
    (*out)[*n].failed = false;
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

typedef struct serve_run {
    sched_sim_result res;
    long cap_jobs, cap_rounds;
} serve_run;

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

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

/* The whole deployment run; fills run->res. 0, or -1 with err set. */
static int run_rounds(serve *s, serve_run *run, double first_round, char *err, size_t errlen) {
    outgoing *out = NULL;
    int n_out = 0, cap_out = 0, next_arrival = 0, stuck_rounds = 0;
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
        }
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
                l->budget = sched_job_round_iters(j, s->round);
                log_lease(s, T, pos, "start", l->lease);
                l->n_proc = l->n_alloc;
                l->alive = l->n_alloc;
                for (int k = 0; k < l->n_alloc; k++)
                    push(&out, &n_out, &cap_out, l->alloc[k].server, pos, "/v1/run", run_body(s, pos, k));
            }
            l->reports = 0;
            l->steps = -1;
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
        /* a process that could not be started runs nothing this round (its lease does not wait for it); a job
         * refused three rounds in a row ends the run, with the worker's reason */
        for (int i = 0; i < n_out; i++) {
            if (out[i].job < 0)
                continue;
            live_job *l = &s->live[out[i].job];
            if (!out[i].failed) {
                l->refused = 0;
                continue;
            }
            if (l->alive > 0)
                l->alive--;
            l->reports = l->n_proc;
            l->steps = 0;
            if (++l->refused >= 3 * l->n_proc) {
                snprintf(err, errlen, "job %d could not be started three times: %s", s->jobs[out[i].job].id,
                         out[i].why);
                n_out = 0;
                rc = -1;
                goto done;
            }
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
        if (r->n_rounds % 20 == 0 && s->log)
            logf_(s, "round %ld at %.0f s: %d running, %d runnable, %ld finished of %d", r->n_rounds, T, s->n_placed,
                  s->queue.n, r->jobs_finished, s->n_jobs);
        if (s->timing)
            fprintf(s->timing, "%ld,%.0f,%d,%d,%.3f,%.3f,%.3f\n", r->n_rounds, T, s->n_placed, n_requests,
                    (t_decided - t_begin) * 1e3, (t_waited - t_killed) * 1e3,
                    (t_killed - t_decided + t_sent - t_waited) * 1e3);
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
    const char *config, *conn, *token, *policy, *replay, *philly, *split, *listen, *out, *job_command;
    long num_jobs, seed;
    double round, scale, jobs_per_hour, register_timeout;
    bool is_static, single_gpu, philly_arrival, no_exp, multigpu, prioritize, plot, quiet, help;
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
    {"--seed", SO_LONG, offsetof(serve_opts, seed), "N", "random seed of synthetic workloads (42)"},
    {"--round_duration", SO_POS, offsetof(serve_opts, round), "S", "round (lease) length in seconds (300)"},
    {"--time_scale", SO_POS, offsetof(serve_opts, scale), "K",
     "run rounds of R/K wall-clock seconds; jobs are told K (default 1)"},
    {"--listen", SO_STR, offsetof(serve_opts, listen), "ADDR:PORT", "where to listen (default 127.0.0.1:14040)"},
    {"--register_timeout", SO_POS, offsetof(serve_opts, register_timeout), "S",
     "seconds to wait for every listed worker to register (default 120)"},
    {"--job_command", SO_STR, offsetof(serve_opts, job_command), "PROGRAM",
     "what every job runs (default: locus-sched-dummy-job next to locus)"},
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

static void default_job_command(char *buf, size_t len) {
    char self[2048];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, len, "%s/locus-sched-dummy-job", n > 0 ? self : ".");
}

int sched_serve_main(int argc, char **argv) {
    serve_opts o = {.policy = "FIFO+fair", .listen = "127.0.0.1:14040", .out = "./sched-serve-out", .seed = 42,
                    .round = 300, .scale = 1, .jobs_per_hour = 9, .register_timeout = 120};
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
    char cmd[4096];
    if (o.job_command)
        snprintf(cmd, sizeof cmd, "%s", o.job_command);
    else
        default_job_command(cmd, sizeof cmd);
    if (access(cmd, X_OK) != 0) {
        fprintf(stderr, "locus sched serve: the job command %s is not an executable: %s\n", cmd, strerror(errno));
        goto out;
    }
    char *job_argv[1] = {cmd};
    s.job_argv = job_argv;
    s.job_argc = 1;
    sched_queue_init(&s.queue, &s.spec, 0, 0);
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
    while (s.n_registered < s.n_workers && wall_s() < until && !interrupted)
        timed_wait(&s, until);
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
    double t0 = wall_s();
    int rc = run_rounds(&s, &run, first, err, sizeof err);
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
            if (write_rows(&s, o.out, "leases_all.csv", "time_s,job,lease,event,machine,gpus,cpus,mem_gb,steps",
                           s.leases, &s.leases_buf, &s.leases_len, path, sizeof path) ||
                write_rows(&s, o.out, "serve_rounds_all.csv",
                           "round,time_s,running,requests,decide_ms,wait_exits_ms,dispatch_ms", s.timing,
                           &s.timing_buf, &s.timing_len, path, sizeof path)) {
                fprintf(stderr, "locus sched serve: %s: cannot write: %s\n", path, strerror(errno));
            } else {
                logf_(&s, "%ld jobs finished in %ld rounds, %.1f s of wall time; results in %s", run.res.jobs_finished,
                      run.res.n_rounds, wall_s() - t0, o.out);
                status = run.res.unfinished == 0 ? 0 : 1;
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
        free(s.workers[i].gpu_owner), free(s.workers[i].cpu_owner), lh_client_free(s.workers[i].conn);
    free(s.workers);
    sched_cluster_free(&s.cluster);
    free(s.jobs), free(s.live), free(s.placed), free(s.prev_placed), free(s.by_id);
    sched_sim_result_free(&run.res);
    sched_trace_free(&trace);
    if (s.leases)
        fclose(s.leases);
    free(s.leases_buf);
    if (s.timing)
        fclose(s.timing);
    free(s.timing_buf);
    return status;
}
