/* One database shard: its redis.conf, starting it detached, talking to it, stopping it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

const char *find_module_path(char *buf, size_t n) {
    const char *env = getenv("LOCUS_MODULE_PATH");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return access(buf, R_OK) == 0 ? buf : NULL;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    /* build tree: build/bin/locus -> build/lib/locus_ai.so; installed: bin/locus -> lib/locus/locus_ai.so */
    const char *rel[] = {"../lib/locus_ai.so", "../lib/locus/locus_ai.so", "../lib64/locus/locus_ai.so",
                         "../lib/x86_64-linux-gnu/locus/locus_ai.so"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(buf, n, "%s/%s", exe, rel[i]);
        char real[PATH_MAX];
        if (access(buf, R_OK) == 0 && realpath(buf, real)) {
            snprintf(buf, n, "%s", real);
            return buf;
        }
    }
    return NULL;
}

void make_password(char *buf, size_t n) {
    unsigned char raw[24];
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
        for (size_t i = 0; i < sizeof raw; i++) /* only without /dev/urandom; still not guessable at a glance */
            raw[i] = (unsigned char)(rand() ^ (int)getpid() ^ (int)time(NULL));
    }
    if (fd >= 0)
        close(fd);
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof raw && 2 * i + 2 < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
}

int shard_write_conf(const db_options *o, db_state *s, int i, const char *module_path) {
    shard_state *h = &s->shards[i];
    char dir[sizeof h->dir];
    memcpy(dir, h->dir, sizeof dir);
    snprintf(h->conf, sizeof h->conf, "%s/redis.conf", dir);
    snprintf(h->log, sizeof h->log, "%s/redis.log", dir);
    int fd = open(h->conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "locus db: cannot write %s: %s\n", h->conf, strerror(errno));
        return -1;
    }
    const char *base = getenv("REDIS_CONF");
    if (base && *base)
        fprintf(f, "include %s\n", base); /* the user's base config; our settings below win */
    fprintf(f, "# written by locus db start\n");
    fprintf(f, "port %d\nbind %s\nprotected-mode %s\n", h->port, h->bind, s->password[0] ? "no" : "yes");
    fprintf(f, "dir %s\nlogfile %s\npidfile %s/redis.pid\ndaemonize no\n", h->dir, h->log, h->dir);
    /* HPC defaults: no snapshots; limits sized for tensors (DB_LIMITS_HELP says them), not unlimited, so one
     * client cannot take the node's memory; --redis-arg lines come after and override them. */
    const char *persist = o->persist ? o->persist : "none";
    if (strcmp(persist, "rdb") == 0)
        fprintf(f, "save 900 1 300 100 60 10000\nappendonly no\n");
    else if (strcmp(persist, "aof") == 0)
        fprintf(f, "save \"\"\nappendonly yes\nappendfsync everysec\naof-use-rdb-preamble yes\n");
    else
        fprintf(f, "save \"\"\nappendonly no\n");
    fprintf(f, "maxclients 100000\ntcp-backlog 4096\ntimeout 0\n");
    fprintf(f, "%s", DB_LIMITS_CONF);
    if (h->unix_socket[0])
        fprintf(f, "unixsocket %s\nunixsocketperm 700\n", h->unix_socket);
    if (s->password[0])
        fprintf(f, "requirepass %s\nmasterauth %s\n", s->password, s->password);
    if (s->cluster)
        fprintf(f, "cluster-enabled yes\ncluster-config-file %s/nodes.conf\ncluster-node-timeout %d\n",
                h->dir, s->replicas > 0 ? DB_FAILOVER_NODE_TIMEOUT_MS : DB_NODE_TIMEOUT_MS);
    /* a replica's first sync starts at once (Redis waits 5 s for others to share a diskless transfer) */
    if (s->replicas > 0)
        fprintf(f, "repl-diskless-sync-delay 0\n");
    fprintf(f, "loadmodule %s THREADS_PER_QUEUE %ld", module_path, o->threads_per_queue);
    if (o->inter_op > 0)
        fprintf(f, " INTER_OP_PARALLELISM %ld", o->inter_op);
    if (o->intra_op > 0)
        fprintf(f, " INTRA_OP_PARALLELISM %ld", o->intra_op);
    fprintf(f, "\n");
    for (int k = 0; k < o->n_redis_args; k++) {
        /* --redis-arg "maxmemory 10gb" passes a line through; "--maxmemory 10gb" style is accepted too */
        const char *a = o->redis_args[k];
        while (*a == '-')
            a++;
        fprintf(f, "%s\n", a);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "locus db: cannot write %s: %s\n", h->conf, strerror(errno));
        return -1;
    }
    return 0;
}

pid_t spawn_detached(char *const argv[], const char *logfile, const char *cpulist) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setsid();
        int devnull = open("/dev/null", O_RDONLY);
        int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (devnull >= 0)
            dup2(devnull, 0);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        if (pin_to_cpulist(cpulist) != 0)
            fprintf(stderr, "locus: could not pin to CPUs %s\n", cpulist);
        execvp(argv[0], argv);
        fprintf(stderr, "locus: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

redisContext *shard_connect(const db_state *s, int i, int timeout_ms) {
    const shard_state *h = &s->shards[i];
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = h->unix_socket[0] ? redisConnectUnixWithTimeout(h->unix_socket, tv)
                                        : redisConnectWithTimeout(h->host, h->port, tv);
    if (c == NULL || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (s->password[0]) {
        redisReply *r = redisCommand(c, "AUTH %s", s->password);
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

static bool pid_alive(long pid) {
    if (pid <= 0)
        return false;
    int status;
    if (waitpid((pid_t)pid, &status, WNOHANG) == pid)
        return false; /* our child and it exited */
    return kill((pid_t)pid, 0) == 0;
}

int shard_wait_ready(const db_state *s, int i, int timeout_ms) {
    double deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
        if (s->shards[i].pid > 0 && !pid_alive(s->shards[i].pid))
            break;
        redisContext *c = shard_connect(s, i, 1000);
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            bool ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return 0;
        }
        usleep(20000);
    }
    fprintf(stderr, "locus db: shard %d (%s:%d) did not start; last lines of %s:\n", i, s->shards[i].host,
            s->shards[i].port, s->shards[i].log);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tail -n 8 '%s' >&2", s->shards[i].log);
    if (system(cmd) != 0)
        fprintf(stderr, "  (no log)\n");
    return -1;
}

void shard_stop(const db_state *s, int i) {
    const shard_state *h = &s->shards[i];
    redisContext *c = shard_connect(s, i, 2000);
    if (c) {
        redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");
        if (r)
            freeReplyObject(r);
        redisFree(c);
    }
    /* Wait for the process to go; signal it if it lingers (or if it never answered). */
    double deadline = now_ms() + 5000;
    while (pid_alive(h->pid) && now_ms() < deadline)
        usleep(20000);
    if (pid_alive(h->pid)) {
        kill((pid_t)h->pid, SIGTERM);
        deadline = now_ms() + 3000;
        while (pid_alive(h->pid) && now_ms() < deadline)
            usleep(20000);
        if (pid_alive(h->pid))
            kill((pid_t)h->pid, SIGKILL);
    }
    if (h->unix_socket[0])
        unlink(h->unix_socket);
    char path[700];
    snprintf(path, sizeof path, "%s/redis.pid", h->dir);
    unlink(path);
    /* nodes.conf stays: the next start reads which server was a shard's primary last, then removes it */
}
