/* Launchers behind one table: local (fork/exec), slurm (srun per shard inside an allocation, sbatch for a
 * separate database job), pbs (mpiexec per shard inside a job, qsub for a separate job). Also the MPI
 * launcher of this installation (mpiexec's family, for starting ranks per host) and the environment a
 * job's processes need from ours. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

extern char **environ;

static const char *redis_path(void) {
    const char *p = getenv("REDIS_PATH");
    return p && *p ? p : "redis-server";
}

/* ---- local ---- */

static bool local_detect(void) {
    return true;
}

static int local_hosts(char hosts[][256], int max) {
    (void)max;
    snprintf(hosts[0], 256, "localhost");
    return 1;
}

static int local_start(const db_options *o, db_state *s, int i, const char *cpulist) {
    (void)o;
    char *argv[] = {(char *)redis_path(), s->shards[i].conf, NULL};
    pid_t pid = spawn_detached(argv, s->shards[i].log, cpulist);
    s->shards[i].pid = pid;
    return pid > 0 ? 0 : -1;
}

/* ---- helpers for the batch launchers ---- */

static int run_capture(const char *cmd, char *out, size_t n) {
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
        out[--got] = '\0';
    return rc == 0 ? 0 : -1;
}

static int lines_to_hosts(char *text, char hosts[][256], int max) {
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen |= strcmp(hosts[k], line) == 0;
        if (!seen && *line)
            snprintf(hosts[n++], 256, "%s", line);
    }
    return n;
}

void append_quoted(char *dst, size_t n, const char *s) {
    size_t used = strlen(dst);
    snprintf(dst + used, n - used, "'");
    for (const char *p = s; *p; p++) {
        used = strlen(dst);
        if (*p == '\'')
            snprintf(dst + used, n - used, "'\\''");
        else
            snprintf(dst + used, n - used, "%c", *p);
    }
    used = strlen(dst);
    snprintf(dst + used, n - used, "'");
}

static void quote_into(char *dst, size_t n, const char *s) {
    size_t used = strlen(dst);
    snprintf(dst + used, n - used, " ");
    append_quoted(dst, n, s);
}

int job_env_names(const char **names, int max, bool client_settings) {
    /* exact names, or prefixes ending in '_' or naming a family (SSDB, SSDB_suffix, SSKEYIN, ...); the
     * client settings are those of one database, which a job script must not carry over */
    static const struct {
        const char *name;
        bool prefix, client;
    } wanted[] = {
        {"PATH", false, false},   {"LD_LIBRARY_PATH", false, false},        {"SSDB", true, true},
        {"SR_", true, true},      {"SSKEY", true, true},                    {"LOCUS_DB_PASSWORD", false, true},
        {"LOCUS_", true, false},  {"REDIS_", true, false},                  {"OMPI_ALLOW_RUN_AS_ROOT", true, false},
    };
    int n = 0;
    for (char **e = environ; e && *e && n < max; e++) {
        size_t len = strcspn(*e, "=");
        if ((*e)[len] != '=' || len == 0 || len >= 128)
            continue;
        for (size_t k = 0; k < sizeof wanted / sizeof wanted[0]; k++) {
            size_t wl = strlen(wanted[k].name);
            bool match = wanted[k].prefix ? len >= wl && !strncmp(*e, wanted[k].name, wl)
                                          : len == wl && !strncmp(*e, wanted[k].name, wl);
            if (match && wanted[k].client && !client_settings)
                break; /* left out, and not taken by a later, wider prefix (LOCUS_) */
            if (match) {
                static char store[128][128];
                snprintf(store[n], sizeof store[n], "%.*s", (int)len, *e);
                names[n] = store[n];
                n++;
                break;
            }
        }
    }
    return n;
}

