/* Profile lookups over the compiled-in table (profiles_data.c). */
#include <string.h>

#include "profiles.h"

int sched_profile_ratio(double cpus_per_gpu)
{
    int best = 3;
    for (int i = 0; i < sched_profile_count; i++) {
        int r = sched_profile_table[i].ratio;
        if (r <= cpus_per_gpu && r > best) best = r;
    }
    return best;
}

double sched_profile_max_iter_time(int ratio)
{
    double m = 0;
    for (int i = 0; i < sched_profile_count; i++) {
        const sched_profile *p = &sched_profile_table[i];
        double it = p->iter_time / p->placement_penalty;
        if (p->ratio == ratio && it > m) m = it;
    }
    return m;
}

const sched_profile *sched_profile_find(int ratio, const char *name)
{
    for (int i = 0; i < sched_profile_count; i++)
        if (sched_profile_table[i].ratio == ratio && strcmp(sched_profile_table[i].name, name) == 0)
            return &sched_profile_table[i];
    return NULL;
}
