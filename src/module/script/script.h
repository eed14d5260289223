/* Scripts as stored under keys: the compiled TorchScript handle, the source it came from (to describe,
 * persist and re-create it), its entry points, and its run statistics (AI.INFO). Models, their sibling, are
 * in model/.
 *
 * Reference-counted: a key holds one reference and every queued or running execution holds one, so
 * AI.SCRIPTDEL or an overwrite during a run is safe. The last release frees the backend handle; it may
 * happen on any thread (nothing in it touches Redis strings). */
#ifndef LOCUS_MODULE_SCRIPT_H
#define LOCUS_MODULE_SCRIPT_H

#include <stddef.h>

#include "../backends/loader.h"
#include "../err.h"
#include "../redismodule_api.h"
#include "../run/stats.h"

typedef struct script {
    int refcount;
    const lb_ops *ops;
    void *handle;
    char device[16];
    char *tag;
    size_t taglen;
    char *source; /* NUL-terminated */
    int nentry;
    char **entry_points; /* empty for scripts stored with the deprecated AI.SCRIPTSET */
    run_stats stats;
} script;

/* Compile a script; entry points (may be 0) are checked for the entry-point signature. Takes ownership of
 * source (RedisModule_Alloc, NUL-terminated). NULL with the error reply recorded in err. */
script *script_create(const char *device, const char *tag, size_t taglen, char *source, int nentry,
                      const char *const *entry_points, lc_err *err);
script *script_retain(script *s);
void script_release(script *s);

#endif
