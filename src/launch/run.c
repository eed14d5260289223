/* `locus run --colocated-db -- app args`: one database per node next to the application.
 *
 * Every rank runs this. Under a node-local lock (a file in a 0700 folder of this user under $TMPDIR,
 * $XDG_RUNTIME_DIR or /tmp, named after the job; see private_run_dir), the first
 * local rank starts the database, pinned to --db-cpus CPUs of the cpuset this process was given, and waits
 * until it answers; the other ranks wait on the lock and find it ready. Each rank then holds a shared
 * flock on ranks.lock for as long as it lives and runs the application with SSDB set (pinned to the
 * remaining CPUs with --pin-app-cpus), forwarding SIGTERM/SIGINT/SIGHUP to it.
 *
 * Stopping is done by a small watchdog process the first rank forks next to the database: it waits for an
 * exclusive lock on ranks.lock, which the kernel grants only once every rank is gone — however it went:
 * normal exit, failure, SIGTERM, even SIGKILL (the kernel drops a dead process's locks). It then stops the
 * database and removes the socket and the folder. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "opts.h"

/* The node-local folder of a run: created 0700 by the first rank, accepted from another rank only when it
 * is a real directory owned by this user that no one else can enter. A folder someone else made (e.g. mode
 * 0777 by another user) would let them replace the socket with a listener and capture the password. */
