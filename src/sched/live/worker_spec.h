/* The worker's `/v1/run` request as a checked value (docs/sched-serve.md "Worker ↔ scheduler"), and the job's
 * environment built from it. Pure code: no I/O, no process state read except what the caller passes in, so
 * every rule (types, ranges, reserved variables, CPUs this machine has) is checked before a process is made.
 * Includers define _GNU_SOURCE first (cpu_set_t). */
#ifndef LOCUS_SCHED_LIVE_WORKER_SPEC_H
#define LOCUS_SCHED_LIVE_WORKER_SPEC_H

#include <jansson.h>
#include <sched.h>
#include <stddef.h>

#define WK_MAX_ARGS 4096  /* argv entries of a job */
#define WK_MAX_IDS 1024   /* GPU or CPU ids of a job */
#define WK_MAX_GPU_ID 65535
#define WK_MAX_GRACE_S 3600.0
#define WK_DEFAULT_GRACE_S 5.0
#define WK_MAX_PATH 1024  /* `dir` of a request */
#define WK_MAX_DIR 960    /* the worker's directories (absolute), so that dir/job<id> fits WK_MAX_PATH */

/* A checked run request. Owns every string and array (wk_spec_free). */
typedef struct wk_spec {
    long long job, lease;
    char **argv;  /* NULL-terminated, at least argv[0] (non-empty) */
    int argc;
    char *dir;    /* relative to --run_dir, no ".." component; "." when absent */
    char **env_keys, **env_vals;
    int nenv;
    int gpus[WK_MAX_IDS], ngpus;
    int cpus[WK_MAX_IDS], ncpus;  /* empty: no pinning */
    double mem_gb;                /* the memory limit in GiB (-1 when absent; 0: no limit) */
    int numa;                     /* "numa": the CPU ids went through the NUMA-ordered list */
} wk_spec;

/* How the scheduler's CPU ids of a request become this machine's CPUs. */
typedef struct wk_cpu_view {
    const cpu_set_t *have; /* the CPUs this worker may use */
    const int *map;        /* --cpus as listed (n_map 0: none given) */
    int n_map;
    const int *numa;       /* for "numa": true, map (with --cpus) or else the CPUs of have in ascending order, */
    int n_numa;            /* put in NUMA order (n_numa 0: no such list; numa requests then map as the others) */
} wk_cpu_view;

/* body: the request (may be NULL: every required field missing). CPU id c becomes map[c mod n_map] with
 * --cpus, c itself without; for a "numa": true request numa[c mod n_numa] with --cpus, and without, numa[r]
 * where c is the r-th CPU of have (the same set, reordered; a c not in have is refused as in any request).
 * 0, or -1 with "field 'name': reason" in err (unknown fields are refused too, named); on -1 nothing is left
 * to free. */
int wk_spec_parse(const json_t *body, const wk_cpu_view *cv, wk_spec *s, char *err, size_t errlen);
/* "0-3,8" into ids (at most max); the count, or -1 with the reason in err. */
int wk_parse_cpu_list(const char *text, int *ids, int max, char *err, size_t errlen);
void wk_spec_free(wk_spec *s);

/* For /v1/kill, /v1/reset and /v1/shutdown: 0, or -1 with "field 'x': unknown (...)" when body has a field
 * not in names (body may be NULL). */
int wk_check_fields(const json_t *body, const char *const *names, size_t n, char *err, size_t errlen);
/* The optional grace_s of body: WK_DEFAULT_GRACE_S when absent, else a number in [0, WK_MAX_GRACE_S]. */
int wk_get_grace(const json_t *body, double *grace, char *err, size_t errlen);

/* A command line (serve's --job_command) split into words as a POSIX shell splits them, with no expansion:
 * blanks (space, tab, newline) separate words; '...' keeps everything in it as it is; "..." keeps everything but
 * a backslash before a double quote, a backslash, $ or `; a backslash outside quotes keeps the next character;
 * a backslash-newline is a line continuation. So `python3 train.py --name 'run 1'` is four words, and `$X`
 * stays `$X` (for expansions, name `sh -c '...'`). 0 with *argv (NULL-terminated, at most WK_MAX_ARGS words, all
 * allocated; wk_argv_free) and *argc, or -1 with the reason in err (no word, a quote not closed, a final
 * backslash, too many words); *argv is then NULL. */
int wk_split_command(const char *line, char ***argv, int *argc, char *err, size_t errlen);
void wk_argv_free(char **argv);

/* "0-3,8" for a CPU set (at most len bytes, truncated with "..."). */
void wk_cpuset_text(const cpu_set_t *set, char *buf, size_t len);

/* What the worker adds to every job's environment (docs/sched-serve.md). */
typedef struct wk_vars {
    const char *sched_addr;      /* LOCUS_SCHED_ADDR, "ip:port" */
    const char *token_file;      /* LOCUS_SCHED_TOKEN_FILE, absolute */
    double time_scale;           /* LOCUS_TIME_SCALE */
    const char *log_dir;         /* SYNERGY_LOG_DIR unless the request's env has it */
    const char *checkpoint_dir;  /* SYNERGY_CHECKPOINT_DIR unless the request's env has it */
} wk_vars;

/* The job's environment: base (the worker's, NULL-terminated "K=V") with the request's env over it and the
 * worker's variables over both. Returns a new NULL-terminated array of new strings (wk_env_free), or NULL
 * when out of memory. */
char **wk_spec_environ(const wk_spec *s, char *const *base, const wk_vars *v);
void wk_env_free(char **env);

/* Whether the request's env sets `key` (SYNERGY_CHECKPOINT_DIR: the worker then makes no directory). */
int wk_spec_has_env(const wk_spec *s, const char *key);

#endif
