/* `locus sched SUBCOMMAND ...`: the sub-command table. Each handler receives argv starting at its own name. */
#include <stdio.h>
#include <string.h>

#include "sched_cli.h"
#include "sim/simulate_cmd.h"
#include "live/serve.h"
#include "live/status_cmd.h"
#include "live/worker_cmd.h"

static const struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommands[] = {
    {"simulate", sched_simulate_main, "simulate a GPU cluster scheduler (Synergy semantics) on a workload"},
    {"serve", sched_serve_main, "run the scheduler on real machines, with `locus sched worker` on each"},
    {"worker", sched_worker_main, "start and stop the jobs `locus sched serve` sends to this machine"},
    {"status", sched_status_main, "what a running `locus sched serve` is doing: workers, jobs, rounds"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: locus sched <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'locus sched <command> --help' describes a command's options.\n");
}

int locus_sched_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "locus sched: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
