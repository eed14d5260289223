/* `locus bench`: the scaling tests (throughput_standard, throughput_colocated, aggregation) and `report`.
 *
 * Flags and defaults are the SmartSim scaling suite's; list flags sweep every combination in a stable
 * order. Before anything starts, every combination is checked against what this launcher can run (hosts,
 * interface, language), and a configuration that cannot run is refused with the reason. One database per
 * (db_nodes, db_cpus) pair is started and reused across the client sweeps; co-located runs start theirs
 * with `locus run --colocated-db`. Each combination gets a session directory with its parameters and the
 * ranks' timing files; the report (report.c) turns them into statistics, a CSV and plots. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flags.h"
#include "launch.h"
#include "locus/locus_version.h"
#include "report.h"

#define TENSOR_SIZES "[1024,8192,16384,32768,65536,131072,262144,524288,1024000,2048000]"

static const flag_spec throughput_standard_flags[] = {
    {"exp_name", FLAG_STR, "throughput-standard-scaling", "name of the results/<exp_name> folder"},
    {"launcher", FLAG_STR, "auto", "auto, local, slurm or pbs"},
    {"run_db_as_batch", FLAG_BOOL, "True", "run the database as its own batch job (slurm/pbs)"},
    {"batch_args", FLAG_STR, "{}", "extra batch arguments for the database job"},
    {"db_hosts", FLAG_STR_LIST, "[]", "hosts to run the database on"},
    {"node_feature", FLAG_STR, "{}", "extra launcher settings for the application"},
    {"db_node_feature", FLAG_STR, "{}", "extra launcher settings for the database"},
    {"db_nodes", FLAG_INT_LIST, "[12]", "database shards (one per host)"},
    {"db_cpus", FLAG_INT_LIST, "[2]", "CPUs per database shard"},
    {"db_port", FLAG_INT, "6780", "database port"},
    {"net_ifname", FLAG_STR, "ipogif0", "network interface the database listens on"},
    {"clients_per_node", FLAG_INT_LIST, "[32]", "client ranks per node"},
    {"client_nodes", FLAG_INT_LIST, "[128,256,512]", "nodes for the client application"},
    {"iterations", FLAG_INT, "100", "put+unpack iterations per rank"},
    {"tensor_bytes", FLAG_INT_LIST, TENSOR_SIZES, "tensor sizes in bytes"},
    {"languages", FLAG_STR_LIST, "[cpp]", "client languages: c (cpp accepted), fortran"},
    {"wall_time", FLAG_STR, "05:00:00", "wall time of batch jobs"},
    {NULL, 0, NULL, NULL},
};

static const flag_spec throughput_colocated_flags[] = {
    {"exp_name", FLAG_STR, "throughput-colocated-scaling", "name of the results/<exp_name> folder"},
    {"launcher", FLAG_STR, "auto", "auto, local, slurm or pbs"},
    {"node_feature", FLAG_STR, "{}", "extra launcher settings for the application"},
    {"nodes", FLAG_INT_LIST, "[4,8,16,32,64,128]", "nodes, each with its own database"},
    {"db_cpus", FLAG_INT_LIST, "[8]", "CPUs of each node given to its database"},
    {"db_port", FLAG_INT, "6780", "database port (co-located databases use a Unix socket)"},
    {"net_ifname", FLAG_STR, "lo", "interface (co-located databases stay on the node)"},
    {"clients_per_node", FLAG_INT_LIST, "[48]", "client ranks per node"},
    {"pin_app_cpus", FLAG_BOOL_LIST, "[False]", "pin the application to the CPUs the database does not use"},
    {"iterations", FLAG_INT, "100", "put+unpack iterations per rank"},
    {"tensor_bytes", FLAG_INT_LIST, TENSOR_SIZES, "tensor sizes in bytes"},
    {"languages", FLAG_STR_LIST, "[cpp]", "client languages: c (cpp accepted), fortran"},
    {"wall_time", FLAG_STR, "05:00:00", "wall time of batch jobs"},
    {NULL, 0, NULL, NULL},
};

static const flag_spec aggregation_flags[] = {
    {"exp_name", FLAG_STR, "aggregation-scaling", "name of the results/<exp_name> folder"},
    {"launcher", FLAG_STR, "auto", "auto, local, slurm or pbs"},
    {"run_db_as_batch", FLAG_BOOL, "True", "run the database as its own batch job (slurm/pbs)"},
    {"batch_args", FLAG_STR, "{}", "extra batch arguments for the database job"},
    {"db_hosts", FLAG_STR_LIST, "[]", "hosts to run the database on"},
    {"node_feature", FLAG_STR, "{}", "extra launcher settings for the application"},
    {"db_node_feature", FLAG_STR, "{}", "extra launcher settings for the database"},
    {"db_nodes", FLAG_INT_LIST, "[12]", "database shards (one per host)"},
    {"db_cpus", FLAG_INT_LIST, "[36]", "CPUs per database shard"},
    {"db_port", FLAG_INT, "6780", "database port"},
    {"net_ifname", FLAG_STR, "ipogif0", "network interface the database listens on"},
    {"clients_per_node", FLAG_INT_LIST, "[32]", "producer ranks per node"},
    {"client_nodes", FLAG_INT_LIST, "[128,256,512]", "nodes for the producer application"},
    {"iterations", FLAG_INT, "20", "lists produced and consumed"},
    {"tensor_bytes", FLAG_INT_LIST, TENSOR_SIZES, "bytes of each tensor in a dataset"},
    {"tensors_per_dataset", FLAG_INT_LIST, "[1,2,4]", "tensors in each dataset"},
    {"client_threads", FLAG_INT_LIST, "[1,2,4,8,16,32]", "threads of the consumer"},
    {"languages", FLAG_STR_LIST, "[cpp]", "producer languages: c (cpp accepted), fortran"},
    {"wall_time", FLAG_STR, "05:00:00", "wall time of batch jobs"},
    {NULL, 0, NULL, NULL},
};

typedef enum { TEST_THROUGHPUT_STANDARD, TEST_THROUGHPUT_COLOCATED, TEST_AGGREGATION } test_kind;

typedef struct test_def {
    const char *name;
    test_kind kind;
    const flag_spec *flags;
    const char *summary;
} test_def;

static const test_def tests[] = {
    {"throughput_standard", TEST_THROUGHPUT_STANDARD, throughput_standard_flags,
     "put_tensor + unpack_tensor per rank against a separate database"},
    {"throughput_colocated", TEST_THROUGHPUT_COLOCATED, throughput_colocated_flags,
     "put_tensor + unpack_tensor per rank against a database on each node"},
    {"aggregation", TEST_AGGREGATION, aggregation_flags,
     "producers append datasets to a list; a consumer polls and fetches it"},
};

/* One combination of the sweep. */
typedef struct combo {
    long nodes, cpn, db_nodes, db_cpus, bytes, tpd, threads;
    int pin;
    char lang[16];
} combo;

