/* Helpers shared by command handlers (see common.h). */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Redis refuses proto-max-bulk-len values below 1 MiB, so nothing smaller can exceed it. */
#define MIN_LEGAL_BULK_LIMIT (1024 * 1024)

bool bulk_limit_exceeded(RedisModuleCtx *ctx, size_t nbytes, lc_err *err) {
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
    lc_err_set(err, "ERR tensor of %zu bytes is larger than proto-max-bulk-len (%lld bytes)", nbytes, limit);
    return true;
}


tensor *tensor_build(RedisModuleCtx *ctx, RedisModuleString **argv, const arg_view *views, const tensor_set_args *a,
                     bool hold, lc_err *err) {
    if (a->fmt == TENSOR_DATA_BLOB) {
        const arg_view *blob = &views[a->data_pos];
        if (check_tensor_blob(a, blob->ptr, blob->len, err) != NULL)
            return NULL;
        if (hold)
            return tensor_from_string(a->dtype, a->ndims, a->dims, a->len, a->nbytes, argv[a->data_pos]);
        tensor *t = tensor_new(a->dtype, a->ndims, a->dims, a->len, a->nbytes, false);
        memcpy(t->data, blob->ptr, a->nbytes);
        return t;
    }
    /* Zero-filled and VALUES tensors are built here, so their size is not bounded by what the client sent. */
    if (bulk_limit_exceeded(ctx, a->nbytes, err))
        return NULL;
    tensor *t = tensor_new(a->dtype, a->ndims, a->dims, a->len, a->nbytes, a->fmt == TENSOR_DATA_NONE);
    if (a->fmt == TENSOR_DATA_VALUES &&
        !parse_tensor_values(a->dtype, views + a->data_pos, (size_t)a->nvalues, t->data, err)) {
        tensor_release(t);
        return NULL;
    }
    return t;
}
