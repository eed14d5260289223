/* `locus sched simulate [options]`: parses the options (one table gives the parser and --help), loads the
 * cluster config and any trace, runs every policy at every load, and writes the outputs.
 *
 * Wall-clock time is read only here, for the progress line on stderr; simulation results never depend on it. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simulate_cmd.h"
#include "../conf/cluster_ini.h"

typedef struct sim_opts {
    const char *policies, *loads, *philly, *rec_trace, *replay, *config, *measure, *split, *out, *plot_dir;
    long seed, num_jobs;
    double round, max_hours, max_overrun;
    bool philly_arrival, no_exp, multigpu, single_gpu, is_static, record, plot, quiet, prioritize, help;
    bool noop; /* target of the Synergy flags that change nothing here */
} sim_opts;

/* O_NOOP: a flag of Synergy's runner.py with no effect here (accepted, documented in --help).
 * O_REFUSE: one of its flags with no meaning for a simulation: refused with the reason in its help text. */
typedef enum { O_FLAG, O_LONG, O_DOUBLE, O_NONNEG, O_STR, O_NOOP, O_REFUSE } opt_kind;

static const struct opt {
    const char *name, *alias;
    opt_kind kind;
    size_t off;
    const char *arg, *help;
} opts[] = {
    {"--policies", "--policy", O_STR, offsetof(sim_opts, policies), "LIST",
     "comma-separated schedulers NAME[+place][+fair|+tune|+opt], NAME one of FIFO, SRTF, LAS, FTF, DRF, "
     "TETRIS (default FIFO+fair)"},
    {"--jobs_per_hour", "--jobs-per-hour", O_STR, offsetof(sim_opts, loads), "LIST",
     "Poisson arrival rate(s); a comma-separated list sweeps loads (default 9)"},
    {"--seed", NULL, O_LONG, offsetof(sim_opts, seed), "N", "random seed, re-applied for every run (default 42)"},
    {"--num-jobs-default", "--num_jobs_default", O_LONG, offsetof(sim_opts, num_jobs), "N",
     "generate only N synthetic jobs (0 = unlimited; default 0)"},
    {"--static", NULL, O_FLAG, offsetof(sim_opts, is_static), NULL,
     "static workload: job i arrives at i*0.001 s, first round at t=1 (needs --num-jobs-default)"},
    {"--cluster_job_log", NULL, O_STR, offsetof(sim_opts, philly), "FILE", "Philly cluster_job_log JSON trace"},
    {"--philly_arrival", NULL, O_FLAG, offsetof(sim_opts, philly_arrival), NULL,
     "use the Philly trace's real arrivals (2400 h..3000 h, shifted to 0)"},
    {"--no_exp", NULL, O_FLAG, offsetof(sim_opts, no_exp), NULL, "Philly: keep trace durations (no synthetic mode)"},
    {"--multigpu", NULL, O_FLAG, offsetof(sim_opts, multigpu), NULL,
     "Philly: keep multi-GPU demands in {1,2,4,8,16} (default: every job 1 GPU)"},
    {"--single_gpu", NULL, O_FLAG, offsetof(sim_opts, single_gpu), NULL,
     "synthetic jobs all take 1 GPU (the reference's synthetic generator draws 1/2/4/8 GPUs)"},
    {"--replay_trace", NULL, O_STR, offsetof(sim_opts, replay), "FILE",
     "replay a trace: job_id,model_name,arrival_s,total_iterations,gpu_demand per line"},
    {"--record_trace", NULL, O_FLAG, offsetof(sim_opts, record), NULL,
     "record the generated jobs to <rec_trace><load>_<mechanism> in replay format"},
    {"--rec_trace", NULL, O_STR, offsetof(sim_opts, rec_trace), "PREFIX", "record file prefix (default ./record)"},
    {"--config_file", NULL, O_STR, offsetof(sim_opts, config), "INI",
     "cluster config (default: built-in 16 servers x 8 GPUs, 24 CPUs, 500 GB)"},
    {"--round_duration", NULL, O_DOUBLE, offsetof(sim_opts, round), "S", "round (lease) length in seconds (300)"},
    {"--measure_ids", NULL, O_STR, offsetof(sim_opts, measure), "A:B",
     "measure jobs with A <= id < B and stop when they are done (default 4000:5000 for open-ended Poisson and "
     "Philly runs; all jobs otherwise)"},
    {"--class_split", NULL, O_STR, offsetof(sim_opts, split), "I,L,S",
     "percent of image, language and speech jobs (default 20,70,10)"},
    {"--out", NULL, O_STR, offsetof(sim_opts, out), "DIR", "output directory (default ./sched-out)"},
    {"--plot", NULL, O_FLAG, offsetof(sim_opts, plot), NULL, "draw PNG plots with gnuplot"},
    {"--plot_dir", NULL, O_STR, offsetof(sim_opts, plot_dir), "DIR", "where the PNGs go (default: --out)"},
    {"--max_sim_hours", NULL, O_DOUBLE, offsetof(sim_opts, max_hours), "H",
     "stop each run after H simulated hours with its partial results (the summary counts the unfinished jobs)"},
    {"--max_overrun_hours", NULL, O_NONNEG, offsetof(sim_opts, max_overrun), "H",
     "stop a run, exit 1, when measured jobs are still unfinished H simulated hours after the last of them "
     "arrived (an overloaded policy that starves them would run forever; default 20000, 0 = never)"},
    {"--prioritize", NULL, O_FLAG, offsetof(sim_opts, prioritize), NULL,
     "Philly: jobs 4000-4999 start with priority 1 (as Synergy's --prioritize)"},
    {"--quiet", NULL, O_FLAG, offsetof(sim_opts, quiet), NULL, "no progress lines on stderr"},
    {"--help", "-h", O_FLAG, offsetof(sim_opts, help), NULL, "this text"},
    /* Synergy runner.py flags */
    {"--no_use_cache", NULL, O_NOOP, offsetof(sim_opts, noop), NULL, "no effect: results are never cached"},
    {"--no_cache_result", NULL, O_NOOP, offsetof(sim_opts, noop), NULL, "no effect: results are never cached"},
    {"--no_sum_attempts", NULL, O_NOOP, offsetof(sim_opts, noop), NULL,
     "no effect: Synergy reads it only with --analyze_trace; attempts are always summed"},
    {"--no_placement", NULL, O_NOOP, offsetof(sim_opts, noop), NULL,
     "no effect: the scheduler name sets the mechanism (+place), as in Synergy"},
    {"--no_fair", NULL, O_NOOP, offsetof(sim_opts, noop), NULL, "no effect: the scheduler name sets +fair"},
    {"--tune", NULL, O_NOOP, offsetof(sim_opts, noop), NULL, "no effect: the scheduler name sets +tune"},
    {"--opt", NULL, O_NOOP, offsetof(sim_opts, noop), NULL, "no effect: the scheduler name sets +opt"},
    {"--no_simulate", NULL, O_REFUSE, 0, NULL,
     "a deployment on real machines is `locus sched serve` with `locus sched worker` on each machine "
     "(docs/sched-serve.md); `locus sched simulate` only simulates"},
    {"--conn_file", NULL, O_REFUSE, 0, "FILE",
     "the workers' connection file is for a deployment (`locus sched serve --conn_file FILE`), not a "
     "simulation"},
    {"--analyze_trace", NULL, O_REFUSE, 0, NULL,
     "trace analysis is not provided; simulate the trace and read summary.csv and the per-job CSVs"},
    {"--debug", NULL, O_REFUSE, 0, NULL,
     "Synergy's --debug runs its fixed debug experiment; here that is --policies FIFO --jobs_per_hour 5"},
    {"--small_trace", NULL, O_REFUSE, 0, NULL, "the small-trace duration mode of Synergy is not reproduced"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: locus sched simulate [options]\n\n"
               "Simulates a GPU cluster scheduler with Synergy semantics (rounds of --round_duration seconds; jobs\n"
               "get CPU and memory by the mechanism) for each policy and load, and writes per-job results,\n"
               "per-round series and a summary to --out. Options (--name VALUE or --name=VALUE):\n\n");
    for (int section = 0; section < 2; section++) {
        if (section == 1)
            fprintf(f, "\nSynergy's runner.py flags: accepted with no effect, or refused with the reason:\n\n");
        for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
            bool synergy = opts[i].kind == O_NOOP || opts[i].kind == O_REFUSE;
            if (synergy != (section == 1)) continue;
            char lhs[80];
            snprintf(lhs, sizeof lhs, "%s%s%s%s%s", opts[i].name, opts[i].alias ? ", " : "",
                     opts[i].alias ? opts[i].alias : "", opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
            fprintf(f, "  %-36s %s%s\n", lhs, opts[i].kind == O_REFUSE ? "refused: " : "", opts[i].help);
        }
    }
    fprintf(f, "\nExit status: 0 when every run finished its jobs (or stopped at --max_sim_hours as asked), 1 when a\n"
               "run could not finish (jobs that never fit the cluster) or an input is bad, 2 for a usage error.\n");
}

