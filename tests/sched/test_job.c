/* liblocus_job and locus-sched-dummy-job against the fake job scheduler (fake_job_sched.h) on loopback. The
 * calls the fake records are compared line by line: the steps reported per round, the lease ids (a continue's
 * new lease is the one used next), stop and done ending the job without a lease_ended, a job ended early
 * reporting lease_ended with what it ran, the round's time (with used_s) ending a round before its budget,
 * progress lowering the budget, round_end asking again while the scheduler answers "wait" (longer than the
 * timeout) and giving up after two rounds. Refusals: each missing variable named, malformed ones, a wrong
 * token, a stale lease; a closed port and a server that never answers fail within their bounds, and a
 * scheduler gone mid-run stops the job. The dummy job: its lease sequence, its checkpoint at stop and at
 * SIGTERM, done. usage: test_sched_job PATH_OF_locus-sched-dummy-job */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fake_job_sched.h"
#include "locus/sched_job.h"

extern char **environ;

static char tmpdir[] = "/tmp/locus-job-test-XXXXXX";
static char token_file[256];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_s(double s) {
    struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* The environment a worker gives job 12, lease 5, against the fake on port. */
static void job_env(int port) {
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    setenv("LOCUS_SCHED_ADDR", addr, 1);
    setenv("LOCUS_SCHED_TOKEN_FILE", token_file, 1);
    setenv("LOCUS_JOB_ID", "12", 1);
    setenv("LOCUS_JOB_LEASE", "5", 1);
    setenv("LOCUS_TIME_SCALE", "100", 1);
    unsetenv("LOCUS_JOB_TIMEOUT_MS");
}

static fjs_script base_script(void) {
    return (fjs_script){.job = 12,
                        .lease = 5,
                        .round_s = 30,
                        .steps = 5,
                        .executed = 100,
                        .total = 1000,
                        .progress_steps = -1};
}

static fjs *start(const fjs_script *sc) {
    char err[256];
    fjs *f = fjs_start(sc, "tok123", err, sizeof err);
    if (f == NULL) {
        fprintf(stderr, "fake scheduler: %s\n", err);
        exit(1);
    }
    job_env(fjs_port(f));
    return f;
}

/* The fake's log equals want; prints both when not. */
#define CHECK_LOG(f, want)                                                                                   \
    do {                                                                                                     \
        char *_got = fjs_log(f);                                                                             \
        if (strcmp(_got, want) != 0) {                                                                       \
            fprintf(stderr, "%s:%d: calls differ\n--- got\n%s--- want\n%s---\n", __FILE__, __LINE__, _got,   \
                    want);                                                                                   \
            check_failures++;                                                                                \
        }                                                                                                    \
        free(_got);                                                                                          \
    } while (0)

/* Steps without work until the action is not CONTINUE or n steps; the number of steps taken. */
static int run_steps(locus_job *j, int n, int *action, double iter_s) {
    int k = 0;
    *action = LOCUS_JOB_CONTINUE;
    while (k < n && *action == LOCUS_JOB_CONTINUE) {
        if (iter_s > 0)
            sleep_s(iter_s);
        k++;
        if (locus_job_step(j, action) != LOCUS_JOB_OK) {
            fprintf(stderr, "step %d: %s\n", k, locus_job_last_error());
            break;
        }
    }
    return k;
}

static void test_continue_then_stop(void) {
    fjs_script sc = base_script();
    sc.answers[0] = (fjs_answer){.lease = 6, .steps = 3};
    sc.answers[1] = (fjs_answer){.stop = true};
    sc.nanswers = 2;
    fjs *f = start(&sc);
    locus_job *j = NULL;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    CHECK(locus_job_id(j) == 12 && locus_job_lease(j) == 5 && locus_job_budget(j) == 5);
    CHECK(locus_job_executed(j) == 100 && locus_job_total(j) == 1000);
    CHECK_NEAR(locus_job_round_seconds(j), 30, 1e-9);
    CHECK_NEAR(locus_job_time_scale(j), 100, 1e-9);
    int action;
    for (int i = 1; i <= 4; i++) {
        CHECK(locus_job_step(j, &action) == LOCUS_JOB_OK && action == LOCUS_JOB_CONTINUE);
        CHECK(locus_job_round_steps(j) == i && locus_job_lease(j) == 5);
    }
    CHECK(fjs_ncalls(f) == 1); /* nothing sent within the round */
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_OK && action == LOCUS_JOB_CONTINUE);
    CHECK(locus_job_lease(j) == 6 && locus_job_budget(j) == 3 && locus_job_round_steps(j) == 0);
    CHECK(run_steps(j, 100, &action, 0) == 3 && action == LOCUS_JOB_STOP);
    CHECK(locus_job_executed(j) == 108);
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_ERR_PARAMETER && action == LOCUS_JOB_STOP);
    CHECK(strstr(locus_job_last_error(), "after the lease ended") != NULL);
    CHECK(locus_job_end(j) == LOCUS_JOB_OK);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=5 done=false\n"
                 "round_end job=12 lease=6 steps=3 done=false\n");
    fjs_stop(f);
}

