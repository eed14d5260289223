/* The module's error carrier, as RedisAI's RAI_Error is its: one fixed buffer a parser, a run or a lookup
 * writes the reply text into ("ERR ..." or "WRONGTYPE ..."), sized as the backend contract's error buffers
 * (LB_ERR_MAX) so a backend's message passes through whole. Recording an error never allocates. Pure code:
 * no Redis calls. */
#ifndef LOCUS_MODULE_ERR_H
#define LOCUS_MODULE_ERR_H

#include <stdbool.h>

#include "backends/backend.h"

typedef struct lc_err {
    char msg[LB_ERR_MAX]; /* "" while no error is recorded */
} lc_err;

/* Record the error (printf format; a longer text is cut at the buffer) and return e->msg, so a parser can
 * `return lc_err_set(e, ...)`. */
const char *lc_err_set(lc_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record a fixed text (a static reply string); returns e->msg. */
const char *lc_err_put(lc_err *e, const char *text);

static inline void lc_err_clear(lc_err *e) {
    e->msg[0] = '\0';
}

static inline bool lc_err_is_set(const lc_err *e) {
    return e->msg[0] != '\0';
}

#endif
