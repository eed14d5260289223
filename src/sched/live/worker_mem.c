/* The worker's memory limit per job (see worker_mem.h): the text parsers, the cgroup v2 decision, the start-up
 * probe of each mechanism and the per-job group's life.
 *
 * Facts from the kernel's cgroup documentation this relies on: writing "0" to a group's cgroup.procs moves the
 * writing process (both versions); cgroup v2 gives a controller to child groups only through
 * cgroup.subtree_control, which a non-root group with processes of its own may not set ("no internal
 * processes"); a v2 group's memory.events counts oom_kill, v1's memory.oom_control has an oom_kill line (4.13
 * and later); cgroup.kill (v2, 5.14 and later) kills every process in a group; a group is removed with rmdir
 * once no process is left in it. */
#define _GNU_SOURCE
#include "worker_mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    wk_mem_choice choice;
    bool v2, v1, rlimit, strict; /* mechanisms tried in that order; strict: none of them is an error */
} choices[] = {
    {"auto", WK_MEMOPT_AUTO, true, true, true, false},
    {"cgroup", WK_MEMOPT_CGROUP, true, true, false, true},
    {"cgroup2", WK_MEMOPT_CGROUP2, true, false, false, true},
    {"cgroup1", WK_MEMOPT_CGROUP1, false, true, false, true},
    {"rlimit", WK_MEMOPT_RLIMIT, false, false, true, true},
    {"none", WK_MEMOPT_NONE, false, false, false, false},
};
#define NCHOICES (sizeof choices / sizeof choices[0])

int wk_mem_choice_parse(const char *name)
{
    for (size_t i = 0; i < NCHOICES; i++)
        if (strcmp(name, choices[i].name) == 0) return (int)choices[i].choice;
    return -1;
}

const char *wk_mem_choice_names(void)
{
    return "auto|cgroup|cgroup2|cgroup1|rlimit|none";
}

const char *wk_mem_kind_name(wk_mem_kind k)
{
    static const char *const names[] = {"none", "rlimit_as", "cgroup1", "cgroup2"};
    return k >= WK_MEM_NONE && k <= WK_MEM_CGROUP2 ? names[k] : "?";
}

/* ---- pure parts ---- */

/* The next line of *p into [*b, *e) (without its '\n'); false at the end. */
static bool next_line(const char **p, const char **b, const char **e)
{
    if (**p == '\0') return false;
    *b = *p;
    *e = strchr(*p, '\n');
    if (*e == NULL) *e = *p + strlen(*p);
    *p = **e ? *e + 1 : *e;
    return true;
}

/* Whether the comma-separated list [b, e) has word. */
static bool comma_has(const char *b, const char *e, const char *word)
{
    size_t wl = strlen(word);
    while (b < e) {
        const char *c = memchr(b, ',', (size_t)(e - b));
        if (c == NULL) c = e;
        if ((size_t)(c - b) == wl && strncmp(b, word, wl) == 0) return true;
        b = c + 1;
    }
    return false;
}

static int copy_span(const char *b, const char *e, char *out, size_t len)
{
    size_t n = (size_t)(e - b);
    if (n >= len) return -1;
    memcpy(out, b, n);
    out[n] = '\0';
    return 0;
}

