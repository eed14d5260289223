/* Unit tests of the orchestrator's pure parts: the option-table parser, CPU lists, launcher selection from
 * the environment, the hosts of a PBS job, the batch scripts generated for Slurm and PBS (no PBS server is
 * available here, so the generated qsub script is checked line by line), the suite's dict flags as sbatch
 * and qsub requests, the mpiexec lines that put R ranks on each host, and where servers and their replicas
 * are placed on the hosts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "opts.h"

static int checks, failures;
#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        checks++;                                                                                            \
        if (!(c)) {                                                                                          \
            failures++;                                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                           \
        }                                                                                                    \
    } while (0)

static char *slurp(const char *path) {
    static char buf[16384];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static void test_opts(void) {
    long n = 1;
    bool flag = false;
    const char *s = NULL;
    str_list l = {0};
    const opt_spec specs[] = {
        {"num", OPT_INT, &n, "N", "a number", 1, 10},
        {"flag", OPT_FLAG, &flag, NULL, "a flag", 0, 0},
        {"name", OPT_STR, &s, "S", "a string", 0, 0},
        {"item", OPT_STR_LIST, &l, "I", "repeatable", 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0},
    };
    char *argv1[] = {"x", "--num", "7", "--flag", "--name=abc", "--item", "a", "--item", "b", "--", "app", "-v", NULL};
    char **rest;
    int nrest;
    CHECK(opts_parse("x", "", specs, 12, argv1, &rest, &nrest) == 0);
    CHECK(n == 7 && flag && strcmp(s, "abc") == 0 && l.n == 2 && strcmp(l.items[1], "b") == 0);
    CHECK(nrest == 2 && strcmp(rest[0], "app") == 0 && strcmp(rest[1], "-v") == 0); /* "--" consumed */
    char *argv2[] = {"x", "--num", "11", NULL};
    CHECK(opts_parse("x", "", specs, 3, argv2, &rest, &nrest) == -1); /* out of range */
    char *argv3[] = {"x", "--bogus", NULL};
    CHECK(opts_parse("x", "", specs, 2, argv3, &rest, &nrest) == -1);
    char *argv4[] = {"x", "--num", NULL};
    CHECK(opts_parse("x", "", specs, 2, argv4, &rest, &nrest) == -1); /* missing value */
    char *argv5[] = {"x", "--num", "3x", NULL};
    CHECK(opts_parse("x", "", specs, 3, argv5, &rest, &nrest) == -1);
}

static void test_cpulists(void) {
    int cpus[] = {2, 3, 8, 9};
    char out[64];
    cpulist_format(cpus, 1, 3, out, sizeof out);
    CHECK(strcmp(out, "3,8,9") == 0);
    int mine[256];
    int n = allowed_cpus(mine, 256);
    CHECK(n >= 1 && n <= 256);
}

static void test_launcher_choice(void) {
    unsetenv("SLURM_JOB_ID");
    unsetenv("PBS_JOBID");
    CHECK(strcmp(launcher_by_name("auto")->name, "local") == 0);
    setenv("PBS_JOBID", "123.server", 1);
    CHECK(strcmp(launcher_by_name("auto")->name, "pbs") == 0);
    setenv("SLURM_JOB_ID", "77", 1);
    CHECK(strcmp(launcher_by_name("auto")->name, "slurm") == 0);
    CHECK(launcher_by_name("lsf") == NULL);
    unsetenv("SLURM_JOB_ID");

    char nodefile[] = "/tmp/locus-nodefile-XXXXXX";
    int fd = mkstemp(nodefile);
    const char *text = "n01\nn01\nn02\nn03\nn02\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("PBS_NODEFILE", nodefile, 1);
    char hosts[8][256];
    int nh = launcher_by_name("pbs")->hosts(hosts, 8);
    CHECK(nh == 3 && strcmp(hosts[0], "n01") == 0 && strcmp(hosts[2], "n03") == 0);
    unlink(nodefile);
    unsetenv("PBS_JOBID");
}

