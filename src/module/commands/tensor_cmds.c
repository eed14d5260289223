/* AI.TENSORSET and AI.TENSORGET: parse into a tensor, store it, reply. The parsing and the tensor code
 * live in parsing/ and tensor/; these handlers only connect them to the keyspace. */
#include "tensor_cmds.h"

#include "../rdb/tensor_type.h"
#include "common.h"

#define STACK_ARGS 64

static tensor *build_tensor_or_reply(RedisModuleCtx *ctx, RedisModuleString **argv, const arg_view *views,
                                     const tensor_set_args *a) {
    if (a->fmt == TENSOR_DATA_BLOB) {
        if (views[a->data_pos].len != a->nbytes) {
            RedisModule_ReplyWithError(ctx, "ERR data length does not match tensor shape and type");
            return NULL;
        }
        const char *bad = a->dtype->code == DTYPE_BOOL ? check_bool_blob(views[a->data_pos].ptr, a->nbytes) : NULL;
        if (bad != NULL) {
            RedisModule_ReplyWithError(ctx, bad);
            return NULL;
        }
        return tensor_from_string(a->dtype, a->ndims, a->dims, a->len, a->nbytes, argv[a->data_pos]);
    }
    /* Zero-filled and VALUES tensors are built here, so their size is not bounded by what the client sent. */
    if (check_bulk_limit_or_reply(ctx, a->nbytes) != REDISMODULE_OK)
        return NULL;
    tensor *t = tensor_new(a->dtype, a->ndims, a->dims, a->len, a->nbytes, a->fmt == TENSOR_DATA_NONE);
    if (a->fmt == TENSOR_DATA_VALUES) {
        char err[160];
        if (!parse_tensor_values(a->dtype, views + a->data_pos, (size_t)a->nvalues, t->data, err, sizeof err)) {
            tensor_release(t);
            RedisModule_ReplyWithError(ctx, err);
            return NULL;
        }
    }
    return t;
}

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
    if (open_key_for_write_or_reply(ctx, argv[1], TensorType, &key) != REDISMODULE_OK)
        goto done;
    const char *err = parse_tensorset(argc, views, dims, &a);
    if (err != NULL) {
        RedisModule_ReplyWithError(ctx, err);
        goto done;
    }
    t = build_tensor_or_reply(ctx, argv, views, &a);
    if (t == NULL)
        goto done;
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

static void reply_values(RedisModuleCtx *ctx, const tensor *t) {
    RedisModule_ReplyWithArray(ctx, (long)t->len);
    if (t->dtype->kind == DTYPE_KIND_FLOAT) {
        for (size_t i = 0; i < t->len; i++)
            RedisModule_ReplyWithDouble(ctx, dtype_get_double(t->dtype, tensor_data(t), i));
    } else {
        for (size_t i = 0; i < t->len; i++)
            RedisModule_ReplyWithLongLong(ctx, dtype_get_int(t->dtype, tensor_data(t), i));
    }
}

/* AI.TENSORGET key [META] [BLOB | VALUES] */
int cmd_tensorget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 2 || argc > 4)
        return RedisModule_WrongArity(ctx);
    arg_view stack[4];
    arg_view *views = args_views(argv, argc, stack, 4);
    /* as RedisAI: the key (empty, WRONGTYPE) is checked before the format arguments */
    tensor *t = get_tensor_or_reply(ctx, argv[1]);
    if (t == NULL)
        return REDISMODULE_OK;
    unsigned fmt;
    const char *err = parse_tensorget(argc, views, &fmt);
    if (err != NULL)
        return RedisModule_ReplyWithError(ctx, err);

    if (!(fmt & TENSOR_GET_META)) {
        if (fmt & TENSOR_GET_BLOB)
            RedisModule_ReplyWithStringBuffer(ctx, tensor_data(t), t->nbytes);
        else
            reply_values(ctx, t);
        return REDISMODULE_OK;
    }
    RedisModule_ReplyWithArray(ctx, (fmt & (TENSOR_GET_BLOB | TENSOR_GET_VALUES)) ? 6 : 4);
    RedisModule_ReplyWithCString(ctx, "dtype");
    RedisModule_ReplyWithCString(ctx, t->dtype->name);
    RedisModule_ReplyWithCString(ctx, "shape");
    RedisModule_ReplyWithArray(ctx, t->ndims);
    for (int i = 0; i < t->ndims; i++)
        RedisModule_ReplyWithLongLong(ctx, t->shape[i]);
    if (fmt & TENSOR_GET_BLOB) {
        RedisModule_ReplyWithCString(ctx, "blob");
        RedisModule_ReplyWithStringBuffer(ctx, tensor_data(t), t->nbytes);
    } else if (fmt & TENSOR_GET_VALUES) {
        RedisModule_ReplyWithCString(ctx, "values");
        reply_values(ctx, t);
    }
    return REDISMODULE_OK;
}