int wk_cg_self_path(const char *text, const char *ctrl, char *out, size_t len)
{
    const char *p = text, *b, *e;
    while (next_line(&p, &b, &e)) {
        const char *c1 = memchr(b, ':', (size_t)(e - b));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;
        if (c2 == NULL) continue;
        bool match = ctrl == NULL ? c1 - b == 1 && b[0] == '0' && c2 == c1 + 1 : comma_has(c1 + 1, c2, ctrl);
        if (match) return copy_span(c2 + 1, e, out, len);
    }
    return -1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: the field [b, e) unescaped into out. */
static int unescape(const char *b, const char *e, char *out, size_t len)
{
    size_t n = 0;
    for (const char *s = b; s < e; s++) {
        char c = *s;
        if (c == '\\' && e - s >= 4 && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
            s[3] <= '7') {
            c = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        }
        if (n + 1 >= len) return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

int wk_cg_mount(const char *text, const char *ctrl, char *mnt, size_t mntlen, char *root, size_t rootlen)
{
    const char *p = text, *b, *e;
    while (next_line(&p, &b, &e)) {
        /* ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS */
        const char *f[64][2];
        int n = 0;
        for (const char *s = b; s < e && n < 64;) {
            while (s < e && *s == ' ') s++;
            if (s == e) break;
            const char *t = s;
            while (t < e && *t != ' ') t++;
            f[n][0] = s, f[n][1] = t, n++;
            s = t;
        }
        int dash = -1;
        for (int i = 6; i < n && dash < 0; i++)
            if (f[i][1] - f[i][0] == 1 && f[i][0][0] == '-') dash = i;
        if (dash < 0 || dash + 1 >= n) continue;
        const char *fs = f[dash + 1][0];
        size_t fsl = (size_t)(f[dash + 1][1] - fs);
        bool match;
        if (ctrl == NULL)
            match = fsl == 7 && strncmp(fs, "cgroup2", 7) == 0;
        else
            match = fsl == 6 && strncmp(fs, "cgroup", 6) == 0 && dash + 3 < n &&
                    comma_has(f[dash + 3][0], f[dash + 3][1], ctrl);
        if (match)
            return unescape(f[4][0], f[4][1], mnt, mntlen) || unescape(f[3][0], f[3][1], root, rootlen) ? -1 : 0;
    }
    return -1;
}

int wk_cg_dir(const char *mnt, const char *root, const char *path, char *out, size_t len)
{
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/') rl--; /* "/" is the empty prefix */
    if (strncmp(path, root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/')) return -1;
    const char *rest = path + rl;
    while (*rest == '/') rest++;
    int n = *rest ? snprintf(out, len, "%s/%s", mnt, rest) : snprintf(out, len, "%s", mnt);
    if (n < 0 || (size_t)n >= len) return -1;
    while (n > 1 && out[n - 1] == '/') out[--n] = '\0';
    return 0;
}

bool wk_cg_has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *s = list; *s;) {
        while (*s && isspace((unsigned char)*s)) s++;
        const char *t = s;
        while (*t && !isspace((unsigned char)*t)) t++;
        if ((size_t)(t - s) == wl && wl > 0 && strncmp(s, word, wl) == 0) return true;
        s = t;
    }
    return false;
}

long long wk_cg_key(const char *text, const char *key)
{
    size_t kl = strlen(key);
    const char *p = text, *b, *e;
    while (next_line(&p, &b, &e)) {
        if ((size_t)(e - b) > kl && strncmp(b, key, kl) == 0 && b[kl] == ' ') {
            char *end;
            long long v = strtoll(b + kl + 1, &end, 10);
            if (end > b + kl + 1) return v;
        }
    }
    return -1;
}

wk_cg2_plan wk_cg2_decide(const char *controllers, const char *subtree, const char *procs, pid_t self, char *why,
                          size_t whylen)
{
    if (!wk_cg_has_word(controllers, "memory")) {
        char list[200];
        snprintf(list, sizeof list, "%s", controllers);
        list[strcspn(list, "\n")] = '\0';
        snprintf(why, whylen,
                 "the memory controller is not available to the worker's group (its cgroup.controllers: '%s'; "
                 "on a hybrid system memory is a v1 controller)",
                 list);
        return WK_CG2_CANNOT;
    }
    if (wk_cg_has_word(subtree, "memory")) return WK_CG2_UNDER_NEW;
    int others = 0;
    for (const char *s = procs; *s;) {
        char *end;
        long pid = strtol(s, &end, 10);
        if (end == s) {
            s++;
            continue;
        }
        if (pid != (long)self) others++;
        s = end;
    }
    if (others == 0) return WK_CG2_MOVE_SELF;
    snprintf(why, whylen,
             "%d other process%s in the worker's group: cgroup v2 gives the memory controller to child groups "
             "only from a group with no processes of its own (start the worker in a group of its own, e.g. "
             "`systemd-run --scope -p Delegate=yes locus sched worker ...`)",
             others, others == 1 ? " is" : "es are");
    return WK_CG2_CANNOT;
}

/* ---- files ---- */

/* The file at path (at most len - 1 bytes) into buf: 0, or -1 with errno. */
static int read_text(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0 || (n += (size_t)r) == len - 1) break;
    }
    buf[n] = '\0';
    close(fd);
    return 0;
}

/* text written to an existing file in one write (cgroup files take one value a write): 0, or -1 with errno. */
static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    ssize_t w;
    do w = write(fd, text, n);
    while (w < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (w == (ssize_t)n) return 0;
    errno = w < 0 ? e : EIO;
    return -1;
}

/* dir/name into out (WK_CG_PATH): false when it does not fit. */
static bool join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, WK_CG_PATH, "%s/%s", dir, name);
    return n > 0 && n < WK_CG_PATH;
}

