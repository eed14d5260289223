/* SmartRedis's logging environment: SR_LOG_FILE (a file lines are appended to; unset: standard output) and
 * SR_LOG_LEVEL (quiet, info, debug, developer; case-insensitive). Read once per process, by the first client
 * created; every line is "<logger name>@<HH-MM-SS>:<message>", SmartRedis's format. Where SmartRedis, with
 * neither variable set, logs at INFO to standard output (and warns twice that they are unset), liblocus logs
 * nothing: a 1,000-rank job should not print 2,000 warnings. Either variable set gives SmartRedis's behaviour.
 * Lines are written whole under a lock, so threads and clients never interleave within a line. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static bool configured;
static lc_log_level level = LC_LOG_QUIET;
static FILE *target; /* NULL: stdout */
static char logger_name[128] = "default";

locus_status lc_log_configure(const char *name) {
    char bad[400] = ""; /* the failure, recorded once the lock is released (lc_fail logs) */
    pthread_mutex_lock(&log_mu);
    if (name && name[0])
        snprintf(logger_name, sizeof logger_name, "%s", name);
    if (!configured) {
        const char *file = getenv("SR_LOG_FILE"), *lvl = getenv("SR_LOG_LEVEL");
        bool any = (file && file[0]) || (lvl && lvl[0]);
        lc_log_level want = any ? LC_LOG_INFO : LC_LOG_QUIET;
        if (lvl && lvl[0]) {
            static const char *const names[] = {"quiet", "info", "debug", "developer"};
            int found = -1;
            for (int i = 0; i < 4; i++)
                if (strcasecmp(lvl, names[i]) == 0)
                    found = i;
            if (found < 0)
                snprintf(bad, sizeof bad, "SR_LOG_LEVEL '%.100s' is not one of quiet, info, debug, developer", lvl);
            else
                want = (lc_log_level)found;
        }
        if (!bad[0] && file && file[0] && want != LC_LOG_QUIET) {
            target = fopen(file, "a");
            if (!target)
                snprintf(bad, sizeof bad, "SR_LOG_FILE '%.200s' cannot be written: %s", file, strerror(errno));
        }
        if (!bad[0]) { /* a bad setting is reported to every client created with it */
            level = want;
            configured = true;
        }
    }
    pthread_mutex_unlock(&log_mu);
    return bad[0] ? lc_fail(LOCUS_ERR_PARAMETER, "%s", bad) : LOCUS_OK;
}

bool lc_log_enabled(lc_log_level l) { return l != LC_LOG_QUIET && l <= level; }

void lc_logf(lc_log_level l, const char *fmt, ...) {
    if (!lc_log_enabled(l))
        return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[16];
    strftime(stamp, sizeof stamp, "%H-%M-%S", &tm);
    pthread_mutex_lock(&log_mu);
    FILE *f = target ? target : stdout;
    fprintf(f, "%s@%s:%s\n", logger_name, stamp, msg);
    fflush(f);
    pthread_mutex_unlock(&log_mu);
}