static int parse_args(sim_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const struct opt *op = NULL;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !op; k++)
            if ((strlen(opts[k].name) == len && strncmp(a, opts[k].name, len) == 0) ||
                (opts[k].alias && strlen(opts[k].alias) == len && strncmp(a, opts[k].alias, len) == 0))
                op = &opts[k];
        if (!op) {
            fprintf(stderr, "locus sched simulate: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        if (op->kind == O_REFUSE) {
            fprintf(stderr, "locus sched simulate: %s: %s\n", op->name, op->help);
            return -1;
        }
        void *field = (char *)o + op->off;
        if (op->kind == O_FLAG || op->kind == O_NOOP) {
            if (eq) {
                fprintf(stderr, "locus sched simulate: %s takes no value\n", op->name);
                return -1;
            }
            *(bool *)field = true;
            continue;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
            val = argv[++i];
        else {
            fprintf(stderr, "locus sched simulate: %s needs a value (%s)\n", op->name, op->arg);
            return -1;
        }
        char *end;
        errno = 0;
        if (op->kind == O_STR) {
            *(const char **)field = val;
        } else if (op->kind == O_LONG) {
            long v = strtol(val, &end, 10);
            if (errno || end == val || *end || v < 0) {
                fprintf(stderr, "locus sched simulate: %s: '%s' is not a non-negative integer\n", op->name, val);
                return -1;
            }
            *(long *)field = v;
        } else {
            double v = strtod(val, &end);
            bool ok = op->kind == O_NONNEG ? v >= 0 : v > 0;
            if (errno || end == val || *end || !ok || !isfinite(v)) {
                fprintf(stderr, "locus sched simulate: %s: '%s' is not a %s number\n", op->name, val,
                        op->kind == O_NONNEG ? "non-negative" : "positive");
                return -1;
            }
            *(double *)field = v;
        }
    }
    return 0;
}

