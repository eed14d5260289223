/* `locus sched status --server ADDR --token_file FILE [--json]`: what a running `locus sched serve` is doing
 * (its GET /status), as tables on the terminal or as the JSON itself. */
#define _GNU_SOURCE
#include "status_cmd.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

static void usage(FILE *f) {
    fprintf(f, "usage: locus sched status --server HOST:PORT --token_file FILE [--json]\n\n"
               "Shows what a running `locus sched serve` is doing: the rounds so far and the time to the next\n"
               "one, each worker with the GPUs, CPUs and memory in use, each job with its state, allocation,\n"
               "progress, retries and JCT. The same is on the scheduler's page, http://HOST:PORT/?token=TOKEN.\n\n"
               "  --server HOST:PORT   the scheduler (its --listen; default 127.0.0.1:14040)\n"
               "  --token_file FILE    the token file serve was given (required)\n"
               "  --json               print the JSON of GET /status as it is\n"
               "  --help               this text\n\n"
               "Exit status: 0, 1 when the scheduler cannot be reached or refuses, 2 for a usage error.\n");
}

static long long geti(const json_t *o, const char *k) {
    return json_integer_value(json_object_get(o, k));
}

static double getf(const json_t *o, const char *k) {
    return json_number_value(json_object_get(o, k));
}

static const char *gets_(const json_t *o, const char *k) {
    const char *v = json_string_value(json_object_get(o, k));
    return v != NULL ? v : "";
}

int sched_status_main(int argc, char **argv) {
    const char *server = "127.0.0.1:14040", *token_file = NULL;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            as_json = true;
        } else if ((strcmp(a, "--server") == 0 || strcmp(a, "--token_file") == 0) && i + 1 < argc) {
            *(strcmp(a, "--server") == 0 ? &server : &token_file) = argv[++i];
        } else if (strncmp(a, "--server=", 9) == 0) {
            server = a + 9;
        } else if (strncmp(a, "--token_file=", 13) == 0) {
            token_file = a + 13;
        } else {
            fprintf(stderr, "locus sched status: unknown option or missing value '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (token_file == NULL) {
        fprintf(stderr, "locus sched status: --token_file is required (see --help)\n");
        return 2;
    }
    char host[256], token[LH_TOKEN_MAX], err[600];
    int port;
    if (lh_parse_addr(server, host, sizeof host, &port, err, sizeof err)) {
        fprintf(stderr, "locus sched status: --server: %s\n", err);
        return 2;
    }
    if (lh_read_token(token_file, token, sizeof token, err, sizeof err)) {
        fprintf(stderr, "locus sched status: %s\n", err);
        return 1;
    }
    json_t *st = NULL;
    int code = lh_client_get(NULL, host, port, "/status", token, &st, 5000, err, sizeof err);
    if (code != 200) {
        fprintf(stderr, "locus sched status: %s\n", err);
        json_decref(st);
        return 1;
    }
    if (as_json) {
        json_dumpf(st, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(st);
        return 0;
    }
    json_t *c = json_object_get(st, "counts");
    printf("%s: round %lld, scheduler time %.0f s (rounds of %g s, time scale %g), next round in %.1f s%s\n",
           gets_(st, "policy"), geti(st, "rounds"), getf(st, "time_s"), getf(st, "round_s"), getf(st, "time_scale"),
           getf(st, "next_round_in_s"), json_is_true(json_object_get(st, "resumed")) ? " (resumed)" : "");
    printf("workers %lld of %lld up; jobs: %lld finished, %lld failed, %lld running, %lld queued, %lld not arrived\n\n",
           geti(st, "workers_registered"), geti(st, "workers_listed"), geti(c, "finished"), geti(c, "failed"),
           geti(c, "running"), geti(c, "queued"), geti(c, "not arrived"));
    printf("%-7s %-21s %-14s %9s %9s %15s %-9s %5s\n", "machine", "address", "state", "GPUs", "CPUs", "memory GB",
           "mem limit", "lost");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(st, "workers"), i, w) {
        char g[32], cp[32], m[48];
        snprintf(g, sizeof g, "%lld/%lld", geti(w, "gpus_used"), geti(w, "gpus"));
        snprintf(cp, sizeof cp, "%lld/%lld", geti(w, "cpus_used"), geti(w, "cpus"));
        snprintf(m, sizeof m, "%g/%g", getf(w, "mem_used_gb"), getf(w, "mem_gb"));
        printf("%-7lld %-21s %-14s %9s %9s %15s %-9s %5lld\n", geti(w, "machine"), gets_(w, "address"),
               gets_(w, "state"), g, cp, m, gets_(w, "memory_limit"), geti(w, "times_lost"));
    }
    printf("\n%-6s %-12s %4s %-11s %-24s %-22s %7s %9s  %s\n", "job", "model", "GPUs", "state", "allocation",
           "progress", "retries", "JCT s", "reason");
    json_t *j;
    json_array_foreach(json_object_get(st, "jobs"), i, j) {
        char alloc[128] = "", prog[48], jct[24] = "";
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(j, "alloc"), k, a) {
            size_t n = strlen(alloc);
            snprintf(alloc + n, sizeof alloc - n, "%sm%lld:%zuG/%zuC", k ? " " : "", geti(a, "machine"),
                     json_array_size(json_object_get(a, "gpus")), json_array_size(json_object_get(a, "cpus")));
        }
        snprintf(prog, sizeof prog, "%5.1f%% %lld/%lld", 100 * getf(j, "progress"), geti(j, "executed"),
                 geti(j, "total"));
        if (json_object_get(j, "jct_s") != NULL)
            snprintf(jct, sizeof jct, "%.0f", getf(j, "jct_s"));
        printf("%-6lld %-12s %4lld %-11s %-24s %-22s %7lld %9s  %s\n", geti(j, "id"), gets_(j, "model"),
               geti(j, "gpus"), gets_(j, "state"), alloc, prog, geti(j, "retries"), jct, gets_(j, "reason"));
    }
    json_decref(st);
    return 0;
}
