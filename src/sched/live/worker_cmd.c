/* `locus sched worker [options]`: parses the options (one table gives the parser and --help) and runs the
 * worker (worker.c). The short flags are the reference's (-i, -s, -w, -g); the long names are its worker's. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"
#include "worker_cmd.h"
#include "worker_mem.h"

typedef struct worker_opts {
    wk_config c;
    bool help;
} worker_opts;

typedef enum { O_FLAG, O_STR, O_PORT, O_COUNT, O_SECONDS } opt_kind;

static const struct opt {
    const char *name, *alias;
    opt_kind kind;
    bool required;
    size_t off;
    const char *arg, *help;
} opts[] = {
    {"--sched_addr", "-i", O_STR, true, offsetof(worker_opts, c.sched_host), "IP",
     "the scheduler's address"},
    {"--sched_port", "-s", O_PORT, true, offsetof(worker_opts, c.sched_port), "PORT", "the scheduler's port"},
    {"--worker_port", "-w", O_PORT, true, offsetof(worker_opts, c.port), "PORT",
     "this worker's port, as in the conn file (0: any free port, registered)"},
    {"--num_gpus", "-g", O_COUNT, true, offsetof(worker_opts, c.gpus), "GPUS",
     "GPUs this worker has (registered)"},
    {"--token_file", NULL, O_STR, true, offsetof(worker_opts, c.token_file), "FILE",
     "the shared token (its first line), on every request"},
    {"--run_dir", NULL, O_STR, true, offsetof(worker_opts, c.run_dir), "DIR",
     "jobs run in DIR/<dir>, output in DIR/logs/job<id>-lease<lease>.log"},
    {"--data_dir", NULL, O_STR, true, offsetof(worker_opts, c.data_dir), "DIR",
     "the jobs' data sets"},
    {"--checkpoint_dir", NULL, O_STR, true, offsetof(worker_opts, c.checkpoint_dir), "DIR",
     "job N's SYNERGY_CHECKPOINT_DIR is DIR/jobN"},
    {"--bind", NULL, O_STR, false, offsetof(worker_opts, c.bind), "ADDR",
     "IPv4 address to listen on (default 127.0.0.1)"},
    {"--cpus", NULL, O_STR, false, offsetof(worker_opts, c.cpus), "LIST",
     "pin jobs to these CPUs (e.g. 0-3,8): the scheduler's CPU id c goes to the (c mod n)-th of the n listed; "
     "for a machine with fewer CPUs than its server in the INI (default: the ids as given, which must exist)"},
    {"--memory_limit", NULL, O_STR, false, offsetof(worker_opts, c.memory_limit), "HOW",
     "how a job's mem_gb is enforced: auto (default: the first that works here of cgroup2, cgroup1, rlimit), "
     "cgroup (cgroup2 or cgroup1), cgroup2, cgroup1, rlimit (RLIMIT_AS) or none; a cgroup asked for that cannot "
     "be made is an error at start"},
    {"--register_timeout", NULL, O_SECONDS, false, offsetof(worker_opts, c.register_timeout_s), "S",
     "exit 1 if the scheduler has not answered in S s (60)"},
    {"--help", "-h", O_FLAG, false, offsetof(worker_opts, help), NULL, "this text"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: locus sched worker -i SCHED_IP -s SCHED_PORT -w PORT -g GPUS --token_file FILE --run_dir DIR\n"
               "                          --data_dir DIR --checkpoint_dir DIR [--bind ADDR] [--cpus LIST]\n"
               "                          [--memory_limit HOW] [--register_timeout S]\n\n"
               "Registers with `locus sched serve`, then starts and stops the jobs it is sent (fork/exec in their\n"
               "own process group, pinned to their CPUs, CUDA_VISIBLE_DEVICES their GPUs) and reports every\n"
               "exit (docs/sched-serve.md). Options (--name VALUE or --name=VALUE):\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char lhs[80];
        snprintf(lhs, sizeof lhs, "%s%s%s%s%s", opts[i].alias ? opts[i].alias : "", opts[i].alias ? ", " : "",
                 opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-30s %s%s\n", lhs, opts[i].required ? "required: " : "", opts[i].help);
    }
    fprintf(f, "\nThe directories are made if missing. --bind 0.0.0.0 registers the address of this machine that\n"
               "reaches the scheduler.\n");
    fprintf(f, "\nStops its jobs and exits 0 on POST /v1/shutdown, SIGTERM or SIGINT; exits 1 when it cannot start\n"
               "(a directory, the token file, its port, a scheduler that refuses it or does not answer), 2 for a\n"
               "usage error.\n");
}

static const struct opt *find_opt(const char *a, size_t len)
{
    for (size_t k = 0; k < NOPTS; k++)
        if ((strlen(opts[k].name) == len && strncmp(a, opts[k].name, len) == 0) ||
            (opts[k].alias && strlen(opts[k].alias) == len && strncmp(a, opts[k].alias, len) == 0))
            return &opts[k];
    return NULL;
}

static int parse_args(worker_opts *o, int argc, char **argv)
{
    bool seen[NOPTS] = {false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        const struct opt *op = find_opt(a, eq ? (size_t)(eq - a) : strlen(a));
        if (op == NULL) {
            fprintf(stderr, "locus sched worker: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        seen[op - opts] = true;
        void *field = (char *)o + op->off;
        if (op->kind == O_FLAG) {
            if (eq) {
                fprintf(stderr, "locus sched worker: %s takes no value\n", op->name);
                return -1;
            }
            *(bool *)field = true;
            continue;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "locus sched worker: %s needs a value (%s)\n", op->name, op->arg);
            return -1;
        }
        char *end;
        errno = 0;
        if (op->kind == O_STR) {
            if (!*val) {
                fprintf(stderr, "locus sched worker: %s: empty\n", op->name);
                return -1;
            }
            *(const char **)field = val;
        } else if (op->kind == O_PORT || op->kind == O_COUNT) {
            long v = strtol(val, &end, 10);
            long max = op->kind == O_PORT ? 65535 : 1 << 20;
            if (errno || end == val || *end || v < 0 || v > max ||
                (op->kind == O_PORT && v == 0 && op->off != offsetof(worker_opts, c.port))) {
                fprintf(stderr, "locus sched worker: %s: '%s' is not %s\n", op->name, val,
                        op->kind == O_PORT ? "a port (1-65535)" : "a count >= 0");
                return -1;
            }
            *(int *)field = (int)v;
        } else {
            double v = strtod(val, &end);
            if (errno || end == val || *end || !(v > 0) || !isfinite(v)) {
                fprintf(stderr, "locus sched worker: %s: '%s' is not a positive number of seconds\n", op->name, val);
                return -1;
            }
            *(double *)field = v;
        }
    }
    if (o->help) return 0;
    char missing[256] = "";
    size_t m = 0;
    for (size_t k = 0; k < NOPTS; k++)
        if (opts[k].required && !seen[k] && m + 1 < sizeof missing)
            m += (size_t)snprintf(missing + m, sizeof missing - m, "%s%s", m ? ", " : "", opts[k].name);
    if (m) {
        fprintf(stderr, "locus sched worker: missing %s (see --help)\n", missing);
        return -1;
    }
    return 0;
}

int sched_worker_main(int argc, char **argv)
{
    worker_opts o = {.c = {.bind = "127.0.0.1", .register_timeout_s = 60}};
    if (parse_args(&o, argc, argv) != 0) return 2;
    if (o.c.memory_limit && wk_mem_choice_parse(o.c.memory_limit) < 0) {
        fprintf(stderr, "locus sched worker: --memory_limit: '%s' is not one of %s\n", o.c.memory_limit,
                wk_mem_choice_names());
        return 2;
    }
    if (o.help) {
        usage(stdout);
        return 0;
    }
    return wk_run(&o.c);
}
