/* bench_sched_serve: the live scheduler's own time per round (issue 17: "decision + dispatch with 16 workers
 * and 200, 1000 and 5000 dummy jobs that report without sleeping; target under 50 ms per round at 1000
 * jobs").
 *
 * Per policy and job count N, in a temp dir: a cluster INI of 16 servers (by default each with enough GPUs
 * that every job runs: ceil(N / 16) rounded up to a multiple of 8, 3 CPUs and 62.5 GB per GPU, the default
 * cluster's shares), a conn file naming 16 fake workers, a token and a replay trace of N one-GPU jobs
 * arriving at 0 (a mix of models), each --rounds rounds long at its fair share (total = rounds x the budget
 * serve gives it), so at FIFO+fair every job runs every round and all finish together after --rounds rounds.
 * Then `locus sched serve` runs as a child process (--time_scale large, so a round that is not ended by its
 * reports ends soon; the rounds here end as soon as every job has reported), and this process plays the 16
 * workers (lh_server_start, registering as docs/sched-serve.md says) and the jobs: /v1/run does not fork, it
 * hands (job, lease) to a fixed pool of job threads that register, report round_end with the whole budget at
 * once, ask again (after retry_s, and only one job per thread while the answer is still "wait") until
 * continue (reported again at once) or stop (then /v1/worker/exit). When serve exits, its
 * serve_rounds_all.csv gives decide_ms and dispatch_ms per round.
 *
 * The reference, measured in the same run: the simulator (sched_simulate in this process) on the same trace,
 * INI and policy, best of --sim_repeat; its wall time per round. The ratio is serve's decision time (p50)
 * over it: what the live bookkeeping costs beyond the policy core both share.
 *
 * Prints per run: rounds, decide/dispatch/total (decide + dispatch) p50 and p99 in ms, round 0's total (where
 * every job is started: N /v1/run), serve's wall time from start to exit over its rounds (registration, the
 * jobs' reports and the last exits included), the simulator's time per round and the ratio, and whether the
 * issue's 50 ms holds for p99 (or only for p50); writes the same, with wait_exits p50 and the job requests
 * sent, to OUT/bench_sched_serve.csv. Serve is never interrupted: an interrupted serve writes no outputs, so
 * the jobs' lengths end the run.
 *
 * usage: bench_sched_serve [--jobs 200,1000,5000] [--policies FIFO+fair,LAS+tune] [--rounds R] [--threads T]
 *                          [--gpus_per_server G] [--time_scale K] [--poll_s S] [--timeout_s S] [--sim_repeat
 * N]
 *                          [--locus PATH] [--out DIR] [--keep] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/cluster_ini.h"
#include "core/core.h"
#include "live/http.h"
#include "sim/sim.h"
#include "sim/workload.h"

#define N_WORKERS 16
#define MAX_LIST 16
#define ROUND_S 300.0

/* ---- options: one config struct, one table for the parser and --help ---- */

typedef struct bench_cfg {
    const char *locus, *jobs, *policies, *out;
    long rounds, threads, gpus_per_server, timeout_s, sim_repeat;
    double time_scale, poll_s;
    bool keep, help;
} bench_cfg;

