/* `locus sched worker`: the process on each GPU machine that registers with the scheduler, starts and stops its
 * jobs and reports their exits (docs/sched-serve.md "Worker ↔ scheduler").
 *
 * Threads, all bounded: the HTTP server's pool (WK_HTTP_THREADS) runs the requests; the main thread waits for
 * signals (sigtimedwait: SIGCHLD, SIGTERM/SIGINT, and SIGUSR1, which handlers send to wake it) and reaps the
 * jobs, sends the SIGKILLs whose grace has passed, and stops everything at the end; one reporter thread posts
 * the exits to the scheduler from a queue. Those signals are blocked in every thread (so only the main thread's
 * sigtimedwait takes them) and unblocked in a job before exec. Every wait has a timeout. */
#ifndef LOCUS_SCHED_LIVE_WORKER_H
#define LOCUS_SCHED_LIVE_WORKER_H

#include <stddef.h>

#define WK_HTTP_THREADS 4
#define WK_MAX_JOBS 256           /* jobs running at once on one worker */
#define WK_MAX_REPORTS 4096       /* exit reports waiting to be sent */
#define WK_REPORT_TRIES 3         /* lh_post calls per exit report (each retries connection errors itself) */
#define WK_DRAIN_S 5.0            /* at the end: how long the last exit reports may take */
#define WK_REAP_WAIT_S 5.0        /* at the end: how long after the SIGKILLs the jobs may take to go */
#define WK_IDLE_WAKE_S 5.0        /* the main thread's longest wait */
#define WK_EXEC_WAIT_MS 10000     /* how long a started job may take to reach exec */
#define WK_CG_RETRY_S 10.0        /* how long an ended job's cgroup is retried for removal (it is busy while its
                                     last processes exit) */

/* The options of `locus sched worker` (worker_cmd.c parses them). Strings are borrowed. */
typedef struct wk_config {
    const char *sched_host;   /* -i */
    int sched_port;           /* -s */
    int port;                 /* -w (0: any free port, registered as bound) */
    int gpus;                 /* -g: GPUs of this worker, registered */
    const char *token_file, *run_dir, *data_dir, *checkpoint_dir, *bind;
    const char *cpus;         /* --cpus LIST: the machine CPUs the scheduler's CPU ids map onto (NULL: as given) */
    const char *memory_limit; /* --memory_limit: a wk_mem_choice name (NULL: auto) */
    double register_timeout_s;
} wk_config;

/* Runs the worker until /v1/shutdown, SIGTERM or SIGINT (0), or until it cannot start: a bad directory or
 * token file, an address it cannot bind, a scheduler that refuses it or does not answer within
 * register_timeout_s (1, the reason on stderr). Blocks the signals it waits for in the calling thread, which
 * must be the only thread of the process. */
int wk_run(const wk_config *c);

/* argv[0] as execve takes it, into out: a path with a '/' (relative ones from dir), else the first executable
 * of that name in envp's PATH (an empty PATH entry is dir). 0, or -1 with the reason (field 'argv') in err. */
int wk_resolve_prog(const char *name, const char *dir, char **envp, char *out, size_t len, char *err,
                    size_t errlen);

#endif
