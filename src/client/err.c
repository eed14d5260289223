/* Thread-local status and message of the last call. A fixed buffer, so recording an error never allocates
 * (it may be recording an out-of-memory failure). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local char tl_msg[1024];
static _Thread_local locus_status tl_status;

locus_status lc_fail(locus_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
    va_end(ap);
    tl_status = s;
    lc_logf(LC_LOG_INFO, "ERROR: %s", tl_msg);
    return s;
}

locus_status lc_ok(void) {
    tl_status = LOCUS_OK;
    return LOCUS_OK;
}

LOCUS_API const char *locus_last_error(void) { return tl_msg; }
LOCUS_API locus_status locus_last_status(void) { return tl_status; }

LOCUS_API const char *locus_status_name(locus_status s) {
    static const char *const names[] = {"LOCUS_OK",           "LOCUS_ERR_BADALLOC", "LOCUS_ERR_DATABASE",
                                        "LOCUS_ERR_INTERNAL", "LOCUS_ERR_RUNTIME",  "LOCUS_ERR_PARAMETER",
                                        "LOCUS_ERR_TIMEOUT",  "LOCUS_ERR_KEY",      "LOCUS_ERR_INVALID",
                                        "LOCUS_ERR_TYPE"};
    if ((unsigned)s < sizeof names / sizeof names[0])
        return names[s];
    return "LOCUS_ERR_UNKNOWN";
}

LOCUS_API const char *locus_version(void) { return LOCUS_VERSION_STRING; }

LOCUS_API void locus_free(void *p) { free(p); }