static void test_done(void) {
    fjs_script sc = base_script();
    sc.executed = 996;
    sc.steps = 10;
    fjs *f = start(&sc);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    CHECK(run_steps(j, 100, &action, 0) == 4 && action == LOCUS_JOB_DONE);
    CHECK(locus_job_executed(j) == 1000);
    CHECK(locus_job_end(j) == LOCUS_JOB_OK);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=4 done=true\n");
    fjs_stop(f);
}

static void test_cut_short(void) {
    fjs_script sc = base_script();
    sc.steps = 10;
    fjs *f = start(&sc);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    CHECK(run_steps(j, 3, &action, 0.01) == 3 && action == LOCUS_JOB_CONTINUE);
    CHECK(locus_job_end(j) == LOCUS_JOB_OK);
    CHECK(locus_job_end(NULL) == LOCUS_JOB_OK);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "lease_ended job=12 lease=5 steps=3\n");
    CHECK(fjs_seconds(f, 1) >= 0.03 && fjs_seconds(f, 1) < 1);
    fjs_stop(f);
}

/* round_s 0.4 of which 0.2 s had passed at register: the round ends on its time after about 0.2 s of 20 ms
 * steps, long before its budget. */
static void test_round_time(void) {
    fjs_script sc = base_script();
    sc.round_s = 0.4;
    sc.used_s = 0.2;
    sc.steps = 1000;
    fjs *f = start(&sc);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    double t0 = now_s();
    int n = run_steps(j, 1000, &action, 0.02);
    double t = now_s() - t0;
    CHECK(action == LOCUS_JOB_STOP);
    CHECK(n >= 4 && n <= 10);
    CHECK(t >= 0.19 && t < 0.5);
    char want[256];
    snprintf(want, sizeof want, "register job=12 lease=5\nround_end job=12 lease=5 steps=%d done=false\n", n);
    CHECK_LOG(f, want);
    CHECK(fjs_seconds(f, 1) >= 0.19 && fjs_seconds(f, 1) < 0.5);
    locus_job_end(j);
    fjs_stop(f);
}

/* The scheduler answers round_end "wait" until the round's end (1 s), the timeout is 300 ms: the job asks
 * again (marked, the same numbers: the fake logs it otherwise) until it gets its answer. */
static void test_held_round_end(void) {
    fjs_script sc = base_script();
    sc.round_s = 1.0;
    sc.steps = 2;
    sc.hold = true;
    sc.answers[0] = (fjs_answer){.lease = 6, .steps = 2};
    sc.nanswers = 1;
    fjs *f = start(&sc);
    setenv("LOCUS_JOB_TIMEOUT_MS", "300", 1);
    locus_job *j = NULL;
    int action;
    double t0 = now_s();
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    CHECK(run_steps(j, 2, &action, 0) == 2 && action == LOCUS_JOB_CONTINUE && locus_job_lease(j) == 6);
    CHECK(now_s() - t0 >= 0.9);
    CHECK(run_steps(j, 100, &action, 0) == 2 && action == LOCUS_JOB_STOP);
    CHECK(now_s() - t0 >= 1.9 && now_s() - t0 < 3.5);
    CHECK(fjs_repeats(f) >= 20); /* 2 x 1 s of 20 ms retries */
    CHECK(locus_job_end(j) == LOCUS_JOB_OK);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=2 done=false\n"
                 "round_end job=12 lease=6 steps=2 done=false\n");
    fjs_stop(f);
}

/* A scheduler that answers "wait" for ever: the job gives up after two rounds and reports the lease. */
static void test_wait_forever(void) {
    fjs_script sc = base_script();
    sc.round_s = 0.3;
    sc.steps = 2;
    sc.wait_forever = true;
    fjs *f = start(&sc);
    setenv("LOCUS_JOB_TIMEOUT_MS", "200", 1);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    double t0 = now_s();
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_OK && action == LOCUS_JOB_CONTINUE);
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_ERR_TIMEOUT && action == LOCUS_JOB_STOP);
    double t = now_s() - t0;
    CHECK(t >= 0.6 && t < 1.2);
    CHECK(strstr(locus_job_last_error(), "'wait'") != NULL);
    CHECK(locus_job_end(j) == LOCUS_JOB_OK);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=2 done=false\n"
                 "lease_ended job=12 lease=5 steps=2\n");
    fjs_stop(f);
}

