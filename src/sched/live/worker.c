/* `locus sched worker` at run time (see worker.h for the threads): registration, the job table, starting a job
 * (fork, its own process group, CPU pinning, exec with no shell), stopping it (SIGTERM, SIGKILL after the grace)
 * and reporting its exit.
 *
 * A job's slot is taken under the lock before its process exists and the fork happens under the lock, so the
 * main thread, which reaps under the same lock, always finds the slot of a child it reaps. Until the child has
 * reached exec (a close-on-exec pipe says so) its exit is kept in the slot, not reported: a job that could not
 * start is answered with an error and never reported. A job's leader is seen dead with WNOWAIT first, so its
 * process group id cannot have been reused when the rest of the group is sent SIGKILL. */
#define _GNU_SOURCE
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "worker_mem.h"
#include "worker_numa.h"
#include "worker_spec.h"

extern char **environ;

/* One job. `used` with pid 0: being prepared by a /v1/run (no process yet). */
typedef struct job_slot {
    bool used;
    long long job, lease;
    pid_t pid;
    bool starting;      /* exec not confirmed: an exit is kept in `status`, not reported */
    bool start_failed;  /* exec failed: the exit is not reported, the reaper frees the slot */
    bool reaped;
    int status;
    bool term_sent, kill_sent;
    double kill_at; /* monotonic seconds: SIGKILL then if it is still there */
    wk_job_mem mem; /* its memory limit and cgroup */
    cpu_set_t cpus; /* the CPUs it is pinned to (none: not pinned) */
} job_slot;

typedef struct report {
    long long job, lease;
    int code, sig; /* one of them: code >= 0 or sig > 0 */
    char reason[160]; /* "memory limit (...)" when its cgroup counted OOM kills, else "" */
} report;

/* A job's cgroup that was still busy when the job ended: removed later by the main thread. */
typedef struct cg_pending {
    char group[WK_CG_PATH];
    bool v2;
    double until; /* monotonic: given up then */
} cg_pending;

typedef struct worker {
    const wk_config *c;
    char token[LH_TOKEN_MAX];
    char token_file[PATH_MAX], run_dir[PATH_MAX], log_dir[PATH_MAX], ckpt_dir[PATH_MAX], data_dir[PATH_MAX];
    char sched_addr[300], ip[INET_ADDRSTRLEN];
    char instance[48]; /* this process among all workers ever on this address: pid and start time */
    int port;
    cpu_set_t have;
    int cpu_map[CPU_SETSIZE], n_map; /* --cpus */
    int numa_map[CPU_SETSIZE], n_numa, numa_nodes; /* the CPUs for "numa" requests, in NUMA order */
    wk_mem mem; /* the memory limit mechanism, decided at start */
    int max_fd; /* the soft RLIMIT_NOFILE, for closing fds in a child where close_range is missing */
    sigset_t sigs;
    lh_server *http;

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t report_cv;
    job_slot jobs[WK_MAX_JOBS];
    long long machine;
    double round_s, time_scale;
    bool stop_requested;
    double stop_grace;
    report reports[WK_MAX_REPORTS];
    int rhead, rcount;
    bool reporter_stop;
    double reporter_deadline;
    cg_pending pending[WK_MAX_JOBS];
    int npending;
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct timespec rel_ts(double s)
{
    if (!(s > 0)) s = 0;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    return ts;
}

/* pthread_cond_timedwait's absolute time (CLOCK_REALTIME: the condition variables use the default clock). */
static struct timespec abs_ts(double s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct timespec d = rel_ts(s);
    ts.tv_sec += d.tv_sec;
    ts.tv_nsec += d.tv_nsec;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    return ts;
}

static int log_port; /* the worker's port in its log lines */

static void wlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void wlog(const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "locus sched worker :%d: ", log_port);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

/* Wakes the main thread's sigtimedwait (SIGUSR1 is blocked in every thread, so it waits for that call). */
static void wake_main(void)
{
    kill(getpid(), SIGUSR1);
}

/* The main thread's wait: the signal taken, or 0 after `s` seconds. */
static int wait_signal(worker *w, double s)
{
    struct timespec ts = rel_ts(s);
    int sig = sigtimedwait(&w->sigs, NULL, &ts);
    return sig > 0 ? sig : 0;
}

static bool is_stop_signal(int sig)
{
    return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

/* Whether snprintf's result n fitted in len bytes. */
static bool fits(int n, size_t len)
{
    return n >= 0 && (size_t)n < len;
}

/* mkdir -p; 0 or -1 with errno. */
static int make_dirs(const char *path)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) return errno = ENAMETOOLONG, -1;
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) && errno != EEXIST) return -1;
            *s = '/';
        }
    if (mkdir(p, 0755) && errno != EEXIST) return -1;
    struct stat st;
    if (stat(p, &st)) return -1;
    return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
}

/* ---- exit reports ---- */

/* Under the lock: the exit of slot j (wait status st) is logged and queued for the reporter, with the
 * memory limit as its reason when the job's cgroup counted OOM kills. */
