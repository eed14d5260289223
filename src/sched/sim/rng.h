/* The simulator's one random number generator: MT19937 with the same seeding and the same float/int
 * derivations as CPython's `random` module, so a seeded synthetic workload reproduces the reference
 * simulator's job stream draw for draw. State is a value passed explicitly; there are no globals. */
#ifndef LOCUS_SCHED_RNG_H
#define LOCUS_SCHED_RNG_H

#include <stdint.h>

typedef struct sched_rng {
    uint32_t mt[624];
    int idx;
} sched_rng;

/* Seeds like Python's random.seed(int): init_by_array over the 32-bit words of |seed|. */
void sched_rng_seed(sched_rng *r, uint64_t seed);
/* Uniform double in [0, 1) with 53 random bits (random.random()). */
double sched_rng_random(sched_rng *r);
/* a + (b - a) * random() (random.uniform(a, b)). */
double sched_rng_uniform(sched_rng *r, double a, double b);
/* Uniform integer in [lo, hi] by rejection on the top bits (random.randint(lo, hi)). */
long sched_rng_randint(sched_rng *r, long lo, long hi);

#endif
