/* Job generation and trace parsing; see workload.h. The synthetic generator draws, per job and in this
 * order: the Poisson gap, the duration class and its log-uniform duration, the GPU demand, and a model
 * index the reference draws but overrides (kept so the random stream stays aligned with it). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

/* Task classes and their models, in the reference's order (round-robin within a task). */
static const char *const task_models[3][5] = {
    {"alexnet", "res18", "res50", "mobilenet", "shufflenet"},
    {"gnmt", "transformer", "lstm", NULL, NULL},
    {"m5", "deepspeech", NULL, NULL, NULL},
};
static const int task_n_models[3] = {5, 3, 2};

static int task_of(const char *model)
{
    for (int t = 0; t < 3; t++)
        for (int m = 0; m < task_n_models[t]; m++)
            if (strcmp(task_models[t][m], model) == 0) return t;
    return -1;
}

/* GPU demand of a synthetic job: 8 (5 %), 4 (15 %), 2 (10 %), 1 (70 %). One table, first match wins. */
static const struct { double from; int gpus; } gpu_demand_table[] = {{0.95, 8}, {0.8, 4}, {0.7, 2}, {0.0, 1}};

static int draw_gpus(sched_rng *r)
{
    double u = sched_rng_uniform(r, 0, 1);
    for (size_t i = 0;; i++)
        if (u >= gpu_demand_table[i].from) return gpu_demand_table[i].gpus;
}

/* Seconds at fair share: 80 % short (60 * 10^U(1.5, 3)), 20 % long (60 * 10^U(3, 4)). */
static double draw_duration(sched_rng *r)
{
    if (sched_rng_random(r) >= 0.8) return 60 * pow(10, sched_rng_uniform(r, 3, 4));
    return 60 * pow(10, sched_rng_uniform(r, 1.5, 3));
}

static double draw_gap(sched_rng *r, double jobs_per_hour)
{
    double hours = -log(1.0 - sched_rng_random(r)) / jobs_per_hour;
    return ceil(hours * 60 * 60);
}

/* The task whose target share is furthest above its share so far (ties: image, language, speech). */
static int pick_task(sched_workload *wl)
{
    int total = wl->task_total[0] + wl->task_total[1] + wl->task_total[2];
    int best = 0;
    double best_p = 0;
    for (int t = 0; t < 3; t++) {
        double p = total > 0 ? wl->split[t] / 100.0 - (double)wl->task_total[t] / total : 0;
        if (t == 0 || p > best_p) best = t, best_p = p;
    }
    return best;
}

const sched_profile *sched_workload_profile(const sched_workload *wl, const char *model)
{
    return sched_profile_find(wl->ratio, model);
}

static void fresh_job(sched_job *j)
{
    memset(j, 0, sizeof *j);
    j->last_exec = -1;
}

int sched_parse_class_split(const char *text, int split[3])
{
    int v[3], used = 0;
    if (sscanf(text, " %d , %d , %d %n", &v[0], &v[1], &v[2], &used) != 3 || text[used] != '\0') return -1;
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[0] + v[1] + v[2] != 100) return -1;
    memcpy(split, v, sizeof v);
    return 0;
}

int sched_workload_next(sched_workload *wl, double last_arrival, sched_job *out, char *err, size_t errlen)
{
    fresh_job(out);
    if (wl->kind == WL_REPLAY || wl->kind == WL_PHILLY) {
        const sched_trace *t = wl->trace;
        if (wl->kind == WL_REPLAY && wl->generated >= t->n) return 0;
        if (wl->kind == WL_PHILLY && wl->limit > 0 && wl->generated >= wl->limit) return 0;
        if (wl->kind == WL_PHILLY && wl->philly_arrival && wl->generated >= t->n) return 0;
        const sched_trace_job *tj = &t->jobs[wl->generated % t->n];
        const sched_profile *p;
        int task;
        if (wl->kind == WL_REPLAY) {
            out->id = tj->id;
            out->arrival = tj->arrival;
            p = sched_workload_profile(wl, tj->model);
            task = task_of(tj->model);
        } else {
            /* Philly jobs carry no model: assign one by the class split, like synthetic jobs */
            out->id = (int)wl->generated;
            if (wl->prioritize && out->id >= 4000 && out->id < 5000) out->priority = 1;
            out->arrival = wl->philly_arrival ? tj->arrival : last_arrival + draw_gap(wl->rng, wl->jobs_per_hour);
            (void)sched_rng_randint(wl->rng, 0, 9);
            task = pick_task(wl);
            p = sched_workload_profile(wl, task_models[task][wl->task_next[task]++ % task_n_models[task]]);
        }
        if (!p) {
            snprintf(err, errlen, "no profile for model '%s' at %d CPUs per GPU", tj->model, wl->ratio);
            return -1;
        }
        out->prof = p;
        out->gpu_demand = tj->gpus;
        out->cls = task < 0 ? 0 : task;
        sched_job_apply_profile(out, wl->cluster);
        double secs = wl->philly_dur ? wl->philly_dur[tj->order] : tj->iters;
        out->total_iters = wl->kind == WL_REPLAY ? (long)tj->iters : (long)(secs / out->iter_time);
        wl->task_total[out->cls]++;
        wl->generated++;
        return 1;
    }
    if (wl->limit > 0 && wl->generated >= wl->limit) return 0;
    out->id = (int)wl->generated;
    double gap = draw_gap(wl->rng, wl->jobs_per_hour);
    out->arrival = wl->kind == WL_STATIC ? out->id / 1000.0 : last_arrival + gap;
    double duration = draw_duration(wl->rng);
    out->gpu_demand = draw_gpus(wl->rng);
    if (wl->single_gpu) out->gpu_demand = 1;
    (void)sched_rng_randint(wl->rng, 0, 9); /* drawn and overridden by the class split in the reference */
    int task = pick_task(wl);
    const char *model = task_models[task][wl->task_next[task]++ % task_n_models[task]];
    out->prof = sched_workload_profile(wl, model);
    if (!out->prof) {
        snprintf(err, errlen, "no profile for model '%s' at %d CPUs per GPU", model, wl->ratio);
        return -1;
    }
    out->cls = task;
    sched_job_apply_profile(out, wl->cluster);
    out->total_iters = (long)(duration / out->iter_time);
    wl->task_total[task]++;
    wl->generated++;
    return 1;
}

