/* The worker's /v1/run checks and job environment (src/sched/live/worker_spec.c), fed values: a full request
 * parsed; every refusal names its field; the environment puts the request's env over the worker's and the
 * worker's own variables over both, SYNERGY_* dirs only where the request has none. The NUMA order of CPUs
 * (worker_numa.c) on synthetic hwloc topologies, and the CPU ids of a "numa" request mapped through it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "live/worker_numa.h"
#include "live/worker_spec.h"

static cpu_set_t have;

/* Parses text; returns 0/-1 and the error in err. */
static int parse(const char *text, wk_spec *s, char *err, size_t len)
{
    json_error_t je;
    json_t *body = json_loads(text, JSON_ALLOW_NUL, &je); /* the HTTP layer refuses NULs; the spec too */
    if (body == NULL) {
        fprintf(stderr, "bad test JSON %s: %s\n", text, je.text);
        exit(1);
    }
    wk_cpu_view cv = {&have, NULL, 0, NULL, 0};
    int rc = wk_spec_parse(body, &cv, s, err, len);
    json_decref(body);
    return rc;
}

/* The request is refused with a message containing want. */
static void refused(const char *text, const char *want)
{
    wk_spec s;
    char err[512] = "";
    int rc = parse(text, &s, err, sizeof err);
    if (rc != -1 || strstr(err, want) == NULL) {
        fprintf(stderr, "%s: rc %d, error '%s', expected '%s'\n", text, rc, err, want);
        check_failures++;
    }
}

static const char *env_get(char **env, const char *key)
{
    size_t k = strlen(key);
    const char *found = NULL;
    int n = 0;
    for (size_t i = 0; env[i]; i++)
        if (strncmp(env[i], key, k) == 0 && env[i][k] == '=') found = env[i] + k + 1, n++;
    return n == 1 ? found : n == 0 ? NULL : "(set twice)";
}

/* cpus (n) in the NUMA order of the synthetic topology desc equal want; returns the node count (-1: bad). */
static int order_of(const char *desc, const int *cpus, int n, const int *want)
{
    hwloc_topology_t t;
    int out[64];
    if (hwloc_topology_init(&t) || hwloc_topology_set_synthetic(t, desc) || hwloc_topology_load(t)) {
        fprintf(stderr, "cannot load the synthetic topology '%s'\n", desc);
        check_failures++;
        return -1;
    }
    int nodes = wk_numa_order(t, cpus, n, out);
    hwloc_topology_destroy(t);
    for (int i = 0; i < n; i++)
        if (out[i] != want[i]) {
            fprintf(stderr, "'%s': position %d is CPU %d, expected %d\n", desc, i, out[i], want[i]);
            check_failures++;
            break;
        }
    return nodes;
}

