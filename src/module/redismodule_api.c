/* Definitions of the module API pointers declared in redismodule_api.h, and the start-up lookup that
 * fills them. The getter Redis hands over is the first pointer stored in the OnLoad context; each function
 * is then asked for by its full name. */
#include "redismodule_api.h"

#include <stdio.h>

#define RM_API_DEFINE(ret, name, args, req) ret(*RedisModule_##name) args = NULL;
RM_API_FUNCS(RM_API_DEFINE)
#undef RM_API_DEFINE

typedef int (*rm_get_api_fn)(const char *name, void *target);

int rm_api_init(RedisModuleCtx *ctx, const char *name, int version) {
    rm_get_api_fn get_api = (rm_get_api_fn)((void **)ctx)[0];
    const char *missing = NULL;

#define RM_API_FETCH(ret, fname, args, req)                                                                  \
    if (get_api("RedisModule_" #fname, (void *)&RedisModule_##fname) != REDISMODULE_OK) {                    \
        RedisModule_##fname = NULL;                                                                          \
        if (#req[0] == 'R' && missing == NULL)                                                               \
            missing = "RedisModule_" #fname;                                                                 \
    }
    RM_API_FUNCS(RM_API_FETCH)
#undef RM_API_FETCH

    if (missing != NULL) {
        /* Without the API we cannot even log through Redis: stderr lands in the server's log. */
        fprintf(stderr, "%s: this server lacks %s; Redis 6.2 or later is required\n", name, missing);
        return REDISMODULE_ERR;
    }
    if (RedisModule_IsModuleNameBusy(name)) {
        RedisModule_Log(ctx, "warning", "a module named %s is already loaded", name);
        return REDISMODULE_ERR;
    }
    RedisModule_SetModuleAttribs(ctx, name, version, REDISMODULE_APIVER_1);
    return REDISMODULE_OK;
}
