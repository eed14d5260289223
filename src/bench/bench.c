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

#include <hiredis/hiredis.h>

#include "flags.h"
#include "launch.h"
#include "locus/locus_version.h"
#include "report.h"

#define ARGV_MAX 320 /* a client launch: the launcher, its options (PBS: one -x per variable passed), the app */
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
    {"plot", FLAG_STR, "database_nodes", "the setting the rate is also plotted against (locus bench report --help)"},
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
    {"plot", FLAG_STR, "database_cpus", "the setting the rate is also plotted against (locus bench report --help)"},
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
    {"plot", FLAG_STR, "database_nodes", "the setting the rate is also plotted against (locus bench report --help)"},
    {NULL, 0, NULL, NULL},
};

/* The inference tests: the seed suite's flags and defaults (its driver's inference_standard and
 * inference_colocated), except --languages, which both take here ([c,fortran]; the seed's colocated test
 * has C++ only). --rebuild_model is accepted: the model is traced at build time (share/locus/models). */
static const flag_spec inference_standard_flags[] = {
    {"exp_name", FLAG_STR, "inference-standard-scaling", "name of the results/<exp_name> folder"},
    {"launcher", FLAG_STR, "auto", "auto, local, slurm or pbs"},
    {"run_db_as_batch", FLAG_BOOL, "True", "run the database as its own batch job (slurm/pbs)"},
    {"batch_args", FLAG_STR, "{}", "extra batch arguments for the database job"},
    {"db_node_feature", FLAG_STR, "{'constraint': 'P100'}", "extra launcher settings for the database"},
    {"node_feature", FLAG_STR, "{}", "extra launcher settings for the application"},
    {"db_hosts", FLAG_STR_LIST, "[]", "hosts to run the database on"},
    {"db_nodes", FLAG_INT_LIST, "[12]", "database shards (one per host)"},
    {"db_cpus", FLAG_INT_LIST, "[2]", "CPUs per database shard"},
    {"db_tpq", FLAG_INT_LIST, "[1]", "threads per queue of the database (THREADS_PER_QUEUE)"},
    {"db_port", FLAG_INT, "6780", "database port"},
    {"batch_size", FLAG_INT_LIST, "[1000]", "BATCHSIZE the model is stored with (0 or 1: no batching)"},
    {"device", FLAG_STR, "GPU", "device the model and script run on: CPU or GPU"},
    {"num_devices", FLAG_INT, "1", "devices per database node"},
    {"net_ifname", FLAG_STR, "ipogif0", "network interface the database listens on"},
    {"clients_per_node", FLAG_INT_LIST, "[48]", "client ranks per node"},
    {"client_nodes", FLAG_INT_LIST, "[12]", "nodes for the client application"},
    {"rebuild_model", FLAG_BOOL, "False", "accepted; the model is traced when locus is built"},
    {"iterations", FLAG_INT, "100", "inference iterations per rank (after one warm-up)"},
    {"languages", FLAG_STR_LIST, "[c,fortran]", "client languages: c (cpp accepted), fortran"},
    {"wall_time", FLAG_STR, "05:00:00", "wall time of batch jobs"},
    {"plot", FLAG_STR, "database_nodes", "the setting the rate is also plotted against (locus bench report --help)"},
    {NULL, 0, NULL, NULL},
};

static const flag_spec inference_colocated_flags[] = {
    {"exp_name", FLAG_STR, "inference-colocated-scaling", "name of the results/<exp_name> folder"},
    {"node_feature", FLAG_STR, "{'constraint': 'P100'}", "extra launcher settings for the application"},
    {"launcher", FLAG_STR, "auto", "auto, local, slurm or pbs"},
    {"nodes", FLAG_INT_LIST, "[12]", "nodes, each with its own database"},
    {"clients_per_node", FLAG_INT_LIST, "[18]", "client ranks per node"},
    {"db_cpus", FLAG_INT_LIST, "[2]", "CPUs of each node given to its database"},
    {"db_tpq", FLAG_INT_LIST, "[1]", "threads per queue of the database (THREADS_PER_QUEUE)"},
    {"db_port", FLAG_INT, "6780", "database port (with --net_type=tcp)"},
    {"pin_app_cpus", FLAG_BOOL_LIST, "[False]", "pin the application to the CPUs the database does not use"},
    {"batch_size", FLAG_INT_LIST, "[1]", "BATCHSIZE the model is stored with (0 or 1: no batching)"},
    {"device", FLAG_STR, "GPU", "device the model and script run on: CPU or GPU"},
    {"num_devices", FLAG_INT, "1", "devices per node"},
    {"net_ifname", FLAG_STR, "ipogif0", "accepted; a co-located database stays on the node"},
    {"net_type", FLAG_STR, "uds", "how ranks reach their database: uds (Unix socket) or tcp (127.0.0.1)"},
    {"rebuild_model", FLAG_BOOL, "False", "accepted; the model is traced when locus is built"},
    {"iterations", FLAG_INT, "100", "inference iterations per rank (after one warm-up)"},
    {"languages", FLAG_STR_LIST, "[c,fortran]", "client languages: c (cpp accepted), fortran"},
    {"wall_time", FLAG_STR, "05:00:00", "wall time of batch jobs"},
    {"plot", FLAG_STR, "database_cpus", "the setting the rate is also plotted against (locus bench report --help)"},
    {NULL, 0, NULL, NULL},
};

