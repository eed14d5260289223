/* The one typed-key lookup (see keyspace.h). */
#include "keyspace.h"

const char *key_check_type(RedisModuleKey *key, RedisModuleType *type, const char *empty_msg) {
    int kt = RedisModule_KeyType(key);
    if (kt == REDISMODULE_KEYTYPE_EMPTY)
        return empty_msg;
    if (kt != REDISMODULE_KEYTYPE_MODULE || RedisModule_ModuleTypeGetType(key) != type)
        return REDISMODULE_ERRORMSG_WRONGTYPE;
    return NULL;
}

/* The shared step: the open key, or NULL (closed) with the error text in *why. */
static RedisModuleKey *open_checked(RedisModuleCtx *ctx, RedisModuleString *name, int mode, RedisModuleType *type,
                                    const char *empty_msg, const char **why) {
    RedisModuleKey *key = RedisModule_OpenKey(ctx, name, mode);
    *why = key_check_type(key, type, empty_msg);
    if (*why == NULL)
        return key;
    RedisModule_CloseKey(key);
    return NULL;
}

RedisModuleKey *open_typed(RedisModuleCtx *ctx, RedisModuleString *name, int mode, RedisModuleType *type,
                           const char *empty_msg, lc_err *err) {
    const char *why;
    RedisModuleKey *key = open_checked(ctx, name, mode, type, empty_msg, &why);
    if (key == NULL)
        lc_err_put(err, why);
    return key;
}

RedisModuleKey *open_typed_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, int mode, RedisModuleType *type,
                                    const char *empty_msg) {
    const char *why;
    RedisModuleKey *key = open_checked(ctx, name, mode, type, empty_msg, &why);
    if (key == NULL)
        RedisModule_ReplyWithError(ctx, why);
    return key;
}

/* The value of a checked key, which is closed. */
static void *take_value(RedisModuleKey *key) {
    if (key == NULL)
        return NULL;
    void *v = RedisModule_ModuleTypeGetValue(key);
    RedisModule_CloseKey(key);
    return v;
}

void *get_typed(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type, const char *empty_msg,
                lc_err *err) {
    return take_value(open_typed(ctx, name, REDISMODULE_READ, type, empty_msg, err));
}

void *get_typed_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type,
                         const char *empty_msg) {
    return take_value(open_typed_or_reply(ctx, name, REDISMODULE_READ, type, empty_msg));
}

void *key_typed_value(RedisModuleKey *key, RedisModuleType *type) {
    /* a non-NULL empty text, so that NULL means "a value of this type" */
    return key != NULL && key_check_type(key, type, "") == NULL ? RedisModule_ModuleTypeGetValue(key) : NULL;
}

void *get_one_of_types(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *const *types,
                       int ntypes, int *which) {
    RedisModuleKey *key = RedisModule_OpenKey(ctx, name, REDISMODULE_READ);
    void *v = NULL;
    for (int i = 0; i < ntypes && v == NULL; i++)
        if ((v = key_typed_value(key, types[i])) != NULL)
            *which = i;
    RedisModule_CloseKey(key);
    return v;
}