static void numa_checks(void)
{
    /* two nodes whose CPUs the OS numbers alternately (node 0 has 0,2,4,6): one node filled before the next */
    const char *alt = "pack:2 numa:1 core:4 pu:1(indexes=0,2,4,6,1,3,5,7)";
    int all[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    CHECK(order_of(alt, all, 8, (int[]){0, 2, 4, 6, 1, 3, 5, 7}) == 2);
    /* already in node order: unchanged */
    CHECK(order_of("pack:2 numa:1 core:4 pu:1", all, 8, all) == 2);
    /* two threads a core (core 0 of node 0 has 0 and 4): the first thread of each core before the second ones */
    const char *smt = "pack:2 numa:1 core:2 pu:2(indexes=0,4,1,5,2,6,3,7)";
    CHECK(order_of(smt, all, 8, (int[]){0, 1, 4, 5, 2, 3, 6, 7}) == 2);
    /* a subset (--cpus 7,6,0,2): node 0's 0, then node 1's first threads (2), then its second ones in the
     * order given (7, 6) */
    CHECK(order_of(smt, (int[]){7, 6, 0, 2}, 4, (int[]){0, 2, 7, 6}) == 2);
    /* one node only: the order given; a CPU the topology lacks goes last */
    CHECK(order_of("pack:1 numa:1 core:2 pu:1", (int[]){1, 0}, 2, (int[]){1, 0}) == 1);
    CHECK(order_of(alt, (int[]){99, 5, 0}, 3, (int[]){0, 5, 99}) == 2);
    CHECK(order_of(alt, (int[]){6, 2}, 2, (int[]){6, 2}) == 1);

    /* a "numa" request's ids through the NUMA order: ids 0-3 are the four CPUs of node 0, not 0-3 */
    cpu_set_t have8;
    CPU_ZERO(&have8);
    for (int c = 0; c < 8; c++) CPU_SET(c, &have8);
    int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    wk_cpu_view cv = {&have8, NULL, 0, order, 8};
    wk_spec s;
    char err[512];
    json_t *b = json_pack("{s:i,s:i,s:[s],s:[i,i,i,i],s:b}", "job", 1, "lease", 0, "argv", "p", "cpus", 0, 1, 2, 3,
                          "numa", 1);
    CHECK(wk_spec_parse(b, &cv, &s, err, sizeof err) == 0 && s.numa && s.ncpus == 4 && s.cpus[0] == 0 &&
          s.cpus[1] == 2 && s.cpus[2] == 4 && s.cpus[3] == 6);
    wk_spec_free(&s);
    json_object_set_new(b, "numa", json_false()); /* the same ids without numa: as given */
    CHECK(wk_spec_parse(b, &cv, &s, err, sizeof err) == 0 && s.cpus[1] == 1 && s.cpus[3] == 3);
    wk_spec_free(&s);
    json_object_set_new(b, "numa", json_true());
    json_object_set_new(b, "cpus", json_pack("[i]", 8)); /* a CPU the worker does not have: refused as named */
    CHECK(wk_spec_parse(b, &cv, &s, err, sizeof err) == -1 && strstr(err, "field 'cpus': 8 not on this machine"));
    /* a worker whose CPUs are 0-2,5 (say its cpuset), in NUMA order 0,2 | 1,5: the ids keep the machine's
     * numbering (start_cpu_id), the r-th of its CPUs goes to the r-th in NUMA order: 5 -> 5, 1 -> 2, 2 -> 1 */
    int sparse[4] = {0, 2, 1, 5};
    wk_cpu_view sv = {&have, NULL, 0, sparse, 4};
    json_object_set_new(b, "cpus", json_pack("[i,i,i]", 5, 1, 2));
    CHECK(wk_spec_parse(b, &sv, &s, err, sizeof err) == 0 && s.cpus[0] == 5 && s.cpus[1] == 2 && s.cpus[2] == 1);
    wk_spec_free(&s);
    json_object_set_new(b, "cpus", json_pack("[i]", 3));
    CHECK(wk_spec_parse(b, &sv, &s, err, sizeof err) == -1 && strstr(err, "field 'cpus': 3 not on this machine"));
    /* with --cpus 6,1,4,3 (on alt: 6,4 of node 0, then 1,3): ids wrap around the ordered list as they do around
     * the list */
    int listed[4] = {6, 1, 4, 3}, ordered[4] = {6, 4, 1, 3};
    CHECK(order_of(alt, listed, 4, ordered) == 2);
    wk_cpu_view cl = {&have8, listed, 4, ordered, 4};
    json_object_set_new(b, "cpus", json_pack("[i,i,i]", 0, 5, 8));
    CHECK(wk_spec_parse(b, &cl, &s, err, sizeof err) == 0 && s.cpus[0] == 6 && s.cpus[1] == 4 && s.cpus[2] == 6);
    wk_spec_free(&s);
    json_decref(b);
}

/* wk_split_command of line: its words joined by '|' ("" and the reason in err when it fails). */
static const char *split(const char *line, char *err, size_t errlen)
{
    static char out[512];
    char **argv;
    int argc;
    out[0] = '\0';
    if (wk_split_command(line, &argv, &argc, err, errlen) != 0) return argv == NULL ? "" : "(argv left set)";
    for (int i = 0; i < argc; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "|" : "", argv[i]);
    if (argv[argc] != NULL) snprintf(out, sizeof out, "(not NULL-terminated)");
    wk_argv_free(argv);
    return out;
}

/* --job_command: a command line split into words as a shell splits them, nothing expanded */
static void test_split_command(void)
{
    char err[256];
    CHECK(strcmp(split("python3 train.py --lr 0.1", err, sizeof err), "python3|train.py|--lr|0.1") == 0);
    CHECK(strcmp(split("  /bin/job\t 'run 1'  \"a \\\"b\\\" $X\" c\\ d\n", err, sizeof err),
                 "/bin/job|run 1|a \"b\" $X|c d") == 0);
    CHECK(strcmp(split("a'b'\"c\"d '' \"\"", err, sizeof err), "abcd||") == 0); /* quotes join; empty words */
    CHECK(strcmp(split("'a \\ b' \"\\n\\$\"", err, sizeof err), "a \\ b|\\n$") == 0);
    CHECK(strcmp(split("sh -c 'exec train --id $LOCUS_JOB_ID'", err, sizeof err),
                 "sh|-c|exec train --id $LOCUS_JOB_ID") == 0);
    CHECK(strcmp(split("one\\\ntwo", err, sizeof err), "onetwo") == 0); /* a line continuation */
    CHECK(strcmp(split("", err, sizeof err), "") == 0 && strstr(err, "no program named"));
    CHECK(strcmp(split(" \t ", err, sizeof err), "") == 0 && strstr(err, "no program named"));
    CHECK(strcmp(split("job 'open", err, sizeof err), "") == 0 && strstr(err, "a ' is not closed"));
    CHECK(strcmp(split("job \"open", err, sizeof err), "") == 0 && strstr(err, "a \" is not closed"));
    CHECK(strcmp(split("job \\", err, sizeof err), "") == 0 && strstr(err, "ends with a backslash"));
    size_t n = 2 * (WK_MAX_ARGS + 1);
    char *many = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2) many[i] = 'x', many[i + 1] = ' ';
    many[n] = '\0';
    CHECK(strcmp(split(many, err, sizeof err), "") == 0 && strstr(err, "more than 4096 words"));
    many[2 * WK_MAX_ARGS] = '\0'; /* exactly WK_MAX_ARGS */
    char **argv;
    int argc;
    CHECK(wk_split_command(many, &argv, &argc, err, sizeof err) == 0 && argc == WK_MAX_ARGS);
    wk_argv_free(argv);
    free(many);
}