/* The `locus db start` line the batch job runs: the same options, inside the job. */
static void start_line(const db_options *o, const char *kind, const char *exe, char *out, size_t n) {
    snprintf(out, n, "exec");
    quote_into(out, n, exe);
    size_t used = strlen(out);
    snprintf(out + used, n - used, " db start --launcher %s --wait-in-job --shards %ld --port %ld --threads-per-queue %ld",
             kind, o->shards, o->port, o->threads_per_queue);
    used = strlen(out);
    snprintf(out + used, n - used, " --dir");
    quote_into(out, n, o->dir);
    if (o->replicas > 0) {
        used = strlen(out);
        snprintf(out + used, n - used, " --replicas %ld", o->replicas);
    }
    if (o->cpus > 0) {
        used = strlen(out);
        snprintf(out + used, n - used, " --cpus %ld", o->cpus);
    }
    if (o->inter_op > 0) {
        used = strlen(out);
        snprintf(out + used, n - used, " --inter-op %ld", o->inter_op);
    }
    if (o->intra_op > 0) {
        used = strlen(out);
        snprintf(out + used, n - used, " --intra-op %ld", o->intra_op);
    }
    const char *pairs[][2] = {{"--ifname", o->ifname}, {"--hosts", o->hosts}, {"--unix-socket", o->unix_socket},
                              {"--password", o->password}, {"--persist", o->persist}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        if (pairs[k][1] == NULL)
            continue;
        used = strlen(out);
        snprintf(out + used, n - used, " %s", pairs[k][0]);
        quote_into(out, n, pairs[k][1]);
    }
    for (int k = 0; k < o->n_redis_args; k++) {
        used = strlen(out);
        snprintf(out + used, n - used, " --redis-arg");
        quote_into(out, n, o->redis_args[k]);
    }
}

int write_batch_script(const char *kind, const db_options *o, const char *locus_exe, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "locus db: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    long nodes = o->shards;
    long minutes = o->wall_time_min > 0 ? o->wall_time_min : 60;
    char line[8192];
    start_line(o, kind, locus_exe, line, sizeof line);
    fprintf(f, "#!/bin/bash\n");
    if (strcmp(kind, "slurm") == 0) {
        fprintf(f, "#SBATCH --job-name=locus-db\n#SBATCH --nodes=%ld\n#SBATCH --ntasks-per-node=1\n", nodes);
        fprintf(f, "#SBATCH --time=%02ld:%02ld:00\n#SBATCH --output=%s/batch-%%j.log\n", minutes / 60, minutes % 60, o->dir);
        if (o->batch_args)
            fprintf(f, "#SBATCH %s\n", o->batch_args);
    } else {
        /* one chunk per shard host, each host the database's alone; PBS writes the nodefile in chunk order */
        fprintf(f, "#PBS -N locus-db\n#PBS -l select=%ld:ncpus=%ld:mpiprocs=1%s\n#PBS -l place=scatter:excl\n", nodes,
                o->cpus > 0 ? o->cpus : 1, o->batch_select ? o->batch_select : "");
        fprintf(f, "#PBS -l walltime=%02ld:%02ld:00\n#PBS -j oe\n", minutes / 60, minutes % 60);
        if (!strpbrk(o->dir, " \t\n:,'\"\\#$"))
            fprintf(f, "#PBS -o %s/batch-pbs.log\n", o->dir);
        if (o->batch_args) { /* one qsub option a line */
            char copy[8192];
            snprintf(copy, sizeof copy, "%s", o->batch_args);
            for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                fprintf(f, "#PBS %s\n", l);
        }
        /* PBS copies the job's output only at its end: the job writes its own log, read while it runs */
        char log[1200] = "exec >>";
        append_quoted(log, sizeof log, o->dir);
        fprintf(f, "%s\"/batch-${PBS_JOBID}.log\" 2>&1\n", log);
        fprintf(f, "cd \"${PBS_O_WORKDIR:-.}\"\n");
        /* qsub passes none of the submitter's environment (sbatch passes all of it): the variables locus and
         * its servers use are written here, shell-quoted, and not through qsub -v, which splits its list at
         * every comma (as sbatch --export does; see db_print_env) */
        const char *names[128];
        int nn = job_env_names(names, 128, false);
        for (int k = 0; k < nn; k++) {
            fprintf(f, "export %s='", names[k]);
            for (const char *c = getenv(names[k]); *c; c++)
                *c == '\'' ? fputs("'\\''", f) : fputc(*c, f);
            fputs("'\n", f);
        }
    }
    fprintf(f, "# The database runs inside this job until 'locus db stop --dir %s' (or the job ends).\n", o->dir);
    fprintf(f, "%s\n", line);
    if (fclose(f) != 0)
        return -1;
    chmod(path, 0700);
    return 0;
}