/* Splits a comma list in place into at most max items, spaces around items dropped ("FIFO+fair, SRTF+tune");
 * returns the count or -1 if empty/too many. */
static int split_list(char *s, char **items, int max)
{
    int n = 0;
    for (char *p = s, *tok; (tok = strsep(&p, ",")); ) {
        while (isspace((unsigned char)*tok)) tok++;
        for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);) *--e = '\0';
        if (!*tok) continue;
        if (n == max) return -1;
        items[n++] = tok;
    }
    return n > 0 ? n : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Python's str() of a float ("9.0", "7.5", "1e+16"): Synergy names its record files with it (record9.0_fair). */
static void python_float(char *buf, size_t len, double v)
{
    if (fabs(v) >= 1e-4 && fabs(v) < 1e16) {
        for (int d = 0; d <= 17; d++) {
            snprintf(buf, len, "%.*f", d, v);
            if (strtod(buf, NULL) == v) break;
        }
        if (!strchr(buf, '.') && strlen(buf) + 3 <= len) strcat(buf, ".0");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* The mechanism part of Synergy's record file name: "_fair", "_tune", "_opt", or "" for greedy (+place is not
 * part of it). `name` is a canonical scheduler name. */
static const char *record_suffix(const char *name)
{
    const char *m = strrchr(name, '+');
    if (!m || strcmp(m, "+place") == 0) return "";
    return m + 1;
}

void sched_record_path(char *buf, size_t len, const char *prefix, double load, const char *policy)
{
    char load_str[40];
    python_float(load_str, sizeof load_str, load);
    const char *suffix = record_suffix(policy);
    snprintf(buf, len, "%s%s%s%s", prefix, load_str, *suffix ? "_" : "", suffix);
}

/* The progress line of one run: after 2 s of wall time, every 2 s; in place on a terminal, else plain lines. */
typedef struct progress_line {
    int k, n_runs;
    const char *policy, *load;
    double last;                /* wall time of the last line (or the start) */
    long last_rounds;
    bool tty, shown;
} progress_line;

static void on_progress(void *arg, const sched_sim_progress *p)
{
    progress_line *pl = arg;
    double t = now_s();
    if (t - pl->last < 2.0) return;
    double rate = (double)(p->rounds - pl->last_rounds) / (t - pl->last);
    char left[32] = "-";
    if (p->measured_left >= 0) snprintf(left, sizeof left, "%ld", p->measured_left);
    char line[256];
    snprintf(line, sizeof line, "%.1f h simulated, %ld jobs arrived, %ld finished, %s measured left, %d runnable, "
             "%.0f rounds/s", p->now / 3600.0, p->arrived, p->finished, left, p->runnable, rate);
    if (pl->tty)
        fprintf(stderr, "\r[%d/%d] %s load %s: %s\033[K", pl->k, pl->n_runs, pl->policy, pl->load, line);
    else
        fprintf(stderr, "%s  %s\n", pl->shown ? "" : "\n", line);
    pl->shown = true;
    pl->last = t;
    pl->last_rounds = p->rounds;
}

/* What a run's end says beyond the table; returns the exit status it asks for (0 or 1). */
static int report_stop(const sched_run_stats *st, double max_hours, double max_overrun)
{
    switch (st->stop) {
    case SIM_STOP_BOUND:
        fprintf(stderr, "locus sched simulate: %s at load %s stopped at --max_sim_hours %g: %ld measured job%s "
                "unfinished (partial results)\n", st->policy, st->load, max_hours, st->unfinished,
                st->unfinished == 1 ? "" : "s");
        return 0;
    case SIM_STOP_STUCK:
        fprintf(stderr, "locus sched simulate: %s at load %s: %ld job%s can never be placed: nothing ran on the "
                "empty cluster for 1000 simulated hours and no job is left to arrive (stopped at %.1f h)\n",
                st->policy, st->load, st->unfinished, st->unfinished == 1 ? "" : "s", st->end_h);
        return 1;
    case SIM_STOP_OVERRUN:
        fprintf(stderr, "locus sched simulate: %s at load %s: %ld measured job%s still unfinished %g simulated "
                "hours after the last of them arrived (the policy starves them: the cluster is overloaded); "
                "stopped at %.1f h with partial results. --max_sim_hours H bounds a run on purpose, "
                "--max_overrun_hours 0 runs on\n", st->policy, st->load, st->unfinished,
                st->unfinished == 1 ? "" : "s", max_overrun, st->end_h);
        return 1;
    case SIM_STOP_DONE:
        break;
    }
    if (st->unfinished == 0) return 0;
    fprintf(stderr, "locus sched simulate: %s at load %s ended with %ld measured job%s unfinished\n", st->policy,
            st->load, st->unfinished, st->unfinished == 1 ? "" : "s");
    return 1;
}

#define MAX_ITEMS 64

int sched_simulate_main(int argc, char **argv)
{
    sim_opts o = {.policies = "FIFO+fair", .loads = "9", .rec_trace = "./record", .split = "20,70,10",
                  .out = "./sched-out", .seed = 42, .round = 300, .max_overrun = 20000};
    if (parse_args(&o, argc, argv)) return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    char err[512];
    int status = 1;
    sched_sim_cfg base = {.seed = (uint64_t)o.seed, .round = o.round, .num_jobs = o.num_jobs,
                          .philly_arrival = o.philly_arrival, .single_gpu = o.single_gpu,
                          .prioritize = o.prioritize, .max_time = o.max_hours * 3600.0,
                          .max_overrun = o.max_overrun * 3600.0};
    if (o.philly_arrival && !o.philly) {
        fprintf(stderr, "locus sched simulate: --philly_arrival needs --cluster_job_log FILE (the arrivals are the "
                        "trace's; Synergy ignores the flag for synthetic jobs)\n");
        return 2;
    }
    if (o.prioritize && !o.philly) {
        fprintf(stderr, "locus sched simulate: --prioritize applies to Philly workloads (--cluster_job_log), as in "
                        "Synergy\n");
        return 2;
    }
    if (o.record && o.replay) {
        fprintf(stderr, "locus sched simulate: --record_trace records generated jobs; a replay has none (its trace "
                        "is the record)\n");
        return 2;
    }
    if (o.config) {
        if (sched_cluster_cfg_load(&base.cluster, o.config, err, sizeof err)) {
            fprintf(stderr, "locus sched simulate: %s\n", err);
            return 1;
        }
    } else {
        sched_cluster_cfg_default(&base.cluster);
    }
    if (sched_parse_class_split(o.split, base.split)) {
        fprintf(stderr, "locus sched simulate: --class_split '%s': expected three percentages adding to 100\n",
                o.split);
        return 2;
    }
    if ((o.replay != NULL) + (o.philly != NULL) > 1) {
        fprintf(stderr, "locus sched simulate: --replay_trace and --cluster_job_log exclude each other\n");
        return 2;
    }
    if (o.is_static && !o.replay && o.num_jobs == 0) {
        fprintf(stderr, "locus sched simulate: --static needs --num-jobs-default N (or --replay_trace)\n");
        return 2;
    }

    int n_gpus = base.cluster.racks * base.cluster.servers_per_rack * base.cluster.gpus_per_server; /* checked */
    {
        const sched_cluster_cfg *cc = &base.cluster;
        double min_round = sched_profile_max_iter_time(sched_profile_ratio((double)cc->cpus_per_server /
                                                                             cc->gpus_per_server));
        if (o.round < min_round) {
            fprintf(stderr, "locus sched simulate: --round_duration %g: a round must be at least %g s, the longest "
                            "iteration of a profiled model, or that model's jobs make no progress\n", o.round,
                    min_round);
            return 2;
        }
    }
    sched_trace trace = {0};
    if (o.replay) {
        if (sched_trace_load(&trace, o.replay, n_gpus, err, sizeof err)) {
            fprintf(stderr, "locus sched simulate: %s\n", err);
            return 1;
        }
        base.kind = WL_REPLAY;
        base.trace = &trace;
        base.static_start = o.is_static;
    } else if (o.philly) {
        bool reordered;
        if (sched_philly_prepare(&trace, o.philly, o.multigpu, !o.no_exp, o.philly_arrival, n_gpus, &reordered, err,
                                 sizeof err)) {
            fprintf(stderr, "locus sched simulate: %s\n", err);
            return 1;
        }
        if (reordered && !o.quiet)
            fprintf(stderr, "locus sched simulate: note: %s is not in arrival order; its jobs arrive in time order "
                            "(the synthetic durations still follow the file order)\n", o.philly);
        base.kind = WL_PHILLY;
        base.trace = &trace;
    } else {
        base.kind = o.is_static ? WL_STATIC : WL_POISSON;
    }
    bool has_load = base.kind == WL_POISSON || (base.kind == WL_PHILLY && !o.philly_arrival);
    bool open_ended = has_load && o.num_jobs == 0;
    base.measure_lo = open_ended ? 4000 : -1;
    base.measure_hi = open_ended ? 5000 : -1;
    if (o.measure) {
        char *end;
        long a = strtol(o.measure, &end, 10), b = -1;
        if (*end == ':') b = strtol(end + 1, &end, 10);
        if (*end || a < 0 || b <= a) {
            fprintf(stderr, "locus sched simulate: --measure_ids '%s': expected A:B with 0 <= A < B\n", o.measure);
            status = 2;
            goto out;
        }
        base.measure_lo = a, base.measure_hi = b;
    }

    char pol_buf[1024], load_buf[1024];
    snprintf(pol_buf, sizeof pol_buf, "%s", o.policies);
    snprintf(load_buf, sizeof load_buf, "%s", has_load ? o.loads : "0");
    char *pol_items[MAX_ITEMS], *load_items[MAX_ITEMS];
    int n_pol = split_list(pol_buf, pol_items, MAX_ITEMS), n_load = split_list(load_buf, load_items, MAX_ITEMS);
    if (n_pol < 0 || n_load < 0) {
        fprintf(stderr, "locus sched simulate: empty or too long --policies / --jobs_per_hour list\n");
        status = 2;
        goto out;
    }
    sched_spec specs[MAX_ITEMS];
    double loads[MAX_ITEMS];
    for (int i = 0; i < n_pol; i++)
        if (sched_spec_parse(&specs[i], pol_items[i], err, sizeof err)) {
            fprintf(stderr, "locus sched simulate: --policies: %s\n", err);
            status = 2;
            goto out;
        }
    for (int i = 0; i < n_load; i++) {
        char *end;
        loads[i] = strtod(load_items[i], &end);
        if (*end || !(loads[i] > 0) || !isfinite(loads[i])) {
            if (!has_load) break;
            fprintf(stderr, "locus sched simulate: --jobs_per_hour: '%s' is not a positive number\n", load_items[i]);
            status = 2;
            goto out;
        }
    }

    int n_runs = n_pol * n_load;
    sched_run_stats *runs = calloc((size_t)n_runs, sizeof *runs);
    char *files = NULL;
    size_t files_len = 0;
    FILE *listing = open_memstream(&files, &files_len);
    if (!runs || !listing) {
        fprintf(stderr, "locus sched simulate: out of memory\n");
        free(runs);
        if (listing) fclose(listing);
        free(files);
        goto out;
    }
    bool progress = !o.quiet, tty = isatty(STDERR_FILENO);
    int run_status = 0, k = 0;
    for (int p = 0; p < n_pol; p++)
        for (int l = 0; l < n_load; l++, k++) {
            sched_sim_cfg cfg = base;
            cfg.spec = specs[p];
            cfg.jobs_per_hour = has_load ? loads[l] : 1;
            sched_run_stats *st = &runs[k];
            snprintf(st->policy, sizeof st->policy, "%s", specs[p].name);
            if (has_load)
                snprintf(st->load, sizeof st->load, "%g", loads[l]);
            else
                snprintf(st->load, sizeof st->load, "all");
            st->load_value = has_load ? loads[l] : NAN;
            FILE *rec = NULL;
            char rec_path[4200];
            if (o.record) {
                sched_record_path(rec_path, sizeof rec_path, o.rec_trace, has_load ? loads[l] : 9.0, specs[p].name);
                if (!(rec = fopen(rec_path, "w"))) {
                    fprintf(stderr, "locus sched simulate: %s: cannot write: %s\n", rec_path, strerror(errno));
                    goto fail;
                }
                cfg.record = rec;
            }
            progress_line pl = {.k = k + 1, .n_runs = n_runs, .policy = st->policy, .load = st->load, .tty = tty};
            if (progress) {
                fprintf(stderr, "[%d/%d] %s load %s ...", k + 1, n_runs, st->policy, st->load);
                cfg.progress = on_progress;
                cfg.progress_arg = &pl;
            }
            double t0 = now_s();
            pl.last = t0;
            sched_sim_result res;
            int rc = sched_simulate(&cfg, &res, err, sizeof err);
            double wall = now_s() - t0;
            if (rec && (ferror(rec) | fclose(rec)) && rc == 0) {
                snprintf(err, sizeof err, "%.400s: write failed", rec_path);
                rc = -1;
                sched_sim_result_free(&res);
            } else if (rec) {
                fprintf(listing, "  %s\n", rec_path);
            }
            if (rc) {
                if (progress) fprintf(stderr, "\n");
                fprintf(stderr, "locus sched simulate: %s at load %s: %s\n", st->policy, st->load, err);
                goto fail;
            }
            sched_run_stats_compute(st, &res);
            if (progress) {
                if (pl.shown) fprintf(stderr, "%s[%d/%d] %s load %s:", tty ? "\r" : "", k + 1, n_runs, st->policy,
                                      st->load);
                fprintf(stderr, " %ld jobs, %ld rounds, %.1f simulated h, %.3f s (%.0f jobs/s)%s\n",
                        st->jobs_simulated, st->rounds, st->end_h, wall, wall > 0 ? st->jobs_simulated / wall : 0,
                        pl.shown && tty ? "\033[K" : "");
            }
            int rs = report_stop(st, o.max_hours, o.max_overrun);
            if (rs > run_status) run_status = rs;
            if (st->measured == 0)
                fprintf(stderr, "locus sched simulate: warning: %s at load %s measured no jobs\n", st->policy,
                        st->load);
            rc = sched_report_run(o.out, st, &res, listing, err, sizeof err);
            sched_sim_result_free(&res);
            if (rc) {
                fprintf(stderr, "locus sched simulate: %s\n", err);
                goto fail;
            }
        }
    if (sched_report_summary(o.out, runs, n_runs, stdout, listing, err, sizeof err) ||
        (o.plot && sched_report_plots(o.out, o.plot_dir ? o.plot_dir : o.out, runs, n_runs, listing, err,
                                      sizeof err))) {
        fprintf(stderr, "locus sched simulate: %s\n", err);
        goto fail;
    }
    fclose(listing);
    listing = NULL;
    if (!o.quiet) fprintf(stderr, "files written:\n%s", files);
    status = run_status;
fail:
    if (listing) fclose(listing);
    free(files);
    free(runs);
out:
    sched_trace_free(&trace);
    return status;
}
