/* Test fixture implementation (see server.h). */
#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int lt_failures = 0, lt_checks = 0;

#define MAX_SERVERS 16
static lt_server *live[MAX_SERVERS];
static bool hooks_installed;

static int sanitizer_verdict(const lt_server *s);
static void print_log_tail(const char *path);

static void kill_all(void) {
    for (int i = 0; i < MAX_SERVERS; i++) {
        if (live[i] && live[i]->pid > 0) {
            /* a server that is gone (or going: a crash report takes a moment) crashed under the test; its log
             * explains the failure. Only servers a failing test left behind get here. */
            bool died = false;
            for (int k = 0; k < 20 && !died; k++) {
                died = waitpid(live[i]->pid, NULL, WNOHANG) == live[i]->pid;
                if (!died)
                    usleep(100000);
            }
            if (died) {
                fprintf(stderr, "redis-server on port %d died during the test; its log (kept in %s):\n",
                        live[i]->port, live[i]->dir);
                print_log_tail(live[i]->log);
            } else {
                kill(live[i]->pid, SIGKILL);
                waitpid(live[i]->pid, NULL, 0);
            }
            /* a server that died of a sanitizer report explains the failure: print it, keep its folder */
            if (live[i]->own_dir && !died && sanitizer_verdict(live[i]) == 0)
                lt_rmtree(live[i]->dir);
            live[i]->pid = 0;
        }
        live[i] = NULL;
    }
}

static void on_signal(int sig) {
    kill_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_hooks(void) {
    if (hooks_installed)
        return;
    hooks_installed = true;
    atexit(kill_all);
    int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT, SIGHUP, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_signal);
    signal(SIGPIPE, SIG_IGN);
}

/* Binds 127.0.0.1:port (SO_REUSEADDR, as a server would); the socket, or -1. */
static int bind_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* A port any server may take, cluster nodes included: Redis Cluster's bus listens on port + 10000, which must
 * be free too and at most 65535, so ports are drawn from 10000 up to below the kernel's ephemeral range (which
 * the kernel's own choice of a free port, above 55535 half the time, does not respect). */
int lt_free_port(void) {
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
    int lo = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &lo) != 1)
            lo = 32768;
        fclose(f);
    }
    int top = lo - 10000 - 1 < 55535 ? lo - 10000 - 1 : 55535;
    if (top < 12000)
        top = 12000;
    for (int tries = 0; tries < 1000; tries++) {
        int port = 10000 + (int)(rand_r(&seed) % (unsigned)(top - 10000));
        int a = bind_port(port), b = a >= 0 ? bind_port(port + 10000) : -1;
        if (a >= 0)
            close(a);
        if (b >= 0)
            close(b);
        if (a >= 0 && b >= 0)
            return port;
    }
    fprintf(stderr, "lt_free_port: no free port pair (p, p + 10000) in 10000..%d\n", top);
    exit(1);
}

void lt_rmtree(const char *dir) {
    if (dir == NULL || dir[0] == '\0' || strncmp(dir, "/tmp/", 5) != 0)
        return; /* only ever delete what we made under /tmp */
    pid_t p = fork();
    if (p == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_log_tail(const char *path) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "tail -n 20 '%s' 1>&2", path);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log at %s)\n", path);
}