static int self_exe(char *buf, size_t n) {
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    return 0;
}

/* ---- slurm ---- */

static bool slurm_detect(void) {
    return getenv("SLURM_JOB_ID") != NULL;
}

static int slurm_hosts(char hosts[][256], int max) {
    const char *list = getenv("SLURM_JOB_NODELIST");
    if (!list)
        list = getenv("SLURM_NODELIST");
    if (!list)
        return 0;
    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd, "scontrol show hostnames '%s'", list);
    if (run_capture(cmd, out, sizeof out) != 0)
        return 0;
    return lines_to_hosts(out, hosts, max);
}

static int slurm_start(const db_options *o, db_state *s, int i, const char *cpulist) {
    (void)cpulist; /* inside a step Slurm's own binding applies */
    char nodelist[300], cpus[64];
    snprintf(nodelist, sizeof nodelist, "--nodelist=%s", s->shards[i].node[0] ? s->shards[i].node : s->shards[i].host);
    snprintf(cpus, sizeof cpus, "--cpus-per-task=%ld", o->cpus > 0 ? o->cpus : 1);
    char *argv[] = {"srun", "--nodes=1", "--ntasks=1", nodelist, cpus, "--overlap", "--job-name=locus-db", "--",
                    (char *)redis_path(), s->shards[i].conf, NULL};
    pid_t pid = spawn_detached(argv, s->shards[i].log, "");
    s->shards[i].pid = pid;
    return pid > 0 ? 0 : -1;
}

/* Runs "submitter 'script'" (the script path quoted for the shell: a state folder may hold any character) and
 * keeps the job id it prints. */
static int submit(const char *submitter, const char *script, char *jobid, size_t n) {
    char cmd[PATH_MAX * 4 + 64];
    snprintf(cmd, sizeof cmd, "%s ", submitter);
    append_quoted(cmd, sizeof cmd, script);
    if (run_capture(cmd, jobid, n) != 0 || jobid[0] == '\0') {
        fprintf(stderr, "locus db: '%s' failed\n", cmd);
        return -1;
    }
    char *semi = strchr(jobid, ';'); /* sbatch --parsable prints "id;cluster" on federations */
    if (semi)
        *semi = '\0';
    return 0;
}

static int slurm_batch(const db_options *o, db_state *s, const char *script, bool do_submit) {
    char exe[PATH_MAX];
    if (self_exe(exe, sizeof exe) != 0 || write_batch_script("slurm", o, exe, script) != 0)
        return -1;
    return do_submit ? submit("sbatch --parsable", script, s->jobid, sizeof s->jobid) : 0;
}

static void slurm_cancel(const char *jobid) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "scancel '%s' 2>/dev/null", jobid);
    if (system(cmd) != 0)
        fprintf(stderr, "locus db: scancel %s did not succeed (the job may have ended)\n", jobid);
}

static int slurm_job_state(const char *jobid) {
    char cmd[200], out[4096];
    snprintf(cmd, sizeof cmd, "squeue -h -j '%s' -o %%T 2>&1", jobid);
    if (run_capture(cmd, out, sizeof out) != 0)
        return strstr(out, "Invalid job id") ? 0 : -1;
    static const char *alive[] = {"PENDING", "RUNNING", "CONFIGURING", "SUSPENDED", "REQUEUED", "RESIZING",
                                  "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING"};
    for (size_t k = 0; k < sizeof alive / sizeof alive[0]; k++)
        if (!strcmp(out, alive[k]))
            return 1;
    return 0; /* gone from the queue, or COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
}

/* ---- pbs ---- */

static bool pbs_detect(void) {
    return getenv("PBS_JOBID") != NULL;
}

static int pbs_hosts(char hosts[][256], int max) {
    const char *file = getenv("PBS_NODEFILE");
    if (!file)
        return 0;
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    static char text[65536];
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);
    return lines_to_hosts(text, hosts, max);
}

/* One redis-server on the shard's host through this installation's mpiexec (inside the job, mpiexec is
 * what reaches the other hosts). */