/* Progress every 50 ms of 20 ms steps; the scheduler lowers the budget from 20 to 12. */
static void test_progress(void) {
    fjs_script sc = base_script();
    sc.steps = 20;
    sc.progress_steps = 12;
    fjs *f = start(&sc);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    CHECK(locus_job_set_progress_interval(j, -1) == LOCUS_JOB_ERR_PARAMETER);
    CHECK(locus_job_set_progress_interval(j, 0.05) == LOCUS_JOB_OK);
    CHECK(run_steps(j, 100, &action, 0.02) == 12 && action == LOCUS_JOB_STOP);
    locus_job_end(j);
    char *log = fjs_log(f), *save = NULL;
    int nprog = 0;
    long long last = 0;
    const char *line = strtok_r(log, "\n", &save);
    CHECK(line && strcmp(line, "register job=12 lease=5") == 0);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        long long s;
        if (sscanf(line, "progress job=12 lease=5 steps=%lld", &s) == 1) {
            CHECK(s > last && s < 12);
            last = s;
            nprog++;
        } else {
            CHECK(strcmp(line, "round_end job=12 lease=5 steps=12 done=false") == 0);
            CHECK(strtok_r(NULL, "\n", &save) == NULL);
        }
    }
    CHECK(nprog >= 2 && nprog <= 6);
    free(log);
    fjs_stop(f);
}

static void test_refusals(void) {
    fjs_script sc = base_script();
    fjs *f = start(&sc);
    locus_job *j = (locus_job *)&sc;
    static const char *const vars[] = {"LOCUS_SCHED_ADDR", "LOCUS_SCHED_TOKEN_FILE", "LOCUS_JOB_ID",
                                       "LOCUS_JOB_LEASE", "LOCUS_TIME_SCALE"};
    for (int i = 0; i < 5; i++) {
        job_env(fjs_port(f));
        unsetenv(vars[i]);
        CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_PARAMETER && j == NULL);
        CHECK(strstr(locus_job_last_error(), vars[i]) && strstr(locus_job_last_error(), "not set"));
    }
    static const char *const bad[][2] = {
        {"LOCUS_JOB_ID", "12x"},       {"LOCUS_JOB_LEASE", "-1"},
        {"LOCUS_TIME_SCALE", "0"},     {"LOCUS_SCHED_ADDR", "localhost"},
        {"LOCUS_JOB_TIMEOUT_MS", "0"}, {"LOCUS_SCHED_TOKEN_FILE", "/nonexistent"}};
    for (int i = 0; i < 6; i++) {
        job_env(fjs_port(f));
        setenv(bad[i][0], bad[i][1], 1);
        CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_PARAMETER && j == NULL);
        CHECK(strstr(locus_job_last_error(), bad[i][0]) != NULL);
    }
    CHECK(fjs_ncalls(f) == 0); /* none of them reached the scheduler */

    job_env(fjs_port(f));
    setenv("LOCUS_JOB_LEASE", "4", 1); /* not the job's lease */
    CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_SCHED && j == NULL);
    CHECK(strstr(locus_job_last_error(), "409") && strstr(locus_job_last_error(), "lease 4"));
    char other[300];
    snprintf(other, sizeof other, "%s/other-token", tmpdir);
    FILE *t = fopen(other, "w");
    fputs("wrong\n", t);
    fclose(t);
    job_env(fjs_port(f));
    setenv("LOCUS_SCHED_TOKEN_FILE", other, 1);
    CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_SCHED && strstr(locus_job_last_error(), "401"));
    CHECK_LOG(f, "register job=12 lease=4 -> 409\n"); /* the 401 never reached the handler */
    CHECK(locus_job_step(NULL, NULL) == LOCUS_JOB_ERR_PARAMETER);
    CHECK(strcmp(locus_job_status_name(LOCUS_JOB_ERR_TIMEOUT), "LOCUS_JOB_ERR_TIMEOUT") == 0);
    CHECK(strcmp(locus_job_status_name((locus_job_status)4), "LOCUS_JOB_ERR_UNKNOWN") == 0);
    fjs_stop(f);
}

