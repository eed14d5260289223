/* The live scheduler's state (serve.c), shared with its state file (serve_state.c) and its status page
 * (serve_status.c). One mutex (serve.mu) guards everything here. */
#ifndef LOCUS_SCHED_SERVE_INT_H
#define LOCUS_SCHED_SERVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "../core/core.h"
#include "../sim/sim.h"
#include "http.h"

enum { ACT_NONE, ACT_CONTINUE, ACT_STOP };

#define NO_PROGRESS_LEASES 10 /* a job whose leases end this many times in a row with no step is given up */
#define SEND_THREADS 8        /* most threads sending one round's requests to the workers */
#define SEND_MIN_PER_THREAD 4 /* fewer requests than this per thread go out from the main thread alone */

typedef struct serve_worker {
    char ip[64];
    int port, start_gpu, start_cpu;
    bool numa, registered;
    bool lost;                  /* stopped answering (or restarted): its jobs were re-queued; it may come back */
    char instance[64];          /* the worker process's own id from its registration ("" if it sent none) */
    char memory_limit[16];      /* how it enforces a job's memory: cgroup2, cgroup1, rlimit_as, none */
    double last_seen;           /* wall time of its last answer or registration */
    int times_lost;
    char lost_why[160];
    int *gpu_owner, *cpu_owner; /* per local GPU / CPU: the job position holding it, -1 free */
    lh_client *conn;            /* the connection the dispatch keeps open to it (one sender at a time) */
    lh_client *mon;             /* the monitor thread's own connection to it */
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
    int old_alive;              /* processes of the lease that ended (`ended`) not yet reported gone */
    long late_budget;           /* > 0: the ended lease closed before its report came; the report, when it
                                   comes, is still credited up to this many steps */
    /* faults: a worker's exit report names the lease its process was started with (an extension keeps the
     * process, so its lease id moves on while the worker's does not) */
    int run_lease;              /* the lease the current processes were started with */
    int old_run_lease;          /* the same for the processes told to stop (old_alive) */
    bool lease_failed;          /* a process of the current lease ended with a code != 0 or a signal */
    bool lease_lost;            /* a machine of the current lease was lost */
    int failures;               /* failed leases so far (retried while <= max_retries) */
    int idle_leases;            /* leases in a row that ended with no step reported */
    bool failed;                /* given up: failures > max_retries, or it could not be started */
    double failed_at;           /* the round time it was given up */
    char reason[200];           /* the last failure */
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
    /* faults */
    int max_retries;            /* a failed job is started again this many times */
    double worker_timeout;      /* wall seconds without an answer before a worker is lost */
    double lost_timeout;        /* wall seconds jobs may wait, with nothing running, for lost workers */
    long n_failed;
    pthread_t monitor;
    bool monitor_on;
    /* for the state file and the status page */
    double T;                   /* the current round's logical time */
    long rounds;                /* rounds run (since the first start) */
    int next_arrival;           /* jobs [0, next_arrival) have arrived */
    char state_path[4200];      /* --state_dir's state.json, "" without one */
    bool resumed;               /* started from a state file */
    double started_wall;
    lh_server *http;
    FILE *log;
    FILE *leases;               /* leases_all.csv rows, in memory until the output folder exists */
    char *leases_buf;
    size_t leases_len;
    FILE *timing;               /* serve_rounds_all.csv rows, likewise */
    char *timing_buf;
    size_t timing_len;
} serve;

typedef struct serve_run {
    sched_sim_result res;
    long cap_jobs, cap_rounds;
} serve_run;

/* Machine m is lost (serve.c): its running processes are counted gone, their leases lost, under the lock. */
void worker_lost(serve *s, int m, const char *why);

/* The state file (serve_state.c): saved at every round end under the lock; loaded once, after the workload and
 * before the first round, onto the jobs and the (empty) queue and results. 0, or -1 with "path: reason". */
int serve_state_save(serve *s, char *err, size_t errlen);
int serve_state_load(serve *s, serve_run *run, char *err, size_t errlen);

/* The status (serve_status.c), under the lock: the JSON of GET /status, and the page of GET / (malloc'ed
 * HTML, NULL when out of memory). */
json_t *serve_status_json(serve *s);
char *serve_status_html(serve *s);

/* Monotonic wall seconds. */
double wall_s(void);
/* A line "locus sched serve: ..." on the log (stderr unless --quiet). */
void logf_(serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
