/* Tiny assertion helpers for the sched tests: a failed CHECK prints file:line and the expression and marks the
 * test failed; the test's main returns check_failed() so ctest sees the failure. */
#ifndef LOCUS_SCHED_TEST_CHECK_H
#define LOCUS_SCHED_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
            check_failures++;                                                                                \
        }                                                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                                                \
    do {                                                                                                     \
        double _a = (a), _b = (b);                                                                           \
        if (!(fabs(_a - _b) <= (eps))) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.6f, expected %.6f\n", __FILE__, __LINE__, #a,  \
                    _a, _b);                                                                                 \
            check_failures++;                                                                                \
        }                                                                                                    \
    } while (0)

static inline int check_failed(void) { return check_failures ? 1 : 0; }

#endif