static void queue_report(worker *w, const job_slot *j, int st)
{
    report r = {.job = j->job, .lease = j->lease, .code = -1, .sig = 0};
    long long ooms = wk_mem_job_ooms(&j->mem, r.reason, sizeof r.reason);
    char why[WK_CG_PATH + 320] = "";
    if (ooms > 0)
        snprintf(why, sizeof why, ": stopped by its %s, %lld OOM kill%s in %s", r.reason, ooms, ooms == 1 ? "" : "s",
                 j->mem.group);
    else if (j->mem.kind == WK_MEM_RLIMIT_AS)
        snprintf(why, sizeof why, " (RLIMIT_AS %lld bytes applied: past it an allocation fails)", j->mem.as_bytes);
    if (WIFSIGNALED(st)) {
        r.sig = WTERMSIG(st);
        wlog("job %lld lease %lld (pid %d) ended by signal %d%s", r.job, r.lease, (int)j->pid, r.sig, why);
    } else {
        r.code = WEXITSTATUS(st);
        wlog("job %lld lease %lld (pid %d) exited with code %d%s", r.job, r.lease, (int)j->pid, r.code, why);
    }
    if (w->rcount == WK_MAX_REPORTS) {
        wlog("job %lld lease %lld: %d exit reports are waiting already: this one is not sent", r.job, r.lease,
             WK_MAX_REPORTS);
        return;
    }
    w->reports[(w->rhead + w->rcount++) % WK_MAX_REPORTS] = r;
    pthread_cond_signal(&w->report_cv);
}

/* Under the lock, released around the calls: WK_REPORT_TRIES posts of r, a second apart; a reply that is an
 * error, or no reply at all, is logged and the worker goes on. */
static void send_report(worker *w, const report *r)
{
    json_t *body = json_pack("{s:I,s:I,s:I}", "machine", w->machine, "job", r->job, "lease", r->lease);
    if (r->sig > 0)
        json_object_set_new(body, "signal", json_integer(r->sig));
    else
        json_object_set_new(body, "exit_code", json_integer(r->code));
    if (r->reason[0]) json_object_set_new(body, "reason", json_string(r->reason));
    char err[512] = "";
    for (int t = 0; t < WK_REPORT_TRIES; t++) {
        int ms = LH_DEFAULT_TIMEOUT_MS;
        if (w->reporter_stop) {
            double left = w->reporter_deadline - now_s();
            if (left <= 0) break;
            if (left * 1000 < ms) ms = (int)(left * 1000) + 1;
        }
        pthread_mutex_unlock(&w->mu);
        int st = lh_post(w->c->sched_host, w->c->sched_port, "/v1/worker/exit", w->token, body, NULL, ms, err,
                         sizeof err);
        pthread_mutex_lock(&w->mu);
        if (st == 200) {
            json_decref(body);
            return;
        }
        if (st > 0) break; /* an answer: sending it again would not change it */
        if (t + 1 < WK_REPORT_TRIES && !w->reporter_stop) {
            struct timespec ts = abs_ts(1.0);
            pthread_cond_timedwait(&w->report_cv, &w->mu, &ts);
        }
    }
    wlog("cannot report the exit of job %lld lease %lld to the scheduler: %s", r->job, r->lease, err);
    json_decref(body);
}

/* The reporter thread: sends the queued reports in order until told to stop, then what is left until the
 * drain deadline. */
static void *reporter(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->rcount == 0 && !w->reporter_stop) {
            struct timespec ts = abs_ts(WK_IDLE_WAKE_S);
            pthread_cond_timedwait(&w->report_cv, &w->mu, &ts);
        }
        if (w->rcount == 0) break;
        if (w->reporter_stop && now_s() >= w->reporter_deadline) {
            wlog("%d exit reports not sent: the worker is stopping", w->rcount);
            break;
        }
        report r = w->reports[w->rhead];
        w->rhead = (w->rhead + 1) % WK_MAX_REPORTS;
        w->rcount--;
        send_report(w, &r);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the main thread: reaping and SIGKILLs ---- */

static job_slot *slot_of_pid(worker *w, pid_t pid)
{
    for (int i = 0; i < WK_MAX_JOBS; i++)
        if (w->jobs[i].used && w->jobs[i].pid == pid) return &w->jobs[i];
    return NULL;
}

/* Under the lock: the slot's cgroup removed (or left to the main thread while its last processes exit) and
 * the slot freed. */
static void free_slot(worker *w, job_slot *j)
{
    if (j->mem.group[0] && wk_mem_job_remove(&j->mem) != 0) {
        if (w->npending < WK_MAX_JOBS) {
            cg_pending *p = &w->pending[w->npending++];
            snprintf(p->group, sizeof p->group, "%s", j->mem.group);
            p->v2 = j->mem.kind == WK_MEM_CGROUP2;
            p->until = now_s() + WK_CG_RETRY_S;
        } else {
            wlog("cannot remove the cgroup %s: %s (left)", j->mem.group, strerror(errno));
        }
    }
    wk_mem_job_forked(&j->mem);
    memset(j, 0, sizeof *j);
}

/* The cgroups left to remove, tried again; returns whether some are still left. */
static bool retry_groups(worker *w, bool last)
{
    pthread_mutex_lock(&w->mu);
    double t = now_s();
    for (int i = 0; i < w->npending;) {
        cg_pending *p = &w->pending[i];
        if (wk_mem_group_remove(p->group, p->v2) != 0) {
            if (t < p->until && !last) {
                i++;
                continue;
            }
            wlog("cannot remove the cgroup %s: %s (left)", p->group, strerror(errno));
        }
        *p = w->pending[--w->npending];
    }
    bool left = w->npending > 0;
    pthread_mutex_unlock(&w->mu);
    return left;
}

/* Reaps every child that has exited. What is left of an ended job's process group is killed while its leader
 * is still a zombie (the group id cannot be reused yet). */
static void reap_all(worker *w)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
        pid_t pid = si.si_pid;
        pthread_mutex_lock(&w->mu);
        job_slot *j = slot_of_pid(w, pid);
        if (j != NULL) kill(-pid, SIGKILL);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (j != NULL) {
            if (j->start_failed) {
                free_slot(w, j);
            } else if (j->starting) {
                j->reaped = true;
                j->status = st;
            } else {
                queue_report(w, j, st);
                free_slot(w, j);
            }
        }
        pthread_mutex_unlock(&w->mu);
    }
}

