/* AI.TENSORGET's reply (see tensor_reply.h). */
#include "tensor_reply.h"

#include <string.h>

static void reply_values(RedisModuleCtx *ctx, const tensor *t) {
    const char *data = tensor_data(t);
    RedisModule_ReplyWithArray(ctx, (long)t->len);
    if (t->dtype->kind == DTYPE_KIND_STRING) { /* each element without its NUL */
        const char *p = data, *end = data + t->nbytes;
        for (size_t i = 0; i < t->len; i++) {
            const char *z = memchr(p, '\0', (size_t)(end - p));
            size_t n = z != NULL ? (size_t)(z - p) : (size_t)(end - p);
            RedisModule_ReplyWithStringBuffer(ctx, p, n);
            p += n + (z != NULL);
        }
    } else if (t->dtype->kind == DTYPE_KIND_FLOAT) {
        for (size_t i = 0; i < t->len; i++)
            RedisModule_ReplyWithDouble(ctx, dtype_get_double(t->dtype, data, i));
    } else {
        for (size_t i = 0; i < t->len; i++)
            RedisModule_ReplyWithLongLong(ctx, dtype_get_int(t->dtype, data, i));
    }
}

void reply_tensor(RedisModuleCtx *ctx, const tensor *t, unsigned fmt) {
    bool meta = fmt & TENSOR_GET_META;
    if (meta) {
        RedisModule_ReplyWithArray(ctx, (fmt & (TENSOR_GET_BLOB | TENSOR_GET_VALUES)) ? 6 : 4);
        RedisModule_ReplyWithCString(ctx, "dtype");
        RedisModule_ReplyWithCString(ctx, t->dtype->name);
        RedisModule_ReplyWithCString(ctx, "shape");
        RedisModule_ReplyWithArray(ctx, t->ndims);
        for (int i = 0; i < t->ndims; i++)
            RedisModule_ReplyWithLongLong(ctx, t->shape[i]);
    }
    if (fmt & TENSOR_GET_BLOB) {
        if (meta)
            RedisModule_ReplyWithCString(ctx, "blob");
        RedisModule_ReplyWithStringBuffer(ctx, tensor_data(t), t->nbytes);
    } else if (fmt & TENSOR_GET_VALUES) {
        if (meta)
            RedisModule_ReplyWithCString(ctx, "values");
        reply_values(ctx, t);
    }
}
