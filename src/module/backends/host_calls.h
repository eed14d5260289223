/* The module's side of lb_host's callbacks (backend.h): what a backend may call while it runs a script on a
 * worker thread. Never called on Redis's main thread (they take Redis's lock). */
#ifndef LOCUS_MODULE_BACKEND_HOST_CALLS_H
#define LOCUS_MODULE_BACKEND_HOST_CALLS_H

#include <stddef.h>

#include "backend.h"

/* lb_host.redis_call: the command as RedisModule_Call runs it, replicated, in a script's mode (commands a
 * Lua script may not run are refused) and refused over maxmemory when it writes. The reply is copied into
 * a tree of lb_values (RedisModule_Alloc) the caller frees with host_value_free. */
int host_redis_call(const char *const *argv, const size_t *lens, int argc, lb_value **reply, lb_err *err);
void host_value_free(lb_value *v); /* accepts NULL */

/* lb_host.model_execute: the model at key run once on this thread, outside the queue (no batching), its
 * statistics counted as for any run. The model is held by a reference of its own, so AI.MODELDEL during the
 * run is safe. */
int host_model_execute(const char *key, size_t keylen, const lb_tensor *in, int nin, lb_tensor *out, int nout,
                       lb_err *err);

#endif
