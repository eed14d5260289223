/* The scaling suite's flags: `--name=[a,b,c]` lists (every combination runs), scalars, and dict-like
 * strings, with the SmartSim scaling suite's names and defaults. One table per test gives the parser, the
 * defaults and --help. Pure code: unit-tested without MPI or a database. */
#ifndef LOCUS_BENCH_FLAGS_H
#define LOCUS_BENCH_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#define FLAG_MAX_VALUES 32

typedef enum { FLAG_INT_LIST, FLAG_BOOL_LIST, FLAG_STR_LIST, FLAG_INT, FLAG_BOOL, FLAG_STR } flag_type;

typedef struct flag_spec {
    const char *name;
    flag_type type;
    const char *def; /* default, in command-line syntax ("[1,2]", "True", "lo", "{}") */
    const char *help;
} flag_spec;

typedef struct flag_value {
    const flag_spec *spec;
    int n;                         /* number of values (1 for scalars) */
    long ints[FLAG_MAX_VALUES];    /* INT, BOOL (0/1) */
    char strs[FLAG_MAX_VALUES][256];
    bool given;                    /* set on the command line */
} flag_value;

typedef struct flag_set {
    const flag_spec *specs;
    int n;
    flag_value values[48];
} flag_set;

/* Parse one value text ("[a,b]", "a,b", "a") for a spec into v. Returns NULL or a message. */
const char *flag_parse_value(const flag_spec *spec, const char *text, flag_value *v);
/* Fill defaults, then apply argv (`--name=value` or `--name value`). Unknown flags and bad values are
 * reported on stderr naming the flag; returns -1 then, 1 after --help, 0 otherwise. `extra` receives
 * flags the caller handles itself (e.g. --print-batch-script); it may be NULL. */
int flags_parse(flag_set *fs, const char *prog, int argc, char **argv, const char *const *extra, const char **extra_vals);
const flag_value *flag_get(const flag_set *fs, const char *name);
long flag_int(const flag_set *fs, const char *name, int i);
const char *flag_str(const flag_set *fs, const char *name, int i);
void flags_help(const flag_set *fs, const char *prog, FILE *f);
/* The value as the suite writes it, e.g. "[1,2]" or "lo". */
void flag_format(const flag_value *v, char *out, size_t n);

#endif