/* Under the lock: SIGTERM to the job's group and its SIGKILL due in `grace` seconds (or sooner, if one was
 * due sooner already). */
static void term_job(job_slot *j, double grace)
{
    double at = now_s() + grace;
    if (!j->term_sent) {
        kill(-j->pid, SIGTERM);
        j->term_sent = true;
        j->kill_at = at;
    } else if (at < j->kill_at) {
        j->kill_at = at;
    }
}

/* SIGKILL to the jobs whose grace has passed; returns when the next one is due (INFINITY: none). */
static double fire_kills(worker *w)
{
    double next = INFINITY, t = now_s();
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < WK_MAX_JOBS; i++) {
        job_slot *j = &w->jobs[i];
        if (!j->used || j->pid <= 0 || !j->term_sent || j->kill_sent) continue;
        if (t >= j->kill_at) {
            kill(-j->pid, SIGKILL);
            j->kill_sent = true;
            wlog("job %lld lease %lld (pid %d): SIGKILL, still running after its grace", j->job, j->lease,
                 (int)j->pid);
        } else if (j->kill_at < next) {
            next = j->kill_at;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return next;
}

/* Under the lock: SIGTERM to every job (its SIGKILL after grace); the number of jobs. */
static int term_all(worker *w, double grace)
{
    int n = 0;
    for (int i = 0; i < WK_MAX_JOBS; i++) {
        job_slot *j = &w->jobs[i];
        if (j->used && j->pid > 0 && !j->start_failed) {
            term_job(j, grace);
            n++;
        }
    }
    return n;
}

/* Stops every job and waits (bounded) until they are gone: grace + WK_REAP_WAIT_S at most. A second stop
 * signal sends the SIGKILLs at once. */
static void stop_all(worker *w, double grace)
{
    pthread_mutex_lock(&w->mu);
    w->stop_requested = true;
    int n = term_all(w, grace);
    pthread_mutex_unlock(&w->mu);
    if (n) wlog("stopping %d job%s (grace %g s)", n, n == 1 ? "" : "s", grace);
    double hard = now_s() + grace + WK_REAP_WAIT_S;
    for (;;) {
        reap_all(w);
        double next = fire_kills(w);
        int left = 0;
        pthread_mutex_lock(&w->mu);
        for (int i = 0; i < WK_MAX_JOBS; i++) left += w->jobs[i].used;
        pthread_mutex_unlock(&w->mu);
        double t = now_s();
        if (left == 0) break;
        if (t >= hard) {
            wlog("%d job%s still there %g s after the SIGKILLs were due: leaving", left, left == 1 ? "" : "s",
                 WK_REAP_WAIT_S);
            break;
        }
        double wait = fmin(fmin(next, hard) - t, WK_IDLE_WAKE_S);
        if (is_stop_signal(wait_signal(w, wait))) {
            pthread_mutex_lock(&w->mu);
            for (int i = 0; i < WK_MAX_JOBS; i++)
                if (w->jobs[i].used && w->jobs[i].term_sent) w->jobs[i].kill_at = t;
            pthread_mutex_unlock(&w->mu);
        }
    }
}

/* ---- starting a job ---- */

/* What the child reports through the pipe when it cannot reach exec. */
typedef struct child_err {
    int stage, err;
} child_err;
enum { STAGE_AFFINITY = 1, STAGE_CHDIR, STAGE_STDIO, STAGE_EXEC, STAGE_CGROUP_NOTE };
/* STAGE_CGROUP_NOTE is no failure: the child could not enter its cgroup and set RLIMIT_AS instead; it goes on */

typedef struct child_args {
    const char *prog, *dir;
    char **argv, **envp;
    cpu_set_t cpus;
    bool pin;
    int log_fd, null_fd, err_fd, max_fd;
    const wk_job_mem *mem;
} child_args;

/* In the child between fork and exec: async-signal-safe calls only. */
static void child_main(const child_args *a)
{
    child_err e = {0, 0};
    setpgid(0, 0);
    /* a clean signal state: the worker ignores SIGPIPE, and a worker started in the background inherits
     * SIGINT and SIGQUIT ignored; both would pass through exec */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int cg_err = wk_mem_child_enter(a->mem); /* first: everything the job does is charged to its group */
    if (cg_err != 0) {
        child_err note = {STAGE_CGROUP_NOTE, cg_err};
        ssize_t wn = write(a->err_fd, &note, sizeof note);
        (void)wn;
    }
    if (a->pin && sched_setaffinity(0, sizeof a->cpus, &a->cpus) != 0) {
        e = (child_err){STAGE_AFFINITY, errno};
    } else if (chdir(a->dir) != 0) {
        e = (child_err){STAGE_CHDIR, errno};
    } else if (dup2(a->null_fd, 0) < 0 || dup2(a->log_fd, 1) < 0 || dup2(a->log_fd, 2) < 0) {
        e = (child_err){STAGE_STDIO, errno};
    } else {
        /* the worker's sockets must not reach the job (libcurl's are not all close-on-exec) */
#ifdef CLOSE_RANGE_CLOEXEC
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
#endif
            for (int fd = 3; fd < a->max_fd; fd++)
                if (fd != a->err_fd) close(fd);
        wk_mem_child_rlimit(a->mem, cg_err != 0); /* last: the calls above must not fail for it */
        execve(a->prog, a->argv, a->envp);
        e = (child_err){STAGE_EXEC, errno};
    }
    ssize_t wr = write(a->err_fd, &e, sizeof e);
    (void)wr;
    _exit(127);
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int wk_resolve_prog(const char *name, const char *dir, char **envp, char *out, size_t len, char *err,
                    size_t errlen)
{
    if (strchr(name, '/')) {
        int n = name[0] == '/' ? snprintf(out, len, "%s", name) : snprintf(out, len, "%s/%s", dir, name);
        errno = 0;
        if (fits(n, len) && executable(out)) return 0;
        snprintf(err, errlen, "field 'argv': '%s' is not an executable file%s%s", name, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return -1;
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], "PATH=", 5) == 0) path = envp[i] + 5;
    for (const char *p = path;;) {
        size_t k = strcspn(p, ":");
        int n = k == 0      ? snprintf(out, len, "%s/%s", dir, name)
                : p[0] == '/' ? snprintf(out, len, "%.*s/%s", (int)k, p, name)
                              : snprintf(out, len, "%s/%.*s/%s", dir, (int)k, p, name);
        if (fits(n, len) && executable(out)) return 0;
        if (!p[k]) break;
        p += k + 1;
    }
    snprintf(err, errlen, "field 'argv': program '%s' not found in PATH (%s)", name, path);
    return -1;
}

static void release_slot(worker *w, job_slot *j)
{
    pthread_mutex_lock(&w->mu);
    free_slot(w, j);
    pthread_mutex_unlock(&w->mu);
}

/* The job's memory limit for the start log line: " memory limit N bytes (cgroup1 DIR)" or "". */
static void mem_text(const wk_job_mem *m, char *buf, size_t len)
{
    if (m->kind == WK_MEM_NONE)
        snprintf(buf, len, ", no memory limit");
    else if (m->group[0])
        snprintf(buf, len, ", memory limit %lld bytes (%s %s%s)", m->bytes, wk_mem_kind_name(m->kind), m->group,
                 m->cpuset ? ", cpuset" : "");
    else
        snprintf(buf, len, ", memory limit %lld bytes (RLIMIT_AS %lld)", m->bytes, m->as_bytes);
}

/* POST /v1/run with a checked spec: 200 {"pid": N}, or the error reply. */
static int start_job(worker *w, const wk_spec *s, json_t **reply)
{
    job_slot *j = NULL;
    pthread_mutex_lock(&w->mu);
    if (w->stop_requested) {
        pthread_mutex_unlock(&w->mu);
        return lh_error(reply, 503, "the worker is stopping");
    }
    for (int i = 0; i < WK_MAX_JOBS; i++) {
        job_slot *o = &w->jobs[i];
        if (o->used && o->job == s->job && !o->start_failed) {
            int status = lh_error(reply, 409, "job %lld is already running here (lease %lld, pid %d)", s->job,
                                  o->lease, (int)o->pid);
            pthread_mutex_unlock(&w->mu);
            return status;
        }
        if (!o->used && j == NULL) j = o;
    }
    if (j == NULL) {
        pthread_mutex_unlock(&w->mu);
        return lh_error(reply, 503, "%d jobs are running here, the most one worker runs", WK_MAX_JOBS);
    }
    *j = (job_slot){.used = true, .job = s->job, .lease = s->lease, .starting = true};
    pthread_mutex_unlock(&w->mu);

    char dir[PATH_MAX], log[PATH_MAX], ckpt[PATH_MAX], prog[PATH_MAX], err[PATH_MAX + 256];
    int status = 0, log_fd = -1, null_fd = -1, pfd[2] = {-1, -1};
    char **envp = NULL;
    /* the worker's directories are at most WK_MAX_DIR bytes and `dir` less than WK_MAX_PATH: these fit */
    bool fit = (strcmp(s->dir, ".") == 0 ? fits(snprintf(dir, sizeof dir, "%s", w->run_dir), sizeof dir)
                                 : fits(snprintf(dir, sizeof dir, "%s/%s", w->run_dir, s->dir), sizeof dir)) &&
               fits(snprintf(log, sizeof log, "%s/job%lld-lease%lld.log", w->log_dir, s->job, s->lease), sizeof log) &&
               fits(snprintf(ckpt, sizeof ckpt, "%s/job%lld", w->ckpt_dir, s->job), sizeof ckpt);
    wk_vars vars = {w->sched_addr, w->token_file, w->time_scale, w->log_dir, w->ckpt_dir};
    if (!fit) {
        status = lh_error(reply, 400, "field 'dir': the job's paths are longer than %d bytes", PATH_MAX - 1);
    } else if (make_dirs(dir)) {
        status = lh_error(reply, 500, "cannot make the job's directory %s: %s", dir, strerror(errno));
    } else if (!wk_spec_has_env(s, "SYNERGY_CHECKPOINT_DIR") && make_dirs(ckpt)) {
        status = lh_error(reply, 500, "cannot make the job's checkpoint directory %s: %s", ckpt, strerror(errno));
    } else if ((log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        status = lh_error(reply, 500, "cannot open the job's log %s: %s", log, strerror(errno));
    } else if ((null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe2(pfd, O_CLOEXEC) != 0) {
        status = lh_error(reply, 500, "cannot set up the job's stdin: %s", strerror(errno));
    } else if ((envp = wk_spec_environ(s, environ, &vars)) == NULL) {
        status = lh_error(reply, 500, "out of memory");
    } else if (wk_resolve_prog(s->argv[0], dir, envp, prog, sizeof prog, err, sizeof err) != 0) {
        status = lh_error(reply, 400, "%s", err);
    }
    pid_t pid = -1;
    wk_job_mem jm;
    if (status == 0) {
        child_args a = {.prog = prog, .dir = dir, .argv = s->argv, .envp = envp, .pin = s->ncpus > 0,
                        .log_fd = log_fd, .null_fd = null_fd, .err_fd = pfd[1], .max_fd = w->max_fd, .mem = &jm};
        CPU_ZERO(&a.cpus);
        for (int i = 0; i < s->ncpus; i++) CPU_SET(s->cpus[i], &a.cpus);
        char cpus_text[256], note[WK_CG_PATH + 128];
        wk_cpuset_text(&a.cpus, cpus_text, sizeof cpus_text);
        wk_mem_job_prepare(&w->mem, s->job, s->lease, s->mem_gb, s->ncpus > 0 ? cpus_text : NULL, &jm, note,
                           sizeof note);
        if (note[0]) wlog("job %lld lease %lld: %s", s->job, s->lease, note);
        pthread_mutex_lock(&w->mu);
        j->mem = jm; /* from here the slot owns the group: freeing it removes the group */
        j->cpus = a.cpus;
        if (w->stop_requested) {
            status = lh_error(reply, 503, "the worker is stopping");
        } else if ((pid = fork()) == 0) {
            child_main(&a);
        } else if (pid < 0) {
            status = lh_error(reply, 500, "fork: %s", strerror(errno));
        } else {
            setpgid(pid, pid); /* EACCES once the child has exec'd: it made its group itself */
            j->pid = pid;
        }
        wk_mem_job_forked(&j->mem);
        pthread_mutex_unlock(&w->mu);
    }
    if (pfd[1] >= 0) close(pfd[1]);
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    wk_env_free(envp);
    if (status != 0) {
        if (pfd[0] >= 0) close(pfd[0]);
        release_slot(w, j);
        return status;
    }

    /* the pipe closes at exec; before, the child may send a note (no cgroup) and then a failure */
    child_err e = {0, 0};
    bool failed = false;
    int cg_err = 0, ready = 0;
    double exec_by = now_s() + WK_EXEC_WAIT_MS / 1000.0;
    for (;;) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int ms = (int)((exec_by - now_s()) * 1000);
        ready = poll(&p, 1, ms > 0 ? ms : 0);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || read(pfd[0], &e, sizeof e) != (ssize_t)sizeof e) break;
        if (e.stage != STAGE_CGROUP_NOTE) {
            failed = true;
            break;
        }
        cg_err = e.err;
    }
    close(pfd[0]);
    if (ready == 0) wlog("job %lld (pid %d) has not reached exec in %d ms", s->job, (int)pid, WK_EXEC_WAIT_MS);
    pthread_mutex_lock(&w->mu);
    if (cg_err != 0) {
        wlog("job %lld lease %lld: cannot enter its cgroup %s (%s): RLIMIT_AS instead", s->job, s->lease,
             j->mem.group, strerror(cg_err));
        wk_mem_job_remove(&j->mem); /* nothing is in it */
        j->mem.group[0] = '\0';
        j->mem.kind = WK_MEM_RLIMIT_AS;
    }
    char mem[WK_CG_PATH + 128];
    mem_text(&j->mem, mem, sizeof mem);
    if (failed) {
        if (j->reaped)
            free_slot(w, j);
        else
            j->start_failed = true;
    } else {
        j->starting = false;
        if (j->reaped) {
            queue_report(w, j, j->status);
            free_slot(w, j);
        }
    }
    pthread_mutex_unlock(&w->mu);
    if (failed) {
        static const char *const what[] = {"", "cannot pin it to its CPUs (field 'cpus')", "cannot enter its directory",
                                           "cannot redirect its output", "cannot execute it (field 'argv')"};
        return lh_error(reply, e.stage == STAGE_AFFINITY || e.stage == STAGE_EXEC ? 400 : 500,
                        "job %lld: %s: %s", s->job, what[e.stage >= 1 && e.stage <= 4 ? e.stage : 0],
                        strerror(e.err));
    }
    char cpus[160] = "not pinned";
    if (s->ncpus > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int i = 0; i < s->ncpus; i++) CPU_SET(s->cpus[i], &set);
        memcpy(cpus, "CPUs ", 5);
        wk_cpuset_text(&set, cpus + 5, sizeof cpus - 5);
    }
    wlog("job %lld lease %lld started: pid %d in %s, output to %s, %s%s%s", s->job, s->lease, (int)pid, dir, log,
         cpus, s->numa ? " (NUMA order)" : "", mem);
    *reply = json_pack("{s:i}", "pid", (int)pid);
    return 200;
}

