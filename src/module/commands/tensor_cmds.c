/* AI.TENSORSET and AI.TENSORGET: parse into a tensor, store it, reply. The parsing and the tensor code
 * live in parsing/ and tensor/; these handlers only connect them to the keyspace. */
#include "tensor_cmds.h"

#include "../keyspace.h"
#include "../tensor/tensor_reply.h"
#include "../tensor/tensor_type.h"
#include "common.h"

/* Store `t` at the open key, as a SET would: the old value goes, and so does any TTL. Over an existing tensor
 * the value is swapped in place, which spares Redis deleting and re-adding the key (half the cost of the
 * command for small tensors); an empty key gets a new one. */
static void store_tensor(RedisModuleKey *key, tensor *t) {
    void *old = NULL;
    if (RedisModule_KeyType(key) == REDISMODULE_KEYTYPE_MODULE && RedisModule_ModuleTypeReplaceValue != NULL &&
        RedisModule_ModuleTypeReplaceValue(key, TensorType, t, &old) == REDISMODULE_OK) {
        tensor_release(old);
        if (RedisModule_GetExpire(key) != REDISMODULE_NO_EXPIRE)
            RedisModule_SetExpire(key, REDISMODULE_NO_EXPIRE);
        return;
    }
    RedisModule_ModuleTypeSetValue(key, TensorType, t);
}

/* AI.TENSORSET key TYPE d1 .. dn [BLOB data | VALUES v1 .. vk] */
int cmd_tensorset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 4)
        return RedisModule_WrongArity(ctx);
    arg_view stack[STACK_ARGS];
    int64_t dims_stack[STACK_ARGS];
    arg_view *views = args_views(argv, argc, stack, STACK_ARGS);
    int64_t *dims = argc <= STACK_ARGS ? dims_stack : RedisModule_Alloc((size_t)argc * sizeof *dims);
    tensor_set_args a;
    RedisModuleKey *key = NULL;
    tensor *t = NULL;

    /* as RedisAI: a key of another type answers WRONGTYPE before any argument is looked at */
    key = open_typed_or_reply(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE, TensorType, NULL);
    if (key == NULL)
        goto done;
    lc_err err;
    if (parse_tensorset(argc, views, dims, &a, &err) != NULL ||
        (t = tensor_build(ctx, argv, views, &a, true, &err)) == NULL) {
        RedisModule_ReplyWithError(ctx, err.msg);
        goto done;
    }
    store_tensor(key, t);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithSimpleString(ctx, "OK");
done:
    if (key != NULL)
        RedisModule_CloseKey(key);
    if (dims != dims_stack)
        RedisModule_Free(dims);
    args_views_free(views, stack);
    return REDISMODULE_OK;
}

/* AI.TENSORGET key [META] [BLOB | VALUES] */
int cmd_tensorget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 2 || argc > 4)
        return RedisModule_WrongArity(ctx);
    arg_view stack[4];
    arg_view *views = args_views(argv, argc, stack, 4);
    /* as RedisAI: the key (empty, WRONGTYPE) is checked before the format arguments */
    tensor *t = get_typed_or_reply(ctx, argv[1], TensorType, KEY_EMPTY_TENSOR);
    if (t == NULL)
        return REDISMODULE_OK;
    unsigned fmt;
    lc_err err;
    if (parse_tensorget(argc, views, &fmt, &err) != NULL)
        return RedisModule_ReplyWithError(ctx, err.msg);

    reply_tensor(ctx, t, fmt);
    return REDISMODULE_OK;
}