int main(void)
{
    test_split_command();
    CPU_ZERO(&have);
    CPU_SET(0, &have);
    CPU_SET(1, &have);
    CPU_SET(2, &have);
    CPU_SET(5, &have);
    char err[512];
    wk_spec s;

    /* --cpus: the scheduler's CPU ids mapped onto the listed ones in order, modulo their count */
    int map[16];
    CHECK(wk_parse_cpu_list("0-2,5", map, 16, err, sizeof err) == 4 && map[0] == 0 && map[2] == 2 && map[3] == 5);
    CHECK(wk_parse_cpu_list("3-1", map, 16, err, sizeof err) == -1 && strstr(err, "--cpus '3-1'"));
    CHECK(wk_parse_cpu_list("", map, 16, err, sizeof err) == -1);
    CHECK(wk_parse_cpu_list("1,x", map, 16, err, sizeof err) == -1);
    {
        json_t *b = json_pack("{s:i,s:i,s:[s],s:[i,i,i,i]}", "job", 1, "lease", 1, "argv", "p", "cpus", 4, 5, 6, 23);
        int two[2] = {0, 5};
        wk_cpu_view cv = {&have, two, 2, NULL, 0}, plain = {&have, NULL, 0, NULL, 0};
        CHECK(wk_spec_parse(b, &cv, &s, err, sizeof err) == 0 && s.ncpus == 4 && s.cpus[0] == 0 && s.cpus[1] == 5 &&
              s.cpus[2] == 0 && s.cpus[3] == 5 && !s.numa);
        wk_spec_free(&s);
        CHECK(wk_spec_parse(b, &plain, &s, err, sizeof err) == -1 && strstr(err, "not on this machine"));
        json_decref(b);
    }

    CHECK(parse("{\"job\": 12, \"lease\": 5, \"argv\": [\"prog\", \"\", \"b c\"], \"dir\": \"run/12\","
                " \"env\": {\"K\": \"V\", \"PATH\": \"/opt/bin\"}, \"gpus\": [8, 9], \"cpus\": [0, 2], \"mem_gb\": 62.5}",
                &s, err, sizeof err) == 0);
    CHECK(s.job == 12 && s.lease == 5 && s.argc == 3 && strcmp(s.argv[2], "b c") == 0 && s.argv[3] == NULL);
    CHECK(strcmp(s.dir, "run/12") == 0 && s.nenv == 2 && s.ngpus == 2 && s.gpus[1] == 9 && s.ncpus == 2);
    CHECK(s.cpus[1] == 2 && s.mem_gb == 62.5);
    char *base[] = {"PATH=/usr/bin", "HOME=/root", "LOCUS_JOB_ID=99", "SYNERGY_LOG_DIR=/old", NULL};
    wk_vars v = {"10.0.0.1:7000", "/etc/token", 2.5, "/r/logs", "/ckpt"};
    char **env = wk_spec_environ(&s, base, &v);
    CHECK(env != NULL);
    CHECK(strcmp(env_get(env, "PATH"), "/opt/bin") == 0);  /* the request over the worker's */
    CHECK(strcmp(env_get(env, "HOME"), "/root") == 0);
    CHECK(strcmp(env_get(env, "K"), "V") == 0);
    CHECK(strcmp(env_get(env, "LOCUS_JOB_ID"), "12") == 0); /* the worker's over its own environment */
    CHECK(strcmp(env_get(env, "LOCUS_JOB_LEASE"), "5") == 0);
    CHECK(strcmp(env_get(env, "LOCUS_TIME_SCALE"), "2.5") == 0);
    CHECK(strcmp(env_get(env, "LOCUS_SCHED_ADDR"), "10.0.0.1:7000") == 0);
    CHECK(strcmp(env_get(env, "LOCUS_SCHED_TOKEN_FILE"), "/etc/token") == 0);
    CHECK(strcmp(env_get(env, "CUDA_VISIBLE_DEVICES"), "8,9") == 0);
    CHECK(strcmp(env_get(env, "SYNERGY_LOG_DIR"), "/r/logs") == 0);
    CHECK(strcmp(env_get(env, "SYNERGY_CHECKPOINT_DIR"), "/ckpt/job12") == 0);
    wk_env_free(env);
    wk_spec_free(&s);

    /* the scheduler's SYNERGY_* dirs win; no gpus: CUDA_VISIBLE_DEVICES empty (no GPU visible) */
    CHECK(parse("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"env\": {\"SYNERGY_CHECKPOINT_DIR\": \"/mine\"}}", &s,
                err, sizeof err) == 0);
    CHECK(strcmp(s.dir, ".") == 0 && s.ncpus == 0 && s.mem_gb == -1 && wk_spec_has_env(&s, "SYNERGY_CHECKPOINT_DIR"));
    env = wk_spec_environ(&s, base, &v);
    CHECK(strcmp(env_get(env, "SYNERGY_CHECKPOINT_DIR"), "/mine") == 0);
    CHECK(strcmp(env_get(env, "CUDA_VISIBLE_DEVICES"), "") == 0);
    wk_env_free(env);
    v.time_scale = 0.1; /* the shortest text that reads back as the scale */
    env = wk_spec_environ(&s, base, &v);
    CHECK(strcmp(env_get(env, "LOCUS_TIME_SCALE"), "0.1") == 0);
    wk_env_free(env);
    wk_spec_free(&s);

    wk_cpu_view none = {&have, NULL, 0, NULL, 0};
    CHECK(wk_spec_parse(NULL, &none, &s, err, sizeof err) == -1 && strstr(err, "field 'job': missing"));
    refused("{\"lease\": 0, \"argv\": [\"p\"]}", "field 'job': missing");
    refused("{\"job\": 1.5, \"lease\": 0, \"argv\": [\"p\"]}", "field 'job': not an integer");
    refused("{\"job\": -1, \"lease\": 0, \"argv\": [\"p\"]}", "field 'job': negative");
    refused("{\"job\": 1, \"argv\": [\"p\"]}", "field 'lease': missing");
    refused("{\"job\": 1, \"lease\": -2, \"argv\": [\"p\"]}", "field 'lease': negative");
    refused("{\"job\": 1, \"lease\": 0}", "field 'argv': missing");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": \"p\"}", "field 'argv': not an array");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": []}", "field 'argv': empty");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"\"]}", "field 'argv': argv[0] (the program) is empty");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\", null]}", "field 'argv': entry 1 is not a string");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\\u0000q\"]}", "field 'argv': entry 0 is not a string");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"dir\": \"/abs\"}", "field 'dir': absolute");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"dir\": \"a/../../b\"}", "field 'dir': contains '..'");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"dir\": \"\"}", "field 'dir': empty");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"dir\": 3}", "field 'dir': not a string");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"env\": []}", "field 'env': not an object");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"env\": {\"K\": 1}}", "field 'env': K is not a string");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"env\": {\"A=B\": \"1\"}}", "'A=B' is not a variable");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"env\": {\"CUDA_VISIBLE_DEVICES\": \"0\"}}",
            "field 'env': CUDA_VISIBLE_DEVICES is set by the worker");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"gpus\": 0}", "field 'gpus': not an array");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"gpus\": [0, 0]}", "field 'gpus': id 0 given twice");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"gpus\": [70000]}", "field 'gpus': id 70000 out of range");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"cpus\": [\"0\"]}", "field 'cpus': not an array");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"cpus\": [3, 0, 999]}",
            "field 'cpus': 3, 999 not on this machine (this worker has CPUs 0-2,5)");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"cpus\": [2000000]}", "field 'cpus': id 2000000 out of range");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"mem_gb\": \"1\"}", "field 'mem_gb': not a number");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"mem_gb\": -1}", "field 'mem_gb': not a size");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"cmd\": \"x\"}", "field 'cmd': unknown");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"numa\": 1}", "field 'numa': not a boolean");
    refused("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"numa\": \"true\"}", "field 'numa': not a boolean");
    /* numa without a NUMA list (the worker has none): the ids map as in any other request */
    CHECK(parse("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"numa\": true, \"cpus\": [5, 0]}", &s, err,
                sizeof err) == 0 && s.numa && s.cpus[0] == 5 && s.cpus[1] == 0);
    wk_spec_free(&s);
    CHECK(parse("{\"job\": 1, \"lease\": 0, \"argv\": [\"p\"], \"numa\": false}", &s, err, sizeof err) == 0 &&
          !s.numa);
    wk_spec_free(&s);

    numa_checks();

    double g;
    json_t *b = json_pack("{s:f}", "grace_s", 0.5);
    CHECK(wk_get_grace(b, &g, err, sizeof err) == 0 && g == 0.5);
    json_object_set_new(b, "grace_s", json_real(4000));
    CHECK(wk_get_grace(b, &g, err, sizeof err) == -1 && strstr(err, "field 'grace_s'"));
    json_decref(b);
    CHECK(wk_get_grace(NULL, &g, err, sizeof err) == 0 && g == WK_DEFAULT_GRACE_S);
    static const char *const names[] = {"grace_s"};
    b = json_pack("{s:i}", "grace", 1);
    CHECK(wk_check_fields(b, names, 1, err, sizeof err) == -1 && strstr(err, "field 'grace': unknown (known: grace_s)"));
    json_decref(b);

    char text[64];
    wk_cpuset_text(&have, text, sizeof text);
    CHECK(strcmp(text, "0-2,5") == 0);
    return check_failed();
}
