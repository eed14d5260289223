/* Run statistics of a model or a script (AI.INFO: duration, samples, calls, errors), updated with atomic adds
 * from worker threads and read or reset on the main thread. */
#ifndef LOCUS_MODULE_RUN_STATS_H
#define LOCUS_MODULE_RUN_STATS_H

#include <stdbool.h>

#include "../backends/backend.h"

typedef struct run_stats {
    long long duration_us, samples, calls, errors;
} run_stats;

/* One run, as RedisAI 1.2.7 counts it: a call with its duration and samples (a model's: dim 0 of its first
 * output; 0 for a script), or, when it failed, a call and an error only. */
void run_stats_add(run_stats *s, long long duration_us, long long samples, bool error);

/* The samples a model run counts: dim 0 of its first output (0 when it has none). */
long long run_stats_samples(const lb_tensor *out, int nout);
void run_stats_reset(run_stats *s);

#endif