/* ---- the requests ---- */

/* POST /v1/run {"job", "lease", "argv", "dir", "env", "gpus", "cpus", "mem_gb", "numa"} -> {"pid"} */
static int h_run(worker *w, const json_t *body, json_t **reply)
{
    wk_spec s;
    char err[512];
    wk_cpu_view cv = {&w->have, w->cpu_map, w->n_map, w->numa_map, w->n_numa};
    if (wk_spec_parse(body, &cv, &s, err, sizeof err)) return lh_error(reply, 400, "%s", err);
    int status = start_job(w, &s, reply);
    wk_spec_free(&s);
    return status;
}

/* POST /v1/kill {"job", "grace_s"?, "lease"?} -> {"was_running"} */
static int h_kill(worker *w, const json_t *body, json_t **reply)
{
    static const char *const fields[] = {"job", "lease", "grace_s"};
    char err[512];
    long long job, lease = -1;
    double grace;
    if (wk_check_fields(body, fields, 3, err, sizeof err) || lh_get_int(body, "job", &job, err, sizeof err) ||
        (json_object_get(body, "lease") && lh_get_int(body, "lease", &lease, err, sizeof err)) ||
        wk_get_grace(body, &grace, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    bool found = false;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < WK_MAX_JOBS && !found; i++) {
        job_slot *j = &w->jobs[i];
        if (!j->used || j->job != job || j->pid <= 0 || j->start_failed) continue;
        if (lease >= 0 && j->lease != lease) {
            int status = lh_error(reply, 409, "job %lld runs lease %lld here, not %lld", job, j->lease, lease);
            pthread_mutex_unlock(&w->mu);
            return status;
        }
        term_job(j, grace);
        found = true;
        wlog("job %lld lease %lld (pid %d): SIGTERM, SIGKILL in %g s", j->job, j->lease, (int)j->pid, grace);
    }
    pthread_mutex_unlock(&w->mu);
    if (found) wake_main();
    *reply = json_pack("{s:b}", "was_running", found);
    return 200;
}

/* POST /v1/reset {"grace_s"?} -> {"stopped"} */
static int h_reset(worker *w, const json_t *body, json_t **reply)
{
    static const char *const fields[] = {"grace_s"};
    char err[512];
    double grace;
    if (wk_check_fields(body, fields, 1, err, sizeof err) || wk_get_grace(body, &grace, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    pthread_mutex_lock(&w->mu);
    int n = term_all(w, grace);
    pthread_mutex_unlock(&w->mu);
    wlog("reset: %d job%s stopped (grace %g s)", n, n == 1 ? "" : "s", grace);
    wake_main();
    *reply = json_pack("{s:i}", "stopped", n);
    return 200;
}

/* POST /v1/shutdown {"grace_s"?} -> {} (the jobs are stopped and the worker exits 0) */
static int h_shutdown(worker *w, const json_t *body, json_t **reply)
{
    static const char *const fields[] = {"grace_s"};
    char err[512];
    double grace;
    if (wk_check_fields(body, fields, 1, err, sizeof err) || wk_get_grace(body, &grace, err, sizeof err))
        return lh_error(reply, 400, "%s", err);
    pthread_mutex_lock(&w->mu);
    w->stop_requested = true;
    w->stop_grace = grace;
    pthread_mutex_unlock(&w->mu);
    wlog("shutdown requested");
    wake_main();
    *reply = json_object();
    return 200;
}

/* GET /v1/status -> {"machine", "memory_limit", "numa_nodes", "jobs": [{"job", "lease", "pid", "cpus",
 * "memory_limit", "memory_bytes"?, "cgroup"?}]} */
static int h_status(worker *w, const json_t *body, json_t **reply)
{
    (void)body;
    json_t *jobs = json_array();
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < WK_MAX_JOBS; i++) {
        const job_slot *j = &w->jobs[i];
        if (!j->used || j->pid <= 0 || j->start_failed) continue;
        json_t *cpus = json_array();
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &j->cpus)) json_array_append_new(cpus, json_integer(c));
        json_t *o = json_pack("{s:I,s:I,s:i,s:o,s:s}", "job", j->job, "lease", j->lease, "pid", (int)j->pid, "cpus",
                              cpus, "memory_limit", wk_mem_kind_name(j->mem.kind));
        if (j->mem.kind != WK_MEM_NONE) json_object_set_new(o, "memory_bytes", json_integer(j->mem.bytes));
        if (j->mem.group[0]) json_object_set_new(o, "cgroup", json_string(j->mem.group));
        json_array_append_new(jobs, o);
    }
    *reply = json_pack("{s:I,s:s,s:s,s:i,s:o}", "machine", w->machine, "instance", w->instance, "memory_limit",
                       wk_mem_kind_name(w->mem.kind), "numa_nodes", w->numa_nodes, "jobs", jobs);
    pthread_mutex_unlock(&w->mu);
    return 200;
}