static int private_run_dir(const char *dir) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "locus run: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) != 0) {
        fprintf(stderr, "locus run: cannot inspect %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
        fprintf(stderr, "locus run: %s exists but is %s (owner uid %u, mode %04o): refusing it, since another user "
                        "could take the database's socket and password. Remove it, or set TMPDIR to a private "
                        "folder\n", dir, !S_ISDIR(st.st_mode) ? "not a directory" : st.st_uid != geteuid() ?
                        "not yours" : "open to other users", (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

static volatile pid_t app_pid;
static void forward_signal(int sig) {
    if (app_pid > 0)
        kill(app_pid, sig);
}

/* A name shared by the ranks of one job on one node. */
static void job_key(char *out, size_t n) {
    const char *ns = getenv("PMIX_NAMESPACE");
    const char *slurm = getenv("SLURM_JOB_ID"), *step = getenv("SLURM_STEP_ID");
    const char *pbs = getenv("PBS_JOBID");
    if (ns && *ns)
        snprintf(out, n, "%s", ns);
    else if (slurm)
        snprintf(out, n, "slurm-%s.%s", slurm, step ? step : "0");
    else if (pbs)
        snprintf(out, n, "pbs-%s", pbs);
    else
        snprintf(out, n, "ppid-%d", (int)getppid()); /* ranks started by one mpirun/orted share a parent */
    for (char *p = out; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
}

static bool db_answers(const db_state *s) {
    redisContext *c = shard_connect(s, 0, 500);
    if (c)
        redisFree(c);
    return c != NULL;
}

/* The watchdog: wait until no rank holds ranks.lock, then (holding the start lock, so no new rank can
 * attach meanwhile) stop the database and clean its folder. Runs in its own session with fresh file
 * descriptions of both lock files, so it never holds a rank's lock itself. */
static void watchdog(db_state *s, const char *lockpath, const char *rankspath) {
    setsid();
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int lock = open(lockpath, O_RDWR | O_CLOEXEC);
    int ranks = open(rankspath, O_RDWR | O_CLOEXEC);
    if (lock < 0 || ranks < 0)
        _exit(1);
    for (;;) {
        flock(ranks, LOCK_EX); /* blocks while any rank lives */
        flock(ranks, LOCK_UN);
        flock(lock, LOCK_EX);
        if (flock(ranks, LOCK_EX | LOCK_NB) == 0)
            break;
        flock(lock, LOCK_UN); /* a rank attached in between: wait again */
    }
    shard_stop(s, 0);
    /* Keep the database's log where the caller asked (locus bench collects it per session). */
    const char *keep = getenv("LOCUS_DB_LOG_DIR");
    if (keep && *keep) {
        char from[700], to[1200], host[256] = "node";
        gethostname(host, sizeof host);
        snprintf(from, sizeof from, "%s/redis.log", s->dir);
        snprintf(to, sizeof to, "%s/database-%s.log", keep, host);
        if (rename(from, to) != 0) { /* another file system: copy */
            char cmd[2000];
            snprintf(cmd, sizeof cmd, "cp '%s' '%s' 2>/dev/null", from, to);
            int ignored = system(cmd); /* best effort: a missing log must not keep the database up */
            (void)ignored;
        }
    }
    const char *files[] = {"ranks.lock", "redis.conf", "redis.log", DB_STATE_FILE, DB_STATE_FILE ".tmp", "db.sock"};
    char path[700];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, files[i]);
        unlink(path);
    }
    unlink(lockpath);
    rmdir(s->dir);
    _exit(0);
}

/* First local rank: write the configuration, start the database pinned to db_list, wait until it answers,
 * record it, and fork the watchdog. Called with the start lock held. */
static int start_database(db_state *s, const char *password, long tpq, const char *module_opt, const char *db_list,
                          const char *lockpath, const char *rankspath) {
    shard_state *h = &s->shards[0];
    if (strcmp(password, "auto") == 0)
        make_password(s->password, sizeof s->password);
    else if (strcmp(password, "none") != 0)
        snprintf(s->password, sizeof s->password, "%s", password);
    db_options o = {.threads_per_queue = tpq, .shards = 1};
    char module[1024];
    if (module_opt)
        snprintf(module, sizeof module, "%s", module_opt);
    else if (!find_module_path(module, sizeof module)) {
        fprintf(stderr, "locus run: cannot find locus_ai.so (set LOCUS_MODULE_PATH or pass --module)\n");
        return -1;
    }
    if (shard_write_conf(&o, s, 0, module) != 0)
        return -1;
    const char *redis = getenv("REDIS_PATH") && *getenv("REDIS_PATH") ? getenv("REDIS_PATH") : "redis-server";
    char *dbargv[] = {(char *)redis, h->conf, NULL};
    h->pid = spawn_detached(dbargv, h->log, db_list);
    if (h->pid <= 0 || shard_wait_ready(s, 0, 30000) != 0) {
        shard_stop(s, 0);
        return -1;
    }
    snprintf(s->status, sizeof s->status, "running");
    state_save(s);
    /* Make sure ranks.lock exists before the watchdog opens it. */
    int fd = open(rankspath, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    pid_t w = fork();
    if (w == 0)
        watchdog(s, lockpath, rankspath);
    if (w < 0) {
        shard_stop(s, 0);
        return -1;
    }
    return 0;
}

int locus_run_main(int argc, char **argv) {
    bool colocated = false, pin_app = false;
    long db_cpus = 1, port = 0, tpq = 1;
    const char *unix_socket = NULL, *password = "auto", *key = NULL, *module_opt = NULL;
    const opt_spec specs[] = {
        {"colocated-db", OPT_FLAG, &colocated, NULL, "start one database per node next to the application", 0, 0},
        {"db-cpus", OPT_INT, &db_cpus, "N", "CPUs of this job's cpuset given to the database (default 1)", 1, 4096},
        {"pin-app-cpus", OPT_FLAG, &pin_app, NULL, "pin the application to the CPUs the database does not use", 0, 0},
        {"unix-socket", OPT_STR, &unix_socket, "PATH", "socket path (default: a private folder under $TMPDIR)", 0, 0},
        {"port", OPT_INT, &port, "P", "use TCP on 127.0.0.1:P instead of a Unix socket", 1, 65535},
        {"threads-per-queue", OPT_INT, &tpq, "N", "module THREADS_PER_QUEUE (default 1)", 1, 1024},
        {"password", OPT_STR, &password, "auto|none|VALUE",
         "AUTH password (default auto: none for the private Unix socket, generated with --port or --unix-socket)",
         0, 0},
        {"key", OPT_STR, &key, "NAME", "name shared by the ranks of this run (default: from the job's environment)", 0, 0},
        {"module", OPT_STR, &module_opt, "PATH", "locus_ai.so to load", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char **app;
    int napp;
    int rc = opts_parse("locus run", "--colocated-db [options] -- app [args]", specs, argc, argv, &app, &napp);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (napp > 0 && strcmp(app[0], "--") == 0) {
        app++;
        napp--;
    }
    if (napp == 0) {
        fprintf(stderr, "locus run: no application given (locus run --colocated-db -- app args)\n");
        return 2;
    }
    if (!colocated) { /* nothing to start: just run the application, and say so */
        fprintf(stderr, "locus run: no --colocated-db given: running %s without starting a database (SSDB is %s)\n",
                app[0], getenv("SSDB") && *getenv("SSDB") ? getenv("SSDB") : "not set");
        execvp(app[0], app);
        fprintf(stderr, "locus run: cannot run %s: %s\n", app[0], strerror(errno));
        return 127;
    }
    if (unix_socket && port) {
        fprintf(stderr, "locus run: give --unix-socket or --port, not both\n");
        return 2;
    }

    char keybuf[200], dir[400];
    if (key)
        snprintf(keybuf, sizeof keybuf, "%s", key);
    else
        job_key(keybuf, sizeof keybuf);
    /* $TMPDIR (often private to the job), else $XDG_RUNTIME_DIR (private to the user), else /tmp */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = getenv("XDG_RUNTIME_DIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(dir, sizeof dir, "%s/locus-colo-%s", tmp, keybuf);
    char lockpath[600], rankspath[600];
    snprintf(lockpath, sizeof lockpath, "%s/lock", dir);
    snprintf(rankspath, sizeof rankspath, "%s/ranks.lock", dir);
    /* The previous run with this key may be cleaning up: its watchdog holds the lock while it removes the
     * folder. A lock won on a file that is gone by then belongs to a folder that no longer exists: start
     * again with a fresh one. */
    int lock = -1;
    for (int attempt = 0; lock < 0; attempt++) {
        if (private_run_dir(dir) != 0)
            return 1;
        lock = open(lockpath, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) != 0) {
            fprintf(stderr, "locus run: cannot lock %s: %s\n", lockpath, strerror(errno));
            return 1;
        }
        struct stat held, now;
        if (fstat(lock, &held) == 0 && stat(lockpath, &now) == 0 && held.st_ino == now.st_ino &&
            held.st_dev == now.st_dev)
            break;
        close(lock);
        lock = -1;
        if (attempt == 100) {
            fprintf(stderr, "locus run: %s keeps disappearing (another run with key %s cleaning up?)\n", dir, keybuf);
            return 1;
        }
    }

    /* The database's description, the same for every rank. */
    db_state s = {0};
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    snprintf(s.launcher, sizeof s.launcher, "local");
    s.nshards = 1;
    shard_state *h = &s.shards[0];
    snprintf(h->dir, sizeof h->dir, "%s", dir);
    snprintf(h->host, sizeof h->host, "127.0.0.1");
    snprintf(h->bind, sizeof h->bind, "127.0.0.1");
    h->port = port ? (int)port : 0;
    if (!port)
        snprintf(h->unix_socket, sizeof h->unix_socket, "%s", unix_socket ? unix_socket : "");
    if (!port && !unix_socket)
        snprintf(h->unix_socket, sizeof h->unix_socket, "%s/db.sock", dir);

    int cpus[4096];
    int ncpus = allowed_cpus(cpus, 4096);
    int ndb = db_cpus < ncpus ? (int)db_cpus : ncpus;
    char db_list[2048] = "", app_list[8192] = "";
    cpulist_format(cpus, 0, ndb, db_list, sizeof db_list);
    if (ncpus > ndb)
        cpulist_format(cpus, ndb, ncpus - ndb, app_list, sizeof app_list);
    else if (pin_app)
        fprintf(stderr, "locus run: only %d CPU(s) in this cpuset, all given to the database: the application is not "
                        "pinned\n", ncpus);

    /* A database reached only through a socket of mode 0700 in this run's own 0700 folder needs no password:
     * the permissions already keep other users out, and SmartRedis clients, which cannot send AUTH, work. */
    if (!strcmp(password, "auto") && !port && !unix_socket)
        password = "none";
    if (state_load_quiet_running(dir, &s) && db_answers(&s)) {
        /* Already up: started by another local rank. */
    } else if (start_database(&s, password, tpq, module_opt, db_list, lockpath, rankspath) != 0) {
        flock(lock, LOCK_UN);
        return 1;
    }
    int ranks = open(rankspath, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (ranks < 0 || flock(ranks, LOCK_SH) != 0) {
        fprintf(stderr, "locus run: cannot lock %s: %s\n", rankspath, strerror(errno));
        return 1;
    }
    flock(lock, LOCK_UN);

    char ssdb[600];
    if (h->unix_socket[0])
        snprintf(ssdb, sizeof ssdb, "unix://%s", h->unix_socket);
    else
        snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", h->port);
    setenv("SSDB", ssdb, 1);
    setenv("SR_DB_TYPE", "Standalone", 1);
    if (s.password[0])
        setenv("LOCUS_DB_PASSWORD", s.password, 1);
    else
        unsetenv("LOCUS_DB_PASSWORD");

    struct sigaction sa = {.sa_handler = forward_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (pin_app && app_list[0] && pin_to_cpulist(app_list) != 0)
            fprintf(stderr, "locus run: could not pin the application to CPUs %s\n", app_list);
        execvp(app[0], app);
        fprintf(stderr, "locus run: cannot run %s: %s\n", app[0], strerror(errno));
        _exit(127);
    }
    app_pid = pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    app_pid = 0;

    /* Exiting drops the shared lock on ranks.lock; the watchdog stops the database after the last rank. */
    close(ranks);
    close(lock);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
