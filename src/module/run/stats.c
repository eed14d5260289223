/* Run statistics (see stats.h). */
#include "stats.h"

void run_stats_add(run_stats *s, long long duration_us, long long samples, bool error) {
    __atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
    if (error) {
        __atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
        return;
    }
    __atomic_add_fetch(&s->duration_us, duration_us, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->samples, samples, __ATOMIC_RELAXED);
}

long long run_stats_samples(const lb_tensor *out, int nout) {
    return nout > 0 && out[0].ndims > 0 ? out[0].shape[0] : 0;
}

void run_stats_reset(run_stats *s) {
    __atomic_store_n(&s->duration_us, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->samples, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->calls, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->errors, 0, __ATOMIC_RELAXED);
}