static const struct route {
    const char *method, *path;
    int (*fn)(worker *, const json_t *, json_t **);
} routes[] = {
    {"POST", "/v1/run", h_run},           {"POST", "/v1/kill", h_kill}, {"POST", "/v1/reset", h_reset},
    {"POST", "/v1/shutdown", h_shutdown}, {"GET", "/v1/status", h_status},
};

static int handle(void *ud, const char *method, const char *path, const json_t *body, json_t **reply)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(path, routes[i].path) != 0) continue;
        if (strcmp(method, routes[i].method) != 0)
            return lh_error(reply, 405, "%s takes %s, not %s", path, routes[i].method, method);
        return routes[i].fn(ud, body, reply);
    }
    return lh_error(reply, 404, "no such path %s on a worker", path);
}

/* ---- start and registration ---- */

/* The address this machine reaches host from (a connected UDP socket sends nothing), for --bind 0.0.0.0. */
static int local_ip_towards(const char *host, int port, char *ip, size_t len)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0) return -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0 && inet_ntop(AF_INET, &sa.sin_addr, ip, (socklen_t)len))
        rc = 0;
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return rc;
}

/* A directory option, made if missing and made absolute (jobs run elsewhere). 0 or -1, the reason logged. */
static int dir_option(const char *opt, const char *path, char *out)
{
    if (make_dirs(path) != 0) {
        wlog("%s %s: cannot make it: %s", opt, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (realpath(path, out) == NULL || stat(out, &st) != 0) {
        wlog("%s %s: %s", opt, path, strerror(errno));
        return -1;
    }
    if (strlen(out) > WK_MAX_DIR) {
        wlog("%s %s: longer than %d bytes", opt, out, WK_MAX_DIR);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        wlog("%s %s: not a directory", opt, path);
        return -1;
    }
    return 0;
}

/* The CPUs for "numa" requests: --cpus or every CPU the worker may use, in NUMA order (hwloc). A topology
 * hwloc cannot load leaves them in their own order (logged). */
static int numa_setup(worker *w)
{
    int cpus[CPU_SETSIZE], n = 0;
    if (w->n_map > 0) {
        memcpy(cpus, w->cpu_map, (size_t)w->n_map * sizeof *cpus);
        n = w->n_map;
    } else {
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &w->have)) cpus[n++] = c;
    }
    char err[256], text[512];
    size_t m = 0;
    w->numa_nodes = wk_numa_order_here(cpus, n, w->numa_map, err, sizeof err);
    w->n_numa = n;
    if (w->numa_nodes < 0) {
        wlog("NUMA: %s: jobs asking for numa get the CPUs in their own order", err);
        w->numa_nodes = 0;
        return 0;
    }
    for (int i = 0; i < n && m + 16 < sizeof text; i++)
        m += (size_t)snprintf(text + m, sizeof text - m, "%s%d", i ? "," : "", w->numa_map[i]);
    wlog("NUMA: %d node%s; CPUs in NUMA order: %s%s", w->numa_nodes, w->numa_nodes == 1 ? "" : "s", text,
         m + 16 >= sizeof text ? "..." : "");
    return 0;
}

