/* `locus`: one command, git-style sub-commands. This file is only the dispatch table; each part owns its
 * sub-command's implementation (src/launch for db/run, src/bench for bench, src/sched for sched). */
#include <stdio.h>
#include <string.h>

#include "locus/locus_version.h"
#include "subcommands.h"

typedef struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv); /* argv[0] is the sub-command's name */
    const char *summary;
} subcommand;

static int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("locus %s\n", LOCUS_VERSION_STRING);
    return 0;
}

static const subcommand subcommands[] = {
#ifdef LOCUS_HAVE_LAUNCH
    {"db", locus_db_main, "start, inspect and stop databases (standalone or clustered)"},
    {"run", locus_run_main, "run an application with a co-located database on every node"},
#endif
#ifdef LOCUS_HAVE_BENCH
    {"bench", locus_bench_main, "the scaling tests: throughput (standard, co-located) and aggregation"},
#endif
#ifdef LOCUS_HAVE_SCHED
    {"sched", locus_sched_main, "the GPU cluster scheduler: a Synergy-style trace-driven simulator"},
#endif
    {"version", cmd_version, "print the version"},
};
#define NSUB (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: locus <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NSUB; i++)
        fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'locus <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < NSUB; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "locus: '%s' is not a locus command\n\n", argv[1]);
    usage(stderr);
    return 2;
}