static int write_in(const char *dir, const char *name, const char *text)
{
    char p[WK_CG_PATH];
    if (!join(p, dir, name)) return errno = ENAMETOOLONG, -1;
    return write_text(p, text);
}

static int read_in(const char *dir, const char *name, char *buf, size_t len)
{
    char p[WK_CG_PATH];
    if (!join(p, dir, name)) return errno = ENAMETOOLONG, -1;
    return read_text(p, buf, len);
}

static bool exists_in(const char *dir, const char *name)
{
    char p[WK_CG_PATH];
    return join(p, dir, name) && access(p, F_OK) == 0;
}

/* SIGKILL to every process listed in the group's cgroup.procs. */
static void kill_listed(const char *group)
{
    char *buf = malloc(WK_CG_TEXT_MAX);
    if (buf == NULL || read_in(group, "cgroup.procs", buf, WK_CG_TEXT_MAX) != 0) {
        free(buf);
        return;
    }
    for (char *s = buf; *s;) {
        char *end;
        long pid = strtol(s, &end, 10);
        if (end == s) {
            s++;
            continue;
        }
        if (pid > 1) kill((pid_t)pid, SIGKILL);
        s = end;
    }
    free(buf);
}

int wk_mem_group_remove(const char *group, bool v2)
{
    if (!*group) return 0;
    if (v2) write_in(group, "cgroup.kill", "1"); /* absent before 5.14: the listed ones are killed below */
    kill_listed(group);
    if (rmdir(group) == 0 || errno == ENOENT) return 0;
    return -1;
}

/* ---- start-up: the mechanisms ---- */

/* The pid in a group name the worker makes ("locus-w<pid>-..." or "locus-worker-<pid>"), 0 for another name. */
static pid_t owner_of(const char *name)
{
    const char *p = strncmp(name, "locus-worker-", 13) == 0 ? name + 13 : strncmp(name, "locus-w", 7) == 0 ? name + 7 : NULL;
    if (p == NULL || !isdigit((unsigned char)*p)) return 0;
    char *end;
    long pid = strtol(p, &end, 10);
    return (*end == '\0' || *end == '-') && pid > 0 ? (pid_t)pid : 0;
}

/* Removes the groups in dir that workers no longer running made (a worker killed with SIGKILL leaves its jobs'
 * groups behind). Only empty groups can be removed (rmdir refuses the others), and a worker that is alive, or
 * whose pid another process has now, keeps its own. Returns how many went. */
static int sweep_stale(const wk_mem *m, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t pid = owner_of(e->d_name);
        char p[WK_CG_PATH];
        if (pid == 0 || pid == m->self || !join(p, dir, e->d_name)) continue;
        if (kill(pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to ask): kept */
        if (depth == 0 && strncmp(e->d_name, "locus-worker-", 13) == 0) n += sweep_stale(m, p, 1);
        if (rmdir(p) == 0) n++;
    }
    closedir(d);
    return n;
}

/* The worker's group of one hierarchy (ctrl NULL: v2) into dir: 0, or -1 with the reason. */
static int own_group(const char *ctrl, char *dir, size_t len, char *why, size_t whylen)
{
    char *cg = malloc(WK_CG_TEXT_MAX), *mi = malloc(WK_CG_TEXT_MAX);
    char path[WK_CG_PATH], mnt[WK_CG_PATH], root[WK_CG_PATH];
    int rc = -1;
    const char *what = ctrl ? "a cgroup v1 memory" : "a cgroup v2";
    if (cg == NULL || mi == NULL)
        snprintf(why, whylen, "out of memory");
    else if (read_text("/proc/self/cgroup", cg, WK_CG_TEXT_MAX) != 0)
        snprintf(why, whylen, "cannot read /proc/self/cgroup: %s", strerror(errno));
    else if (read_text("/proc/self/mountinfo", mi, WK_CG_TEXT_MAX) != 0)
        snprintf(why, whylen, "cannot read /proc/self/mountinfo: %s", strerror(errno));
    else if (wk_cg_self_path(cg, ctrl, path, sizeof path) != 0)
        snprintf(why, whylen, "/proc/self/cgroup has no %s line", ctrl ? "memory" : "cgroup v2 ('0::')");
    else if (wk_cg_mount(mi, ctrl, mnt, sizeof mnt, root, sizeof root) != 0)
        snprintf(why, whylen, "no %s hierarchy is mounted", what);
    else if (wk_cg_dir(mnt, root, path, dir, len) != 0)
        snprintf(why, whylen, "the worker's group %s is outside the %s mount at %s (its root is %s)", path, what,
                 mnt, root);
    else if (strlen(dir) + WK_CG_NAME_ROOM * 2 >= WK_CG_PATH)
        snprintf(why, whylen, "the worker's group %s: its path is too long", dir);
    else
        rc = 0;
    free(cg);
    free(mi);
    return rc;
}