/* The memory limit mechanism (--memory_limit), decided and logged once. */
static int mem_setup(worker *w)
{
    const char *name = w->c->memory_limit ? w->c->memory_limit : "auto";
    int choice = wk_mem_choice_parse(name);
    char err[sizeof w->mem.why + 256];
    if (choice < 0) {
        wlog("--memory_limit '%s': expected %s", name, wk_mem_choice_names());
        return -1;
    }
    if (wk_mem_setup(&w->mem, (wk_mem_choice)choice, err, sizeof err) != 0) {
        wlog("%s", err);
        return -1;
    }
    const wk_mem *m = &w->mem;
    if (m->kind == WK_MEM_CGROUP2 || m->kind == WK_MEM_CGROUP1)
        wlog("memory limits: %s, a group per job in %s (%s%s)%s%s", wk_mem_kind_name(m->kind), m->parent,
             m->kind == WK_MEM_CGROUP2 ? "memory.max" : "memory.limit_in_bytes",
             m->kind == WK_MEM_CGROUP2 ? (m->cpuset ? ", cpuset.cpus" : ", no cpuset controller")
                                       : (m->memsw ? ", memory.memsw.limit_in_bytes" : ""),
             m->self_group[0] ? "; the worker moved itself into " : "", m->self_group);
    if (m->swept > 0)
        wlog("memory limits: %d empty group%s of workers no longer running removed from %s", m->swept,
             m->swept == 1 ? "" : "s", m->base);
    else
        wlog("memory limits: %s%s", wk_mem_kind_name(m->kind),
             m->kind == WK_MEM_RLIMIT_AS ? " (RLIMIT_AS per job process: it counts address space, not resident "
                                           "memory; CUDA processes reserve much of it and may fail to start)"
                                         : " (mem_gb is not enforced)");
    if (m->why[0] && choice != WK_MEMOPT_RLIMIT && choice != WK_MEMOPT_NONE)
        wlog("memory limits: not %s because %s", m->kind == WK_MEM_CGROUP1 ? "cgroup2" : "a cgroup", m->why);
    return 0;
}