typedef enum { BO_FLAG, BO_STR, BO_LONG, BO_NUM } bo_kind;
static const struct bopt {
    const char *name;
    bo_kind kind;
    size_t off;
    const char *arg, *help;
} bopts[] = {
    {"--jobs", BO_STR, offsetof(bench_cfg, jobs), "N,N,..", "job counts to run (200,1000,5000)"},
    {"--policies", BO_STR, offsetof(bench_cfg, policies), "P,P,..", "policies (FIFO+fair,LAS+tune)"},
    {"--rounds", BO_LONG, offsetof(bench_cfg, rounds), "R", "rounds each job lasts at its fair share (20)"},
    {"--threads", BO_LONG, offsetof(bench_cfg, threads), "T", "job threads playing all the jobs (4)"},
    {"--gpus_per_server", BO_LONG, offsetof(bench_cfg, gpus_per_server), "G",
     "GPUs of each of the 16 servers (0: enough for every job, ceil(N/16) to a multiple of 8)"},
    {"--time_scale", BO_NUM, offsetof(bench_cfg, time_scale), "K",
     "serve's --time_scale: a round lasts at most 300/K s plus its grace (30)"},
    {"--poll_s", BO_NUM, offsetof(bench_cfg, poll_s), "S",
     "least seconds between a job's asks after wait (0.02)"},
    {"--timeout_s", BO_LONG, offsetof(bench_cfg, timeout_s), "S", "a serve run is stopped after S s (300)"},
    {"--sim_repeat", BO_LONG, offsetof(bench_cfg, sim_repeat), "N", "simulator runs per case, best kept (3)"},
    {"--locus", BO_STR, offsetof(bench_cfg, locus), "PATH",
     "the locus command (default: $LOCUS, or this build's)"},
    {"--out", BO_STR, offsetof(bench_cfg, out), "DIR",
     "where bench_sched_serve.csv goes (./bench-sched-serve-out)"},
    {"--keep", BO_FLAG, offsetof(bench_cfg, keep), NULL,
     "keep the temp dir (INI, trace, serve's outputs and log)"},
    {"--help", BO_FLAG, offsetof(bench_cfg, help), NULL, "this text"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: bench_sched_serve [options]\n\nTimes `locus sched serve` per round (decide + "
               "dispatch) with 16 "
               "fake workers and N jobs that report\nwithout sleeping, against the simulator's time per "
               "round on the "
               "same trace and config.\nOptions (--name VALUE or --name=VALUE):\n\n");
    for (size_t i = 0; i < sizeof bopts / sizeof bopts[0]; i++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "%s%s%s", bopts[i].name, bopts[i].arg ? " " : "",
                 bopts[i].arg ? bopts[i].arg : "");
        fprintf(f, "  %-24s %s\n", lhs, bopts[i].help);
    }
}

static int parse_args(bench_cfg *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const struct bopt *op = NULL;
        for (size_t k = 0; k < sizeof bopts / sizeof bopts[0] && !op; k++)
            if (strlen(bopts[k].name) == len && strncmp(a, bopts[k].name, len) == 0)
                op = &bopts[k];
        if (!op) {
            fprintf(stderr, "bench_sched_serve: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        void *field = (char *)o + op->off;
        if (op->kind == BO_FLAG) {
            if (eq) {
                fprintf(stderr, "bench_sched_serve: %s takes no value\n", op->name);
                return -1;
            }
            *(bool *)field = true;
            continue;
        }
        const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val) {
            fprintf(stderr, "bench_sched_serve: %s needs a value (%s)\n", op->name, op->arg);
            return -1;
        }
        char *end;
        errno = 0;
        if (op->kind == BO_STR) {
            *(const char **)field = val;
        } else if (op->kind == BO_LONG) {
            long v = strtol(val, &end, 10);
            if (errno || end == val || *end || v < 0) {
                fprintf(stderr, "bench_sched_serve: %s: '%s' is not a non-negative integer\n", op->name, val);
                return -1;
            }
            *(long *)field = v;
        } else {
            double v = strtod(val, &end);
            if (errno || end == val || *end || !(v > 0) || !isfinite(v)) {
                fprintf(stderr, "bench_sched_serve: %s: '%s' is not a positive number\n", op->name, val);
                return -1;
            }
            *(double *)field = v;
        }
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- the fake workers and jobs ---- */

enum { FJ_IDLE, FJ_NEW, FJ_REPORT, FJ_WAIT };

/* One job as its (fake) process sees it; guarded by the mutex of the pool thread that plays it (id % T). */
typedef struct fake_job {
    int state, lease, machine;
    long budget;
    double due;      /* FJ_WAIT: when to ask again */
    double reported; /* when it sent its round_end for the current lease */
    bool killed, in_list;
} fake_job;

typedef struct bench_run bench_run;

typedef struct pool_thread {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int *ids, n, cap;  /* the jobs it plays now */
    /* a job that reported at hold_from asked again and heard wait: until `hold`, no job that reported at or
     * after hold_from asks again (they wait for the same decision or a later one) */
    double hold, hold_from;
    bool stop;
    bench_run *run;
} pool_thread;

typedef struct fake_worker {
    lh_server *srv;
    int machine, port;
    bench_run *run;
} fake_worker;

struct bench_run {
    const bench_cfg *cfg;
    char token[LH_TOKEN_MAX];
    int serve_port, n_jobs, gpus;
    fake_job *jobs;
    pool_thread *pool;
    int n_pool;
    fake_worker workers[N_WORKERS];
    long requests, errors, runs_received; /* atomics */
    char last_error[256];
};

static pool_thread *owner(bench_run *r, int job) {
    return &r->pool[job % r->n_pool];
}

static void list_add(pool_thread *t, int id) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->ids = realloc(t->ids, (size_t)t->cap * sizeof *t->ids);
    }
    t->ids[t->n++] = id;
}

