/* The worker's memory limit per job (docs/sched-serve.md "Memory limits"): which mechanism this machine allows,
 * decided once at start, and the per-job steps (a cgroup made before the fork, entered by the child before exec,
 * its OOM kills read and the group removed when the job ends).
 *
 * Mechanisms, best first: a cgroup v2 child group per job (memory.max, memory.swap.max 0, memory.oom.group 1,
 * cpuset.cpus when the cpuset controller is there too); a cgroup v1 memory child group per job
 * (memory.limit_in_bytes, memory.memsw.limit_in_bytes where swap is accounted) in the worker's own v1 memory
 * group; RLIMIT_AS set in the child before exec; none.
 *
 * The text parsers and the cgroup v2 decision are pure (fed the contents of /proc/self/cgroup,
 * /proc/self/mountinfo and the group's files) and unit-tested; the rest reads and writes the cgroup file
 * systems. Includers define _GNU_SOURCE first. */
#ifndef LOCUS_SCHED_LIVE_WORKER_MEM_H
#define LOCUS_SCHED_LIVE_WORKER_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define WK_CG_PATH 640         /* a job's cgroup directory (the parent is refused if it leaves no room) */
#define WK_CG_NAME_ROOM 96     /* what a job group's own name may take of WK_CG_PATH */
#define WK_CG_TEXT_MAX 65536   /* the most read of one cgroup or /proc file */
#define WK_GIB 1073741824.0    /* mem_gb is in GiB: bytes = mem_gb x 2^30 */
#define WK_CG_WHY (4 * WK_CG_PATH + 128) /* one mechanism's reason for not applying (it names up to 3 paths) */

typedef enum { WK_MEM_NONE, WK_MEM_RLIMIT_AS, WK_MEM_CGROUP1, WK_MEM_CGROUP2 } wk_mem_kind;

/* What `--memory_limit` asks for. */
typedef enum {
    WK_MEMOPT_AUTO,    /* the best that works here: cgroup2, cgroup1, rlimit */
    WK_MEMOPT_CGROUP,  /* cgroup2 or cgroup1, else a startup error */
    WK_MEMOPT_CGROUP2, /* only cgroup v2, else a startup error */
    WK_MEMOPT_CGROUP1, /* only cgroup v1, else a startup error */
    WK_MEMOPT_RLIMIT,  /* RLIMIT_AS */
    WK_MEMOPT_NONE,    /* no limit (mem_gb only informative, as before) */
} wk_mem_choice;

/* "auto", "cgroup", ... -> the choice; -1 for an unknown name. */
int wk_mem_choice_parse(const char *name);
/* The names accepted, "auto|cgroup|...", for messages and --help. */
const char *wk_mem_choice_names(void);
/* "none", "rlimit_as", "cgroup1", "cgroup2": what GET /v1/status and the registration say. */
const char *wk_mem_kind_name(wk_mem_kind k);

/* The worker's mechanism, decided by wk_mem_setup. */
typedef struct wk_mem {
    wk_mem_kind kind;
    char parent[WK_CG_PATH]; /* cgroup: the directory the job groups are made in */
    char base[WK_CG_PATH];   /* cgroup: the worker's own group as it found it (parent or parent's parent) */
    int swept;               /* groups of workers no longer running removed from base at start */
    bool made_parent;        /* parent is a group the worker made (removed by wk_mem_close) */
    char self_group[WK_CG_PATH]; /* cgroup2: the leaf the worker moved itself into ("" when it did not move) */
    bool cpuset;             /* cgroup2: the job groups have the cpuset controller */
    bool memsw;              /* cgroup1: memory.memsw.limit_in_bytes exists (swap is accounted) */
    long long as_hard;       /* the worker's own hard RLIMIT_AS (-1: unlimited): a job's is at most that */
    pid_t self;
    char why[2 * WK_CG_WHY + 64]; /* why the better mechanisms do not apply here ("" if the best does) */
} wk_mem;

/* Decides the mechanism for `choice`, making (and probing) what it needs, and removes the empty groups that
 * workers no longer running left in the worker's group (one killed with SIGKILL cannot remove its jobs'
 * groups). 0, or -1 with the reason in err when the mechanism asked for (cgroup, cgroup2, cgroup1) cannot be
 * used here. May move the calling process into a child group of its own cgroup v2 group (see docs); call it
 * before any thread exists. */
int wk_mem_setup(wk_mem *m, wk_mem_choice choice, char *err, size_t errlen);
/* At the end: removes the parent group if the worker made it (its job groups are gone by then). */
void wk_mem_close(wk_mem *m);

