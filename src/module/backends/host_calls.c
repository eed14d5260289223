/* The calls a backend makes back into the module while it runs a script: RedisAI's TorchScript extensions
 * redis.execute (a Redis command) and redisAI.model_execute (a stored model). Both run on a worker thread of
 * the run queue; they take Redis's lock (a thread-safe context) only for what touches the keyspace, so the
 * server keeps serving clients while a model runs. The main thread never waits for a worker, so a worker
 * waiting for the lock cannot deadlock it. */
#include "host_calls.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "../keyspace.h"
#include "../model/model.h"
#include "../model/model_type.h"
#include "../redismodule_api.h"

/* Nesting levels of a reply turned into lb_values; Redis's own replies nest a few levels at most. */
#define HOST_REPLY_MAX_DEPTH 64

static int copy_reply(RedisModuleCallReply *r, lb_value *v, int depth) {
    memset(v, 0, sizeof *v);
    switch (RedisModule_CallReplyType(r)) {
    case REDISMODULE_REPLY_STRING:
    case REDISMODULE_REPLY_ERROR: {
        size_t n;
        const char *s = RedisModule_CallReplyStringPtr(r, &n);
        v->kind = RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR ? LB_VALUE_ERROR : LB_VALUE_STRING;
        v->str = RedisModule_Alloc(n + 1);
        if (n > 0)
            memcpy(v->str, s, n);
        v->str[n] = '\0';
        v->len = n;
        return 0;
    }
    case REDISMODULE_REPLY_INTEGER:
        v->kind = LB_VALUE_INTEGER;
        v->integer = RedisModule_CallReplyInteger(r);
        return 0;
    case REDISMODULE_REPLY_ARRAY: {
        if (depth >= HOST_REPLY_MAX_DEPTH)
            return -1;
        v->kind = LB_VALUE_ARRAY;
        size_t n = RedisModule_CallReplyLength(r);
        v->elements = RedisModule_Calloc(n + 1, sizeof *v->elements);
        for (size_t i = 0; i < n; i++) {
            v->nelements = i + 1; /* what is there so far, for host_value_free on failure */
            if (copy_reply(RedisModule_CallReplyArrayElement(r, i), &v->elements[i], depth + 1) != 0)
                return -1;
        }
        v->nelements = n;
        return 0;
    }
    default: /* NULL bulk or array */
        v->kind = LB_VALUE_NIL;
        return 0;
    }
}

static void value_clear(lb_value *v) {
    RedisModule_Free(v->str);
    for (size_t i = 0; i < v->nelements; i++)
        value_clear(&v->elements[i]);
    RedisModule_Free(v->elements);
}

void host_value_free(lb_value *v) {
    if (v == NULL)
        return;
    value_clear(v);
    RedisModule_Free(v);
}

int host_redis_call(const char *const *argv, const size_t *lens, int argc, lb_value **reply, lb_err *err) {
    *reply = NULL;
    if (argc < 1) {
        lc_err_put(err, "ERR redis.execute needs a command");
        return -1;
    }
    char cmd[64];
    if (lens[0] == 0 || lens[0] >= sizeof cmd || memchr(argv[0], '\0', lens[0]) != NULL) {
        lc_err_set(err, "Redis command returned an error: %s (not a command name)", strerror(ENOENT));
        return -1;
    }
    memcpy(cmd, argv[0], lens[0]);
    cmd[lens[0]] = '\0';

    RedisModuleCtx *ctx = RedisModule_GetThreadSafeContext(NULL);
    RedisModuleString **args = RedisModule_Calloc((size_t)argc, sizeof *args);
    for (int i = 1; i < argc; i++)
        args[i - 1] = RedisModule_CreateString(ctx, argv[i], lens[i]);
    RedisModule_ThreadSafeContextLock(ctx);
    /* !: replicated and written to the AOF like the command itself; S: what a Lua script may not run (such as
     * SHUTDOWN, or writes while persistence fails) is refused; M: writes are refused when over maxmemory. */
    errno = 0;
    RedisModuleCallReply *r = RedisModule_Call(ctx, cmd, "!vSM", args, (size_t)(argc - 1));
    int saved = errno;
    lb_value *v = NULL;
    int rcode = 0;
    if (r == NULL) {
        /* Redis says why only through errno. RedisAI replies strerror's text (its tests match on it); the
         * reason in words follows. */
        saved = saved != 0 ? saved : EINVAL;
        const char *why = saved == ENOENT   ? "unknown command"
                          : saved == EINVAL ? "wrong number of arguments"
                          : saved == ESPIPE ? "not allowed from a script"
                          : saved == ENOSPC ? "a write while over maxmemory"
                                            : "refused";
        lc_err_set(err, "Redis command returned an error: %s (%s: %s)", strerror(saved), cmd, why);
        rcode = -1;
    } else {
        v = RedisModule_Alloc(sizeof *v);
        if (copy_reply(r, v, 0) != 0) {
            host_value_free(v);
            v = NULL;
            lc_err_set(err, "ERR the reply of %s nests deeper than %d levels", cmd, HOST_REPLY_MAX_DEPTH);
            rcode = -1;
        }
        RedisModule_FreeCallReply(r);
    }
    for (int i = 0; i < argc - 1; i++)
        RedisModule_FreeString(ctx, args[i]);
    RedisModule_ThreadSafeContextUnlock(ctx);
    RedisModule_FreeThreadSafeContext(ctx);
    RedisModule_Free(args);
    *reply = v;
    return rcode;
}

/* The model at key with a reference of its own, or NULL with RedisAI's message. Takes Redis's lock. */
static model *retain_model(const char *key, size_t keylen, lc_err *err) {
    RedisModuleCtx *ctx = RedisModule_GetThreadSafeContext(NULL);
    RedisModuleString *name = RedisModule_CreateString(ctx, key, keylen);
    RedisModule_ThreadSafeContextLock(ctx);
    model *m = get_typed(ctx, name, ModelType, KEY_EMPTY_MODEL, err);
    if (m != NULL)
        m = model_retain(m);
    RedisModule_FreeString(ctx, name);
    RedisModule_ThreadSafeContextUnlock(ctx);
    RedisModule_FreeThreadSafeContext(ctx);
    return m;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int host_model_execute(const char *key, size_t keylen, const lb_tensor *in, int nin, lb_tensor *out, int nout,
                       lb_err *err) {
    model *m = retain_model(key, keylen, err);
    if (m == NULL)
        return -1;
    int rcode;
    if (m->ninputs >= 0 && nin != m->ninputs) {
        lc_err_put(err, "ERR Number of keys given as INPUTS here does not match model definition");
        rcode = -1;
    } else if (m->noutputs >= 0 && nout != m->noutputs) {
        lc_err_put(err, "ERR Number of keys given as OUTPUTS here does not match model definition");
        rcode = -1;
    } else {
        long long t0 = now_us();
        rcode = m->ops->model_run(m->handle, in, nin, out, nout, err);
        run_stats_add(&m->stats, now_us() - t0, run_stats_samples(out, nout), rcode != 0);
    }
    model_release(m);
    return rcode;
}