static int pbs_start(const db_options *o, db_state *s, int i, const char *cpulist) {
    (void)o;
    (void)cpulist; /* the host's own binding applies */
    char why[512];
    const mpi_flavour *f = mpi_detect(why, sizeof why);
    if (!f) {
        fprintf(stderr, "locus db start: %s\n", why);
        return -1;
    }
    char *argv[320], buf[65536];
    const char *env[128];
    int nenv = job_env_names(env, 128, false);
    char host[1][256];
    snprintf(host[0], sizeof host[0], "%s", s->shards[i].node[0] ? s->shards[i].node : s->shards[i].host);
    int n = mpi_hosts_argv(f, (const char(*)[256])host, 1, 1, env, nenv, getuid() == 0, argv, 316, buf, sizeof buf);
    if (n < 0)
        return -1;
    argv[n++] = (char *)redis_path();
    argv[n++] = s->shards[i].conf;
    argv[n] = NULL;
    pid_t pid = spawn_detached(argv, s->shards[i].log, "");
    s->shards[i].pid = pid;
    return pid > 0 ? 0 : -1;
}

static int pbs_batch(const db_options *o, db_state *s, const char *script, bool do_submit) {
    char exe[PATH_MAX];
    if (self_exe(exe, sizeof exe) != 0 || write_batch_script("pbs", o, exe, script) != 0)
        return -1;
    return do_submit ? submit("qsub", script, s->jobid, sizeof s->jobid) : 0;
}

static void pbs_cancel(const char *jobid) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "qdel '%s' 2>/dev/null", jobid);
    if (system(cmd) != 0)
        fprintf(stderr, "locus db: qdel %s did not succeed (the job may have ended)\n", jobid);
}

/* qstat -f's job_state: Q, H, W, T, S, U, B, R, M are a job still to run or running; E, F, X, C (TORQUE's
 * completed) one that ended; a job qstat no longer knows has ended too. */
static int pbs_job_state(const char *jobid) {
    char cmd[200], out[65536];
    snprintf(cmd, sizeof cmd, "qstat -f '%s' 2>&1", jobid);
    run_capture(cmd, out, sizeof out); /* a finished or unknown job makes qstat exit non-zero: read the text */
    const char *st = strstr(out, "job_state = ");
    if (st)
        return st[12] && strchr("QHWTSUBRM", st[12]) ? 1 : 0;
    if (strstr(out, "Unknown Job") || strstr(out, "has finished"))
        return 0;
    return -1;
}

static const launcher launchers[] = {
    {"slurm", "sbatch --parsable", slurm_detect, slurm_hosts, slurm_start, slurm_batch, slurm_cancel, slurm_job_state},
    {"pbs", "qsub", pbs_detect, pbs_hosts, pbs_start, pbs_batch, pbs_cancel, pbs_job_state},
    {"local", NULL, local_detect, local_hosts, local_start, NULL, NULL, NULL},
};

const launcher *launcher_by_name(const char *name) {
    size_t n = sizeof launchers / sizeof launchers[0];
    if (name == NULL || strcmp(name, "auto") == 0) {
        for (size_t i = 0; i < n; i++)
            if (launchers[i].detect())
                return &launchers[i];
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(launchers[i].name, name) == 0)
            return &launchers[i];
    return NULL;
}

const mpi_flavour *mpi_detect(char *why, size_t n) {
    static const mpi_flavour *found;
    static char version[512];
    if (found)
        return found;
    const char *forced = getenv("LOCUS_MPI_FLAVOUR");
    if (forced && *forced) {
        if ((found = mpi_flavour_by_name(forced)))
            return found;
        snprintf(why, n, "LOCUS_MPI_FLAVOUR=%s: expected openmpi or hydra", forced);
        return NULL;
    }
    if (run_capture("mpiexec --version 2>&1", version, sizeof version) != 0 && !version[0]) {
        snprintf(why, n, "mpiexec is not on PATH (or 'mpiexec --version' failed): the pbs launcher starts ranks "
                         "and servers on the job's hosts with it");
        return NULL;
    }
    if (!(found = mpi_flavour_of(version))) {
        snprintf(why, n, "'mpiexec --version' says \"%.*s\": not Open MPI nor MPICH/Intel MPI (Hydra), the "
                         "launchers locus knows how to give R ranks per host (set LOCUS_MPI_FLAVOUR=openmpi or hydra "
                         "for one that takes the same options)", (int)strcspn(version, "\n"), version);
        return NULL;
    }
    return found;
}