typedef enum {
    TEST_THROUGHPUT_STANDARD,
    TEST_THROUGHPUT_COLOCATED,
    TEST_AGGREGATION,
    TEST_INFERENCE_STANDARD,
    TEST_INFERENCE_COLOCATED
} test_kind;

/* Tests whose clients share each node with its own database. */
static bool colocated_kind(test_kind k) { return k == TEST_THROUGHPUT_COLOCATED || k == TEST_INFERENCE_COLOCATED; }
static bool inference_kind(test_kind k) { return k == TEST_INFERENCE_STANDARD || k == TEST_INFERENCE_COLOCATED; }

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
    {"inference_standard", TEST_INFERENCE_STANDARD, inference_standard_flags,
     "ResNet-50 per rank (put, script, model, unpack) against a separate database"},
    {"inference_colocated", TEST_INFERENCE_COLOCATED, inference_colocated_flags,
     "ResNet-50 per rank (put, script, model, unpack) against a database on each node"},
};

/* One combination of the sweep. */
typedef struct combo {
    long nodes, cpn, db_nodes, db_cpus, bytes, tpd, threads, tpq, batch;
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
    const flag_value *nodes = flag_get(fs, colocated_kind(p->test->kind) ? "nodes" : "client_nodes");
    const flag_value *cpn = flag_get(fs, "clients_per_node"), *bytes = flag_get(fs, "tensor_bytes");
    const flag_value *langs = flag_get(fs, "languages"), *dbc = flag_get(fs, "db_cpus");
    const flag_value *dbn = flag_get(fs, "db_nodes"), *pin = flag_get(fs, "pin_app_cpus");
    const flag_value *tpd = flag_get(fs, "tensors_per_dataset"), *thr = flag_get(fs, "client_threads");
    const flag_value *tpq = flag_get(fs, "db_tpq"), *bs = flag_get(fs, "batch_size");
    int max = 1;
    const flag_value *axes[] = {nodes, cpn, bytes, langs, dbc, dbn, pin, tpd, thr, tpq, bs};
    for (size_t i = 0; i < sizeof axes / sizeof axes[0]; i++)
        if (axes[i])
            max *= axes[i]->n > 0 ? axes[i]->n : 1;
    p->c = calloc((size_t)max, sizeof *p->c);
    p->n = 0;
#define EACH(v, i) for (int i = 0; i < ((v) ? (v)->n : 1); i++)
    EACH(dbn, a) EACH(dbc, b) EACH(tpq, t) EACH(nodes, c) EACH(cpn, d) EACH(pin, e) EACH(bs, q) EACH(tpd, f)
        EACH(thr, g) EACH(bytes, h) EACH(langs, k) {
        combo *x = &p->c[p->n++];
        x->tpq = tpq ? tpq->ints[t] : 1;
        x->batch = bs ? bs->ints[q] : 0;
        x->db_nodes = dbn ? dbn->ints[a] : 0;
        x->db_cpus = dbc ? dbc->ints[b] : 0;
        x->nodes = nodes->ints[c];
        x->cpn = cpn->ints[d];
        x->pin = pin ? (int)pin->ints[e] : 0;
        x->tpd = tpd ? tpd->ints[f] : 1;
        x->threads = thr ? thr->ints[g] : 1;
        x->bytes = bytes ? bytes->ints[h] : 224L * 224 * 3 * 4; /* inference: the image each rank puts */
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

/* Where the inference model and script are: $LOCUS_BENCH_MODELS, else share/locus/models beside bin/
 * (the build tree and an install have the same layout). */
static const char *models_dir(void) {
    static char dir[PATH_MAX];
    const char *env = getenv("LOCUS_BENCH_MODELS");
    if (env && *env)
        return env;
    snprintf(dir, sizeof dir, "%s/../share/locus/models", app_dir());
    return dir;
}

/* The Torch backend the apps' in-process reference loads: beside the locus_ai.so the database loads. */
static const char *torch_backend(char *buf, size_t n) {
    char mod[PATH_MAX];
    if (!find_module_path(mod, sizeof mod))
        return NULL;
    char *slash = strrchr(mod, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, n, "%s/backends/locus_torch.so", mod);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static bool gpu_visible(void) {
    return access("/dev/nvidia0", F_OK) == 0 || system("nvidia-smi -L >/dev/null 2>&1") == 0;
}

/* The inference tests' own refusals: a device that is not here, a model that was not built, more devices per
 * node than the node has. */
static int check_inference(const plan *p) {
    const char *device = flag_str(&p->fs, "device", 0);
    long ndev = flag_int(&p->fs, "num_devices", 0);
    if (strcmp(device, "CPU") && strcmp(device, "GPU")) {
        fprintf(stderr, "locus bench: --device=%s: expected CPU or GPU\n", device);
        return -1;
    }
    if (!strcmp(device, "GPU") && !gpu_visible()) {
        fprintf(stderr, "locus bench: --device=GPU: no GPU is visible on this host (no /dev/nvidia0, nvidia-smi "
                        "finds none); pass --device=CPU\n");
        return -1;
    }
    if (ndev < 1 || (ndev > 1 && !strcmp(device, "CPU"))) {
        fprintf(stderr, "locus bench: --num_devices=%ld: a positive count, and 1 with --device=CPU\n", ndev);
        return -1;
    }
    const flag_value *nt = flag_get(&p->fs, "net_type");
    if (nt && strcmp(nt->strs[0], "uds") && strcmp(nt->strs[0], "tcp")) {
        fprintf(stderr, "locus bench: --net_type=%s: expected uds or tcp\n", nt->strs[0]);
        return -1;
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/resnet50.%s.pt", models_dir(), device);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "locus bench: the model %s is missing (it is traced at build time with python3-torch and "
                        "python3-torchvision%s; or set LOCUS_BENCH_MODELS)\n", path,
                !strcmp(device, "GPU") ? "; the GPU one by src/bench/models/gen_resnet50.py DIR GPU on a GPU machine"
                                       : "");
        return -1;
    }
    snprintf(path, sizeof path, "%s/inference_script.py", models_dir());
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "locus bench: the inference script %s is missing (set LOCUS_BENCH_MODELS)\n", path);
        return -1;
    }
    char be[PATH_MAX + 32];
    if (!torch_backend(be, sizeof be)) {
        fprintf(stderr, "locus bench: the inference tests need the Torch backend (locus_torch.so beside locus_ai.so); "
                        "this build has none\n");
        return -1;
    }
    for (int i = 0; i < p->n; i++)
        if (p->c[i].tpq < 1 || p->c[i].batch < 0) {
            fprintf(stderr, "locus bench: --db_tpq must be positive and --batch_size not negative\n");
            return -1;
        }
    return 0;
}

/* The PBS form of a dict flag (jobspec.c's table), or a message naming the flag and the key at fault. */
static int pbs_dict(const plan *p, const char *flag, pbs_request *r) {
    char err[512];
    if (!flag_get(&p->fs, flag)) {
        memset(r, 0, sizeof *r);
        return 0;
    }
    if (dict_to_pbs(flag_str(&p->fs, flag, 0), r, err, sizeof err) != 0) {
        fprintf(stderr, "locus bench: --%s=%s under PBS: %s\n", flag, flag_str(&p->fs, flag, 0), err);
        return -1;
    }
    return 0;
}

static bool on_path(const char *cmd) {
    const char *path = getenv("PATH");
    char copy[8192], full[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(full, sizeof full, "%s/%s", d, cmd);
        if (access(full, X_OK) == 0)
            return true;
    }
    return false;
}

/* What the pbs launcher needs to run the suite, inside a job or in the script written for one: an mpiexec
 * it knows (ranks are started per host with it), dict flags it can pass, and with the database as its own
 * job qsub, qstat and qdel (only checked inside the job: a script may be written where they are not). */
static int check_pbs(const plan *p, bool batch_db, bool in_job) {
    char why[512];
    pbs_request r;
    if (!mpi_detect(why, sizeof why)) {
        fprintf(stderr, "locus bench: under PBS: %s\n", why);
        return -1;
    }
    if (pbs_dict(p, "node_feature", &r) != 0)
        return -1;
    if (batch_db && (pbs_dict(p, "batch_args", &r) != 0 || pbs_dict(p, "db_node_feature", &r) != 0))
        return -1;
    if (!batch_db && !colocated_kind(p->test->kind) && pbs_dict(p, "db_node_feature", &r) != 0)
        return -1;
    const char *tools[] = {"qsub", "qstat", "qdel"};
    for (int k = 0; batch_db && in_job && k < 3; k++)
        if (!on_path(tools[k])) {
            fprintf(stderr, "locus bench: --run_db_as_batch=True under PBS submits the database with qsub, watches it "
                            "with qstat and ends it with qdel; %s is not on PATH here (run inside a PBS job with "
                            "the PBS commands, or pass --run_db_as_batch=False to start it inside this job)\n",
                    tools[k]);
            return -1;
        }
    return 0;
}

/* A database spread over several hosts cannot honour --net_ifname yet: locus db start reads the interface's
 * addresses on the host it runs on, which are not those of the other shard hosts (db.c refuses it too; this
 * says so before anything starts). spread: whether shards would be on separate hosts. */
static int check_db_spread(const plan *p, bool spread) {
    if (colocated_kind(p->test->kind) || !spread)
        return 0;
    for (int i = 0; i < p->n; i++)
        if (p->c[i].db_nodes > 1) {
            fprintf(stderr, "locus bench: --db_nodes=%ld on separate hosts with --net_ifname=%s: each shard would have "
                            "to bind the address %s has on its own host, which locus cannot read from the first "
                            "host yet; run a one-host database (--db_nodes=[1]) or everything in a one-node job\n",
                    p->c[i].db_nodes, flag_str(&p->fs, "net_ifname", 0), flag_str(&p->fs, "net_ifname", 0));
            return -1;
        }
    return 0;
}

/* Refuse, before anything starts, what cannot run here; the message names the flag and the reason. */
static int check_plan(const plan *p) {
    const flag_set *fs = &p->fs;
    int avail = allocation_nodes(p->l);
    bool local = !strcmp(p->l->name, "local");
    bool batch_db = flag_get(fs, "run_db_as_batch") && flag_int(fs, "run_db_as_batch", 0);
    if (batch_db && local) {
        fprintf(stderr, "locus bench: --run_db_as_batch=True needs the slurm or pbs launcher; with --launcher=%s pass "
                        "--run_db_as_batch=False\n", p->l->name);
        return -1;
    }
    if (!strcmp(p->l->name, "pbs") && check_pbs(p, batch_db, true) != 0)
        return -1;
    if (!local && check_db_spread(p, batch_db || avail > 1) != 0)
        return -1;
    if (!local && avail == 1 && !batch_db && !colocated_kind(p->test->kind))
        fprintf(stderr, "locus bench: the %s job has one node: the database shares it with the clients\n",
                p->l->name);
    if (batch_db && !strcmp(p->l->name, "slurm")) {
        char args[1024];
        const char *names[] = {"batch_args", "db_node_feature"};
        for (int k = 0; k < 2; k++)
            if (flag_get(fs, names[k]) && dict_to_slurm(flag_str(fs, names[k], 0), args, sizeof args) != 0) {
                fprintf(stderr, "locus bench: --%s=%s: expected a dict such as {\"C\": \"V100\", \"exclusive\": None}\n",
                        names[k], flag_str(fs, names[k], 0));
                return -1;
            }
    }
    const char *ifname = flag_str(fs, "net_ifname", 0);
    if (!colocated_kind(p->test->kind) && (local || avail <= 1) && if_nametoindex(ifname) == 0) {
        fprintf(stderr, "locus bench: --net_ifname=%s: no such interface on this host (try --net_ifname=lo)\n", ifname);
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        const combo *c = &p->c[i];
        if (!lang_of(c->lang)) {
            fprintf(stderr, "locus bench: --languages: '%s' is not available (c, cpp, fortran)\n", c->lang);
            return -1;
        }
        /* a batch database brings its own nodes */
        long need = colocated_kind(p->test->kind) || batch_db ? c->nodes : c->nodes + c->db_nodes;
        if (!colocated_kind(p->test->kind) && (local || (avail == 1 && c->nodes == 1)))
            need = c->nodes; /* on one host (locally, or a one-node job) the database shares it */
        if (local && (c->nodes > 1 || (!colocated_kind(p->test->kind) && c->db_nodes > 64))) {
            fprintf(stderr, "locus bench: %s needs %ld nodes; the local launcher has this one host (pass "
                            "--%s=[1] or use --launcher=slurm inside an allocation)\n", p->test->name, c->nodes,
                    colocated_kind(p->test->kind) ? "nodes" : "client_nodes");
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
        if (!inference_kind(p->test->kind) && c->bytes % 4 != 0) {
            fprintf(stderr, "locus bench: --tensor_bytes=%ld: tensors are float32, so sizes must be multiples of 4\n",
                    c->bytes);
            return -1;
        }
    }
    if (inference_kind(p->test->kind) && check_inference(p) != 0)
        return -1;
    char app[PATH_MAX];
    const char *want = p->test->kind == TEST_AGGREGATION   ? "locus_bench_aggregation"
                       : inference_kind(p->test->kind) ? "locus_bench_inference"
                                                       : "locus_bench_throughput";
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
    for (int i = 0; i < argc; i++) { /* quoted where a shell would split or expand it */
        bool plain = argv[i][0] != '\0';
        for (const char *c = argv[i]; *c && plain; c++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=,./:[]+-@%", *c) != NULL;
        if (plain) {
            fprintf(f, " %s", argv[i]);
            continue;
        }
        fputs(" '", f);
        for (const char *c = argv[i]; *c; c++)
            *c == '\'' ? fputs("'\\''", f) : fputc(*c, f);
        fputc('\'', f);
    }
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
    case TEST_INFERENCE_STANDARD:
        snprintf(out, n, "infstd-N%ld-C%ld-DBN%ld-DBC%ld-TPQ%ld-BS%ld-L%s", c->nodes, c->cpn, c->db_nodes, c->db_cpus,
                 c->tpq, c->batch, lang_of(c->lang));
        break;
    case TEST_INFERENCE_COLOCATED:
        snprintf(out, n, "infcolo-N%ld-C%ld-DBC%ld-TPQ%ld-BS%ld-PIN%d-L%s", c->nodes, c->cpn, c->db_cpus, c->tpq,
                 c->batch, c->pin, lang_of(c->lang));
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
            p->test->name, lang_of(c->lang), c->nodes, c->cpn,
            c->nodes * c->cpn);
    fprintf(f, "tensor_bytes = %ld\niterations = %ld\ndb_nodes = %ld\ndb_cpus = %ld\npin_app_cpus = %d\n", c->bytes,
            flag_int(&p->fs, "iterations", 0), c->db_nodes, c->db_cpus, c->pin);
    fprintf(f, "tensors_per_dataset = %ld\nclient_threads = %ld\n", c->tpd, c->threads);
    if (inference_kind(p->test->kind))
        fprintf(f, "db_tpq = %ld\nbatch_size = %ld\ndevice = %s\n", c->tpq, c->batch, flag_str(&p->fs, "device", 0));
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
            /* the launch line first, so a log shows where the ranks were placed */
            fputs("# launch:", log);
            for (int i = 0; argv[i]; i++)
                fprintf(log, " %s", argv[i]);
            fputc('\n', log);
            fflush(log);
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

/* The hosts of a database running inside this allocation, which the clients keep off when the allocation has
 * others (Slurm: "--exclude=a,b" for srun; PBS: left out of mpiexec's host list). None when the database is a
 * batch job of its own (its own nodes) or holds every host (one node shared by all). */
#define MAX_JOB_HOSTS 4096
static char db_exclude[4200];
static char db_hosts_in_job[DB_MAX_SHARDS][256];
static int n_db_hosts_in_job;

static void note_db_hosts(const plan *p, const db_state *s) {
    db_exclude[0] = '\0';
    n_db_hosts_in_job = 0;
    if (!strcmp(p->l->name, "local") || s->jobid[0]) /* a batch database has its own nodes */
        return;
    char list[4096] = "";
    int nh = 0;
    char hosts[DB_MAX_SHARDS][256];
    for (int i = 0; i < s->nshards; i++) {
        const char *h = s->shards[i].node[0] ? s->shards[i].node : s->shards[i].host;
        bool seen = false;
        for (int k = 0; k < nh; k++)
            seen |= !strcmp(hosts[k], h);
        if (seen)
            continue;
        snprintf(hosts[nh++], 256, "%s", h);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? "," : "", h);
    }
    if (nh == 0 || allocation_nodes(p->l) <= nh) /* one node shared by all: nothing to keep off */
        return;
    snprintf(db_exclude, sizeof db_exclude, "--exclude=%s", list);
    memcpy(db_hosts_in_job, hosts, sizeof hosts[0] * (size_t)nh);
    n_db_hosts_in_job = nh;
}

/* Under PBS: the first `nodes` hosts of the job that hold no database, R ranks on each, through this
 * installation's mpiexec; the environment the ranks need is passed by name where the flavour wants it. */
static int pbs_prefix(long nodes, long cpn, char **argv, int max) {
    static char hosts[MAX_JOB_HOSTS][256], mine[MAX_JOB_HOSTS][256], buf[1 << 17];
    const launcher *l = launcher_by_name("pbs");
    int nh = l->hosts(hosts, MAX_JOB_HOSTS), n = 0;
    for (int i = 0; i < nh && n < nodes; i++) {
        bool db = false;
        for (int k = 0; k < n_db_hosts_in_job; k++)
            db |= !strcmp(hosts[i], db_hosts_in_job[k]);
        if (!db)
            memcpy(mine[n++], hosts[i], sizeof mine[0]);
    }
    char why[512];
    const mpi_flavour *f = mpi_detect(why, sizeof why);
    if (n < nodes || !f) {
        fprintf(stderr, "locus bench: %s\n", f ? "the job has fewer hosts free of the database than the clients need"
                                               : why);
        return -1;
    }
    const char *env[128];
    int nenv = job_env_names(env, 128, true);
    return mpi_hosts_argv(f, (const char(*)[256])mine, n, cpn, env, nenv, getuid() == 0, argv, max, buf, sizeof buf);
}

/* The launch prefix for `ranks` ranks on `nodes` nodes: mpirun locally, srun under Slurm (off the database's
 * hosts), mpiexec over the job's hosts under PBS. -1 when the ranks cannot be placed. */
static int launch_prefix(const plan *p, long nodes, long cpn, char **argv, char *buf1, char *buf2) {
    int n = 0;
    if (!strcmp(p->l->name, "pbs"))
        return pbs_prefix(nodes, cpn, argv, ARGV_MAX - 32); /* room for the app and its arguments */
    if (!strcmp(p->l->name, "slurm")) {
        snprintf(buf1, 32, "-N%ld", nodes);
        snprintf(buf2, 32, "--ntasks-per-node=%ld", cpn);
        argv[n++] = "srun";
        argv[n++] = buf1;
        argv[n++] = buf2;
        argv[n++] = "--mpi=pmix";
        argv[n++] = "--overlap";
        if (db_exclude[0])
            argv[n++] = db_exclude;
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

/* One inference session: the app on every rank (through `locus run --colocated-db` for the co-located test,
 * whose first rank per node stores the model and script in its node's database; rank 0 stores them in the
 * separate database otherwise). */
static int run_inference(const plan *p, const combo *c, const char *sdir, const char *locus_exe, const char *log) {
    char *argv[ARGV_MAX], b1[32], b2[32], iters[32], dbc[32], tpq[32], bs[32], port[32], app[PATH_MAX];
    char model[PATH_MAX + 64], script[PATH_MAX + 64], be[PATH_MAX + 32], ndev[32];
    const char *device = flag_str(&p->fs, "device", 0);
    bool colo = colocated_kind(p->test->kind);
    snprintf(iters, sizeof iters, "%ld", flag_int(&p->fs, "iterations", 0));
    snprintf(bs, sizeof bs, "%ld", c->batch);
    snprintf(app, sizeof app, "%s/locus_bench_inference%s", app_dir(), !strcmp(lang_of(c->lang), "fortran") ? "_f" : "");
    snprintf(model, sizeof model, "%s/resnet50.%s.pt", models_dir(), device);
    snprintf(script, sizeof script, "%s/inference_script.py", models_dir());
    setenv("LOCUS_TORCH_BACKEND", torch_backend(be, sizeof be) ? be : "", 1);
    int n = launch_prefix(p, c->nodes, c->cpn, argv, b1, b2);
    if (n < 0)
        return 1;
    if (colo) {
        snprintf(dbc, sizeof dbc, "%ld", c->db_cpus);
        snprintf(tpq, sizeof tpq, "%ld", c->tpq);
        argv[n++] = (char *)locus_exe;
        argv[n++] = "run";
        argv[n++] = "--colocated-db";
        argv[n++] = "--db-cpus";
        argv[n++] = dbc;
        argv[n++] = "--threads-per-queue";
        argv[n++] = tpq;
        if (c->pin)
            argv[n++] = "--pin-app-cpus";
        if (!strcmp(flag_str(&p->fs, "net_type", 0), "tcp")) {
            snprintf(port, sizeof port, "%ld", flag_int(&p->fs, "db_port", 0));
            argv[n++] = "--port";
            argv[n++] = port;
        }
        argv[n++] = "--";
        setenv("LOCUS_DB_LOG_DIR", sdir, 1);
    }
    argv[n++] = app;
    argv[n++] = iters;
    argv[n++] = (char *)sdir;
    argv[n++] = model;
    argv[n++] = script;
    argv[n++] = (char *)device;
    argv[n++] = bs;
    argv[n++] = colo ? "local0" : "rank0";
    /* CPU: the same libtorch computes both sides; a GPU's kernels may round differently */
    argv[n++] = !strcmp(device, "GPU") ? "5e-3" : "1e-4";
    snprintf(ndev, sizeof ndev, "%ld", flag_int(&p->fs, "num_devices", 0));
    argv[n++] = ndev;
    argv[n] = NULL;
    return run_and_wait(argv, log);
}

/* A command on shard i of the database (AUTH first when it has a password); NULL when it cannot be reached. */
static redisReply *shard_command(const db_state *s, int i, const char *cmd) {
    struct timeval tv = {5, 0};
    redisContext *ctx = redisConnectWithTimeout(s->shards[i].host, s->shards[i].port, tv);
    redisReply *r = NULL;
    if (ctx && !ctx->err) {
        redisSetTimeout(ctx, tv);
        if (s->password[0])
            freeReplyObject(redisCommand(ctx, "AUTH %s", s->password));
        r = redisCommand(ctx, cmd);
    }
    if (ctx)
        redisFree(ctx);
    return r;
}

/* calls=N of one command in an INFO commandstats reply; 0 when it was never called. */
static long command_calls(const char *info, const char *cmd) {
    char want[64];
    snprintf(want, sizeof want, "cmdstat_%s:calls=", cmd);
    const char *p = strstr(info, want);
    return p ? atol(p + strlen(want)) : 0;
}

/* After a session on a separate database: per shard, the keys left (the model and script copies stay) and
 * the DUMP, RESTORE and COPY calls the clients made (tensor copies between shards; 0 when every run found its
 * tensors on the model's shard), in SESSION/database_stats.csv. The counters were reset before the session. */
static void record_db_stats(const db_state *s, const char *sdir) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/database_stats.csv", sdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "shard,address,keys,dump_calls,restore_calls,copy_calls\n");
    for (int i = 0; i < s->nshards; i++) {
        if (s->shards[i].replica)
            continue;
        redisReply *k = shard_command(s, i, "DBSIZE"), *st = shard_command(s, i, "INFO commandstats");
        const char *info = st && st->type == REDIS_REPLY_STRING ? st->str : "";
        fprintf(f, "%d,%s:%d,%lld,%ld,%ld,%ld\n", i, s->shards[i].host, s->shards[i].port,
                k && k->type == REDIS_REPLY_INTEGER ? k->integer : -1, command_calls(info, "dump"),
                command_calls(info, "restore"), command_calls(info, "copy"));
        if (k)
            freeReplyObject(k);
        if (st)
            freeReplyObject(st);
    }
    fclose(f);
}

static void reset_db_stats(const db_state *s) {
    for (int i = 0; i < s->nshards; i++) {
        redisReply *r = shard_command(s, i, "CONFIG RESETSTAT");
        if (r)
            freeReplyObject(r);
    }
}

static int run_session(const plan *p, const combo *c, const char *sdir, const char *locus_exe) {
    char *argv[ARGV_MAX];
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
        if ((n = launch_prefix(p, c->nodes, c->cpn, argv, b1, b2)) < 0)
            return 1;
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
    if (inference_kind(p->test->kind))
        return run_inference(p, c, sdir, locus_exe, log);
    snprintf(app, sizeof app, "%s/locus_bench_throughput%s", app_dir(), !strcmp(lang, "fortran") ? "_f" : "");
    if ((n = launch_prefix(p, c->nodes, c->cpn, argv, b1, b2)) < 0)
        return 1;
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

/* What a printed job script could not do inside its job, refused before it is written. */
static int check_batch_script(const plan *p, const char *kind) {
    bool batch_db = flag_get(&p->fs, "run_db_as_batch") && flag_int(&p->fs, "run_db_as_batch", 0);
    if (!strcmp(kind, "pbs") && check_pbs(p, batch_db, false) != 0)
        return -1;
    const flag_value *ifv = flag_get(&p->fs, "net_ifname");
    if (!colocated_kind(p->test->kind) && ifv && !ifv->given && if_nametoindex(ifv->strs[0]) == 0) {
        fprintf(stderr, "locus bench: --net_ifname: the default %s is not an interface of this host, and likely not "
                        "of the compute nodes; pass theirs (for example --net_ifname=ib0, or lo on one node)\n",
                ifv->strs[0]);
        return -1;
    }
    /* with the database in the job, its shards go on hosts of their own as soon as the job has several */
    bool spread = batch_db;
    for (int i = 0; i < p->n && !spread; i++)
        spread = p->c[i].nodes + p->c[i].db_nodes > 1;
    return check_db_spread(p, spread);
}

static void print_quoted(const char *s) {
    putchar('\'');
    for (; *s; s++)
        *s == '\'' ? fputs("'\\''", stdout) : putchar(*s);
    putchar('\'');
}

/* The #PBS header: one select with a chunk per host. With the database in the job its chunks come first
 * (PBS writes the nodefile in chunk order, and the database takes the first hosts), each with the CPUs of a
 * shard and one process; then the clients' chunks with R ranks each (mpiprocs) and their CPUs (plus the
 * database's on each node when co-located). place=scatter:excl puts each chunk on a host of its own, and
 * keeps other jobs off them. */
static void print_pbs_header(const plan *p, bool batch_db, const char *wall) {
    long max_nodes = 1, max_cpn = 1, max_dbn = 0, max_dbc = 1;
    for (int i = 0; i < p->n; i++) {
        const combo *c = &p->c[i];
        max_nodes = c->nodes > max_nodes ? c->nodes : max_nodes;
        max_cpn = c->cpn > max_cpn ? c->cpn : max_cpn;
        max_dbn = c->db_nodes > max_dbn ? c->db_nodes : max_dbn;
        max_dbc = c->db_cpus > max_dbc ? c->db_cpus : max_dbc;
    }
    pbs_request app, db;
    pbs_dict(p, "node_feature", &app);
    pbs_dict(p, "db_node_feature", &db);
    bool colo = colocated_kind(p->test->kind);
    printf("#PBS -N %s\n#PBS -l select=", flag_str(&p->fs, "exp_name", 0));
    if (!colo && !batch_db && max_dbn > 0)
        printf("%ld:ncpus=%ld:mpiprocs=1%s+", max_dbn, max_dbc, db.chunk);
    printf("%ld:ncpus=%ld:mpiprocs=%ld%s\n", max_nodes, colo ? max_cpn + max_dbc : max_cpn, max_cpn, app.chunk);
    printf("#PBS -l place=scatter:excl\n#PBS -l walltime=%s\n#PBS -j oe\n", wall);
    char copy[2048];
    snprintf(copy, sizeof copy, "%s", app.lines);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        printf("#PBS %s\n", l);
    printf("cd \"${PBS_O_WORKDIR:-.}\"\n");
    /* qsub passes none of our environment: what locus needs is written here, quoted, rather than through
     * qsub -v, which splits its list at every comma (see db_print_env) */
    const char *names[128];
    int nn = job_env_names(names, 128, false);
    for (int k = 0; k < nn; k++) {
        printf("export %s=", names[k]);
        print_quoted(getenv(names[k]));
        putchar('\n');
    }
}

static void print_batch_script(const plan *p, const char *kind, int argc, char **argv) {
    long max_nodes = 1;
    bool batch_db = flag_get(&p->fs, "run_db_as_batch") && flag_int(&p->fs, "run_db_as_batch", 0);
    for (int i = 0; i < p->n; i++) {
        /* a database run as its own batch job does not take nodes of this one */
        long need = colocated_kind(p->test->kind) || batch_db ? p->c[i].nodes : p->c[i].nodes + p->c[i].db_nodes;
        if (need > max_nodes)
            max_nodes = need;
    }
    const char *wall = flag_str(&p->fs, "wall_time", 0);
    printf("#!/bin/bash\n");
    if (!strcmp(kind, "slurm")) {
        printf("#SBATCH --job-name=%s\n#SBATCH --nodes=%ld\n#SBATCH --exclusive\n#SBATCH --time=%s\n"
               "#SBATCH --output=%s-%%j.log\n",
               flag_str(&p->fs, "exp_name", 0), max_nodes, wall, flag_str(&p->fs, "exp_name", 0));
        printf("exec locus bench %s --launcher=%s", p->test->name, kind);
    } else {
        print_pbs_header(p, batch_db, wall);
        /* the full path: the job's PATH is the login default, not ours */
        char exe[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[len > 0 ? len : 0] = '\0';
        printf("exec ");
        print_quoted(len > 0 ? exe : "locus");
        printf(" bench %s --launcher=%s", p->test->name, kind);
    }
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
        putchar(' ');
        print_quoted(argv[i]);
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
    const char *bad_plot = report_plot_check(flag_str(&p.fs, "plot", 0));
    if (bad_plot) {
        fprintf(stderr, "%s: %s\n", prog, bad_plot);
        return 2;
    }
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
        int bad = check_batch_script(&p, extra_vals[0]);
        if (!bad)
            print_batch_script(&p, extra_vals[0], argc, argv);
        free(p.c);
        return bad ? 2 : 0;
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
    write_run_cfg(&p, run_dir, argc, argv); /* the whole command: the test name is argv[0] */
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
    long cur_dbn = -1, cur_dbc = -1, cur_tpq = -1;
    int failures = 0;
    for (int i = 0; i < p.n && !interrupted; i++) {
        const combo *c = &p.c[i];
        if (!colocated_kind(t->kind) && (c->db_nodes != cur_dbn || c->db_cpus != cur_dbc || c->tpq != cur_tpq)) {
            if (have_db) {
                db_stop_all(&db);
                state_save(&db);
            }
            char ddir[PATH_MAX], hosts[4096] = "";
            snprintf(ddir, sizeof ddir, "%s/database-N%ld-C%ld%s", run_dir, c->db_nodes, c->db_cpus,
                     inference_kind(t->kind) ? "-TPQ" : "");
            if (inference_kind(t->kind))
                snprintf(ddir + strlen(ddir), sizeof ddir - strlen(ddir), "%ld", c->tpq);
            const flag_value *dh = flag_get(&p.fs, "db_hosts");
            for (int k = 0; dh && k < dh->n; k++)
                snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", k ? "," : "", dh->strs[k]);
            /* --run_db_as_batch: the database is its own batch job (locus db start --batch), with the suite's
             * --batch_args and --db_node_feature as its scheduler options, cancelled when it is stopped */
            bool batch_db = flag_get(&p.fs, "run_db_as_batch") && flag_int(&p.fs, "run_db_as_batch", 0);
            char bargs[sizeof(pbs_request) * 2] = "", feat[sizeof(pbs_request) * 2] = "";
            pbs_request pa = {0}, pf = {0};
            if (batch_db && !strcmp(p.l->name, "pbs")) {
                /* qsub options one a line; db_node_feature as resources of each of the job's chunks (both
                 * checked in check_pbs) */
                pbs_dict(&p, "batch_args", &pa);
                pbs_dict(&p, "db_node_feature", &pf);
                snprintf(bargs, sizeof bargs, "%s%s", pa.lines, pf.lines);
                snprintf(feat, sizeof feat, "%s%s", pa.chunk, pf.chunk);
            } else if (batch_db) {
                dict_to_slurm(flag_str(&p.fs, "batch_args", 0), bargs, sizeof bargs);
                if (flag_get(&p.fs, "db_node_feature"))
                    dict_to_slurm(flag_str(&p.fs, "db_node_feature", 0), feat, sizeof feat);
                if (feat[0])
                    snprintf(bargs + strlen(bargs), sizeof bargs - strlen(bargs), "%s%s", bargs[0] ? " " : "", feat);
                feat[0] = '\0';
            }
            int hh = 0, mm = 0, ss = 0;
            sscanf(flag_str(&p.fs, "wall_time", 0), "%d:%d:%d", &hh, &mm, &ss);
            db_options o = {.dir = ddir, .shards = c->db_nodes, .port = flag_int(&p.fs, "db_port", 0),
                            .batch = batch_db, .batch_args = bargs[0] ? bargs : NULL,
                            .batch_select = feat[0] ? feat : NULL,
                            .wall_time_min = hh * 60 + mm + (ss > 0),
                            .cpus = c->db_cpus, .threads_per_queue = c->tpq, .launcher = p.l->name, .password = "auto",
                            .ifname = flag_str(&p.fs, "net_ifname", 0), .hosts = hosts[0] ? hosts : NULL};
            fprintf(stderr, "locus bench: starting the database (%ld shard%s, %ld CPUs and %ld thread%s per queue "
                    "each)\n", c->db_nodes, c->db_nodes == 1 ? "" : "s", c->db_cpus, c->tpq, c->tpq == 1 ? "" : "s");
            if (db_launch(&o, &db) != 0) {
                fprintf(stderr, "locus bench: the database did not start; see %s\n", ddir);
                failures++;
                break;
            }
            have_db = true;
            note_db_hosts(&p, &db);
            cur_dbn = c->db_nodes;
            cur_dbc = c->db_cpus;
            cur_tpq = c->tpq;
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
        if (have_db && inference_kind(t->kind))
            reset_db_stats(&db);
        int src = run_session(&p, c, sdir, locus_exe);
        if (have_db && inference_kind(t->kind))
            record_db_stats(&db, sdir);
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
    if (report_run(run_dir, 1, flag_str(&p.fs, "plot", 0)) != 0)
        failures++;
    return failures == 0 && !interrupted ? 0 : 1;
}

int locus_bench_main(int argc, char **argv) {
    /* the seed suite's names: process_scaling_results (report), aggregation_scaling (aggregation) */
    if (argc >= 2 && (!strcmp(argv[1], "report") || !strcmp(argv[1], "process_scaling_results")))
        return locus_bench_report_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "aggregation_scaling"))
        argv[1] = "aggregation";
    for (size_t i = 0; argc >= 2 && i < sizeof tests / sizeof tests[0]; i++)
        if (!strcmp(argv[1], tests[i].name))
            return run_test(&tests[i], argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    FILE *f = help ? stdout : stderr;
    if (argc >= 2 && !help)
        fprintf(stderr, "locus bench: unknown test '%s'\n", argv[1]);
    fprintf(f, "usage: locus bench <test> [--flag=value ...]\n       locus bench report RUN_DIR\n\ntests:\n");
    fprintf(f, "  (the seed suite's names are accepted too: aggregation_scaling, process_scaling_results)\n");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        fprintf(f, "  %-22s %s\n", tests[i].name, tests[i].summary);
    fprintf(f, "\nAll tests take --print-batch-script slurm|pbs to write a job script for the same run.\n");
    return help ? 0 : 2;
}