/* One job's limit. */
typedef struct wk_job_mem {
    wk_mem_kind kind;        /* what applies to this job: NONE when no limit was asked (mem_gb absent or 0) */
    long long bytes;         /* the limit asked, mem_gb x 2^30 */
    long long as_bytes;      /* RLIMIT_AS: what the child sets (bytes, or the worker's lower hard limit) */
    char group[WK_CG_PATH];  /* cgroup: the job's group ("" when none) */
    int procs_fd;            /* cgroup: its cgroup.procs, open for the child to write "0" (-1: none; only
                                meaningful with a group, so that a zeroed wk_job_mem owns nothing) */
    bool cpuset;             /* cgroup2: cpuset.cpus was written */
} wk_job_mem;

/* Before the fork: the job's group (job, lease name it) made with its limit of mem_gb GiB (< 0 or 0: no limit)
 * and, for cgroup2, cpuset.cpus = cpus_text (NULL or "": not written). A group that cannot be made falls back
 * to RLIMIT_AS for this job, with the reason in note (else note is ""). Never fails. */
void wk_mem_job_prepare(const wk_mem *m, long long job, long long lease, double mem_gb, const char *cpus_text,
                        wk_job_mem *jm, char *note, size_t notelen);
/* After the fork, in the parent: closes the child's descriptor. */
void wk_mem_job_forked(wk_job_mem *jm);
/* In the child between fork and exec (async-signal-safe): enters the group. 0, or the errno of the write to
 * cgroup.procs (the child then sets RLIMIT_AS instead: jm->kind is not changed there, the parent is told). */
int wk_mem_child_enter(const wk_job_mem *jm);
/* In the child, last before exec (async-signal-safe): RLIMIT_AS when it applies (or `force`, after a failed
 * enter). */
void wk_mem_child_rlimit(const wk_job_mem *jm, bool force);

/* When the job has ended: the OOM kills counted in its group (memory.events oom_kill for v2,
 * memory.oom_control oom_kill for v1; 0 without a group). If that is > 0, reason gets "memory limit (cgroup2
 * memory.max N bytes)" or the v1 equivalent; else "". */
long long wk_mem_job_ooms(const wk_job_mem *jm, char *reason, size_t len);
/* Kills what is left in the job's group and removes it: 0 (removed, or there was none), -1 still busy (try
 * again later with wk_mem_group_remove). */
int wk_mem_job_remove(wk_job_mem *jm);
int wk_mem_group_remove(const char *group, bool v2);

/* ---- pure parts ---- */

/* /proc/self/cgroup text: the path of the cgroup v2 line ("0::PATH") when ctrl is NULL, else of the v1 line
 * whose controller list has ctrl ("4:memory:/a/b"). 0, or -1 when there is none. */
int wk_cg_self_path(const char *proc_cgroup, const char *ctrl, char *out, size_t len);
/* /proc/self/mountinfo text: the mount point and root of the first cgroup2 file system (ctrl NULL) or of the
 * cgroup v1 hierarchy whose super options have ctrl. 0, or -1 when none is mounted. */
int wk_cg_mount(const char *mountinfo, const char *ctrl, char *mnt, size_t mntlen, char *root, size_t rootlen);
/* The directory of cgroup `path` in a hierarchy mounted at mnt whose root is `root`: 0, or -1 when path is not
 * under root (or does not fit). */
int wk_cg_dir(const char *mnt, const char *root, const char *path, char *out, size_t len);
/* Whether the whitespace-separated list has word. */
bool wk_cg_has_word(const char *list, const char *word);
/* A "key N" line's N in text (memory.events, memory.oom_control); -1 when absent. */
long long wk_cg_key(const char *text, const char *key);

/* How the job groups can be made under the worker's cgroup v2 group G, from G's cgroup.controllers, its
 * cgroup.subtree_control and its cgroup.procs: */
typedef enum {
    WK_CG2_UNDER_NEW, /* memory is on in G's subtree_control already: a group of the worker's own under G,
                         memory (and cpuset) enabled in it, the job groups in that */
    WK_CG2_MOVE_SELF, /* the worker is G's only process: it moves into a leaf of its own, memory is enabled in
                         G's subtree_control, the job groups are made in G */
    WK_CG2_CANNOT,    /* why says why */
} wk_cg2_plan;
wk_cg2_plan wk_cg2_decide(const char *controllers, const char *subtree, const char *procs, pid_t self, char *why,
                          size_t whylen);

#endif