static int try_start(lt_server *s, const lt_server_opts *o) {
    const char *module = o->module ? o->module : getenv("LOCUS_MODULE_PATH");
    s->port = lt_free_port();
    snprintf(s->log, sizeof s->log, "%s/redis-%d.log", s->dir, s->port);
    snprintf(s->vglog, sizeof s->vglog, "%s/valgrind-%d.log", s->dir, s->port);

    const char *args[96];
    int n = 0;
    char portbuf[16], vglogarg[320];
    snprintf(portbuf, sizeof portbuf, "%d", s->port);
    if (s->valgrind) {
        snprintf(vglogarg, sizeof vglogarg, "--log-file=%s", s->vglog);
        args[n++] = "valgrind";
        args[n++] = "--leak-check=full";
        args[n++] = "--show-leak-kinds=definite";
        args[n++] = "--soname-synonyms=somalloc=libjemalloc.so*";
        args[n++] = "--num-callers=30";
        args[n++] = "--suppressions=" LT_VALGRIND_SUPP;
        args[n++] = vglogarg;
    }
    args[n++] = getenv("REDIS_PATH") ? getenv("REDIS_PATH") : "redis-server";
    args[n++] = "--port";
    args[n++] = portbuf;
    args[n++] = "--bind";
    args[n++] = "127.0.0.1";
    args[n++] = "--dir";
    args[n++] = s->dir;
    args[n++] = "--logfile";
    args[n++] = s->log;
    args[n++] = "--save";
    args[n++] = "";
    args[n++] = "--enable-debug-command";
    args[n++] = "yes";
    args[n++] = "--daemonize";
    args[n++] = "no";
    char *modargs = NULL;
    if (module != NULL && module[0] != '\0') {
        args[n++] = "--loadmodule";
        args[n++] = module;
        if (o->module_args != NULL) {
            modargs = strdup(o->module_args);
            for (char *tok = strtok(modargs, " "); tok && n < 80; tok = strtok(NULL, " "))
                args[n++] = tok;
        }
        if (s->valgrind) { /* libtorch, loaded at start in the background, is far too slow under valgrind */
            args[n++] = "BACKEND_PRELOAD";
            args[n++] = "0";
        }
    }
    s->sock[0] = '\0';
    if (o->unix_socket) {
        snprintf(s->sock, sizeof s->sock, "%s/redis.sock", s->dir);
        args[n++] = "--unixsocket";
        args[n++] = s->sock;
        args[n++] = "--unixsocketperm";
        args[n++] = "700";
    }
    for (int i = 0; i < LT_MAX_EXTRA && o->extra[i] != NULL && n < 94; i++)
        args[n++] = o->extra[i];
    args[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
#ifdef LT_SERVER_PRELOAD
        /* A sanitizer build of the module needs the ASan runtime (and what CMake lists with it) loaded first.
         * Reports go to files that lt_server_stop() reads; leaks are left to the valgrind runs. A malloc too big
         * returns NULL, as without ASan: Redis itself tries one for a corrupt RESTORE payload's length and
         * refuses the payload when it fails. */
        if (!s->valgrind) {
            char opts[600];
            setenv("LD_PRELOAD", LT_SERVER_PRELOAD, 1);
            snprintf(opts, sizeof opts, "detect_leaks=0:allocator_may_return_null=1:log_path=%s/asan-%d", s->dir,
                     s->port);
            setenv("ASAN_OPTIONS", opts, 1);
            snprintf(opts, sizeof opts, "print_stacktrace=1:log_path=%s/asan-%d", s->dir, s->port);
            setenv("UBSAN_OPTIONS", opts, 1);
        }
#endif
        execvp(args[0], (char *const *)args);
        fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    free(modargs);
    s->pid = pid;

    double deadline = now_s() + (s->valgrind ? 120 : 20);
    while (now_s() < deadline) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            return -2; /* exited: maybe the port was taken; the caller retries */
        }
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            bool ok = r && r->type == REDIS_REPLY_STATUS;
            bool loading = r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "LOADING", 7) == 0;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return 0;
            (void)loading;
        } else if (c) {
            redisFree(c);
        }
        usleep(20000);
    }
    fprintf(stderr, "lt_server_start: server on port %d did not answer in time\n", s->port);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

int lt_server_start(lt_server *s, const lt_server_opts *o) {
    static const lt_server_opts none = {0};
    if (o == NULL)
        o = &none;
    install_hooks();
    memset(s, 0, sizeof *s);
    s->valgrind = !o->no_valgrind && getenv("LOCUS_TEST_VALGRIND") && atoi(getenv("LOCUS_TEST_VALGRIND")) != 0;
    if (o->dir != NULL) {
        snprintf(s->dir, sizeof s->dir, "%s", o->dir);
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/locus-test-XXXXXX");
        if (mkdtemp(s->dir) == NULL) {
            perror("mkdtemp");
            return -1;
        }
        s->own_dir = true;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = try_start(s, o);
        if (rc == 0) {
            for (int i = 0; i < MAX_SERVERS; i++)
                if (live[i] == NULL) {
                    live[i] = s;
                    break;
                }
            return 0;
        }
        if (rc == -1)
            break;
    }
    fprintf(stderr, "lt_server_start: redis-server failed to start; log tail:\n");
    print_log_tail(s->log);
    if (s->valgrind)
        print_log_tail(s->vglog);
    return -1;
}

/* Valgrind verdict: any memory error, or any definite leak. Redis itself shows none at shutdown (checked
 * with 7.0), so a definite leak is the module's; the record is printed for the reader. */
static int valgrind_verdict(const lt_server *s) {
    FILE *f = fopen(s->vglog, "r");
    if (f == NULL) {
        fprintf(stderr, "valgrind log %s missing\n", s->vglog);
        return -1;
    }
    char line[1024];
    int rc = 0, leak_lines = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "definitely lost in loss record")) {
            rc = -1;
            leak_lines = 8;
        }
        if (strstr(line, "Invalid read") || strstr(line, "Invalid write") || strstr(line, "uninitialised") ||
            strstr(line, "Invalid free") || strstr(line, "Mismatched free")) {
            rc = -1;
            leak_lines = 8;
        }
        if (leak_lines > 0) {
            fprintf(stderr, "valgrind: %s", line);
            leak_lines--;
        }
    }
    fclose(f);
    if (rc != 0)
        fprintf(stderr, "valgrind: full log kept at %s\n", s->vglog);
    return rc;
}

#ifdef LT_SERVER_PRELOAD
/* True when the report at path only says that mallocs too big failed (allocator_may_return_null: Redis got NULL
 * and refused what asked for it, as it does without ASan). */
static bool only_failed_allocations(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[512];
    bool only = true;
    while (only && fgets(line, sizeof line, f))
        only = line[0] == '\n' || strstr(line, "WARNING: AddressSanitizer failed to allocate") != NULL;
    fclose(f);
    return only;
}
#endif