static void list_remove_at(pool_thread *t, int i) {
    t->run->jobs[t->ids[i]].in_list = false;
    t->ids[i] = t->ids[--t->n];
}

/* POST to serve; counts requests and errors. */
static int to_serve(bench_run *r, const char *path, json_t *body, json_t **reply) {
    char err[256];
    int st = lh_post("127.0.0.1", r->serve_port, path, r->token, body, reply, LH_DEFAULT_TIMEOUT_MS, err,
                     sizeof err);
    __atomic_add_fetch(&r->requests, 1, __ATOMIC_RELAXED);
    if (st != 200) {
        __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
        snprintf(r->last_error, sizeof r->last_error, "%s: %.200s", path, err);
    }
    json_decref(body);
    return st;
}

static void post_exit(bench_run *r, int machine, int job, int lease, const char *key, int value) {
    to_serve(r, "/v1/worker/exit",
             json_pack("{s:i,s:i,s:i,s:i}", "machine", machine, "job", job, "lease", lease, key, value),
             NULL);
}

/* A pool thread: plays its jobs without sleeping in a round; while the answer is "wait" only one of its jobs
 * asks again (every max(retry_s, --poll_s)); once that one hears continue or stop the others ask at once. */
static void *pool_main(void *arg) {
    pool_thread *t = arg;
    bench_run *r = t->run;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        double now = now_s(), next_due = now + 0.1;
        bool did = false;
        for (int i = 0; i < t->n && !t->stop;) {
            int id = t->ids[i];
            fake_job *fj = &r->jobs[id];
            int lease = fj->lease, machine = fj->machine, state = fj->state;
            long budget = fj->budget;
            if (fj->killed) { /* its worker was told to kill it: the process is gone (signal 15) */
                fj->killed = false;
                fj->state = FJ_IDLE;
                list_remove_at(t, i);
                pthread_mutex_unlock(&t->mu);
                post_exit(r, machine, id, lease, "signal", 15);
                pthread_mutex_lock(&t->mu);
                did = true;
                continue;
            }
            bool held = t->hold > now && fj->reported >= t->hold_from;
            if (state == FJ_WAIT && (fj->due > now || held)) {
                double at = held ? fmax(fj->due, t->hold) : fj->due;
                if (at < next_due)
                    next_due = at;
                i++;
                continue;
            }
            json_t *body, *rep = NULL;
            const char *path;
            if (state == FJ_NEW) {
                path = "/v1/job/register";
                body = json_pack("{s:i,s:i}", "job", id, "lease", lease);
            } else {
                path = "/v1/job/round_end";
                body = json_pack("{s:i,s:i,s:I,s:f,s:b}", "job", id, "lease", lease, "steps",
                                 (json_int_t)budget, "seconds", 0.0, "done", 0);
                if (state == FJ_WAIT)
                    json_object_set_new(body, "again", json_true());
                else
                    fj->reported = now_s();
            }
            pthread_mutex_unlock(&t->mu);
            int st = to_serve(r, path, body, &rep);
            pthread_mutex_lock(&t->mu);
            did = true;
            if (fj->lease != lease || fj->killed ||
                fj->state != state) { /* a new /v1/run or a kill came meanwhile */
                json_decref(rep);
                continue;
            }
            const char *action = st == 200 ? json_string_value(json_object_get(rep, "action")) : NULL;
            if (st == 200 && state == FJ_NEW) {
                fj->budget = (long)json_integer_value(json_object_get(rep, "steps"));
                fj->state = FJ_REPORT;
            } else if (action && strcmp(action, "wait") == 0) {
                double retry = json_number_value(json_object_get(rep, "retry_s"));
                fj->state = FJ_WAIT;
                fj->due = now_s() + fmax(retry, r->cfg->poll_s);
                if (state == FJ_WAIT)
                    t->hold = fj->due, t->hold_from = fj->reported;
                i++;
            } else if (action && strcmp(action, "continue") == 0) {
                fj->lease = (int)json_integer_value(json_object_get(rep, "lease"));
                fj->budget = (long)json_integer_value(json_object_get(rep, "steps"));
                fj->state = FJ_REPORT;
            } else { /* stop, or an error: the process exits */
                fj->state = FJ_IDLE;
                list_remove_at(t, i);
                pthread_mutex_unlock(&t->mu);
                post_exit(r, machine, id, lease, "exit_code", action && strcmp(action, "stop") == 0 ? 0 : 1);
                pthread_mutex_lock(&t->mu);
            }
            json_decref(rep);
        }
        if (!did && !t->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double left = fmax(0, fmin(next_due - now_s(), 0.1));
            long long ns = ts.tv_nsec + (long long)(left * 1e9);
            ts.tv_sec += (time_t)(ns / 1000000000LL);
            ts.tv_nsec = (long)(ns % 1000000000LL);
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* The worker API (docs/sched-serve.md "Worker <-> scheduler") without processes: a run is handed to the
 * job's pool thread; kill, reset and shutdown answer as a worker does. */
static int on_worker(void *ud, const char *method, const char *path, const json_t *body, json_t **reply) {
    fake_worker *w = ud;
    bench_run *r = w->run;
    char err[160];
    long long job = 0, lease = 0;
    if (strcmp(method, "GET") == 0 && strcmp(path, "/v1/status") == 0) {
        *reply = json_pack("{s:i,s:[]}", "machine", w->machine, "jobs");
        return 200;
    }
    if (strcmp(method, "POST") != 0 || body == NULL)
        return lh_error(reply, strcmp(method, "POST") ? 404 : 400, "%s %s: expected a POST with a JSON body",
                        method, path);
    if (strcmp(path, "/v1/run") == 0 || strcmp(path, "/v1/kill") == 0) {
        if (lh_get_int(body, "job", &job, err, sizeof err) ||
            (path[4] == 'r' && lh_get_int(body, "lease", &lease, err, sizeof err)))
            return lh_error(reply, 400, "%s", err);
        if (job < 0 || job >= r->n_jobs)
            return lh_error(reply, 404, "no job %lld", job);
        pool_thread *t = owner(r, (int)job);
        fake_job *fj = &r->jobs[job];
        pthread_mutex_lock(&t->mu);
        if (path[4] == 'r') {
            fj->state = FJ_NEW;
            fj->lease = (int)lease;
            fj->machine = w->machine;
            fj->killed = false;
            if (!fj->in_list) {
                fj->in_list = true;
                list_add(t, (int)job);
            }
            *reply = json_pack("{s:I}", "pid", (json_int_t)(100000 + job));
            __atomic_add_fetch(&r->runs_received, 1, __ATOMIC_RELAXED);
        } else {
            bool running = fj->in_list && fj->machine == w->machine && !fj->killed;
            fj->killed |= running;
            *reply = json_pack("{s:b}", "was_running", running);
        }
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
        return 200;
    }
    if (strcmp(path, "/v1/reset") == 0) {
        int stopped = 0;
        for (int p = 0; p < r->n_pool; p++) {
            pool_thread *t = &r->pool[p];
            pthread_mutex_lock(&t->mu);
            for (int i = 0; i < t->n; i++) {
                fake_job *fj = &r->jobs[t->ids[i]];
                if (fj->machine == w->machine && !fj->killed)
                    fj->killed = true, stopped++;
            }
            pthread_cond_signal(&t->cv);
            pthread_mutex_unlock(&t->mu);
        }
        *reply = json_pack("{s:i}", "stopped", stopped);
        return 200;
    }
    if (strcmp(path, "/v1/shutdown") == 0) { /* the bench stops the worker's server once serve has exited */
        *reply = json_object();
        return 200;
    }
    return lh_error(reply, 404, "no such call %s", path);
}

/* ---- one case: files, serve, the workers, the reference ---- */

typedef struct case_result {
    char policy[64];
    int n_jobs, gpus;
    long rounds, finished, requests, errors, runs;
    double decide_p50, decide_p99, disp_p50, disp_p99, total_p50, total_p99, wait_p50, first_total;
    double wall_s, round_wall_ms, sim_round_ms, ratio;
    long sim_rounds;
    int serve_rc;
} case_result;

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static const char *const models[] = {"res18",       "res50", "mobilenet", "shufflenet",
                                     "transformer", "gnmt",  "lstm",      "deepspeech"};

/* The INI (16 servers of `gpus`, the default cluster's 3 CPUs, 62.5 GB and 62.5 MB/s per GPU) and the trace:
 * n one-GPU jobs at t = 0, job i of models[i % 8], `rounds` rounds long at fair share. */
static int write_inputs(const char *dir, int n, int gpus, long rounds, char *err, size_t errlen) {
    char path[1024];
    snprintf(path, sizeof path, "%s/cluster.ini", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        goto fail;
    fprintf(f,
            "[CLUSTER]\n# %d GPUs in all\nracks = 1\nservers_per_rack = %d\ngpus_per_server = %d\n"
            "cpus_per_server = %d\ndram_per_server = %d\nsspeed_per_server = %d\n",
            N_WORKERS * gpus, N_WORKERS, gpus, 3 * gpus, (int)lround(62.5 * gpus), (int)lround(62.5 * gpus));
    if (fclose(f))
        goto fail;
    snprintf(path, sizeof path, "%s/trace.csv", dir);
    if (!(f = fopen(path, "w")))
        goto fail;
    fprintf(f, "# bench_sched_serve: %d one-GPU jobs at 0, each %ld rounds of %g s at its fair share\n", n,
            rounds, ROUND_S);
    int ratio = sched_profile_ratio(3.0);
    for (int i = 0; i < n; i++) {
        const sched_profile *p = sched_profile_find(ratio, models[i % 8]);
        long budget = p ? (long)floor(ROUND_S / p->iter_time) : 0;
        if (budget < 1) {
            fclose(f);
            snprintf(err, errlen, "no usable profile for %s", models[i % 8]);
            return -1;
        }
        fprintf(f, "%d,%s,0,%ld,1\n", i, models[i % 8], rounds * budget);
    }
    if (fclose(f))
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
    return -1;
}

/* The simulator on the same INI, trace and policy: best wall time of `repeat` runs, and its rounds. */
static int reference(const char *dir, const sched_spec *spec, long repeat, double *best, long *rounds,
                     char *err, size_t errlen) {
    char ini[1024], tr[1024];
    snprintf(ini, sizeof ini, "%s/cluster.ini", dir);
    snprintf(tr, sizeof tr, "%s/trace.csv", dir);
    sched_sim_cfg cfg = {.spec = *spec,
                         .kind = WL_REPLAY,
                         .split = {20, 70, 10},
                         .seed = 42,
                         .round = ROUND_S,
                         .measure_lo = -1,
                         .measure_hi = -1};
    sched_trace trace = {0};
    if (sched_cluster_cfg_load(&cfg.cluster, ini, err, errlen))
        return -1;
    int n_gpus = cfg.cluster.racks * cfg.cluster.servers_per_rack * cfg.cluster.gpus_per_server;
    if (sched_trace_load(&trace, tr, n_gpus, err, errlen))
        return -1;
    cfg.trace = &trace;
    *best = INFINITY;
    for (long k = 0; k < (repeat > 0 ? repeat : 1); k++) {
        sched_sim_result res;
        double t0 = now_s();
        if (sched_simulate(&cfg, &res, err, errlen)) {
            sched_trace_free(&trace);
            return -1;
        }
        *best = fmin(*best, now_s() - t0);
        *rounds = res.n_rounds;
        sched_sim_result_free(&res);
    }
    sched_trace_free(&trace);
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void p50_p99(double *v, long n, double *p50, double *p99) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *p50 = sched_quantile(v, n, 0.5);
    *p99 = sched_quantile(v, n, 0.99);
}

/* OUT/<policy>/serve_rounds_all.csv: round,time_s,running,requests,decide_ms,wait_exits_ms,dispatch_ms. */
static int read_rounds(const char *path, case_result *cr, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
        return -1;
    }
    long cap = 256, n = 0;
    double *dec = malloc(cap * sizeof *dec), *dis = malloc(cap * sizeof *dis),
           *tot = malloc(cap * sizeof *tot), *wai = malloc(cap * sizeof *wai);
    char line[512];
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        long round;
        double t, d, w, s;
        int running, req;
        if (sscanf(line, "%ld,%lf,%d,%d,%lf,%lf,%lf", &round, &t, &running, &req, &d, &w, &s) != 7)
            continue;
        if (n == cap) {
            cap *= 2;
            dec = realloc(dec, cap * sizeof *dec), dis = realloc(dis, cap * sizeof *dis);
            tot = realloc(tot, cap * sizeof *tot), wai = realloc(wai, cap * sizeof *wai);
        }
        if (n == 0)
            cr->first_total = d + s;
        dec[n] = d, dis[n] = s, tot[n] = d + s, wai[n] = w;
        n++;
    }
    fclose(f);
    cr->rounds = n;
    if (n > 0) {
        double unused;
        p50_p99(dec, n, &cr->decide_p50, &cr->decide_p99);
        p50_p99(dis, n, &cr->disp_p50, &cr->disp_p99);
        p50_p99(tot, n, &cr->total_p50, &cr->total_p99);
        p50_p99(wai, n, &cr->wait_p50, &unused);
    }
    free(dec), free(dis), free(tot), free(wai);
    if (n == 0) {
        snprintf(err, errlen, "%.900s: no rounds", path);
        return -1;
    }
    return 0;
}

static long count_rows(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    int c, prev = '\n';
    while ((c = fgetc(f)) != EOF) {
        n += c == '\n';
        prev = c;
    }
    fclose(f);
    return n - (prev == '\n' ? 1 : 0); /* less the header */
}

static int run_case(const bench_cfg *cfg, const char *tmp, const char *policy, int n, case_result *cr,
                    char *err, size_t errlen) {
    sched_spec spec;
    if (sched_spec_parse(&spec, policy, err, errlen))
        return -1;
    memset(cr, 0, sizeof *cr);
    snprintf(cr->policy, sizeof cr->policy, "%s", spec.name);
    cr->n_jobs = n;
    int gpus = (int)cfg->gpus_per_server;
    if (gpus <= 0)
        gpus = ((n + N_WORKERS - 1) / N_WORKERS + 7) / 8 * 8;
    cr->gpus = gpus;
    char dir[256], path[1024], log[320], out[320];
    snprintf(dir, sizeof dir, "%.150s/%.60s-%d", tmp, spec.name, n);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "%.500s: %s", dir, strerror(errno));
        return -1;
    }
    if (write_inputs(dir, n, gpus, cfg->rounds, err, errlen))
        return -1;

    static bench_run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.n_jobs = n;
    r.gpus = gpus;
    snprintf(r.token, sizeof r.token, "bench-%d-%d", (int)getpid(), n);
    snprintf(path, sizeof path, "%s/token", dir);
    FILE *tf = fopen(path, "w");
    if (!tf || fprintf(tf, "%s\n", r.token) < 0 || fclose(tf)) {
        snprintf(err, errlen, "%.900s: cannot write", path);
        return -1;
    }
    r.jobs = calloc((size_t)n, sizeof *r.jobs);
    r.n_pool = (int)(cfg->threads > 0 ? cfg->threads : 1);
    r.pool = calloc((size_t)r.n_pool, sizeof *r.pool);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (int p = 0; p < r.n_pool; p++) {
        pthread_mutex_init(&r.pool[p].mu, NULL);
        pthread_cond_init(&r.pool[p].cv, &ca);
        r.pool[p].run = &r;
        pthread_create(&r.pool[p].th, NULL, pool_main, &r.pool[p]);
    }
    int rc = -1, n_started = 0;
    pid_t pid = -1;
    /* the workers listen first (any free port), so the conn file names their ports */
    snprintf(path, sizeof path, "%s/conn", dir);
    FILE *cf = fopen(path, "w");
    for (int m = 0; m < N_WORKERS && cf; m++) {
        fake_worker *w = &r.workers[m];
        w->machine = m, w->run = &r;
        w->srv = lh_server_start("127.0.0.1", 0, r.token, 2, on_worker, w, err, errlen);
        if (!w->srv)
            break;
        n_started++;
        w->port = lh_server_port(w->srv);
        fprintf(cf, "127.0.0.1,%d,0,0,0\n", w->port);
    }
    if (!cf || fclose(cf) || n_started < N_WORKERS) {
        if (!cf)
            snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
        goto stop;
    }
    r.serve_port = free_port();
    char listen[64], ini[1024], trace[1024], token[1024], scale[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", r.serve_port);
    snprintf(ini, sizeof ini, "%s/cluster.ini", dir);
    snprintf(trace, sizeof trace, "%s/trace.csv", dir);
    snprintf(token, sizeof token, "%s/token", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/serve.log", dir);
    snprintf(scale, sizeof scale, "%g", cfg->time_scale);
    char *args[] = {(char *)cfg->locus,
                    "sched",
                    "serve",
                    "--config_file",
                    ini,
                    "--conn_file",
                    path,
                    "--token_file",
                    token,
                    "--policy",
                    (char *)spec.name,
                    "--replay_trace",
                    trace,
                    "--round_duration",
                    "300",
                    "--time_scale",
                    scale,
                    "--listen",
                    listen,
                    "--out",
                    out,
                    "--job_command",
                    "/bin/true",
                    "--register_timeout",
                    "30",
                    "--quiet",
                    NULL};
    double t0 = now_s();
    pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        execv(cfg->locus, args);
        _exit(127);
    }
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        goto stop;
    }
    /* each worker registers, retrying until serve listens */
    for (int m = 0; m < N_WORKERS; m++) {
        int st = -1;
        char e2[256];
        while (now_s() - t0 < 30) {
            json_t *rep = NULL;
            st = lh_post(
                "127.0.0.1", r.serve_port, "/v1/worker/register", r.token,
                json_pack("{s:s,s:i,s:i}", "ip", "127.0.0.1", "port", r.workers[m].port, "gpus", gpus), &rep,
                2000, e2, sizeof e2);
            json_decref(rep);
            if (st >= 0 || waitpid(pid, NULL, WNOHANG) == pid)
                break;
            sleep_s(0.05);
        }
        if (st != 200) {
            snprintf(err, errlen, "worker %d could not register: %.300s (serve's log: %.300s)", m, e2, log);
            goto stop;
        }
    }
    /* serve runs every round, writes its outputs and exits */
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            pid = -1;
            break;
        }
        if (now_s() - t0 > cfg->timeout_s) {
            snprintf(err, errlen, "serve ran past --timeout_s %ld; stopped (its log: %.300s)", cfg->timeout_s,
                     log);
            goto stop;
        }
        sleep_s(0.05);
    }
    cr->wall_s = now_s() - t0;
    cr->serve_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    rc = 0;