/* A group made and removed again under parent, with `file` written `value`: 0, or -1 with the reason. */
static int probe(const wk_mem *m, const char *parent, const char *file, const char *value, char *why,
                 size_t whylen)
{
    char g[WK_CG_PATH];
    if (snprintf(g, sizeof g, "%s/locus-w%d-probe", parent, (int)m->self) >= (int)sizeof g) errno = ENAMETOOLONG;
    else if (mkdir(g, 0755) == 0 || errno == EEXIST) errno = 0;
    if (errno != 0) {
        snprintf(why, whylen, "cannot make a child group in %s: %s", parent, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (write_in(g, file, value) != 0) {
        snprintf(why, whylen, "cannot set %s in a child group of %s: %s", file, parent, strerror(errno));
        rc = -1;
    }
    if (rmdir(g) != 0 && rc == 0) {
        snprintf(why, whylen, "cannot remove the child group %s: %s", g, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int try_cgroup2(wk_mem *m, char *why, size_t whylen)
{
    char g[WK_CG_PATH], ctl[1024], sub[1024], pid[32];
    if (own_group(NULL, g, sizeof g, why, whylen) != 0) return -1;
    char *procs = malloc(WK_CG_TEXT_MAX);
    if (procs == NULL) return snprintf(why, whylen, "out of memory"), -1;
    int rc = -1;
    if (read_in(g, "cgroup.controllers", ctl, sizeof ctl) || read_in(g, "cgroup.subtree_control", sub, sizeof sub) ||
        read_in(g, "cgroup.procs", procs, WK_CG_TEXT_MAX)) {
        snprintf(why, whylen, "cannot read the cgroup files of %s: %s", g, strerror(errno));
        free(procs);
        return -1;
    }
    char reason[WK_CG_PATH];
    wk_cg2_plan plan = wk_cg2_decide(ctl, sub, procs, m->self, reason, sizeof reason);
    free(procs);
    snprintf(pid, sizeof pid, "%d", (int)m->self);
    char own[WK_CG_PATH];
    if (snprintf(own, sizeof own, "%s/locus-worker-%d", g, (int)m->self) >= (int)sizeof own) /* own_group left room */
        plan = WK_CG2_CANNOT, snprintf(reason, sizeof reason, "its path is too long");
    if (plan == WK_CG2_CANNOT) {
        snprintf(why, whylen, "%s: %s", g, reason);
    } else if (mkdir(own, 0755) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot make %s: %s", own, strerror(errno));
    } else if (plan == WK_CG2_UNDER_NEW) {
        /* jobs in a group of the worker's own, which has no processes */
        if (write_in(own, "cgroup.subtree_control", "+memory") != 0) {
            snprintf(why, whylen, "cannot enable memory in %s/cgroup.subtree_control: %s", own, strerror(errno));
            rmdir(own);
        } else {
            m->cpuset = wk_cg_has_word(sub, "cpuset") && write_in(own, "cgroup.subtree_control", "+cpuset") == 0;
            snprintf(m->parent, sizeof m->parent, "%s", own);
            m->made_parent = true;
            rc = 0;
        }
    } else if (write_in(own, "cgroup.procs", pid) != 0) {
        snprintf(why, whylen, "cannot move the worker into %s: %s", own, strerror(errno));
        rmdir(own);
    } else if (write_in(g, "cgroup.subtree_control", "+memory") != 0) {
        snprintf(why, whylen, "cannot enable memory in %s/cgroup.subtree_control: %s", g, strerror(errno));
        write_in(g, "cgroup.procs", pid);
        rmdir(own);
    } else {
        /* the worker in its own leaf, the job groups beside it */
        m->cpuset = wk_cg_has_word(ctl, "cpuset") && write_in(g, "cgroup.subtree_control", "+cpuset") == 0;
        snprintf(m->parent, sizeof m->parent, "%s", g);
        snprintf(m->self_group, sizeof m->self_group, "%s", own);
        rc = 0;
    }
    if (rc == 0) snprintf(m->base, sizeof m->base, "%s", g);
    if (rc == 0 && probe(m, m->parent, "memory.max", "max", why, whylen) != 0) {
        if (m->made_parent) rmdir(m->parent);
        m->made_parent = m->cpuset = false;
        m->parent[0] = m->self_group[0] = m->base[0] = '\0';
        rc = -1;
    }
    return rc;
}

static int try_cgroup1(wk_mem *m, char *why, size_t whylen)
{
    char g[WK_CG_PATH];
    if (own_group("memory", g, sizeof g, why, whylen) != 0) return -1;
    if (!exists_in(g, "memory.limit_in_bytes")) {
        snprintf(why, whylen, "%s has no memory.limit_in_bytes", g);
        return -1;
    }
    if (probe(m, g, "memory.limit_in_bytes", "-1", why, whylen) != 0) return -1;
    snprintf(m->parent, sizeof m->parent, "%s", g);
    snprintf(m->base, sizeof m->base, "%s", g);
    m->memsw = exists_in(g, "memory.memsw.limit_in_bytes");
    return 0;
}

int wk_mem_setup(wk_mem *m, wk_mem_choice choice, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->self = getpid();
    struct rlimit rl;
    m->as_hard = getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_max != RLIM_INFINITY ? (long long)rl.rlim_max : -1;
    size_t c = 0;
    while (c < NCHOICES && choices[c].choice != choice) c++;
    if (c == NCHOICES) return snprintf(err, errlen, "unknown --memory_limit"), -1;
    char why[WK_CG_WHY];
    size_t n = 0;
    if (choices[c].v2) {
        if (try_cgroup2(m, why, sizeof why) == 0) {
            m->swept = sweep_stale(m, m->base, 0);
            return m->kind = WK_MEM_CGROUP2, 0;
        }
        n += (size_t)snprintf(m->why + n, sizeof m->why - n, "cgroup2: %s", why);
    }
    if (choices[c].v1 && n < sizeof m->why) {
        if (try_cgroup1(m, why, sizeof why) == 0) {
            m->swept = sweep_stale(m, m->base, 0);
            return m->kind = WK_MEM_CGROUP1, 0;
        }
        n += (size_t)snprintf(m->why + n, sizeof m->why - n, "%scgroup1: %s", n ? "; " : "", why);
    }
    /* auto on a machine with NVIDIA devices: RLIMIT_AS counts address space, and a CUDA process reserves far
     * more of it than it uses, so the limit would stop jobs that fit; no limit there, said in the log */
    if (choice == WK_MEMOPT_AUTO && access("/dev/nvidiactl", F_OK) == 0) {
        n += (size_t)snprintf(m->why + n, sizeof m->why - n, "%snot RLIMIT_AS: this machine has NVIDIA devices "
                              "(/dev/nvidiactl) and CUDA reserves more address space than it uses; "
                              "--memory_limit rlimit forces it", n ? "; " : "");
        return m->kind = WK_MEM_NONE, 0;
    }
    if (choices[c].rlimit) return m->kind = WK_MEM_RLIMIT_AS, 0;
    if (choices[c].strict) {
        snprintf(err, errlen, "--memory_limit %s cannot be used here: %s", choices[c].name, m->why);
        return -1;
    }
    m->kind = WK_MEM_NONE;
    return 0;
}

void wk_mem_close(wk_mem *m)
{
    if (m->made_parent && rmdir(m->parent) == 0) m->made_parent = false;
}

/* ---- one job ---- */

void wk_mem_job_prepare(const wk_mem *m, long long job, long long lease, double mem_gb, const char *cpus_text,
                        wk_job_mem *jm, char *note, size_t notelen)
{
    memset(jm, 0, sizeof *jm);
    jm->procs_fd = -1;
    note[0] = '\0';
    if (!(mem_gb > 0) || m->kind == WK_MEM_NONE) return;
    double b = mem_gb * WK_GIB;
    jm->bytes = b >= 4.0e18 ? 4000000000000000000LL : b < 1 ? 1 : (long long)b;
    jm->as_bytes = m->as_hard >= 0 && m->as_hard < jm->bytes ? m->as_hard : jm->bytes;
    jm->kind = WK_MEM_RLIMIT_AS;
    if (m->kind == WK_MEM_RLIMIT_AS) return;

    bool v2 = m->kind == WK_MEM_CGROUP2;
    char value[32];
    snprintf(value, sizeof value, "%lld", jm->bytes);
    const char *step = "make";
    int e = 0, made = -1;
    if (snprintf(jm->group, sizeof jm->group, "%s/locus-w%d-job%lld-l%lld", m->parent, (int)m->self, job, lease) >=
        (int)sizeof jm->group) /* setup left room for the name: this does not happen */
        errno = ENAMETOOLONG;
    else
        made = mkdir(jm->group, 0755);
    if (made != 0 && errno == EEXIST) { /* a stale one: a job of that name whose group could not be removed */
        wk_mem_group_remove(jm->group, v2);
        made = mkdir(jm->group, 0755);
    }
    if (made != 0) {
        e = errno;
    } else if (write_in(jm->group, v2 ? "memory.max" : "memory.limit_in_bytes", value) != 0) {
        e = errno, step = v2 ? "set memory.max of" : "set memory.limit_in_bytes of";
    } else {
        if (v2) {
            write_in(jm->group, "memory.swap.max", "0"); /* absent without swap accounting: fine */
            write_in(jm->group, "memory.oom.group", "1"); /* the whole job goes, not one of its processes */
            if (m->cpuset && cpus_text && *cpus_text) {
                if (write_in(jm->group, "cpuset.cpus", cpus_text) == 0)
                    jm->cpuset = true;
                else
                    snprintf(note, notelen, "cpuset.cpus %s not set in %s (%s): pinned by affinity only",
                             cpus_text, jm->group, strerror(errno));
            }
        } else if (m->memsw) {
            write_in(jm->group, "memory.memsw.limit_in_bytes", value); /* after the limit: it must be >= */
        }
        char p[WK_CG_PATH];
        if (!join(p, jm->group, "cgroup.procs"))
            e = ENAMETOOLONG, step = "open cgroup.procs of";
        else if ((jm->procs_fd = open(p, O_WRONLY | O_CLOEXEC)) < 0)
            e = errno, step = "open cgroup.procs of";
    }
    if (e == 0) {
        jm->kind = m->kind;
        return;
    }
    snprintf(note, notelen, "cannot %s its group %s (%s): RLIMIT_AS instead", step, jm->group, strerror(e));
    wk_mem_group_remove(jm->group, v2);
    jm->group[0] = '\0';
    jm->cpuset = false;
}

void wk_mem_job_forked(wk_job_mem *jm)
{
    if (jm->group[0] && jm->procs_fd >= 0) close(jm->procs_fd); /* a zeroed one has no group, no descriptor */
    jm->procs_fd = -1;
}

int wk_mem_child_enter(const wk_job_mem *jm)
{
    if (jm->procs_fd < 0) return 0;
    return write(jm->procs_fd, "0", 1) == 1 ? 0 : (errno ? errno : EIO);
}

void wk_mem_child_rlimit(const wk_job_mem *jm, bool force)
{
    if ((jm->kind != WK_MEM_RLIMIT_AS && !force) || jm->as_bytes <= 0) return;
    struct rlimit rl = {.rlim_cur = (rlim_t)jm->as_bytes, .rlim_max = (rlim_t)jm->as_bytes};
    setrlimit(RLIMIT_AS, &rl);
}

long long wk_mem_job_ooms(const wk_job_mem *jm, char *reason, size_t len)
{
    reason[0] = '\0';
    if (!jm->group[0] || (jm->kind != WK_MEM_CGROUP1 && jm->kind != WK_MEM_CGROUP2)) return 0;
    bool v2 = jm->kind == WK_MEM_CGROUP2;
    char text[4096];
    if (read_in(jm->group, v2 ? "memory.events" : "memory.oom_control", text, sizeof text) != 0) return 0;
    long long n = wk_cg_key(text, "oom_kill");
    if (n <= 0) return 0;
    snprintf(reason, len, "memory limit (%s %s %lld bytes)", wk_mem_kind_name(jm->kind),
             v2 ? "memory.max" : "memory.limit_in_bytes", jm->bytes);
    return n;
}

int wk_mem_job_remove(wk_job_mem *jm)
{
    wk_mem_job_forked(jm);
    if (!jm->group[0]) return 0;
    if (wk_mem_group_remove(jm->group, jm->kind == WK_MEM_CGROUP2) != 0) return -1;
    jm->group[0] = '\0';
    return 0;
}
