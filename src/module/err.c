/* The error carrier (see err.h). */
#include "err.h"

#include <stdarg.h>

const char *lc_err_set(lc_err *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lb_err_vset(e, LB_ERR_FAILED, fmt, ap);
    va_end(ap);
    return e->msg;
}

const char *lc_err_put(lc_err *e, const char *text) {
    return lc_err_set(e, "%s", text);
}