stop:
    if (pid > 0) {
        kill(pid, SIGTERM);
        for (int k = 0; k < 60 && waitpid(pid, NULL, WNOHANG) != pid; k++)
            sleep_s(0.05);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        rc = -1;
    }
    for (int p = 0; p < r.n_pool; p++) {
        pthread_mutex_lock(&r.pool[p].mu);
        r.pool[p].stop = true;
        pthread_cond_signal(&r.pool[p].cv);
        pthread_mutex_unlock(&r.pool[p].mu);
    }
    for (int p = 0; p < r.n_pool; p++) {
        pthread_join(r.pool[p].th, NULL);
        free(r.pool[p].ids);
    }
    for (int m = 0; m < n_started; m++)
        lh_server_stop(r.workers[m].srv);
    free(r.pool), free(r.jobs);
    cr->requests = r.requests, cr->errors = r.errors, cr->runs = r.runs_received;
    if (rc)
        return -1;
    if (r.errors)
        fprintf(stderr, "bench_sched_serve: %s %d: %ld of %ld job requests failed (last: %s)\n", spec.name, n,
                r.errors, r.requests, r.last_error);
    snprintf(path, sizeof path, "%s/%s/serve_rounds_all.csv", out, spec.name);
    if (read_rounds(path, cr, err, errlen)) {
        snprintf(err + strlen(err), errlen - strlen(err), " (serve exited %d; its log: %.300s)", cr->serve_rc,
                 log);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s/jobs_all.csv", out, spec.name);
    cr->finished = count_rows(path);
    cr->round_wall_ms = 1e3 * cr->wall_s / cr->rounds;
    double best;
    if (reference(dir, &spec, cfg->sim_repeat, &best, &cr->sim_rounds, err, errlen))
        return -1;
    cr->sim_round_ms = cr->sim_rounds > 0 ? 1e3 * best / cr->sim_rounds : NAN;
    cr->ratio = cr->decide_p50 / cr->sim_round_ms;
    return 0;
}