static void test_batch_scripts(void) {
    db_options o = {.dir = "/scratch/it's here", .shards = 2, .port = 7000, .cpus = 4, .threads_per_queue = 2,
                    .password = "secret", .wall_time_min = 90, .batch_args = "-q debug", .ifname = "ib0"};
    o.redis_args[o.n_redis_args++] = "maxmemory 10gb";
    char path[] = "/tmp/locus-batch-XXXXXX";
    close(mkstemp(path));
    setenv("LOCUS_MODULE_PATH", "/opt/a,b/locus_ai.so", 1); /* a comma: qsub -v would cut it */
    setenv("LOCUS_DB_PASSWORD", "of-another-database", 1);
    setenv("SSDB", "h1:1,h2:2", 1);
    CHECK(write_batch_script("pbs", &o, "/opt/locus/bin/locus", path) == 0);
    const char *s = slurp(path);
    CHECK(strncmp(s, "#!/bin/bash\n", 12) == 0);
    CHECK(strstr(s, "#PBS -N locus-db\n") != NULL);
    /* one chunk per shard host, one process each, the hosts the job's alone */
    CHECK(strstr(s, "#PBS -l select=2:ncpus=4:mpiprocs=1\n#PBS -l place=scatter:excl\n") != NULL);
    CHECK(strstr(s, "#PBS -l walltime=01:30:00\n") != NULL);
    CHECK(strstr(s, "#PBS -q debug\n") != NULL);
    CHECK(strstr(s, "#PBS -o ") == NULL); /* a directory with a quote and a space is not put in a directive */
    CHECK(strstr(s, "exec >>'/scratch/it'\\''s here'\"/batch-${PBS_JOBID}.log\" 2>&1\n") != NULL);
    CHECK(strstr(s, "cd \"${PBS_O_WORKDIR:-.}\"") != NULL);
    CHECK(strstr(s, "export LOCUS_MODULE_PATH='/opt/a,b/locus_ai.so'\n") != NULL);
    CHECK(strstr(s, "#PBS -v") == NULL);
    CHECK(strstr(s, "LOCUS_DB_PASSWORD") == NULL && strstr(s, "SSDB") == NULL); /* another database's */
    unsetenv("LOCUS_DB_PASSWORD");
    unsetenv("SSDB");
    CHECK(strstr(s, "exec '/opt/locus/bin/locus' db start --launcher pbs --wait-in-job --shards 2 --port 7000 "
                    "--threads-per-queue 2 --dir '/scratch/it'\\''s here' --cpus 4 --ifname 'ib0' --password 'secret' "
                    "--redis-arg 'maxmemory 10gb'\n") != NULL);
    /* qsub options one a line; chunk resources in the select; a plain directory gets PBS's own log */
    o.batch_args = "-q gpu\n-A proj";
    o.batch_select = ":ngpus=1:P100=True";
    o.dir = "/scratch/db";
    CHECK(write_batch_script("pbs", &o, "/opt/locus/bin/locus", path) == 0);
    s = slurp(path);
    CHECK(strstr(s, "#PBS -l select=2:ncpus=4:mpiprocs=1:ngpus=1:P100=True\n") != NULL);
    CHECK(strstr(s, "#PBS -q gpu\n#PBS -A proj\n") != NULL);
    CHECK(strstr(s, "#PBS -o /scratch/db/batch-pbs.log\n") != NULL);
    o.batch_args = "-q debug";
    o.batch_select = NULL;
    o.dir = "/scratch/it's here";
    unsetenv("LOCUS_MODULE_PATH");
    CHECK(write_batch_script("slurm", &o, "/opt/locus/bin/locus", path) == 0);
    s = slurp(path);
    CHECK(strstr(s, "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=1\n#SBATCH --time=01:30:00\n") != NULL);
    CHECK(strstr(s, "#SBATCH --output=/scratch/it's here/batch-%j.log\n") != NULL);
    CHECK(strstr(s, "--launcher slurm --wait-in-job") != NULL);
    o.replicas = 1;
    o.shards = 3;
    CHECK(write_batch_script("slurm", &o, "/opt/locus/bin/locus", path) == 0);
    CHECK(
        strstr(slurp(path),
               "--shards 3 --port 7000 --threads-per-queue 2 --dir '/scratch/it'\\''s here' --replicas 1 ") !=
        NULL);
    unlink(path);
}

