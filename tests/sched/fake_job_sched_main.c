/* fake_job_sched as a program, for the Python and install tests:
 *   fake_job_sched --token_file F --port_file P --log L [--job N] [--lease N] [--round_s S] [--used_s S]
 *                  [--steps N] [--executed N] [--total N] [--answer continue:LEASE:STEPS | --answer stop]...
 *                  [--progress_steps N] [--hold] [--wait_forever] [--max_s S]
 * Writes its port to P once it listens (P.tmp renamed, so a reader never sees half of it), appends each call
 * to L as fake_job_sched.h writes it, and runs until SIGTERM/SIGINT or --max_s seconds (default 120). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_job_sched.h"
#include "live/http.h"

static volatile sig_atomic_t quit;
static void on_sig(int s) {
    (void)s;
    quit = 1;
}

static void to_file(void *ud, const char *line) {
    FILE *f = ud;
    fprintf(f, "%s\n", line);
    fflush(f);
}

int main(int argc, char **argv) {
    fjs_script sc = {.job = 1, .lease = 1, .round_s = 60, .steps = 5, .total = 1000, .progress_steps = -1};
    const char *token_file = NULL, *port_file = NULL, *log = NULL;
    double max_s = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool more = true;
        if (strcmp(a, "--hold") == 0 || strcmp(a, "--wait_forever") == 0) {
            *(a[2] == 'h' ? &sc.hold : &sc.wait_forever) = true;
            continue;
        }
        if (v == NULL)
            more = false;
        else if (strcmp(a, "--token_file") == 0)
            token_file = v;
        else if (strcmp(a, "--port_file") == 0)
            port_file = v;
        else if (strcmp(a, "--log") == 0)
            log = v;
        else if (strcmp(a, "--job") == 0)
            sc.job = atoll(v);
        else if (strcmp(a, "--lease") == 0)
            sc.lease = atoll(v);
        else if (strcmp(a, "--round_s") == 0)
            sc.round_s = atof(v);
        else if (strcmp(a, "--used_s") == 0)
            sc.used_s = atof(v);
        else if (strcmp(a, "--steps") == 0)
            sc.steps = atoll(v);
        else if (strcmp(a, "--executed") == 0)
            sc.executed = atoll(v);
        else if (strcmp(a, "--total") == 0)
            sc.total = atoll(v);
        else if (strcmp(a, "--progress_steps") == 0)
            sc.progress_steps = atoll(v);
        else if (strcmp(a, "--max_s") == 0)
            max_s = atof(v);
        else if (strcmp(a, "--answer") == 0 && sc.nanswers < FJS_MAX_ANSWERS) {
            fjs_answer *an = &sc.answers[sc.nanswers++];
            an->stop = strcmp(v, "stop") == 0;
            if (!an->stop && sscanf(v, "continue:%lld:%lld", &an->lease, &an->steps) != 2)
                more = false;
        } else
            more = false;
        if (!more) {
            fprintf(stderr, "fake_job_sched: bad argument %s %s\n", a, v ? v : "");
            return 2;
        }
        i++;
    }
    if (token_file == NULL || port_file == NULL || log == NULL) {
        fprintf(stderr, "fake_job_sched: --token_file, --port_file and --log are required\n");
        return 2;
    }
    char token[LH_TOKEN_MAX], err[512];
    if (lh_read_token(token_file, token, sizeof token, err, sizeof err)) {
        fprintf(stderr, "fake_job_sched: %s\n", err);
        return 2;
    }
    FILE *lf = fopen(log, "a");
    if (lf == NULL) {
        perror(log);
        return 2;
    }
    fjs *f = fjs_start(&sc, token, err, sizeof err);
    if (f == NULL) {
        fprintf(stderr, "fake_job_sched: %s\n", err);
        return 2;
    }
    fjs_on_line(f, to_file, lf);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *pf = fopen(tmp, "w");
    if (pf == NULL || fprintf(pf, "%d\n", fjs_port(f)) < 0 || fclose(pf) != 0 ||
        rename(tmp, port_file) != 0) {
        perror(port_file);
        fjs_stop(f);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_sig};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (double t = 0; !quit && t < max_s; t += 0.05)
        usleep(50000);
    fjs_stop(f);
    fclose(lf);
    return 0;
}
