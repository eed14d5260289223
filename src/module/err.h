/* The module's error carrier, as RedisAI's RAI_Error is its: one fixed buffer a parser, a run, a lookup or a
 * backend writes the reply text into ("ERR ..." or "WRONGTYPE ..."). It is the backend contract's lb_err
 * (backend.h) itself, so the carrier a run holds is handed to the backend as it is and a backend's message
 * reaches the reply whole, with no copy at the boundary. Recording an error never allocates. Pure code: no
 * Redis calls. */
#ifndef LOCUS_MODULE_ERR_H
#define LOCUS_MODULE_ERR_H

#include <stdbool.h>

#include "backends/backend.h"

typedef lb_err lc_err; /* msg "" while no error is recorded (lc_err_is_set); code says why when it is */

/* Record the error (printf format; a longer text is cut at the buffer; code LB_ERR_FAILED) and return e->msg,
 * so a parser can `return lc_err_set(e, ...)`. */
const char *lc_err_set(lc_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record a fixed text (a static reply string); returns e->msg. */
const char *lc_err_put(lc_err *e, const char *text);

static inline void lc_err_clear(lc_err *e) {
    e->code = LB_ERR_NONE;
    e->msg[0] = '\0';
}

static inline bool lc_err_is_set(const lc_err *e) {
    return e->msg[0] != '\0';
}

#endif
