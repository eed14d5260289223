/* Run statistics of a model or a script (AI.INFO: duration, samples, calls, errors), updated with atomic adds
 * from worker threads and read or reset on the main thread. */
#ifndef LOCUS_MODULE_RUN_STATS_H
#define LOCUS_MODULE_RUN_STATS_H

#include <stdbool.h>

typedef struct run_stats {
    long long duration_us, samples, calls, errors;
} run_stats;

void run_stats_add(run_stats *s, long long duration_us, long long samples, bool error);
void run_stats_reset(run_stats *s);

#endif