/* Sanitizer verdict (sanitizer builds): any ASan or UBSan report the server wrote fails the run. */
static int sanitizer_verdict(const lt_server *s) {
    int rc = 0;
#ifdef LT_SERVER_PRELOAD
    char prefix[64];
    snprintf(prefix, sizeof prefix, "asan-%d.", s->port);
    DIR *d = opendir(s->dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        if (only_failed_allocations(path))
            continue;
        fprintf(stderr, "sanitizer report from the server (%s), first lines:\n", path);
        char cmd[700];
        snprintf(cmd, sizeof cmd, "head -n 25 '%s' 1>&2", path);
        if (system(cmd) != 0)
            fprintf(stderr, "(cannot read %s)\n", path);
        rc = -1;
    }
    if (d)
        closedir(d);
#else
    (void)s;
#endif
    return rc;
}

/* Lines a server writes to its log when it crashed (Redis's crash report; a C++ runtime ending the process). */
static const char *const crash_marks[] = {"crashed by signal", "REDIS BUG REPORT", "terminate called"};

/* Exit verdict: a server stopped by SIGTERM exits 0 by itself. Killed after the grace period, ended by a
 * signal, a non-zero exit, or a crash report in its log is a failure, with the log tail printed. */
static int exit_verdict(const lt_server *s, bool killed, int status) {
    const char *why = NULL;
    char buf[96];
    if (killed) {
        why = "did not exit after SIGTERM (killed)";
    } else if (WIFSIGNALED(status)) {
        snprintf(buf, sizeof buf, "was ended by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        why = buf;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(status));
        why = buf;
    }
    FILE *f = fopen(s->log, "r");
    char line[1024];
    while (why == NULL && f != NULL && fgets(line, sizeof line, f))
        for (size_t i = 0; i < sizeof crash_marks / sizeof crash_marks[0] && why == NULL; i++)
            if (strstr(line, crash_marks[i]) != NULL)
                why = "wrote a crash report";
    if (f != NULL)
        fclose(f);
    if (why == NULL)
        return 0;
    fprintf(stderr, "lt_server_stop: server on port %d %s; log tail (kept in %s):\n", s->port, why, s->dir);
    print_log_tail(s->log);
    return -1;
}

int lt_server_stop(lt_server *s, bool keep_dir) {
    int rc = 0;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        double deadline = now_s() + (s->valgrind ? 60 : 10);
        int status = 0;
        pid_t w = 0;
        while ((w = waitpid(s->pid, &status, WNOHANG)) == 0 && now_s() < deadline)
            usleep(10000);
        if (w == 0) {
            fprintf(stderr, "lt_server_stop: server %d ignored SIGTERM, killing\n", s->port);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
        rc = exit_verdict(s, w == 0, status);
        if (s->valgrind && valgrind_verdict(s) != 0)
            rc = -1;
        if (sanitizer_verdict(s) != 0)
            rc = -1;
        s->pid = 0;
    }
    for (int i = 0; i < MAX_SERVERS; i++)
        if (live[i] == s)
            live[i] = NULL;
    if (!keep_dir && s->own_dir && rc == 0)
        lt_rmtree(s->dir); /* a failed valgrind run keeps its log for reading */
    return rc;
}

redisContext *lt_connect(const lt_server *s) {
    struct timeval tv = {30, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "lt_connect: cannot connect to 127.0.0.1:%d: %s\n", s->port, c ? c->errstr : "oom");
        exit(1);
    }
    redisSetTimeout(c, (struct timeval){s->valgrind ? 300 : 60, 0});
    return c;
}

int lt_wait_aof_rewrite(redisContext *c) {
    for (int i = 0; i < 600; i++) {
        redisReply *r = lt_cmdf(c, "INFO persistence");
        int busy = strstr(r->str, "aof_rewrite_in_progress:1") || strstr(r->str, "aof_rewrite_scheduled:1");
        freeReplyObject(r);
        if (!busy)
            return 0;
        usleep(50000);
    }
    return -1;
}

redisContext *lt_connect_unix(const lt_server *s) {
    struct timeval tv = {30, 0};
    redisContext *c = s->sock[0] ? redisConnectUnixWithTimeout(s->sock, tv) : NULL;
    if (c == NULL || c->err) {
        fprintf(stderr, "lt_connect_unix: cannot connect to %s: %s\n", s->sock[0] ? s->sock : "(no socket)",
                c ? c->errstr : "no unix_socket option");
        exit(1);
    }
    redisSetTimeout(c, (struct timeval){s->valgrind ? 300 : 60, 0});
    return c;
}

redisReply *lt_cmd(redisContext *c, int argc, const char **argv, const size_t *lens) {
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    if (r == NULL) {
        fprintf(stderr, "lt_cmd: connection lost (%s) during %s\n", c->errstr, argv[0]);
        exit(1);
    }
    return r;
}

redisReply *lt_cmdf(redisContext *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (r == NULL) {
        fprintf(stderr, "lt_cmdf: connection lost (%s) during '%s'\n", c->errstr, fmt);
        exit(1);
    }
    return r;
}

int lt_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, lt_checks - lt_failures, lt_failures);
    return lt_failures == 0 ? 0 : 1;
}