typedef struct plan {
    const test_def *test;
    flag_set fs;
    const launcher *l;
    combo *c;
    int n;
} plan;

static const char *app_dir(void) {
    static char dir[PATH_MAX];
    const char *env = getenv("LOCUS_BENCH_APPS");
    if (env && *env)
        return env;
    ssize_t len = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (len <= 0)
        return ".";
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    /* build tree: build/bin; installed: bin. The apps sit beside the locus command. */
    return dir;
}

static const char *lang_of(const char *flag) {
    if (!strcmp(flag, "cpp") || !strcmp(flag, "c") || !strcmp(flag, "c++"))
        return "c";
    if (!strcmp(flag, "fortran"))
        return "fortran";
    return NULL;
}

/* Build every combination in a stable order (outer loops first): database settings, then clients, sizes,
 * languages. The order decides which combinations share a database. */
static void build_combos(plan *p) {
    const flag_set *fs = &p->fs;
    const flag_value *nodes = flag_get(fs, p->test->kind == TEST_THROUGHPUT_COLOCATED ? "nodes" : "client_nodes");
    const flag_value *cpn = flag_get(fs, "clients_per_node"), *bytes = flag_get(fs, "tensor_bytes");
    const flag_value *langs = flag_get(fs, "languages"), *dbc = flag_get(fs, "db_cpus");
    const flag_value *dbn = flag_get(fs, "db_nodes"), *pin = flag_get(fs, "pin_app_cpus");
    const flag_value *tpd = flag_get(fs, "tensors_per_dataset"), *thr = flag_get(fs, "client_threads");
    int max = 1;
    const flag_value *axes[] = {nodes, cpn, bytes, langs, dbc, dbn, pin, tpd, thr};
    for (size_t i = 0; i < sizeof axes / sizeof axes[0]; i++)
        if (axes[i])
            max *= axes[i]->n > 0 ? axes[i]->n : 1;
    p->c = calloc((size_t)max, sizeof *p->c);
    p->n = 0;
#define EACH(v, i) for (int i = 0; i < ((v) ? (v)->n : 1); i++)
    EACH(dbn, a) EACH(dbc, b) EACH(nodes, c) EACH(cpn, d) EACH(pin, e) EACH(tpd, f) EACH(thr, g) EACH(bytes, h)
        EACH(langs, k) {
        combo *x = &p->c[p->n++];
        x->db_nodes = dbn ? dbn->ints[a] : 0;
        x->db_cpus = dbc ? dbc->ints[b] : 0;
        x->nodes = nodes->ints[c];
        x->cpn = cpn->ints[d];
        x->pin = pin ? (int)pin->ints[e] : 0;
        x->tpd = tpd ? tpd->ints[f] : 1;
        x->threads = thr ? thr->ints[g] : 1;
        x->bytes = bytes->ints[h];
        snprintf(x->lang, sizeof x->lang, "%s", langs && langs->n ? langs->strs[k] : "c");
    }
#undef EACH
}