static int setup(worker *w)
{
    const wk_config *c = w->c;
    char err[512];
    if (lh_read_token(c->token_file, w->token, sizeof w->token, err, sizeof err) != 0) {
        wlog("--token_file: %s", err);
        return -1;
    }
    if (realpath(c->token_file, w->token_file) == NULL) {
        wlog("--token_file %s: %s", c->token_file, strerror(errno));
        return -1;
    }
    if (dir_option("--run_dir", c->run_dir, w->run_dir) ||
        dir_option("--checkpoint_dir", c->checkpoint_dir, w->ckpt_dir) ||
        dir_option("--data_dir", c->data_dir, w->data_dir))
        return -1;
    if (!fits(snprintf(w->log_dir, sizeof w->log_dir, "%s/logs", w->run_dir), sizeof w->log_dir) ||
        make_dirs(w->log_dir) != 0) {
        wlog("cannot make %s: %s", w->log_dir, strerror(errno));
        return -1;
    }
    struct rlimit rl;
    w->max_fd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1048576
                    ? (int)rl.rlim_cur
                    : 65536;
    if (sched_getaffinity(0, sizeof w->have, &w->have) != 0) {
        wlog("sched_getaffinity: %s", strerror(errno));
        return -1;
    }
    if (c->cpus != NULL) {
        w->n_map = wk_parse_cpu_list(c->cpus, w->cpu_map, CPU_SETSIZE, err, sizeof err);
        if (w->n_map < 0) {
            wlog("%s", err);
            return -1;
        }
        for (int i = 0; i < w->n_map; i++)
            if (!CPU_ISSET(w->cpu_map[i], &w->have)) {
                char h[128];
                wk_cpuset_text(&w->have, h, sizeof h);
                wlog("--cpus: CPU %d is not one this worker may use (it has %s)", w->cpu_map[i], h);
                return -1;
            }
    }
    if (numa_setup(w) != 0 || mem_setup(w) != 0) return -1;
    snprintf(w->sched_addr, sizeof w->sched_addr, "%s:%d", c->sched_host, c->sched_port);
    w->http = lh_server_start(c->bind, c->port, w->token, WK_HTTP_THREADS, handle, w, err, sizeof err);
    if (w->http == NULL) {
        wlog("%s", err);
        return -1;
    }
    w->port = log_port = lh_server_port(w->http);
    if (strcmp(c->bind, "0.0.0.0") != 0) {
        snprintf(w->ip, sizeof w->ip, "%s", c->bind);
    } else if (local_ip_towards(c->sched_host, c->sched_port, w->ip, sizeof w->ip) != 0) {
        wlog("--bind 0.0.0.0: no IPv4 address of this machine reaches the scheduler at %s", w->sched_addr);
        return -1;
    }
    wlog("listening on %s:%d (run_dir %s, %d GPUs)", c->bind, w->port, w->run_dir, c->gpus);
    return 0;
}

