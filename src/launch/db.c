/* `locus db start|status|env|stop`: launch, inspect and stop databases. State lives in --dir as JSON. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"
#include "opts.h"

#define READY_TIMEOUT_MS 30000
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define CLUSTER_TIMEOUT_MS 60000

static int mkdir_private(const char *path) {
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "locus db: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    chmod(path, 0700);
    return 0;
}

static bool local_port_free(const char *addr, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
        close(fd);
        return true; /* not IPv4: let the server decide */
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

void db_stop_all(db_state *s) {
    /* replicas first: a primary then has none to wait for at SHUTDOWN, and none tries to take over */
    for (int i = s->nshards - 1; i >= 0; i--)
        shard_stop(s, i);
    const launcher *l = launcher_by_name(s->launcher);
    if (s->jobid[0] && l && l->cancel)
        l->cancel(s->jobid);
    snprintf(s->status, sizeof s->status, "stopped");
}

int db_refresh_roles(db_state *s) {
    int answered = 0;
    for (int i = 0; i < s->nshards; i++) {
        shard_state *h = &s->shards[i];
        redisContext *c = shard_connect(s, i, 1000);
        redisReply *r = c ? redisCommand(c, "ROLE") : NULL;
        h->role[0] = '\0';
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
            r->element[0]->type == REDIS_REPLY_STRING) {
            snprintf(h->role, sizeof h->role, "%s",
                     strcmp(r->element[0]->str, "master") == 0 ? "primary" : "replica");
            answered++;
        }
        if (r)
            freeReplyObject(r);
        if (c)
            redisFree(c);
    }
    return answered;
}

void db_print_env(const db_state *s, const char *format, FILE *f) {
    char ssdb[8192] = "";
    for (int i = 0; i < s->nshards; i++) {
        if (strcmp(s->shards[i].role, "primary") != 0)
            continue;
        size_t used = strlen(ssdb);
        if (s->shards[i].unix_socket[0])
            snprintf(ssdb + used, sizeof ssdb - used, "%sunix://%s", used ? "," : "",
                     s->shards[i].unix_socket);
        else
            snprintf(ssdb + used, sizeof ssdb - used, "%s%s:%d", used ? "," : "", s->shards[i].host,
                     s->shards[i].port);
    }
    const char *type = s->cluster ? "Clustered" : "Standalone";
    if (strcmp(format, "sh") == 0) {
        fprintf(f, "export SSDB=\"%s\"\nexport SR_DB_TYPE=%s\n", ssdb, type);
        if (s->password[0])
            fprintf(f, "export LOCUS_DB_PASSWORD=%s\n", s->password);
        else /* a password left from another database would make clients send a wrong AUTH */
            fprintf(f, "unset LOCUS_DB_PASSWORD\n");
    } else if (strcmp(format, "csh") == 0) {
        fprintf(f, "setenv SSDB \"%s\"\nsetenv SR_DB_TYPE %s\n", ssdb, type);
        if (s->password[0])
            fprintf(f, "setenv LOCUS_DB_PASSWORD %s\n", s->password);
        else
            fprintf(f, "unsetenv LOCUS_DB_PASSWORD\n");
    } else {
        /* sbatch --export and qsub -v split their list at every comma, quotes or not (measured with Slurm
         * 22.05: SSDB="a,b" arrives as "a"). A clustered database needs one address there: clients read the
         * others from the cluster itself (CLUSTER SLOTS), SmartRedis's and liblocus alike. */
        char one[600];
        snprintf(one, sizeof one, "%.*s", (int)strcspn(ssdb, ","), ssdb);
        bool cut = strchr(ssdb, ',') != NULL;
        if (strcmp(format, "slurm") == 0) {
            if (cut)
                fprintf(f, "# one address of the cluster: --export splits at commas (all of them: %s)\n", ssdb);
            fprintf(f, "#SBATCH --export=ALL,SSDB=%s,SR_DB_TYPE=%s%s%s\n", one, type,
                    s->password[0] ? ",LOCUS_DB_PASSWORD=" : "", s->password);
        } else { /* pbs */
            if (cut)
                fprintf(f, "# one address of the cluster: -v splits at commas (all of them: %s)\n", ssdb);
            fprintf(f, "#PBS -v SSDB=%s,SR_DB_TYPE=%s%s%s\n", one, type, s->password[0] ? ",LOCUS_DB_PASSWORD=" : "",
                    s->password);
        }
    }
}