static int allocation_nodes(const launcher *l) {
    if (!strcmp(l->name, "slurm")) {
        const char *n = getenv("SLURM_JOB_NUM_NODES") ? getenv("SLURM_JOB_NUM_NODES") : getenv("SLURM_NNODES");
        return n ? atoi(n) : 0;
    }
    if (!strcmp(l->name, "pbs")) {
        char hosts[256][256];
        return l->hosts(hosts, 256);
    }
    return 1;
}

/* Refuse, before anything starts, what cannot run here; the message names the flag and the reason. */
static int check_plan(const plan *p) {
    const flag_set *fs = &p->fs;
    int avail = allocation_nodes(p->l);
    bool local = !strcmp(p->l->name, "local");
    bool batch_db = flag_get(fs, "run_db_as_batch") && flag_int(fs, "run_db_as_batch", 0);
    if (!strcmp(p->l->name, "pbs")) {
        fprintf(stderr, "locus bench: the pbs launcher can print a batch script (--print-batch-script pbs) but "
                        "running the suite under PBS is not implemented yet\n");
        return -1;
    }
    if (batch_db && local) {
        fprintf(stderr, "locus bench: --run_db_as_batch=True needs the slurm or pbs launcher; with --launcher=%s pass "
                        "--run_db_as_batch=False\n", p->l->name);
        return -1;
    }
    if (batch_db) {
        fprintf(stderr, "locus bench: --run_db_as_batch=True is not supported yet; pass --run_db_as_batch=False to run "
                        "the database inside this allocation\n");
        return -1;
    }
    const char *ifname = flag_str(fs, "net_ifname", 0);
    if (p->test->kind != TEST_THROUGHPUT_COLOCATED && (local || avail <= 1) && if_nametoindex(ifname) == 0) {
        fprintf(stderr, "locus bench: --net_ifname=%s: no such interface on this host (try --net_ifname=lo)\n", ifname);
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        const combo *c = &p->c[i];
        if (!lang_of(c->lang)) {
            fprintf(stderr, "locus bench: --languages: '%s' is not available (c, cpp, fortran)\n", c->lang);
            return -1;
        }
        long need = p->test->kind == TEST_THROUGHPUT_COLOCATED ? c->nodes : c->nodes + c->db_nodes;
        if (p->test->kind != TEST_THROUGHPUT_COLOCATED && local)
            need = c->nodes; /* locally the database shares the one host */
        if (local && (c->nodes > 1 || (p->test->kind != TEST_THROUGHPUT_COLOCATED && c->db_nodes > 64))) {
            fprintf(stderr, "locus bench: %s needs %ld nodes; the local launcher has this one host (pass "
                            "--%s=[1] or use --launcher=slurm inside an allocation)\n", p->test->name, c->nodes,
                    p->test->kind == TEST_THROUGHPUT_COLOCATED ? "nodes" : "client_nodes");
            return -1;
        }
        if (!local && need > avail) {
            fprintf(stderr, "locus bench: a combination needs %ld nodes but the %s allocation has %d (run inside a "
                            "larger allocation, or write a job script with --print-batch-script %s)\n", need,
                    p->l->name, avail, p->l->name);
            return -1;
        }
        if (c->nodes == 0 || c->cpn == 0 || c->bytes == 0 || c->tpd == 0 || c->threads == 0) {
            fprintf(stderr, "locus bench: node, client, thread, tensor and dataset counts must be positive\n");
            return -1;
        }
        if (c->bytes % 4 != 0) {
            fprintf(stderr, "locus bench: --tensor_bytes=%ld: tensors are float32, so sizes must be multiples of 4\n",
                    c->bytes);
            return -1;
        }
    }
    char app[PATH_MAX];
    const char *needed[] = {"locus_bench_throughput", "locus_bench_aggregation"};
    const char *want = p->test->kind == TEST_AGGREGATION ? needed[1] : needed[0];
    snprintf(app, sizeof app, "%s/%s", app_dir(), want);
    if (access(app, X_OK) != 0) {
        fprintf(stderr, "locus bench: the benchmark application %s is missing (build the project, or set "
                        "LOCUS_BENCH_APPS)\n", app);
        return -1;
    }
    return 0;
}

