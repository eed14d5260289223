/* A small option-table parser for the locus sub-commands: one table gives getopt_long's options, the value
 * conversion with its error message, and the --help text. */
#ifndef LOCUS_LAUNCH_OPTS_H
#define LOCUS_LAUNCH_OPTS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum { OPT_FLAG, OPT_INT, OPT_STR, OPT_STR_LIST } opt_type;

typedef struct opt_spec {
    const char *name;  /* long name without "--" */
    opt_type type;
    void *target;      /* bool*, long*, const char**, or str_list* */
    const char *metavar;
    const char *help;
    long min, max;     /* OPT_INT bounds */
} opt_spec;

#define STR_LIST_MAX 64
typedef struct str_list {
    const char *items[STR_LIST_MAX];
    int n;
} str_list;

/* Parse argv[1..] against the table. Non-option arguments (and everything after "--") are returned through
 * rest/nrest (pointers into argv). Prints a message naming the bad option and returns -1 on error, 1 when
 * --help was printed, 0 otherwise. */
int opts_parse(const char *prog, const char *usage_line, const opt_spec *specs, int argc, char **argv,
               char ***rest, int *nrest);
void opts_help(FILE *f, const char *prog, const char *usage_line, const opt_spec *specs);

#endif
