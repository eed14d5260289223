/* Option tables → getopt_long, conversions, help (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void opts_help(FILE *f, const char *prog, const char *usage_line, const opt_spec *specs) {
    fprintf(f, "usage: %s %s\n\noptions:\n", prog, usage_line);
    for (const opt_spec *s = specs; s->name; s++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", s->name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
        fprintf(f, "  %-28s %s\n", left, s->help);
    }
    fprintf(f, "  %-28s %s\n", "--help", "show this help");
}

int opts_parse(const char *prog, const char *usage_line, const opt_spec *specs, int argc, char **argv,
               char ***rest, int *nrest) {
    int n = 0;
    while (specs[n].name)
        n++;
    struct option *lo = calloc((size_t)n + 2, sizeof *lo);
    for (int i = 0; i < n; i++)
        lo[i] = (struct option){specs[i].name, specs[i].type == OPT_FLAG ? no_argument : required_argument, NULL, 1000 + i};
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    optind = 1;
    opterr = 0;
    int rc = 0, c;
    /* '+' stops at the first non-option so that "-- app args" and app arguments are left alone. */
    while (rc == 0 && (c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
        if (c == 'h') {
            opts_help(stdout, prog, usage_line, specs);
            rc = 1;
            break;
        }
        if (c == '?' && optopt >= 1000) {
            fprintf(stderr, "%s: --%s needs a value (see --help)\n", prog, specs[optopt - 1000].name);
            rc = -1;
            break;
        }
        if (c < 1000) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, argv[optind - 1]);
            rc = -1;
            break;
        }
        const opt_spec *s = &specs[c - 1000];
        switch (s->type) {
        case OPT_FLAG: *(bool *)s->target = true; break;
        case OPT_STR: *(const char **)s->target = optarg; break;
        case OPT_STR_LIST: {
            str_list *l = s->target;
            if (l->n < STR_LIST_MAX)
                l->items[l->n++] = optarg;
            break;
        }
        case OPT_INT: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || errno || v < s->min || v > s->max) {
                fprintf(stderr, "%s: --%s needs an integer in [%ld, %ld], got '%s'\n", prog, s->name, s->min, s->max,
                        optarg);
                rc = -1;
            } else {
                *(long *)s->target = v;
            }
            break;
        }
        }
    }
    free(lo);
    if (rc != 0)
        return rc;
    *rest = argv + optind;
    *nrest = argc - optind;
    return 0;
}