static void write_run_cfg(const plan *p, const char *dir, int argc, char **argv) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/run.cfg", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
    struct utsname u;
    uname(&u);
    char redis[256] = "?";
    FILE *rv = popen("redis-server --version 2>/dev/null", "r");
    if (rv) {
        if (!fgets(redis, sizeof redis, rv))
            snprintf(redis, sizeof redis, "?");
        redis[strcspn(redis, "\n")] = '\0';
        pclose(rv);
    }
    fprintf(f, "[run]\ntest = %s\nlocus_version = %s\ndate = %s\nlauncher = %s\ncombinations = %d\ncommand = locus bench",
            p->test->name, LOCUS_VERSION_STRING, date, p->l->name, p->n);
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\nredis = %s\n\n[flags]\n", redis);
    for (int i = 0; i < p->fs.n; i++) {
        char v[2048];
        flag_format(&p->fs.values[i], v, sizeof v);
        fprintf(f, "%s = %s\n", p->fs.specs[i].name, v);
    }
    fprintf(f, "\n[host]\nhostname = %s\nkernel = %s %s\nmachine = %s\ncpus = %ld\nmemory_gb = %.1f\n", u.nodename,
            u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
            (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1e9);
    fclose(f);
}

static void session_name(const plan *p, const combo *c, char *out, size_t n) {
    switch (p->test->kind) {
    case TEST_THROUGHPUT_STANDARD:
        snprintf(out, n, "tstd-N%ld-C%ld-DBN%ld-DBC%ld-T%ld-L%s", c->nodes, c->cpn, c->db_nodes, c->db_cpus, c->bytes,
                 lang_of(c->lang));
        break;
    case TEST_THROUGHPUT_COLOCATED:
        snprintf(out, n, "tcolo-N%ld-C%ld-DBC%ld-PIN%d-T%ld-L%s", c->nodes, c->cpn, c->db_cpus, c->pin, c->bytes,
                 lang_of(c->lang));
        break;
    case TEST_AGGREGATION:
        snprintf(out, n, "agg-N%ld-C%ld-DBN%ld-DBC%ld-T%ld-TPD%ld-TH%ld-L%s", c->nodes, c->cpn, c->db_nodes, c->db_cpus,
                 c->bytes, c->tpd, c->threads, lang_of(c->lang));
        break;
    }
}

