/* A fake scheduler for the job side of docs/sched-serve.md: a loopback server (lh_server_start) that answers
 * /v1/job/register, progress, round_end and lease_ended from a script, checks the job id and the lease of
 * every call (404 for another job, 409 for a stale or closed lease) and records each call as one line:
 *   register job=J lease=L
 *   progress job=J lease=L steps=S
 *   round_end job=J lease=L steps=S done=true|false
 *   lease_ended job=J lease=L steps=S
 * with " -> STATUS" appended when the call was refused. A round_end asked again while the answer is "wait"
 * (with "again": true and the same steps, as the protocol wants) is counted, not logged; one that is not
 * marked or changes its numbers is logged with " (repeat)" appended. The tests compare the lines exactly;
 * seconds and the number of repeats are kept apart (they depend on timing). Used in-process by test_job.c and
 * as a program (fake_job_sched_main.c) by the Python and install tests. */
#ifndef LOCUS_TEST_FAKE_JOB_SCHED_H
#define LOCUS_TEST_FAKE_JOB_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#define FJS_MAX_ANSWERS 16
#define FJS_MAX_CALLS 4096

typedef struct fjs_answer {
    bool stop;              /* stop, or continue with: */
    long long lease, steps; /* the new lease id and budget */
} fjs_answer;

typedef struct fjs_script {
    long long job, lease; /* the job expected and its first lease */
    double round_s, used_s;
    long long steps, executed, total;    /* register's reply */
    fjs_answer answers[FJS_MAX_ANSWERS]; /* round_end's answers in turn; stop once they run out */
    int nanswers;
    long long progress_steps; /* progress's answer (the budget); < 0: the current budget */
    bool hold;                /* answer round_end "wait" until the round's end (as serve does) */
    bool wait_forever;        /* answer round_end "wait" for ever */
} fjs_script;

typedef struct fjs fjs;

/* Starts on 127.0.0.1 (any free port); NULL with the reason in err. The script is copied. */
fjs *fjs_start(const fjs_script *sc, const char *token, char *err, size_t errlen);
int fjs_port(const fjs *f);
/* The calls so far, one line each ("\n" after each); the caller frees it. */
char *fjs_log(fjs *f);
/* The number of calls logged so far, and the "seconds" field of call i (-1 when it had none). */
int fjs_ncalls(fjs *f);
/* The number of round_end calls asked again (not logged). */
int fjs_repeats(fjs *f);
double fjs_seconds(fjs *f, int i);
/* Called with each log line as it is recorded (the program writes them to a file). */
void fjs_on_line(fjs *f, void (*cb)(void *ud, const char *line), void *ud);
void fjs_stop(fjs *f);

#endif
