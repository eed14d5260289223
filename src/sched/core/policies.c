/* The policies, the first word of a scheduler's name: each a sort key over the runnable jobs (ascending,
 * ties by arrival), with starvation priority or not, and whether only a greedy prefix is considered; and the
 * scheduler names, "NAME[+place][+fair|+tune|+opt]". */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core_internal.h"

static double remaining_duration(const sched_job *j, bool fair)
{
    double d = j->iter_time * (double)(j->total_iters - j->executed);
    return fair ? d : d / j->speedup;
}

static double key_fifo(const sched_job *j, const sched_key_args *k)
{
    (void)k;
    return j->arrival;
}

static double key_las(const sched_job *j, const sched_key_args *k)
{
    (void)k;
    return j->attained * j->gpu_demand;
}

static double key_srtf(const sched_job *j, const sched_key_args *k) { return remaining_duration(j, k->fair); }

/* Finish-time fairness rho; smallest first, as the reference sorts it. */
static double key_ftf(const sched_job *j, const sched_key_args *k)
{
    return (k->now - j->arrival + remaining_duration(j, k->fair)) / (j->iter_time * (double)j->total_iters);
}

static double key_drf(const sched_job *j, const sched_key_args *k)
{
    double g = j->demand[R_GPU] / k->c->total[R_GPU], cp = j->demand[R_CPU] / k->c->total[R_CPU],
           m = j->demand[R_MEM] / k->c->total[R_MEM];
    double mx = g;
    if (cp > mx) mx = cp;
    if (m > mx) mx = m;
    return mx;
}

static double key_tetris(const sched_job *j, const sched_key_args *k)
{
    double dur = remaining_duration(j, k->fair);
    double s = 0;
    for (int r = R_GPU; r <= R_MEM; r++) s += (j->demand[r] - 0) / k->c->total[r] * dur;
    return s;
}

static const sched_policy policies[] = {
    {"FIFO", key_fifo, false, false, false},
    {"SRTF", key_srtf, true, false, false},
    {"LAS", key_las, true, true, false},
    {"FTF", key_ftf, true, false, true},
    {"DRF", key_drf, true, false, false},
    {"TETRIS", key_tetris, true, false, false},
};

int sched_spec_parse(sched_spec *sp, const char *name, char *err, size_t errlen)
{
    memset(sp, 0, sizeof *sp);
    char buf[64];
    if (strlen(name) >= sizeof buf) {
        snprintf(err, errlen, "scheduler name too long: '%s'", name);
        return -1;
    }
    strcpy(buf, name);
    char *save = NULL, *tok = strtok_r(buf, "+", &save);
    for (size_t i = 0; tok && i < sizeof policies / sizeof policies[0]; i++)
        if (strcasecmp(tok, policies[i].name) == 0) sp->policy = &policies[i];
    if (!sp->policy) {
        snprintf(err, errlen, "unknown policy in '%s' (FIFO, SRTF, LAS, FTF, DRF, TETRIS)", name);
        return -1;
    }
    sp->mech = &sched_mechanisms[0];
    while ((tok = strtok_r(NULL, "+", &save))) {
        if (strcasecmp(tok, "place") == 0) {
            sp->place = true;
            continue;
        }
        const sched_mechanism *m = NULL;
        for (int i = 1; i < sched_n_mechanisms; i++)
            if (strcasecmp(tok, sched_mechanisms[i].suffix) == 0) m = &sched_mechanisms[i];
        if (!m || sp->mech != &sched_mechanisms[0]) {
            snprintf(err, errlen, "bad mechanism '%s' in '%s' (NAME[+place][+fair|+tune|+opt])", tok, name);
            return -1;
        }
        sp->mech = m;
    }
    snprintf(sp->name, sizeof sp->name, "%s%s%s%s", sp->policy->name, sp->place ? "+place" : "",
             sp->mech->suffix[0] ? "+" : "", sp->mech->suffix);
    return 0;
}

void sched_spec_list(char *buf, size_t len)
{
    size_t off = 0;
    for (size_t i = 0; i < sizeof policies / sizeof policies[0] && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", policies[i].name);
}

double sched_policy_key(const sched_spec *sp, const sched_cluster *c, const sched_job *j, double now)
{
    sched_key_args ka = {c, now, sp->mech->fair};
    return sp->policy->key(j, &ka);
}

bool sched_policy_prio(const sched_spec *sp) { return sp->policy->use_priority; }

bool sched_policy_clock_keys(const sched_spec *sp) { return sp->policy->clock_keys; }