static void write_session_cfg(const plan *p, const combo *c, const char *dir) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/session.cfg", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "[session]\ntest = %s\nlanguage = %s\nnodes = %ld\nclients_per_node = %ld\nclients = %ld\n",
            p->test->kind == TEST_AGGREGATION ? "aggregation" : p->test->name, lang_of(c->lang), c->nodes, c->cpn,
            c->nodes * c->cpn);
    fprintf(f, "tensor_bytes = %ld\niterations = %ld\ndb_nodes = %ld\ndb_cpus = %ld\npin_app_cpus = %d\n", c->bytes,
            flag_int(&p->fs, "iterations", 0), c->db_nodes, c->db_cpus, c->pin);
    fprintf(f, "tensors_per_dataset = %ld\nclient_threads = %ld\n", c->tpd, c->threads);
    fclose(f);
}

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) {
    (void)sig;
    interrupted = 1;
}

/* Run argv to completion with the given extra environment; returns the exit status (or 128+signal). */
static int run_and_wait(char *const argv[], const char *logfile) {
    pid_t pid = fork();
    if (pid == 0) {
        FILE *log = fopen(logfile, "a");
        if (log) {
            dup2(fileno(log), 1);
            dup2(fileno(log), 2);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
        if (interrupted)
            kill(pid, SIGTERM);
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The launch prefix for `ranks` ranks on `nodes` nodes: mpirun locally, srun under Slurm. */
static int launch_prefix(const plan *p, long nodes, long cpn, char **argv, char *buf1, char *buf2) {
    int n = 0;
    if (!strcmp(p->l->name, "slurm")) {
        snprintf(buf1, 32, "-N%ld", nodes);
        snprintf(buf2, 32, "--ntasks-per-node=%ld", cpn);
        argv[n++] = "srun";
        argv[n++] = buf1;
        argv[n++] = buf2;
        argv[n++] = "--mpi=pmix";
        argv[n++] = "--overlap";
    } else {
        snprintf(buf1, 32, "%ld", nodes * cpn);
        argv[n++] = "mpirun";
        argv[n++] = "-np";
        argv[n++] = buf1;
        argv[n++] = "--oversubscribe";
        argv[n++] = "--bind-to";
        argv[n++] = "none";
        if (getuid() == 0)
            argv[n++] = "--allow-run-as-root";
    }
    return n;
}

static void set_db_env(const db_state *s) {
    char ssdb[8192] = "";
    for (int i = 0; i < s->nshards; i++) {
        size_t used = strlen(ssdb);
        snprintf(ssdb + used, sizeof ssdb - used, "%s%s:%d", i ? "," : "", s->shards[i].host, s->shards[i].port);
    }
    setenv("SSDB", ssdb, 1);
    setenv("SR_DB_TYPE", s->cluster ? "Clustered" : "Standalone", 1);
    if (s->password[0])
        setenv("LOCUS_DB_PASSWORD", s->password, 1);
    else
        unsetenv("LOCUS_DB_PASSWORD");
}

static int run_session(const plan *p, const combo *c, const char *sdir, const char *locus_exe) {
    char *argv[64];
    char b1[32], b2[32], iters[32], bytes[32], tpd[32], thr[32], dbc[32], app[PATH_MAX], log[PATH_MAX + 32];
    int n = 0;
    snprintf(iters, sizeof iters, "%ld", flag_int(&p->fs, "iterations", 0));
    snprintf(bytes, sizeof bytes, "%ld", c->bytes);
    snprintf(log, sizeof log, "%s/app.log", sdir);
    const char *lang = lang_of(c->lang);
    if (p->test->kind == TEST_AGGREGATION) {
        /* Producers (MPI ranks) and the consumer (one process, client_threads threads) run together. */
        snprintf(tpd, sizeof tpd, "%ld", c->tpd);
        snprintf(thr, sizeof thr, "%ld", c->threads);
        snprintf(app, sizeof app, "%s/locus_bench_aggregation%s", app_dir(), !strcmp(lang, "fortran") ? "_f" : "");
        char consumer[PATH_MAX], producers[32];
        snprintf(consumer, sizeof consumer, "%s/locus_bench_aggregation", app_dir());
        snprintf(producers, sizeof producers, "%ld", c->nodes * c->cpn);
        char clog[PATH_MAX + 32];
        snprintf(clog, sizeof clog, "%s/consumer.log", sdir);
        pid_t cons = fork();
        if (cons == 0) {
            FILE *l = fopen(clog, "a");
            if (l) {
                dup2(fileno(l), 1);
                dup2(fileno(l), 2);
            }
            char *cargv[] = {consumer, "consumer", iters, bytes, tpd, thr, producers, (char *)sdir, NULL};
            execv(consumer, cargv);
            _exit(127);
        }
        n = launch_prefix(p, c->nodes, c->cpn, argv, b1, b2);
        argv[n++] = app;
        argv[n++] = "producer";
        argv[n++] = iters;
        argv[n++] = bytes;
        argv[n++] = tpd;
        argv[n++] = thr;
        argv[n++] = producers;
        argv[n++] = (char *)sdir;
        argv[n] = NULL;
        int rc = run_and_wait(argv, log);
        int cs = 0;
        if (rc != 0)
            kill(cons, SIGTERM);
        waitpid(cons, &cs, 0);
        return rc != 0 ? rc : (WIFEXITED(cs) ? WEXITSTATUS(cs) : 128 + WTERMSIG(cs));
    }
    snprintf(app, sizeof app, "%s/locus_bench_throughput%s", app_dir(), !strcmp(lang, "fortran") ? "_f" : "");
    n = launch_prefix(p, c->nodes, c->cpn, argv, b1, b2);
    if (p->test->kind == TEST_THROUGHPUT_COLOCATED) {
        snprintf(dbc, sizeof dbc, "%ld", c->db_cpus);
        argv[n++] = (char *)locus_exe;
        argv[n++] = "run";
        argv[n++] = "--colocated-db";
        argv[n++] = "--db-cpus";
        argv[n++] = dbc;
        if (c->pin)
            argv[n++] = "--pin-app-cpus";
        argv[n++] = "--";
    }
    argv[n++] = app;
    argv[n++] = iters;
    argv[n++] = bytes;
    argv[n++] = (char *)sdir;
    argv[n] = NULL;
    if (p->test->kind == TEST_THROUGHPUT_COLOCATED)
        setenv("LOCUS_DB_LOG_DIR", sdir, 1); /* the co-located database leaves its log in the session */
    return run_and_wait(argv, log);
}

static void print_batch_script(const plan *p, const char *kind, int argc, char **argv) {
    long max_nodes = 1;
    for (int i = 0; i < p->n; i++) {
        long need = p->test->kind == TEST_THROUGHPUT_COLOCATED ? p->c[i].nodes : p->c[i].nodes + p->c[i].db_nodes;
        if (need > max_nodes)
            max_nodes = need;
    }
    const char *wall = flag_str(&p->fs, "wall_time", 0);
    printf("#!/bin/bash\n");
    if (!strcmp(kind, "slurm"))
        printf("#SBATCH --job-name=%s\n#SBATCH --nodes=%ld\n#SBATCH --exclusive\n#SBATCH --time=%s\n"
               "#SBATCH --output=%s-%%j.log\n",
               flag_str(&p->fs, "exp_name", 0), max_nodes, wall, flag_str(&p->fs, "exp_name", 0));
    else
        printf("#PBS -N %s\n#PBS -l select=%ld\n#PBS -l walltime=%s\n#PBS -j oe\ncd \"${PBS_O_WORKDIR:-.}\"\n",
               flag_str(&p->fs, "exp_name", 0), max_nodes, wall);
    printf("exec locus bench %s --launcher=%s", p->test->name, kind);
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--print-batch-script", 20)) {
            if (!strchr(argv[i], '='))
                i++;
            continue;
        }
        if (!strncmp(argv[i], "--launcher", 10)) {
            if (!strchr(argv[i], '='))
                i++;
            continue;
        }
        printf(" '%s'", argv[i]);
    }
    printf("\n");
}

static int run_test(const test_def *t, int argc, char **argv) {
    plan p = {.test = t};
    p.fs.specs = t->flags;
    char prog[128];
    snprintf(prog, sizeof prog, "locus bench %s", t->name);
    const char *extra[] = {"print-batch-script", "results-dir", NULL};
    const char *extra_vals[] = {NULL, NULL};
    int rc = flags_parse(&p.fs, prog, argc, argv, extra, extra_vals);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (extra_vals[0] && strcmp(extra_vals[0], "slurm") && strcmp(extra_vals[0], "pbs")) {
        fprintf(stderr, "%s: --print-batch-script takes slurm or pbs, not '%s'\n", prog, extra_vals[0]);
        return 2;
    }
    const char *lname = extra_vals[0] ? extra_vals[0] : flag_str(&p.fs, "launcher", 0);
    p.l = launcher_by_name(lname);
    if (!p.l) {
        fprintf(stderr, "%s: unknown launcher '%s' (auto, local, slurm, pbs)\n", prog, lname);
        return 2;
    }
    build_combos(&p);
    if (extra_vals[0]) {
        print_batch_script(&p, extra_vals[0], argc, argv);
        free(p.c);
        return 0;
    }
    if (check_plan(&p) != 0) {
        free(p.c);
        return 2;
    }

    char locus_exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", locus_exe, sizeof locus_exe - 1);
    locus_exe[len > 0 ? len : 0] = '\0';
    const char *results = extra_vals[1] ? extra_vals[1] : "results";
    char run_dir[PATH_MAX], stamp[64];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(run_dir, sizeof run_dir, "%s/%s", results, flag_str(&p.fs, "exp_name", 0));
    mkdir(results, 0755);
    mkdir(run_dir, 0755);
    snprintf(run_dir + strlen(run_dir), sizeof run_dir - strlen(run_dir), "/run-%s", stamp);
    if (mkdir(run_dir, 0755) != 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", prog, run_dir, strerror(errno));
        free(p.c);
        return 1;
    }
    write_run_cfg(&p, run_dir, argc - 1, argv + 1);
    fprintf(stderr, "%s: %d combination%s; results in %s\n", prog, p.n, p.n == 1 ? "" : "s", run_dir);

    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    if (getuid() == 0) { /* Open MPI refuses root without these */
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
    double t0 = (double)time(NULL);
    db_state db = {0};
    bool have_db = false;
    long cur_dbn = -1, cur_dbc = -1;
    int failures = 0;
    for (int i = 0; i < p.n && !interrupted; i++) {
        const combo *c = &p.c[i];
        if (t->kind != TEST_THROUGHPUT_COLOCATED && (c->db_nodes != cur_dbn || c->db_cpus != cur_dbc)) {
            if (have_db) {
                db_stop_all(&db);
                state_save(&db);
            }
            char ddir[PATH_MAX], hosts[4096] = "";
            snprintf(ddir, sizeof ddir, "%s/database-N%ld-C%ld", run_dir, c->db_nodes, c->db_cpus);
            const flag_value *dh = flag_get(&p.fs, "db_hosts");
            for (int k = 0; dh && k < dh->n; k++)
                snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", k ? "," : "", dh->strs[k]);
            db_options o = {.dir = ddir, .shards = c->db_nodes, .port = flag_int(&p.fs, "db_port", 0),
                            .cpus = c->db_cpus, .threads_per_queue = 1, .launcher = p.l->name, .password = "auto",
                            .ifname = flag_str(&p.fs, "net_ifname", 0), .hosts = hosts[0] ? hosts : NULL};
            fprintf(stderr, "locus bench: starting the database (%ld shard%s, %ld CPUs each)\n", c->db_nodes,
                    c->db_nodes == 1 ? "" : "s", c->db_cpus);
            if (db_launch(&o, &db) != 0) {
                fprintf(stderr, "locus bench: the database did not start; see %s\n", ddir);
                failures++;
                break;
            }
            have_db = true;
            cur_dbn = c->db_nodes;
            cur_dbc = c->db_cpus;
            set_db_env(&db);
        }
        char name[256], sdir[PATH_MAX];
        session_name(&p, c, name, sizeof name);
        snprintf(sdir, sizeof sdir, "%s/%s", run_dir, name);
        mkdir(sdir, 0755);
        write_session_cfg(&p, c, sdir);
        int el = (int)((double)time(NULL) - t0);
        fprintf(stderr, "[%d/%d] %s  (%d remaining, elapsed %02d:%02d)\n", i + 1, p.n, name, p.n - i - 1, el / 60,
                el % 60);
        int src = run_session(&p, c, sdir, locus_exe);
        if (src != 0) {
            fprintf(stderr, "locus bench: session %s failed (exit %d); see %s/app.log\n", name, src, sdir);
            failures++;
        }
    }
    if (have_db) {
        db_stop_all(&db);
        state_save(&db);
    }
    if (interrupted)
        fprintf(stderr, "locus bench: interrupted; the database was stopped; partial results in %s\n", run_dir);
    int el = (int)((double)time(NULL) - t0);
    fprintf(stderr, "locus bench: %d combination%s in %02d:%02d, %d failed\n", p.n, p.n == 1 ? "" : "s", el / 60,
            el % 60, failures);
    free(p.c);
    if (report_run(run_dir, 1) != 0)
        failures++;
    return failures == 0 && !interrupted ? 0 : 1;
}

int locus_bench_main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "report"))
        return locus_bench_report_main(argc - 1, argv + 1);
    for (size_t i = 0; argc >= 2 && i < sizeof tests / sizeof tests[0]; i++)
        if (!strcmp(argv[1], tests[i].name))
            return run_test(&tests[i], argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    FILE *f = help ? stdout : stderr;
    if (argc >= 2 && !strncmp(argv[1], "inference_", 10) && !help) {
        fprintf(stderr, "locus bench: %s is not available yet: the inference tests need the client's model API "
                        "(this version runs throughput_standard, throughput_colocated and aggregation)\n", argv[1]);
        return 2;
    }
    if (argc >= 2 && !help)
        fprintf(stderr, "locus bench: unknown test '%s'\n", argv[1]);
    fprintf(f, "usage: locus bench <test> [--flag=value ...]\n       locus bench report RUN_DIR\n\ntests:\n");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        fprintf(f, "  %-22s %s\n", tests[i].name, tests[i].summary);
    fprintf(f, "  %-22s %s\n", "inference_standard", "not available yet: needs models in the database");
    fprintf(f, "  %-22s %s\n", "inference_colocated", "not available yet: needs models in the database");
    fprintf(f, "\nAll tests take --print-batch-script slurm|pbs to write a job script for the same run.\n");
    return help ? 0 : 2;
}