/* The suite's dict flags as sbatch options and as qsub options and chunk resources. */
static void test_dicts(void) {
    char out[512], err[512];
    suite_kv kv[8];
    CHECK(suite_dict_parse("{\"C\": \"V100\", \"exclusive\": None}", kv, 8) == 2);
    CHECK(!strcmp(kv[0].key, "C") && !strcmp(kv[0].val, "V100") && !kv[0].none && kv[1].none);
    CHECK(suite_dict_parse("{}", kv, 8) == 0);
    CHECK(suite_dict_parse("C=V100", kv, 8) == -1);
    CHECK(suite_dict_parse("{'a': 1", kv, 8) == -1);
    CHECK(dict_to_slurm("{\"C\": \"V100\", \"exclusive\": None}", out, sizeof out) == 0);
    CHECK(!strcmp(out, "-C V100 --exclusive"));
    CHECK(dict_to_slurm("{'constraint': 'P100'}", out, sizeof out) == 0 && !strcmp(out, "--constraint=P100"));

    pbs_request r;
    /* a Slurm constraint: one boolean host resource per feature; exclusive is always asked */
    CHECK(dict_to_pbs("{\"C\": \"V100\", \"exclusive\": None}", &r, err, sizeof err) == 0);
    CHECK(!strcmp(r.chunk, ":V100=True") && !strcmp(r.lines, ""));
    CHECK(dict_to_pbs("{'constraint': 'P100&ib'}", &r, err, sizeof err) == 0 && !strcmp(r.chunk, ":P100=True:ib=True"));
    /* Slurm names of queue, account, job name; qsub's own letters; PBS resources pass through */
    CHECK(dict_to_pbs("{'partition': 'gpu', 'account': 'proj', 'job-name': 'db', 'l': 'mem=10gb', 'ngpus': 1, "
                      "'bigmem': None}", &r, err, sizeof err) == 0);
    CHECK(!strcmp(r.lines, "-q gpu\n-A proj\n-N db\n-l mem=10gb\n"));
    CHECK(!strcmp(r.chunk, ":ngpus=1:bigmem=True"));
    CHECK(dict_to_pbs("{}", &r, err, sizeof err) == 0 && !r.chunk[0] && !r.lines[0]);
    /* what cannot be passed is refused, naming the key */
    CHECK(dict_to_pbs("{'constraint': 'a|b'}", &r, err, sizeof err) == -1 && strstr(err, "'constraint'"));
    CHECK(dict_to_pbs("{'time': '1:00:00'}", &r, err, sizeof err) == -1 && strstr(err, "--wall_time"));
    CHECK(dict_to_pbs("{'nodes': 4}", &r, err, sizeof err) == -1 && strstr(err, "'nodes'"));
    CHECK(dict_to_pbs("{'I': None}", &r, err, sizeof err) == -1 && strstr(err, "qsub -I"));
    CHECK(dict_to_pbs("{'p': 'gpu'}", &r, err, sizeof err) == -1 && strstr(err, "'queue'"));
    CHECK(dict_to_pbs("{'host': 'a:b'}", &r, err, sizeof err) == -1 && strstr(err, "'host'"));
    CHECK(dict_to_pbs("not a dict", &r, err, sizeof err) == -1 && strstr(err, "not a dict"));
}

static int argv_is(char **argv, const char *const *want) {
    int i = 0;
    for (; want[i]; i++)
        if (!argv[i] || strcmp(argv[i], want[i])) {
            fprintf(stderr, "argv[%d]: '%s', expected '%s'\n", i, argv[i] ? argv[i] : "(end)", want[i]);
            return 0;
        }
    return argv[i] == NULL;
}

