/* A real training job in C for the live scheduler (locus sched serve / worker), through liblocus_job
 * (include/locus/sched_job.h; docs/sched-train.md). It fits x in A x ≈ b (least squares; A, b and the true x
 * made from a fixed seed) by minibatch stochastic gradient descent: each step draws BATCH rows of A with its
 * own random generator and moves x against the gradient of their squared residuals. At every lease's end it
 * writes a checkpoint (step, generator state, x) atomically to $SYNERGY_CHECKPOINT_DIR/checkpoint.txt and
 * appends the lease to leases.csv beside it (the columns of examples/sched/train.py); started again it
 * resumes from the checkpoint, so the run is the same step for step as one that was never stopped.
 *
 * Without a scheduler, `locus_example_train_c --steps N --checkpoint_dir DIR` trains (or resumes) to step N:
 * the reference a preempted run must agree with.
 *
 *   cc train_c.c -o train_c $(pkg-config --cflags --libs locus-job) -lm
 *
 * Exit status: 0 at a lease's end, at done and after SIGTERM (checkpoint saved, lease reported); 1 on an
 * error (the message on stderr); 2 for bad arguments. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <locus/sched_job.h>

enum { ROWS = 1024, COLS = 32, BATCH = 32 };
#define LEARNING_RATE 0.02
#define NOISE 0.1
#define FORMAT "locus-train-c"
#define FORMAT_VERSION 1
#define CHECKPOINT "checkpoint.txt"
#define LEASES_CSV "leases.csv"
#define CSV_HEADER "lease,start_step,end_step,loss_start,loss_end,executed_at_start,threads,end\n"
#define PATH_MAX_LEN 4096

static const char *prog = "locus_example_train_c";
static volatile sig_atomic_t terminated;

static void on_term(int sig) {
    (void)sig;
    terminated = 1;
}

/* ---- the problem ---- */

typedef struct problem {
    double a[ROWS][COLS];
    double b[ROWS];
} problem;

/* What a checkpoint holds: everything the next step depends on besides the problem (made from the seed). */
typedef struct train_state {
    int64_t step;
    uint64_t seed, rng;
    double x[COLS];
} train_state;