/* POST /v1/worker/register until the scheduler answers or register_timeout_s passes, a bounded backoff
 * between tries. 0 registered; 1 refused or no answer (logged); 2 a stop signal came first. */
static int register_worker(worker *w)
{
    const wk_config *c = w->c;
    json_t *body = json_pack("{s:s,s:i,s:i,s:s,s:s}", "ip", w->ip, "port", w->port, "gpus", c->gpus, "memory_limit",
                             wk_mem_kind_name(w->mem.kind), "instance", w->instance);
    double deadline = now_s() + c->register_timeout_s, backoff = 0.2;
    char err[512] = "no try made";
    int rc = 1;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0) {
            wlog("no answer from the scheduler at %s in %g s (--register_timeout): %s", w->sched_addr,
                 c->register_timeout_s, err);
            break;
        }
        int ms = left * 1000 < LH_DEFAULT_TIMEOUT_MS ? (int)(left * 1000) + 1 : LH_DEFAULT_TIMEOUT_MS;
        json_t *reply = NULL;
        int st = lh_post(c->sched_host, c->sched_port, "/v1/worker/register", w->token, body, &reply, ms, err,
                         sizeof err);
        if (st == 200) {
            long long machine;
            double round_s, scale;
            if (lh_get_int(reply, "machine", &machine, err, sizeof err) ||
                lh_get_num(reply, "round_duration", &round_s, err, sizeof err) ||
                lh_get_num(reply, "time_scale", &scale, err, sizeof err) || machine < 0 || !(round_s > 0) ||
                !(scale > 0)) {
                wlog("the scheduler at %s answered the registration with %s", w->sched_addr,
                     machine < 0 || !(round_s > 0) || !(scale > 0) ? "a value out of range" : err);
            } else {
                pthread_mutex_lock(&w->mu);
                w->machine = machine;
                w->round_s = round_s;
                w->time_scale = scale;
                pthread_mutex_unlock(&w->mu);
                wlog("registered with the scheduler at %s as machine %lld (rounds of %g s, time scale %g)",
                     w->sched_addr, machine, round_s, scale);
                rc = 0;
            }
            json_decref(reply);
            break;
        }
        json_decref(reply);
        if (st > 0) {
            wlog("the scheduler at %s refused the registration: %s", w->sched_addr, err);
            break;
        }
        int sig = wait_signal(w, fmin(backoff, deadline - now_s()));
        pthread_mutex_lock(&w->mu);
        bool asked = w->stop_requested;
        pthread_mutex_unlock(&w->mu);
        if (is_stop_signal(sig) || asked) {
            wlog("stopped before registering");
            rc = 2;
            break;
        }
        backoff = fmin(backoff * 2, 5.0);
    }
    json_decref(body);
    return rc;
}

/* The main thread's loop after registration: reap, send the due SIGKILLs, wait for the next signal or
 * deadline. Returns the grace the jobs get at the end. */
static double serve_loop(worker *w)
{
    for (;;) {
        reap_all(w);
        double next = fire_kills(w);
        pthread_mutex_lock(&w->mu);
        bool stop = w->stop_requested;
        double grace = w->stop_grace;
        pthread_mutex_unlock(&w->mu);
        if (stop) return grace;
        if (retry_groups(w, false)) next = fmin(next, now_s() + 0.1);
        int sig = wait_signal(w, fmin(next - now_s(), WK_IDLE_WAKE_S));
        if (is_stop_signal(sig)) {
            wlog("%s: stopping", strsignal(sig));
            return WK_DEFAULT_GRACE_S;
        }
    }
}

int wk_run(const wk_config *c)
{
    worker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        fprintf(stderr, "locus sched worker: out of memory\n");
        return 1;
    }
    w->c = c;
    w->machine = -1;
    w->time_scale = 1;
    struct timespec born;
    clock_gettime(CLOCK_REALTIME, &born);
    snprintf(w->instance, sizeof w->instance, "%d-%lld.%09ld", (int)getpid(), (long long)born.tv_sec, born.tv_nsec);
    w->stop_grace = WK_DEFAULT_GRACE_S;
    log_port = c->port;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->report_cv, NULL);
    /* Before any thread exists, so every thread inherits the mask: only sigtimedwait takes these.
     * An ignored signal is dropped even when blocked: those the worker waits for get their default action
     * (never taken: they are blocked), except SIGHUP under nohup, which stays ignored. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&w->sigs);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigs[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        signal(sigs[i], SIG_DFL);
        sigaddset(&w->sigs, sigs[i]);
    }
    pthread_sigmask(SIG_BLOCK, &w->sigs, NULL);

    int rc = 1;
    pthread_t rep;
    bool have_reporter = false;
    if (setup(w) == 0) {
        have_reporter = pthread_create(&rep, NULL, reporter, w) == 0;
        if (!have_reporter) wlog("cannot start the reporter thread");
        int reg = have_reporter ? register_worker(w) : 1;
        double grace = WK_DEFAULT_GRACE_S;
        if (reg == 0) grace = serve_loop(w);
        rc = reg == 1 ? 1 : 0;
        stop_all(w, grace);
        for (int t = 0; t < 20 && retry_groups(w, false); t++) wait_signal(w, 0.1);
        retry_groups(w, true);
    }
    wk_mem_close(&w->mem);
    if (have_reporter) {
        pthread_mutex_lock(&w->mu);
        w->reporter_stop = true;
        w->reporter_deadline = now_s() + WK_DRAIN_S;
        pthread_cond_broadcast(&w->report_cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(rep, NULL);
    }
    if (w->http) {
        wait_signal(w, 0.2); /* the reply to /v1/shutdown leaves before the server closes */
        lh_server_stop(w->http);
    }
    wlog("stopped");
    pthread_cond_destroy(&w->report_cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
    return rc;
}