double *sched_philly_draw_durations(const sched_trace *t, sched_rng *rng)
{
    double *d = malloc((size_t)(t->n > 0 ? t->n : 1) * sizeof *d);
    if (!d) return NULL;
    for (int i = 0; i < t->n; i++) d[i] = draw_duration(rng);
    return d;
}

/* ---- replay traces ---------------------------------------------------------------------------------- */

static int parse_long(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno || end == s || *end || !isfinite(*v) ? -1 : 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = '\0';
    return s;
}

int sched_trace_load(sched_trace *t, const char *path, int max_gpus, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    int lineno = 0, cap = 0, rc = -1;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        if (len > 1024) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            goto out;
        }
        if (memchr(line, '\0', (size_t)len)) {
            snprintf(err, errlen, "%s:%d: NUL byte in the line", path, lineno);
            goto out;
        }
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *field[6];
        int nf = 0;
        for (char *p = s, *tok; nf < 6 && (tok = strsep(&p, ",")); ) field[nf++] = trim(tok);
        if (nf != 5) {
            snprintf(err, errlen, "%s:%d: expected 5 fields job_id,model_name,arrival_s,total_iterations,"
                     "gpu_demand, got %d", path, lineno, nf);
            goto out;
        }
        sched_trace_job j = {0};
        long id, it, g;
        if (parse_long(field[0], &id) || id < 0 || id > 1000000000) {
            snprintf(err, errlen, "%s:%d: job_id '%s' is not a non-negative integer", path, lineno, field[0]);
            goto out;
        }
        if (task_of(field[1]) < 0) {
            snprintf(err, errlen, "%s:%d: unknown model '%s'", path, lineno, field[1]);
            goto out;
        }
        if (parse_double(field[2], &j.arrival) || j.arrival < 0 || j.arrival > SCHED_MAX_ARRIVAL_S) {
            snprintf(err, errlen, "%s:%d: arrival '%s' is not a number of seconds in 0..%g", path, lineno, field[2],
                     SCHED_MAX_ARRIVAL_S);
            goto out;
        }
        if (parse_long(field[3], &it) || it < 0) {
            snprintf(err, errlen, "%s:%d: total_iterations '%s' is not a non-negative integer", path, lineno,
                     field[3]);
            goto out;
        }
        if (parse_long(field[4], &g) || g < 1 || g > max_gpus || g > SCHED_MAX_SPAN) {
            snprintf(err, errlen, "%s:%d: gpu_demand '%s' must be an integer in 1..%d", path, lineno, field[4],
                     max_gpus < SCHED_MAX_SPAN ? max_gpus : SCHED_MAX_SPAN);
            goto out;
        }
        j.id = (int)id;
        snprintf(j.model, sizeof j.model, "%s", field[1]);
        j.iters = (double)it;
        j.gpus = (int)g;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 64;
            sched_trace_job *nj = realloc(t->jobs, (size_t)cap * sizeof *nj);
            if (!nj) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            t->jobs = nj;
        }
        t->jobs[t->n++] = j;
    }
    if (t->n == 0) {
        snprintf(err, errlen, "%s:%d: no jobs in trace", path, lineno);
        goto out;
    }
    rc = 0;
out:
    free(line);
    fclose(f);
    if (rc) sched_trace_free(t);
    return rc;
}

void sched_trace_free(sched_trace *t)
{
    if (!t) return;
    free(t->jobs);
    t->jobs = NULL;
    t->n = 0;
}
