/* Unit tests of the orchestrator's pure parts: the option-table parser, CPU lists, launcher selection from
 * the environment, the hosts of a PBS job, the batch scripts generated for Slurm and PBS (no PBS server is
 * available here, so the generated qsub script is checked line by line), and where servers and their
 * replicas are placed on the hosts. */
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
    CHECK(write_batch_script("pbs", &o, "/opt/locus/bin/locus", path) == 0);
    const char *s = slurp(path);
    CHECK(strncmp(s, "#!/bin/bash\n", 12) == 0);
    CHECK(strstr(s, "#PBS -N locus-db\n") != NULL);
    CHECK(strstr(s, "#PBS -l select=2:ncpus=4\n") != NULL);
    CHECK(strstr(s, "#PBS -l walltime=01:30:00\n") != NULL);
    CHECK(strstr(s, "#PBS -q debug\n") != NULL);
    CHECK(strstr(s, "cd \"${PBS_O_WORKDIR:-.}\"") != NULL);
    CHECK(strstr(s, "exec '/opt/locus/bin/locus' db start --launcher pbs --wait-in-job --shards 2 --port 7000 "
                    "--threads-per-queue 2 --dir '/scratch/it'\\''s here' --cpus 4 --ifname 'ib0' --password 'secret' "
                    "--redis-arg 'maxmemory 10gb'\n") != NULL);
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
    test_placement();
    printf("unit_launch_pure: %d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