/* R ranks on each host: the mpiexec line of each flavour, from the flavour's --version text. */
static void test_mpi_lines(void) {
    CHECK(mpi_flavour_of("mpiexec (OpenRTE) 4.1.4\n\nReport bugs to http://www.open-mpi.org/community/help/") ==
          mpi_flavour_by_name("openmpi"));
    CHECK(mpi_flavour_of("HYDRA build details:\n    Version: 4.0.2") == mpi_flavour_by_name("hydra"));
    CHECK(mpi_flavour_of("Intel(R) MPI Library for Linux* OS, Version 2021.6") == mpi_flavour_by_name("hydra"));
    CHECK(mpi_flavour_of("aprun (ALPS) 6.6") == NULL);
    const char hosts[2][256] = {"n01", "n02"};
    const char *env[] = {"SSDB", "LOCUS_DB_PASSWORD"};
    char *argv[64], buf[4096];
    int n = mpi_hosts_argv(mpi_flavour_by_name("openmpi"), hosts, 2, 4, env, 2, true, argv, 64, buf, sizeof buf);
    const char *want_ompi[] = {"mpiexec", "-np", "8", "--host", "n01:4,n02:4", "--map-by", "ppr:4:node", "--bind-to",
                               "none", "--allow-run-as-root", "-x", "SSDB", "-x", "LOCUS_DB_PASSWORD", NULL};
    CHECK(n == 14 && argv_is(argv, want_ompi));
    n = mpi_hosts_argv(mpi_flavour_by_name("hydra"), hosts, 2, 4, env, 2, true, argv, 64, buf, sizeof buf);
    const char *want_hydra[] = {"mpiexec", "-n", "8", "-ppn", "4", "-hosts", "n01,n02", "-genvall", NULL};
    CHECK(n == 8 && argv_is(argv, want_hydra));
    CHECK(mpi_hosts_argv(mpi_flavour_by_name("hydra"), hosts, 0, 4, env, 2, false, argv, 64, buf, sizeof buf) == -1);
    CHECK(mpi_hosts_argv(mpi_flavour_by_name("openmpi"), hosts, 2, 4, env, 2, false, argv, 8, buf, sizeof buf) == -1);
    CHECK(mpi_hosts_argv(mpi_flavour_by_name("openmpi"), hosts, 2, 4, env, 2, false, argv, 64, buf, 16) == -1);
}

/* Replicas go on hosts other than their primary's; servers sharing a host get consecutive ports. */
static void test_placement(void) {
    db_place w[DB_MAX_SHARDS];
    db_placement(3, 1, 3, w); /* 3 hosts: replica of p on p + 1 */
    for (int i = 0; i < 3; i++)
        CHECK(w[i].primary == i && w[i].replica == 0 && w[i].host == i && w[i].port_offset == 0);
    for (int i = 3; i < 6; i++)
        CHECK(w[i].primary == i - 3 && w[i].replica == 1 && w[i].host == (i - 2) % 3 &&
              w[i].port_offset == 1);
    db_placement(4, 2, 3, w); /* more shards than hosts, 2 replicas each */
    int ports[3][16] = {{0}};
    for (int i = 0; i < 12; i++) {
        CHECK(w[i].host == (w[i].primary + w[i].replica) % 3);
        CHECK(w[i].replica == 0 || w[i].host != w[w[i].primary].host);
        for (int j = 0; j < 12; j++) /* the other replica of the same primary is on the third host */
            CHECK(j == i || w[j].primary != w[i].primary || w[j].host != w[i].host);
        CHECK(w[i].port_offset < 16 && ports[w[i].host][w[i].port_offset]++ == 0); /* no port twice */
    }
    CHECK(w[0].port_offset == 0 && w[3].port_offset == 1); /* primaries first, as without replicas */
    db_placement(3, 1, 1, w);                              /* one host: everything there, ports 0..5 */
    for (int i = 0; i < 6; i++)
        CHECK(w[i].host == 0 && w[i].port_offset == i);
}

int main(void) {
    test_opts();
    test_cpulists();
    test_launcher_choice();
    test_batch_scripts();
    test_dicts();
    test_mpi_lines();
    test_placement();
    printf("unit_launch_pure: %d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