void db_placement(long shards, long replicas, int nhosts, db_place *out) {
    int placed[DB_MAX_SHARDS] = {0};
    for (int i = 0; i < shards * (1 + replicas) && i < DB_MAX_SHARDS; i++) {
        db_place *w = &out[i];
        w->primary = i, w->replica = 0;
        if (i >= shards) {
            w->primary = (int)((i - shards) / replicas);
            w->replica = (int)((i - shards) % replicas) + 1;
        }
        w->host = (w->primary + w->replica) % nhosts;
        w->port_offset = placed[w->host]++;
    }
}

/* Shard p's folder (r = 0) or that of its replica r (1..). */
static int shard_dir(char *buf, size_t n, const char *dir, long p, int r) {
    return r ? snprintf(buf, n, "%s/shard-%ld-replica-%d", dir, p, r)
             : snprintf(buf, n, "%s/shard-%ld", dir, p);
}

/* With --persist, the folder of the server that was a shard's primary when the database last ran (a failover
 * may have promoted a replica) becomes shard-P again, so the new primary starts from the newest data and its
 * replicas copy that. The servers' cluster configs tell which: the highest config epoch among those that call
 * themselves primary. */
static void keep_last_primaries(const db_options *o, const char *dir) {
    for (long p = 0; p < o->shards; p++) {
        int best = 0;
        long best_epoch = -1;
        for (int r = 0; r <= o->replicas; r++) {
            char d[600], conf[700];
            shard_dir(d, sizeof d, dir, p, r);
            snprintf(conf, sizeof conf, "%s/nodes.conf", d);
            long e = cluster_conf_primary_epoch(conf);
            if (e > best_epoch)
                best_epoch = e, best = r;
        }
        if (best == 0)
            continue;
        char a[600], b[600], tmp[620];
        shard_dir(a, sizeof a, dir, p, 0);
        shard_dir(b, sizeof b, dir, p, best);
        snprintf(tmp, sizeof tmp, "%s.swap", a);
        if (rename(a, tmp) != 0)
            continue;
        if (rename(b, a) != 0 || rename(tmp, b) != 0) {
            fprintf(stderr, "locus db start: could not swap %s and %s: %s\n", a, b, strerror(errno));
            rename(tmp, a);
            continue;
        }
        fprintf(stderr,
                "locus db start: shard %ld starts from the data of replica %d, its primary when it last "
                "ran (the folders were swapped)\n",
                p, best);
    }
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) {
    got_signal = sig;
}