static void test_unreachable(void) {
    fjs_script sc = base_script();
    sc.steps = 2;
    fjs *f = start(&sc);
    int port = fjs_port(f);
    locus_job *j = NULL;
    int action;
    CHECK(locus_job_begin(&j) == LOCUS_JOB_OK);
    fjs_stop(f); /* the scheduler goes away mid-round */
    double t0 = now_s();
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_OK && action == LOCUS_JOB_CONTINUE);
    CHECK(locus_job_step(j, &action) == LOCUS_JOB_ERR_SCHED && action == LOCUS_JOB_STOP);
    CHECK(strstr(locus_job_last_error(), "round_end") != NULL);
    CHECK(locus_job_end(j) == LOCUS_JOB_ERR_SCHED); /* lease_ended cannot be sent either; freed */
    CHECK(strstr(locus_job_last_error(), "lease_ended") != NULL);
    CHECK(now_s() - t0 < 3);
    /* a closed port at register */
    job_env(port);
    t0 = now_s();
    CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_SCHED && j == NULL);
    CHECK(strstr(locus_job_last_error(), "register") != NULL);
    CHECK(now_s() - t0 < 2);
    /* a server that takes the connection and never answers: the timeout */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s, 8) == 0);
    getsockname(s, (struct sockaddr *)&sa, &len);
    job_env(ntohs(sa.sin_port));
    setenv("LOCUS_JOB_TIMEOUT_MS", "300", 1);
    t0 = now_s();
    CHECK(locus_job_begin(&j) == LOCUS_JOB_ERR_TIMEOUT && j == NULL);
    double t = now_s() - t0;
    CHECK(t >= 0.25 && t < 1.5);
    CHECK(strstr(locus_job_last_error(), "300 ms") != NULL);
    close(s);
}

/* ---- the dummy job ---- */

static pid_t spawn(const char *prog) {
    pid_t pid;
    char *argv[] = {(char *)prog, NULL};
    if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0)
        return -1;
    return pid;
}

static int wait_exit(pid_t pid, double limit_s) {
    int st;
    for (double t = 0; t < limit_s; t += 0.01) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        sleep_s(0.01);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static long long read_ckpt(void) {
    char path[300];
    snprintf(path, sizeof path, "%s/job12.ckpt", tmpdir);
    FILE *f = fopen(path, "r");
    long long v = -1;
    if (f != NULL) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -2;
        fclose(f);
        unlink(path);
    }
    return v;
}

static void test_dummy(const char *dummy) {
    fjs_script sc = base_script();
    sc.answers[0] = (fjs_answer){.lease = 6, .steps = 3};
    sc.answers[1] = (fjs_answer){.stop = true};
    sc.nanswers = 2;
    fjs *f = start(&sc);
    setenv("SYNERGY_CHECKPOINT_DIR", tmpdir, 1);
    setenv("LOCUS_DUMMY_ITER_S", "0.02", 1);
    double t0 = now_s();
    CHECK(wait_exit(spawn(dummy), 20) == 0);
    CHECK(now_s() - t0 >= 8 * 0.02);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=5 done=false\n"
                 "round_end job=12 lease=6 steps=3 done=false\n");
    CHECK(read_ckpt() == 108);
    fjs_stop(f);

    sc = base_script();
    sc.executed = 997;
    f = start(&sc);
    CHECK(wait_exit(spawn(dummy), 20) == 0);
    CHECK_LOG(f, "register job=12 lease=5\n"
                 "round_end job=12 lease=5 steps=3 done=true\n");
    CHECK(read_ckpt() == -1); /* done: no checkpoint */
    fjs_stop(f);

    /* killed by its worker: lease_ended with what it ran, and the checkpoint */
    sc = base_script();
    sc.steps = 100000;
    f = start(&sc);
    setenv("LOCUS_DUMMY_ITER_S", "0.01", 1);
    pid_t pid = spawn(dummy);
    sleep_s(0.3);
    kill(pid, SIGTERM);
    CHECK(wait_exit(pid, 10) == 0);
    char *log = fjs_log(f);
    long long steps = -1;
    CHECK(sscanf(log, "register job=12 lease=5\nlease_ended job=12 lease=5 steps=%lld\n", &steps) == 1);
    CHECK(steps > 3 && steps < 100);
    CHECK(read_ckpt() == 100 + steps);
    free(log);
    fjs_stop(f);

    unsetenv("LOCUS_DUMMY_ITER_S");
    CHECK(wait_exit(spawn(dummy), 10) == 1);
    unsetenv("SYNERGY_CHECKPOINT_DIR");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_OF_locus-sched-dummy-job\n", argv[0]);
        return 2;
    }
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    snprintf(token_file, sizeof token_file, "%s/token", tmpdir);
    FILE *t = fopen(token_file, "w");
    fputs("tok123\n", t);
    fclose(t);
    test_continue_then_stop();
    test_done();
    test_cut_short();
    test_round_time();
    test_held_round_end();
    test_wait_forever();
    test_progress();
    test_refusals();
    test_unreachable();
    test_dummy(argv[1]);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    if (!check_failures)
        printf("sched_job: all checks passed\n");
    return check_failed();
}