/* "a,b,c" into at most max items (in place). */
static int split_list(char *s, char **items, int max) {
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        items[n++] = tok;
    return n;
}

static void default_locus(char *buf, size_t len) {
    const char *env = getenv("LOCUS");
    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return;
    }
    snprintf(buf, len, "%s", LOCUS_BENCH_LOCUS);
}

int main(int argc, char **argv) {
    bench_cfg cfg = {.jobs = "200,1000,5000",
                     .policies = "FIFO+fair,LAS+tune",
                     .out = "./bench-sched-serve-out",
                     .rounds = 20,
                     .threads = 4,
                     .time_scale = 30,
                     .poll_s = 0.02,
                     .timeout_s = 300,
                     .sim_repeat = 3};
    if (parse_args(&cfg, argc, argv))
        return 2;
    if (cfg.help) {
        usage(stdout);
        return 0;
    }
    char locus[4096];
    if (!cfg.locus) {
        default_locus(locus, sizeof locus);
        cfg.locus = locus;
    }
    if (access(cfg.locus, X_OK)) {
        fprintf(stderr, "bench_sched_serve: %s is not an executable (--locus PATH or LOCUS=PATH)\n",
                cfg.locus);
        return 2;
    }
    if (cfg.rounds < 2 || cfg.threads < 1) {
        fprintf(stderr, "bench_sched_serve: --rounds must be at least 2 and --threads at least 1\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char jobs_buf[512], pol_buf[512], *job_items[MAX_LIST], *pol_items[MAX_LIST];
    snprintf(jobs_buf, sizeof jobs_buf, "%s", cfg.jobs);
    snprintf(pol_buf, sizeof pol_buf, "%s", cfg.policies);
    int n_n = split_list(jobs_buf, job_items, MAX_LIST), n_p = split_list(pol_buf, pol_items, MAX_LIST);
    for (int i = 0; i < n_n; i++) {
        char *end;
        long v = strtol(job_items[i], &end, 10);
        if (*end || v < 1 || v > 1000000) {
            fprintf(stderr, "bench_sched_serve: --jobs: '%s' is not a job count\n", job_items[i]);
            return 2;
        }
    }
    char tmp[] = "/tmp/locus-bench-serve-XXXXXX";
    if (!mkdtemp(tmp) || (mkdir(cfg.out, 0755) && errno != EEXIST)) {
        fprintf(stderr, "bench_sched_serve: cannot make %s or %s: %s\n", tmp, cfg.out, strerror(errno));
        return 1;
    }
    char csv_path[1024];
    snprintf(csv_path, sizeof csv_path, "%s/bench_sched_serve.csv", cfg.out);
    FILE *csv = fopen(csv_path, "w");
    if (!csv) {
        fprintf(stderr, "bench_sched_serve: %s: %s\n", csv_path, strerror(errno));
        return 1;
    }
    fprintf(csv, "policy,jobs,gpus_per_server,rounds,finished,decide_p50_ms,decide_p99_ms,dispatch_p50_ms,"
                 "dispatch_p99_ms,total_p50_ms,total_p99_ms,wait_exits_p50_ms,round0_total_ms,serve_wall_s,"
                 "round_wall_ms,job_requests,sim_rounds,sim_round_ms,decide_vs_sim\n");
    printf("16 fake workers, %ld rounds per job, %ld job threads, time_scale %g; total = decide + dispatch "
           "(ms per round)\n",
           cfg.rounds, cfg.threads, cfg.time_scale);
    printf("%-10s %5s %5s %6s %6s %8s %8s %8s %8s %8s %8s %9s %9s %9s %8s %9s\n", "policy", "jobs", "16x",
           "rounds", "done", "dec_p50", "dec_p99", "disp_p50", "disp_p99", "tot_p50", "tot_p99", "round0",
           "wall/rnd", "sim_round", "vs_sim", "<50ms?");
    fflush(stdout);
    double t_all = now_s();
    int status = 0;
    for (int p = 0; p < n_p; p++)
        for (int i = 0; i < n_n; i++) {
            case_result cr;
            char err[1024];
            int n = (int)strtol(job_items[i], NULL, 10);
            if (run_case(&cfg, tmp, pol_items[p], n, &cr, err, sizeof err)) {
                fprintf(stderr, "bench_sched_serve: %s, %d jobs: %s\n", pol_items[p], n, err);
                status = 1;
                continue;
            }
            printf(
                "%-10s %5d %5d %6ld %6ld %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %9.1f %9.1f %9.3f %7.1fx %9s\n",
                cr.policy, cr.n_jobs, cr.gpus, cr.rounds, cr.finished, cr.decide_p50, cr.decide_p99,
                cr.disp_p50, cr.disp_p99, cr.total_p50, cr.total_p99, cr.first_total, cr.round_wall_ms,
                cr.sim_round_ms, cr.ratio,
                cr.total_p99 < 50   ? "yes"
                : cr.total_p50 < 50 ? "p50 only"
                                    : "no");
            fflush(stdout);
            fprintf(csv,
                    "%s,%d,%d,%ld,%ld,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%ld,%ld,%.4f,%.3f\n",
                    cr.policy, cr.n_jobs, cr.gpus, cr.rounds, cr.finished, cr.decide_p50, cr.decide_p99,
                    cr.disp_p50, cr.disp_p99, cr.total_p50, cr.total_p99, cr.wait_p50, cr.first_total,
                    cr.wall_s, cr.round_wall_ms, cr.requests, cr.sim_rounds, cr.sim_round_ms, cr.ratio);
            if (cr.serve_rc != 0 || cr.finished != n) {
                fprintf(stderr,
                        "bench_sched_serve: %s, %d jobs: serve exited %d with %ld of %d jobs finished\n",
                        cr.policy, n, cr.serve_rc, cr.finished, n);
                status = 1;
            }
        }
    fclose(csv);
    printf("%.1f s in all; rows in %s%s%s\n", now_s() - t_all, csv_path,
           cfg.keep ? "; inputs and serve's outputs in " : "", cfg.keep ? tmp : "");
    if (!cfg.keep) {
        char cmd[1100];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_sched_serve: could not remove %s\n", tmp);
    }
    return status;
}