static uint64_t next_u64(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { /* in (0, 1] */
    return ((double)(next_u64(s) >> 11) + 1.0) * 0x1.0p-53;
}

static double normal(uint64_t *s) { /* Box-Muller, one of the pair */
    double u = uniform01(s), v = uniform01(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void make_problem(problem *p, uint64_t seed) {
    uint64_t g = 1000 + seed;
    double truth[COLS];
    for (int j = 0; j < COLS; j++)
        truth[j] = normal(&g);
    for (int i = 0; i < ROWS; i++) {
        double dot = 0;
        for (int j = 0; j < COLS; j++) {
            p->a[i][j] = normal(&g);
            dot += p->a[i][j] * truth[j];
        }
        p->b[i] = dot + NOISE * normal(&g);
    }
}

static double residual(const problem *p, const double *x, int row) {
    double r = -p->b[row];
    for (int j = 0; j < COLS; j++)
        r += p->a[row][j] * x[j];
    return r;
}

/* Half the mean squared residual over every row: the loss logged at each lease's ends. */
static double full_loss(const problem *p, const double *x) {
    double sum = 0;
    for (int i = 0; i < ROWS; i++) {
        double r = residual(p, x, i);
        sum += r * r;
    }
    return sum / (2.0 * ROWS);
}

/* One step: BATCH rows drawn from the state's generator, x moved against their mean gradient. Returns the
 * minibatch's loss before the move. */
static double sgd_step(const problem *p, train_state *s) {
    double grad[COLS] = {0}, sum = 0;
    for (int k = 0; k < BATCH; k++) {
        int row = (int)(next_u64(&s->rng) % ROWS);
        double r = residual(p, s->x, row);
        sum += r * r;
        for (int j = 0; j < COLS; j++)
            grad[j] += r * p->a[row][j];
    }
    for (int j = 0; j < COLS; j++)
        s->x[j] -= LEARNING_RATE * grad[j] / BATCH;
    s->step++;
    return sum / (2.0 * BATCH);
}

/* ---- checkpoint and lease log ---- */

static int fsync_path(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Text, one field a line, doubles with 17 digits (read back exactly):
 *   locus-train-c 1 / seed S / step N / rng R / x COLS / COLS values */
static int save_checkpoint(const char *dir, const train_state *s) {
    char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 32];
    snprintf(path, sizeof path, "%s/" CHECKPOINT, dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (ok) {
        ok = fprintf(f, FORMAT " %d\nseed %" PRIu64 "\nstep %" PRId64 "\nrng %" PRIu64 "\nx %d\n",
                     FORMAT_VERSION, s->seed, s->step, s->rng, COLS) > 0;
        for (int j = 0; ok && j < COLS; j++)
            ok = fprintf(f, "%.17g\n", s->x[j]) > 0;
        ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok || rename(tmp, path) != 0 || fsync_path(dir) != 0) {
        fprintf(stderr, "%s: cannot write the checkpoint %s: %s\n", prog, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* 1: loaded; 0: no checkpoint (s untouched); -1: unreadable or not this run's (the reason on stderr). */
static int load_checkpoint(const char *dir, train_state *s) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "%s/" CHECKPOINT, dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    int version = 0, cols = 0, ok;
    uint64_t seed = 0;
    train_state t = *s;
    ok = fscanf(f, FORMAT " %d seed %" SCNu64 " step %" SCNd64 " rng %" SCNu64 " x %d", &version, &seed,
                &t.step, &t.rng, &cols) == 5;
    for (int j = 0; ok && j < COLS; j++)
        ok = fscanf(f, "%lf", &t.x[j]) == 1 && isfinite(t.x[j]);
    char extra;
    ok = ok && fscanf(f, " %c", &extra) == EOF;
    fclose(f);
    if (!ok || version != FORMAT_VERSION || cols != COLS || t.step < 0) {
        fprintf(stderr, "%s: %s: not a " FORMAT " checkpoint of version %d with %d values\n", prog, path,
                FORMAT_VERSION, COLS);
        return -1;
    }
    if (seed != s->seed) {
        fprintf(stderr, "%s: %s: a checkpoint of another run (seed %" PRIu64 ", this one %" PRIu64 ")\n",
                prog, path, seed, s->seed);
        return -1;
    }
    *s = t;
    return 1;
}

typedef struct lease_rec {
    int64_t lease, start_step, executed;
    double loss_start;
} lease_rec;

static int append_lease(const char *dir, const lease_rec *r, int64_t end_step, double loss_end,
                        const char *how) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "%s/" LEASES_CSV, dir);
    int is_new = access(path, F_OK) != 0;
    FILE *f = fopen(path, "a");
    int ok = f != NULL;
    if (ok) {
        ok = (!is_new || fputs(CSV_HEADER, f) >= 0) &&
             fprintf(f, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%.17g,%.17g,%" PRId64 ",1,%s\n", r->lease,
                     r->start_step, end_step, r->loss_start, loss_end, r->executed, how) > 0;
        ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        fprintf(stderr, "%s: cannot append to %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- one run ---- */

typedef struct trainer {
    const char *dir;
    problem *p;
    train_state s;
} trainer;

static lease_rec begin_lease(const trainer *t, int64_t lease, int64_t executed) {
    return (lease_rec){
        .lease = lease, .start_step = t->s.step, .executed = executed, .loss_start = full_loss(t->p, t->s.x)};
}

/* Checkpoint first, then the lease's line, so the line never names a state that was not saved. */
static int end_lease(const trainer *t, const lease_rec *r, const char *how) {
    double loss = full_loss(t->p, t->s.x);
    if (save_checkpoint(t->dir, &t->s) != 0 || append_lease(t->dir, r, t->s.step, loss, how) != 0)
        return -1;
    printf("end lease=%" PRId64 " step=%" PRId64 " loss=%.6f %s\n", r->lease, t->s.step, loss, how);
    return 0;
}

static int run_scheduled(trainer *t) {
    locus_job *j;
    if (locus_job_begin(&j) != LOCUS_JOB_OK) {
        fprintf(stderr, "%s: %s\n", prog, locus_job_last_error());
        return 1;
    }
    const char *cpus = getenv("SYNERGY_CPU_THIS_SERVER");
    printf("start job=%" PRId64 " lease=%" PRId64 " step=%" PRId64 " executed=%" PRId64 " total=%" PRId64
           " cpus=%s\n",
           locus_job_id(j), locus_job_lease(j), t->s.step, locus_job_executed(j), locus_job_total(j),
           cpus ? cpus : "?");
    if (t->s.step != locus_job_executed(j))
        printf("warning: the checkpoint is at step %" PRId64 ", the scheduler counts %" PRId64 "\n",
               t->s.step, locus_job_executed(j));
    lease_rec rec = begin_lease(t, locus_job_lease(j), locus_job_executed(j));
    int action = LOCUS_JOB_CONTINUE, rc = 0;
    while (action == LOCUS_JOB_CONTINUE && !terminated) {
        if (locus_job_lease(j) != rec.lease) { /* extended: the same process goes on under a new lease */
            if (end_lease(t, &rec, "extended") != 0)
                rc = 1;
            rec = begin_lease(t, locus_job_lease(j), locus_job_executed(j));
        }
        double loss = sgd_step(t->p, &t->s);
        printf("step=%" PRId64 " lease=%" PRId64 " loss=%.6f\n", t->s.step, rec.lease, loss);
        if (locus_job_step(j, &action) != LOCUS_JOB_OK) { /* action is STOP; the step counted */
            fprintf(stderr, "%s: %s\n", prog, locus_job_last_error());
            rc = 1;
        }
    }
    if (action == LOCUS_JOB_CONTINUE && locus_job_lease(j) != rec.lease) { /* SIGTERM right after extending */
        if (end_lease(t, &rec, "extended") != 0)
            rc = 1;
        rec = begin_lease(t, locus_job_lease(j), locus_job_executed(j));
    }
    const char *how = rc                                           ? "error"
                      : terminated && action == LOCUS_JOB_CONTINUE ? "terminated"
                                                                   : locus_job_action_name(action);
    if (end_lease(t, &rec, how) != 0)
        rc = 1;
    if (locus_job_end(j) != LOCUS_JOB_OK) { /* lease_ended, if the lease was cut short */
        fprintf(stderr, "%s: %s\n", prog, locus_job_last_error());
        rc = 1;
    }
    return rc;
}

static int run_standalone(trainer *t, int64_t steps) {
    printf("start standalone step=%" PRId64 " steps=%" PRId64 "\n", t->s.step, steps);
    lease_rec rec = begin_lease(t, -1, t->s.step);
    while (t->s.step < steps && !terminated) {
        double loss = sgd_step(t->p, &t->s);
        printf("step=%" PRId64 " lease=-1 loss=%.6f\n", t->s.step, loss);
    }
    return end_lease(t, &rec, t->s.step >= steps ? "done" : "terminated") == 0 ? 0 : 1;
}

/* ---- options ---- */

typedef struct options {
    long long steps, seed;
    const char *dir;
    int help;
} options;

enum opt_kind { OPT_COUNT, OPT_STR, OPT_FLAG };
static const struct {
    const char *name;
    enum opt_kind kind;
    size_t off;
    const char *arg, *help;
} opt_table[] = {
    {"--steps", OPT_COUNT, offsetof(options, steps), "N",
     "train to step N without a scheduler (the reference)"},
    {"--checkpoint_dir", OPT_STR, offsetof(options, dir), "DIR", "default: $SYNERGY_CHECKPOINT_DIR"},
    {"--seed", OPT_COUNT, offsetof(options, seed), "N",
     "the problem and the draws (default: $LOCUS_JOB_ID, else 0)"},
    {"--help", OPT_FLAG, offsetof(options, help), NULL, "this text"},
};
enum { NOPTS = sizeof opt_table / sizeof opt_table[0] };

static void usage(FILE *f) {
    fprintf(f, "usage: %s [options]\nA least-squares job for locus sched serve (docs/sched-train.md).\n",
            prog);
    for (int i = 0; i < NOPTS; i++) {
        char lhs[48];
        snprintf(lhs, sizeof lhs, "%s%s%s", opt_table[i].name, opt_table[i].arg ? " " : "",
                 opt_table[i].arg ? opt_table[i].arg : "");
        fprintf(f, "  %-22s %s\n", lhs, opt_table[i].help);
    }
}

static int parse_count(const char *name, const char *v, long long *out) {
    char *end;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : -1;
    if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || x < 0) {
        fprintf(stderr, "%s: %s: '%s' is not an integer >= 0\n", prog, name, v ? v : "(missing)");
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_options(options *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int k = 0;
        while (k < NOPTS && strcmp(argv[i], opt_table[k].name) != 0)
            k++;
        if (k == NOPTS) {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", prog, argv[i]);
            return -1;
        }
        char *field = (char *)o + opt_table[k].off;
        if (opt_table[k].kind == OPT_FLAG) {
            *(int *)field = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (opt_table[k].kind == OPT_STR) {
            if (v == NULL) {
                fprintf(stderr, "%s: %s needs a value\n", prog, opt_table[k].name);
                return -1;
            }
            *(const char **)field = v;
        } else if (parse_count(opt_table[k].name, v, (long long *)field) != 0) {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    options o = {.steps = -1, .seed = -1};
    if (parse_options(&o, argc, argv) != 0)
        return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.dir == NULL)
        o.dir = getenv("SYNERGY_CHECKPOINT_DIR");
    if (o.dir == NULL || *o.dir == '\0' || strlen(o.dir) > PATH_MAX_LEN - 64) {
        fprintf(stderr,
                "%s: no checkpoint folder (--checkpoint_dir, or SYNERGY_CHECKPOINT_DIR, which the "
                "worker sets), or one too long\n",
                prog);
        return 2;
    }
    if (o.seed < 0) {
        const char *id = getenv("LOCUS_JOB_ID");
        o.seed = 0;
        if (id != NULL && *id != '\0' && parse_count("LOCUS_JOB_ID", id, &o.seed) != 0)
            return 2;
    }
    if (mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, o.dir, strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* the worker's log of the lease, line by line */
    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    trainer t = {.dir = o.dir, .p = malloc(sizeof(problem)), .s = {.seed = (uint64_t)o.seed}};
    if (t.p == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    make_problem(t.p, t.s.seed);
    t.s.rng = 7 * t.s.seed + 1;
    int rc = load_checkpoint(o.dir, &t.s) < 0 ? 1
             : o.steps >= 0                   ? run_standalone(&t, o.steps)
                                              : run_scheduled(&t);
    free(t.p);
    return rc;
}
