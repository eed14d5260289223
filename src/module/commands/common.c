/* Helpers shared by command handlers (see common.h). */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rdb/tensor_type.h"

arg_view *args_views(RedisModuleString **argv, int argc, arg_view *stack, int n_stack) {
    arg_view *v = argc <= n_stack ? stack : RedisModule_Alloc((size_t)argc * sizeof *v);
    for (int i = 0; i < argc; i++)
        v[i].ptr = RedisModule_StringPtrLen(argv[i], &v[i].len);
    return v;
}

void args_views_free(arg_view *views, arg_view *stack) {
    if (views != stack)
        RedisModule_Free(views);
}

int open_key_for_write_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type,
                                RedisModuleKey **key) {
    *key = RedisModule_OpenKey(ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
    int kt = RedisModule_KeyType(*key);
    if (kt != REDISMODULE_KEYTYPE_EMPTY &&
        (kt != REDISMODULE_KEYTYPE_MODULE || RedisModule_ModuleTypeGetType(*key) != type)) {
        RedisModule_CloseKey(*key);
        *key = NULL;
        RedisModule_ReplyWithError(ctx, REDISMODULE_ERRORMSG_WRONGTYPE);
        return REDISMODULE_ERR;
    }
    return REDISMODULE_OK;
}

tensor *get_tensor_or_reply(RedisModuleCtx *ctx, RedisModuleString *name) {
    RedisModuleKey *key = RedisModule_OpenKey(ctx, name, REDISMODULE_READ);
    int kt = RedisModule_KeyType(key);
    tensor *t = NULL;
    if (kt == REDISMODULE_KEYTYPE_EMPTY)
        RedisModule_ReplyWithError(ctx, "ERR tensor key is empty or in a different shard");
    else if (kt != REDISMODULE_KEYTYPE_MODULE || RedisModule_ModuleTypeGetType(key) != TensorType)
        RedisModule_ReplyWithError(ctx, REDISMODULE_ERRORMSG_WRONGTYPE);
    else
        t = RedisModule_ModuleTypeGetValue(key);
    RedisModule_CloseKey(key);
    return t;
}

/* Redis refuses proto-max-bulk-len values below 1 MiB, so nothing smaller can exceed it. */
#define MIN_LEGAL_BULK_LIMIT (1024 * 1024)

bool bulk_limit_exceeded(RedisModuleCtx *ctx, size_t nbytes, char *msg, size_t msglen) {
    if (nbytes <= MIN_LEGAL_BULK_LIMIT)
        return false;
    long long limit = 512LL * 1024 * 1024; /* the default, used if the server does not answer */
    RedisModuleCallReply *r = RedisModule_Call(ctx, "CONFIG", "cc", "GET", "proto-max-bulk-len");
    if (r != NULL && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ARRAY &&
        RedisModule_CallReplyLength(r) == 2) {
        size_t n;
        const char *s = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(r, 1), &n);
        char buf[32];
        if (s != NULL && n < sizeof buf) {
            memcpy(buf, s, n);
            buf[n] = '\0';
            limit = strtoll(buf, NULL, 10);
        }
    }
    if (r != NULL)
        RedisModule_FreeCallReply(r);
    if ((unsigned long long)nbytes <= (unsigned long long)limit)
        return false;
    snprintf(msg, msglen, "ERR tensor of %zu bytes is larger than proto-max-bulk-len (%lld bytes)", nbytes, limit);
    return true;
}

int check_bulk_limit_or_reply(RedisModuleCtx *ctx, size_t nbytes) {
    char msg[160];
    if (!bulk_limit_exceeded(ctx, nbytes, msg, sizeof msg))
        return REDISMODULE_OK;
    RedisModule_ReplyWithError(ctx, msg);
    return REDISMODULE_ERR;
}