static void reap_children(void) {
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

static bool any_alive(const db_state *s) {
    for (int i = 0; i < s->nshards; i++)
        if (s->shards[i].pid > 0 && kill((pid_t)s->shards[i].pid, 0) == 0)
            return true;
    return false;
}

/* Wait for a batch job to bring the database up: its state file turns "running". Every 5 s the scheduler
 * is asked whether the job still exists, so a job that failed or was cancelled ends the wait at once. */
static int wait_for_batch(const launcher *l, db_state *s, long timeout_s) {
    char jobid[64];
    snprintf(jobid, sizeof jobid, "%s", s->jobid);
    fprintf(stderr, "locus db: waiting for job %s to start the database", jobid);
    for (long t = 0; t < timeout_s * 2; t++) {
        db_state cur;
        if (access(s->dir, F_OK) == 0 && state_load_quiet_running(s->dir, &cur)) {
            fprintf(stderr, "\n");
            *s = cur;
            snprintf(s->jobid, sizeof s->jobid, "%s", jobid);
            return state_save(s);
        }
        if (t % 10 == 0) {
            fprintf(stderr, ".");
            if (t > 0 && l->job_state && l->job_state(jobid) == 0) {
                fprintf(stderr, "\nlocus db: job %s ended before the database came up (see %s/batch-*.log)\n", jobid,
                        s->dir);
                return -1;
            }
        }
        usleep(500000);
    }
    fprintf(stderr, "\nlocus db: job %s did not start the database within %ld s (see %s/batch-*.log)\n", jobid,
            timeout_s, s->dir);
    return -1;
}

static bool this_host(const char *host) {
    char self[256] = "";
    gethostname(self, sizeof self - 1);
    size_t k = strcspn(self, ".");
    return !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") || !strcmp(host, self) ||
           (strlen(host) == k && !strncmp(host, self, k)) ||
           (!strncmp(host, self, k) && host[k] == '.'); /* short and full names of this host */
}

/* Everything `locus db start` does after parsing its options; `locus bench` calls it too. Returns 0,
 * 1 (failed; nothing left running) or 2 (bad options), with the state in *ps either way. */
int db_launch(db_options *po, db_state *ps) {
    db_options o = *po;
    bool batch = o.batch;
    db_state s = {0};
    int rc = 0;
    bool prelaunch = true, made_dir = false; /* for the clean-up of a start that failed before any launch */
    if (o.unix_socket && o.shards > 1) {
        fprintf(stderr, "locus db start: --unix-socket works with one shard (a cluster is reached over TCP)\n");
        rc = 2;
        goto out;
    }
    if (o.replicas > 0 && o.shards < 3) {
        fprintf(stderr,
                "locus db start: --replicas %ld needs --shards 3 or more (given %ld): replicas are Redis "
                "Cluster replicas, and a replica takes over only when a majority of the primaries agrees "
                "that its primary is down, which %ld primar%s cannot give once one is lost\n",
                o.replicas, o.shards, o.shards, o.shards == 1 ? "y" : "ies");
        rc = 2;
        goto out;
    }
    if (o.shards * (1 + o.replicas) > DB_MAX_SHARDS) {
        fprintf(stderr, "locus db start: --shards %ld with --replicas %ld makes %ld servers; at most %d\n",
                o.shards, o.replicas, o.shards * (1 + o.replicas), DB_MAX_SHARDS);
        rc = 2;
        goto out;
    }
    const launcher *l = launcher_by_name(o.launcher);
    if (l == NULL) {
        fprintf(stderr, "locus db start: unknown launcher '%s' (auto, local, slurm, pbs)\n", o.launcher);
        rc = 2;
        goto out;
    }
    char module[1024];
    if (o.module)
        snprintf(module, sizeof module, "%s", o.module);
    else if (find_module_path(module, sizeof module) == NULL) {
        fprintf(stderr, "locus db start: cannot find locus_ai.so (set LOCUS_MODULE_PATH or pass --module)\n");
        rc = 1;
        goto out;
    }
    if (access(module, R_OK) != 0) {
        fprintf(stderr, "locus db start: module %s: %s\n", module, strerror(errno));
        rc = 1;
        goto out;
    }

    char dir[PATH_MAX];
    made_dir = access(o.dir, F_OK) != 0;
    if (mkdir_private(o.dir) != 0 || realpath(o.dir, dir) == NULL) {
        rc = 1;
        goto out;
    }
    if (strlen(dir) > 400) {
        fprintf(stderr, "locus db start: --dir path is too long (over 400 characters)\n");
        rc = 2;
        goto out;
    }
    o.dir = dir;
    if (state_load_quiet_running(dir, &s) && any_alive(&s)) {
        fprintf(stderr, "locus db start: a database from %s is still running; 'locus db stop --dir %s' first\n", dir, dir);
        rc = 1;
        goto out;
    }
    memset(&s, 0, sizeof s);
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    snprintf(s.launcher, sizeof s.launcher, "%s", l->name);
    snprintf(s.status, sizeof s.status, "starting");
    if (strcmp(o.password, "auto") == 0)
        make_password(s.password, sizeof s.password);
    else if (strcmp(o.password, "none") != 0)
        snprintf(s.password, sizeof s.password, "%s", o.password);

    if (batch) {
        if (l->batch == NULL) {
            fprintf(stderr, "locus db start: --batch needs the slurm or pbs launcher\n");
            rc = 2;
            goto out;
        }
        char script[700];
        snprintf(script, sizeof script, "%s/db-%s.sh", dir, l->name);
        /* The job must use the same password: pass it explicitly. */
        o.password = s.password[0] ? s.password : "none";
        if (o.dry_run) {
            if (l->batch(&o, &s, script, false) != 0) {
                rc = 1;
                goto out;
            }
            char line[2200] = "";
            append_quoted(line, sizeof line, script);
            printf("%s %s\n", l->submit_command, line); /* a command a shell can run as it is */
            fprintf(stderr, "locus db start: --dry-run: wrote %s; nothing was submitted\n", script);
            snprintf(s.status, sizeof s.status, "not submitted");
            state_save(&s);
            prelaunch = false; /* keep the script */
            goto out;
        }
        /* saved before the submission: once submitted, the job writes this file itself */
        snprintf(s.status, sizeof s.status, "submitted");
        state_save(&s);
        if (l->batch(&o, &s, script, true) != 0) {
            rc = 1;
            goto out;
        }
        prelaunch = false; /* submitted: the job may be running */
        fprintf(stderr, "locus db: submitted %s as job %s\n", script, s.jobid);
        if (wait_for_batch(l, &s, o.wall_time_min > 0 ? o.wall_time_min * 60 : 600) != 0) {
            /* never leave a job behind that would start a database no one uses */
            l->cancel(s.jobid);
            snprintf(s.status, sizeof s.status, "stopped");
            state_save(&s);
            rc = 1;
            goto out;
        }
        goto out;
    }

    char hosts[DB_MAX_SHARDS][256];
    int nhosts = 0;
    if (o.hosts) {
        char *copy = strdup(o.hosts);
        for (char *h = strtok(copy, ","); h && nhosts < DB_MAX_SHARDS; h = strtok(NULL, ","))
            snprintf(hosts[nhosts++], 256, "%s", h);
        free(copy);
    } else {
        nhosts = l->hosts(hosts, DB_MAX_SHARDS);
    }
    if (strcmp(l->name, "local") == 0 && o.hosts) {
        /* the local launcher starts every shard on this machine: other hosts cannot be honoured, and several
         * names of this one would give two shards one port */
        char self[256] = "";
        gethostname(self, sizeof self - 1);
        for (int i = 0; i < nhosts; i++)
            if (strcmp(hosts[i], "localhost") != 0 && strcmp(hosts[i], "127.0.0.1") != 0 &&
                strcmp(hosts[i], self) != 0) {
                fprintf(stderr, "locus db start: --hosts %s: the local launcher starts every shard on this machine; "
                                "use --launcher slurm or pbs to place shards on other hosts\n", hosts[i]);
                rc = 2;
                goto out;
            }
        nhosts = 1;
    }
    if (nhosts == 0) {
        fprintf(stderr, "locus db start: launcher %s found no hosts (are we inside an allocation?)\n", l->name);
        rc = 1;
        goto out;
    }
    if (o.replicas > 0 && nhosts > 1 && o.replicas >= nhosts) {
        fprintf(stderr,
                "locus db start: --replicas %ld on %d hosts: each replica goes on a host other than its "
                "primary's, so at most %d per primary here\n",
                o.replicas, nhosts, nhosts - 1);
        rc = 2;
        goto out;
    }
    if (o.replicas > 0 && o.persist && strcmp(o.persist, "none") != 0)
        keep_last_primaries(&o, dir);
    int cpus[4096];
    int ncpus = allowed_cpus(cpus, 4096);
    s.cluster = o.shards > 1;
    s.replicas = (int)o.replicas;
    s.nshards = (int)(o.shards * (1 + o.replicas));
    db_place where[DB_MAX_SHARDS];
    db_placement(o.shards, o.replicas, nhosts, where);
    for (int i = 0; i < s.nshards; i++) {
        shard_state *h = &s.shards[i];
        int p = where[i].primary, r = where[i].replica;
        h->replica = r > 0;
        h->primary = r > 0 ? p : 0;
        snprintf(h->role, sizeof h->role, "%s", r ? "replica" : "primary");
        const char *host = hosts[where[i].host];
        snprintf(h->node, sizeof h->node, "%s", host);
        h->port = (int)o.port + where[i].port_offset;
        bool local = strcmp(l->name, "local") == 0 || strcmp(host, "localhost") == 0;
        if (o.ifname && !local && !this_host(host)) {
            /* the interface's addresses are read here, and would be this host's, not those of the host the
             * shard runs on */
            fprintf(stderr, "locus db start: --ifname %s with a shard on %s, another host than this one: the "
                            "address of %s there cannot be read from here. Leave --ifname out (each shard then "
                            "binds its host's address), or start one database per host\n", o.ifname, host, o.ifname);
            rc = 2;
            goto out;
        }
        if (o.ifname) {
            if (iface_addresses(o.ifname, h->bind, sizeof h->bind) != 0) {
                fprintf(stderr, "locus db start: interface '%s' has no address here\n", o.ifname);
                rc = 1;
                goto out;
            }
        } else if (local) {
            snprintf(h->bind, sizeof h->bind, "127.0.0.1");
        } else if (host_address(host, h->bind, sizeof h->bind) != 0) {
            fprintf(stderr, "locus db start: cannot resolve host '%s'\n", host);
            rc = 1;
            goto out;
        }
        /* Clients reach a shard at its first bind address. */
        size_t k = strcspn(h->bind, " ");
        memcpy(h->host, h->bind, k);
        h->host[k] = '\0';
        if (strcmp(l->name, "local") != 0 && !o.ifname)
            snprintf(h->host, sizeof h->host, "%s", strcmp(host, "localhost") == 0 ? "127.0.0.1" : host);
        if (o.unix_socket) {
            char sock[256];
            if (o.unix_socket[0] != '/' && getcwd(sock, sizeof sock))
                snprintf(h->unix_socket, sizeof h->unix_socket, "%s/%s", sock, o.unix_socket);
            else
                snprintf(h->unix_socket, sizeof h->unix_socket, "%s", o.unix_socket);
        }
        if (shard_dir(h->dir, sizeof h->dir, dir, p, r) >= (int)sizeof h->dir) {
            rc = 1;
            goto out;
        }
        if (mkdir_private(h->dir) != 0) {
            rc = 1;
            goto out;
        }
        if (strcmp(l->name, "local") == 0 && !local_port_free(h->host, h->port)) {
            fprintf(stderr, "locus db start: port %d on %s is in use (choose another with --port)\n", h->port, h->host);
            rc = 1;
            goto out;
        }
        if (shard_write_conf(&o, &s, i, module) != 0) {
            rc = 1;
            goto out;
        }
    }
    state_save(&s);
    prelaunch = false; /* from here a failure keeps the folders: the shards' logs say why */

    for (int i = 0; i < s.nshards; i++) {
        /* a shard killed before its stop left its cluster config: this start forms a new cluster */
        char nodes_conf[700];
        snprintf(nodes_conf, sizeof nodes_conf, "%s/nodes.conf", s.shards[i].dir);
        unlink(nodes_conf);
        char cpulist[1024] = "";
        if (o.cpus > 0 && ncpus > 0) {
            int take = o.cpus < ncpus ? (int)o.cpus : ncpus;
            int from = (int)((i * o.cpus) % ncpus);
            if (from + take > ncpus)
                from = ncpus - take;
            cpulist_format(cpus, from, take, cpulist, sizeof cpulist);
        }
        if (l->start_shard(&o, &s, i, cpulist) != 0) {
            fprintf(stderr, "locus db start: could not launch shard %d\n", i);
            db_stop_all(&s);
            state_save(&s);
            rc = 1;
            goto out;
        }
        state_save(&s);
    }
    for (int i = 0; i < s.nshards; i++) {
        if (shard_wait_ready(&s, i, READY_TIMEOUT_MS) != 0) {
            db_stop_all(&s);
            state_save(&s);
            rc = 1;
            goto out;
        }
    }
    if (s.cluster && cluster_form(&s, CLUSTER_TIMEOUT_MS) != 0) {
        db_stop_all(&s);
        state_save(&s);
        rc = 1;
        goto out;
    }
    snprintf(s.status, sizeof s.status, "running");
    if (state_save(&s) != 0) {
        db_stop_all(&s);
        rc = 1;
        goto out;
    }
out:
    if (rc != 0 && prelaunch && s.dir[0]) {
        /* nothing was started: leave no half-made folders behind */
        for (int i = 0; i < s.nshards; i++) {
            if (!s.shards[i].dir[0])
                continue;
            char f[800];
            snprintf(f, sizeof f, "%s/redis.conf", s.shards[i].dir);
            unlink(f);
            rmdir(s.shards[i].dir);
        }
        if (made_dir) {
            char f[700];
            snprintf(f, sizeof f, "%s/%s", s.dir, DB_STATE_FILE);
            unlink(f);
            rmdir(s.dir);
        }
    }
    *ps = s;
    return rc;
}

static int db_start(int argc, char **argv) {
    db_options o = {.shards = 1, .port = 6379, .threads_per_queue = 1, .launcher = "auto", .password = "auto",
                    .persist = "none"};
    str_list redis_args = {0};
    bool batch = false, wait_in_job = false, dry_run = false;
    const opt_spec specs[] = {
        {"dir", OPT_STR, &o.dir, "DIR", "state directory (required): addresses, pids, logs, password", 0, 0},
        {"shards", OPT_INT, &o.shards, "N", "number of shards; N >= 2 forms a Redis Cluster (default 1)", 1, DB_MAX_SHARDS},
        {"replicas", OPT_INT, &o.replicas, "N",
         "Redis Cluster replicas per shard, each on a host other than its primary's where there are several "
         "(default 0); needs --shards 3 or more. A replica takes over when its primary is lost: "
         "cluster-node-timeout is " STRINGIFY(DB_FAILOVER_NODE_TIMEOUT_MS) " ms instead of "
         STRINGIFY(DB_NODE_TIMEOUT_MS) ", and a failover took " DB_FAILOVER_MEASURED "; liblocus retries "
         "meanwhile and acknowledges a write once every replica listed for its shard has it (WAIT)",
         0, DB_MAX_SHARDS - 1},
        {"port", OPT_INT, &o.port, "P", "first port; shards on one host use P, P+1, ... (default 6379)", 1, 65535},
        {"ifname", OPT_STR, &o.ifname, "IF", "bind only to the addresses of this interface (default: loopback)", 0, 0},
        {"cpus", OPT_INT, &o.cpus, "N", "CPUs per shard; local shards are pinned to them (default: no pinning)", 0, 4096},
        {"threads-per-queue", OPT_INT, &o.threads_per_queue, "N", "module THREADS_PER_QUEUE (default 1)", 1, 1024},
        {"inter-op", OPT_INT, &o.inter_op, "N", "module INTER_OP_PARALLELISM", 0, 1024},
        {"intra-op", OPT_INT, &o.intra_op, "N", "module INTRA_OP_PARALLELISM", 0, 1024},
        {"launcher", OPT_STR, &o.launcher, "L", "auto, local, slurm or pbs (default auto: from the environment)", 0, 0},
        {"hosts", OPT_STR, &o.hosts, "H1,H2", "hosts for the shards (default: the allocation's, one shard each)", 0, 0},
        {"unix-socket", OPT_STR, &o.unix_socket, "PATH", "also listen on a Unix socket, mode 0700 (one shard only)", 0, 0},
        {"password", OPT_STR, &o.password, "auto|none|VALUE", "AUTH password (default auto: generated)", 0, 0},
        {"persist", OPT_STR, &o.persist, "none|rdb|aof",
         "none (default, as SmartSim's: the database is a staging area), rdb (snapshots: every 15 min after 1 "
         "write, 5 min after 100, 1 min after 10000) or aof (every write logged, fsync each second); files in each "
         "shard's folder, and a restarted shard reads them back", 0, 0},
        {"redis-arg", OPT_STR_LIST, &redis_args, "'NAME VALUE'", DB_LIMITS_HELP, 0, 0},
        {"module", OPT_STR, &o.module, "PATH", "locus_ai.so to load (default: $LOCUS_MODULE_PATH or beside locus)", 0, 0},
        {"batch", OPT_FLAG, &batch, NULL, "slurm/pbs: submit the database as its own batch job", 0, 0},
        {"batch-args", OPT_STR, &o.batch_args, "ARGS",
         "extra #SBATCH line for --batch; with pbs, qsub options (one #PBS line each, separated by newlines)", 0, 0},
        {"batch-select", OPT_STR, &o.batch_select, ":RES=V...",
         "pbs: resources added to each chunk of the --batch job's select (e.g. ':ngpus=1:P100=True')", 0, 0},
        {"wall-time", OPT_INT, &o.wall_time_min, "MIN", "wall time of the --batch job in minutes (default 60)", 1, 100000},
        {"wait-in-job", OPT_FLAG, &wait_in_job, NULL, "stay in the foreground until the shards exit (used in batch jobs)", 0, 0},
        {"dry-run", OPT_FLAG, &dry_run, NULL, "with --batch: write the job script and print the command that would submit "
         "it, submit nothing", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char **rest;
    int nrest;
    int rc = opts_parse("locus db start", "--dir DIR [options]", specs, argc, argv, &rest, &nrest);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (nrest > 0) {
        fprintf(stderr, "locus db start: unexpected argument '%s'\n", rest[0]);
        return 2;
    }
    if (o.dir == NULL) {
        fprintf(stderr, "locus db start: --dir is required\n");
        return 2;
    }
    if (strcmp(o.persist, "none") != 0 && strcmp(o.persist, "rdb") != 0 && strcmp(o.persist, "aof") != 0) {
        fprintf(stderr, "locus db start: --persist '%s': expected none, rdb or aof\n", o.persist);
        return 2;
    }
    o.batch = batch;
    o.wait_in_job = wait_in_job;
    o.dry_run = dry_run;
    if (dry_run && !batch) {
        fprintf(stderr, "locus db start: --dry-run goes with --batch (it writes the job script only)\n");
        return 2;
    }
    for (int k = 0; k < redis_args.n; k++)
        o.redis_args[o.n_redis_args++] = redis_args.items[k];
    db_state s;
    int launched = db_launch(&o, &s);
    if (launched != 0)
        return launched;
    if (dry_run)
        return 0;
    if (batch) { /* the job holds the shards; we only report */
        db_print_env(&s, "sh", stdout);
        return 0;
    }
    const launcher *l = launcher_by_name(s.launcher);
    const char *dir = s.dir;
    int np = s.nshards / (1 + s.replicas);
    char replicas[64] = "";
    if (s.replicas > 0)
        snprintf(replicas, sizeof replicas, " with %d replica%s each (%d servers)", s.replicas,
                 s.replicas > 1 ? "s" : "", s.nshards);
    fprintf(stderr, "locus db: %d shard%s%s running (%s launcher%s); state in %s/%s\n", np, np > 1 ? "s" : "",
            replicas, l->name, s.cluster ? ", clustered" : "", dir, DB_STATE_FILE);
    db_print_env(&s, "sh", stdout);
    fflush(stdout);

    if (wait_in_job) {
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        /* the launchers' processes (srun, mpiexec) are our children: reap them, or an ended one would look
         * alive (a zombie) and the job would never end */
        while (!got_signal && (reap_children(), any_alive(&s)))
            sleep(1);
        if (got_signal) {
            db_stop_all(&s);
            state_save(&s);
        }
    }
    return 0;
}

/* "replica of N" from a replica's INFO: N is the shard whose address it follows (after a failover that may
 * not be the one it was started for); "replica" when the address is not one of ours. */
static void replica_of_text(const db_state *s, const char *info, char *out, size_t n) {
    char host[256] = "";
    int port = 0;
    const char *p = strstr(info, "\r\nmaster_host:");
    if (p)
        sscanf(p + 14, "%255[^\r]", host);
    if ((p = strstr(info, "\r\nmaster_port:")))
        port = atoi(p + 14);
    snprintf(out, n, "replica");
    for (int i = 0; i < s->nshards; i++) {
        char ip[256];
        size_t k = strcspn(s->shards[i].bind, " ");
        snprintf(ip, sizeof ip, "%.*s", (int)k, s->shards[i].bind);
        if (s->shards[i].port == port && (strcmp(s->shards[i].host, host) == 0 || strcmp(ip, host) == 0))
            snprintf(out, n, "replica of %d", i);
    }
}

static int db_status(int argc, char **argv) {
    const char *dir = NULL;
    bool as_json = false;
    const opt_spec specs[] = {
        {"dir", OPT_STR, &dir, "DIR", "state directory of the database", 0, 0},
        {"json", OPT_FLAG, &as_json, NULL, "print JSON instead of a table", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char **rest;
    int nrest, rc = opts_parse("locus db status", "--dir DIR [--json]", specs, argc, argv, &rest, &nrest);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!dir) {
        fprintf(stderr, "locus db status: --dir is required\n");
        return 2;
    }
    db_state s;
    if (state_load(dir, &s) != 0)
        return 1;
    json_t *arr = json_array();
    int down = 0;
    if (!as_json)
        printf("%-5s %-28s %-5s %-13s %10s %10s %8s %10s\n", "shard", "address", "state", "role", "memory",
               "keys", "clients", "uptime");
    for (int i = 0; i < s.nshards; i++) {
        char addr[600];
        if (s.shards[i].unix_socket[0])
            snprintf(addr, sizeof addr, "unix://%s", s.shards[i].unix_socket);
        else
            snprintf(addr, sizeof addr, "%s:%d", s.shards[i].host, s.shards[i].port);
        redisContext *c = shard_connect(&s, i, 1500);
        redisReply *r = c ? redisCommand(c, "INFO") : NULL;
        bool up = r && r->type == REDIS_REPLY_STRING;
        char mem[32] = "-", role[32] = "-";
        long long keys = 0, clients = 0, uptime = 0;
        if (up) {
            const char *p;
            if ((p = strstr(r->str, "used_memory_human:")))
                sscanf(p + 18, "%31[^\r]", mem);
            if (strstr(r->str, "\r\nrole:master\r"))
                snprintf(role, sizeof role, "primary");
            else if (strstr(r->str, "\r\nrole:slave\r"))
                replica_of_text(&s, r->str, role, sizeof role);
            if ((p = strstr(r->str, "connected_clients:")))
                clients = atoll(p + 18);
            if ((p = strstr(r->str, "uptime_in_seconds:")))
                uptime = atoll(p + 18);
            for (p = r->str; (p = strstr(p, "\r\ndb")); p += 4) {
                const char *k = strstr(p, "keys=");
                if (k)
                    keys += atoll(k + 5);
            }
        }
        down += !up;
        if (as_json)
            json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "shard", i,
                                                 "address", addr, "state", up ? "up" : "down", "role", role,
                                                 "started_as", s.shards[i].replica ? "replica" : "primary",
                                                 "memory", mem, "keys", (json_int_t)keys, "clients",
                                                 (json_int_t)clients, "uptime_s", (json_int_t)uptime));
        else
            printf("%-5d %-28s %-5s %-13s %10s %10lld %8lld %9llds\n", i, addr, up ? "up" : "down", role, mem,
                   keys, clients, uptime);
        if (r)
            freeReplyObject(r);
        if (c)
            redisFree(c);
    }
    if (as_json) {
        json_t *root = json_pack("{s:s, s:s, s:b, s:i, s:o}", "dir", s.dir, "launcher", s.launcher, "cluster",
                                 s.cluster, "replicas", s.replicas, "shards", arr);
        char *text = json_dumps(root, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(root);
    } else {
        json_decref(arr);
    }
    if (s.nshards == 0) { /* a batch job not submitted, or not started yet: nothing is up */
        fprintf(stderr, "locus db status: %s: no shard started yet (%s)\n", dir,
                s.status[0] ? s.status : "no status recorded");
        return 3;
    }
    return down == 0 ? 0 : 3;
}

static int db_env(int argc, char **argv) {
    const char *dir = NULL, *format = "sh";
    const opt_spec specs[] = {
        {"dir", OPT_STR, &dir, "DIR", "state directory of the database", 0, 0},
        {"format", OPT_STR, &format, "F", "sh (default), csh, slurm (#SBATCH line) or pbs (#PBS line)", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char **rest;
    int nrest, rc = opts_parse("locus db env", "--dir DIR [--format sh|csh|slurm|pbs]", specs, argc, argv, &rest, &nrest);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!dir) {
        fprintf(stderr, "locus db env: --dir is required\n");
        return 2;
    }
    const char *formats[] = {"sh", "csh", "slurm", "pbs"};
    bool known = false;
    for (size_t i = 0; i < 4; i++)
        known |= strcmp(format, formats[i]) == 0;
    if (!known) {
        fprintf(stderr, "locus db env: unknown format '%s' (sh, csh, slurm, pbs)\n", format);
        return 2;
    }
    db_state s;
    if (state_load(dir, &s) != 0)
        return 1;
    /* Settings for a database that is not there would send clients to a dead address: refuse, naming it. */
    if (strcmp(s.status, "running") != 0) {
        fprintf(stderr, "locus db env: the database in %s is %s (locus db start --dir %s)\n", dir,
                s.status[0] ? s.status : "not running", dir);
        return 1;
    }
    /* SSDB names the primaries as they are now: after a failover a replica serves in place of a lost one */
    if (db_refresh_roles(&s) == 0) {
        fprintf(stderr, "locus db env: no shard of the database in %s answers (%s:%d first); see locus db status "
                        "--dir %s\n", dir, s.shards[0].host, s.shards[0].port, dir);
        return 1;
    }
    db_print_env(&s, format, stdout);
    return 0;
}

static int db_stop(int argc, char **argv) {
    const char *dir = NULL;
    const opt_spec specs[] = {
        {"dir", OPT_STR, &dir, "DIR", "state directory of the database", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char **rest;
    int nrest, rc = opts_parse("locus db stop", "--dir DIR", specs, argc, argv, &rest, &nrest);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!dir) {
        fprintf(stderr, "locus db stop: --dir is required\n");
        return 2;
    }
    db_state s;
    if (state_load(dir, &s) != 0)
        return 1;
    bool was_running = strcmp(s.status, "stopped") != 0;
    db_stop_all(&s);
    if (state_save(&s) != 0)
        return 1;
    fprintf(stderr, "locus db: %s %d shard%s from %s\n", was_running ? "stopped" : "already stopped; checked",
            s.nshards, s.nshards == 1 ? "" : "s", dir);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} db_commands[] = {
    {"start", db_start, "start shards with the module loaded; N >= 2 forms a cluster"},
    {"status", db_status, "one line per shard: address, up/down, memory, keys, clients, uptime"},
    {"env", db_env, "the SSDB/SR_DB_TYPE/password settings for clients"},
    {"stop", db_stop, "stop every shard started from --dir (safe to repeat)"},
};

int locus_db_main(int argc, char **argv) {
    size_t n = sizeof db_commands / sizeof db_commands[0];
    if (argc >= 2) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[1], db_commands[i].name) == 0)
                return db_commands[i].fn(argc - 1, argv + 1);
    }
    FILE *f = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr;
    if (f == stderr && argc >= 2)
        fprintf(stderr, "locus db: unknown command '%s'\n", argv[1]);
    fprintf(f, "usage: locus db <command> --dir DIR [options]\n\ncommands:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-7s %s\n", db_commands[i].name, db_commands[i].summary);
    return f == stdout ? 0 : 2;
}
