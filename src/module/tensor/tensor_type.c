/* The AI_TENSOR data type and its persistence (see tensor_type.h). */
#include "tensor_type.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "redisai_tensor_decode.h"

RedisModuleType *TensorType = NULL;

/* ---- version 10 ---- */

static void save_v10(RedisModuleIO *io, const tensor *t) {
    RedisModule_SaveUnsigned(io, (uint64_t)t->dtype->code);
    RedisModule_SaveUnsigned(io, (uint64_t)t->ndims);
    for (int i = 0; i < t->ndims; i++)
        RedisModule_SaveUnsigned(io, (uint64_t)t->shape[i]);
    RedisModule_SaveStringBuffer(io, tensor_data(t), t->nbytes);
}

static bool io_failed(RedisModuleIO *io) {
    return RedisModule_IsIOError(io);
}

static void *load_v10(RedisModuleIO *io) {
    uint64_t code = RedisModule_LoadUnsigned(io);
    uint64_t ndims = RedisModule_LoadUnsigned(io);
    if (io_failed(io))
        return NULL;
    const dtype_info *dt = dtype_by_code(code);
    if (dt == NULL || ndims > TENSOR_MAX_DIMS) {
        RedisModule_LogIOError(io, "warning", "AI_TENSOR: corrupt record (dtype code %llu, %llu dims)",
                               (unsigned long long)code, (unsigned long long)ndims);
        return NULL;
    }
    uint64_t dims[ndims > 0 ? ndims : 1];
    for (uint64_t i = 0; i < ndims; i++)
        dims[i] = RedisModule_LoadUnsigned(io);
    size_t blen = 0;
    char *buf = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &blen);
    return tensor_from_fields(io, dt, (int)ndims, dims, buf, blen);
}

/* ---- shared by every encoding ---- */

tensor *tensor_from_fields(RedisModuleIO *io, const dtype_info *dt, int ndims, const uint64_t *dims, char *buf,
                           size_t blen) {
    if (io_failed(io) || buf == NULL) {
        RedisModule_Free(buf);
        return NULL;
    }
    int64_t sdims[ndims > 0 ? ndims : 1];
    size_t len = 1;
    bool overflow = false;
    for (int i = 0; i < ndims; i++) {
        sdims[i] = (int64_t)dims[i];
        overflow |= dims[i] == 0 || dims[i] > INT64_MAX || __builtin_mul_overflow(len, (size_t)dims[i], &len);
    }
    /* BOOL bytes are not checked here: files written before AI.TENSORSET checked them still load */
    lc_err bad; /* a reply's text, not wanted here: a load logs its own line */
    if (overflow || dtype_check_data(dt, buf, blen, len, 0, &bad) != NULL) {
        RedisModule_LogIOError(io, "warning", "AI_TENSOR: corrupt record (shape and %zu data bytes disagree)", blen);
        RedisModule_Free(buf);
        return NULL;
    }
    return tensor_adopt_buffer(dt, ndims, sdims, len, blen, buf);
}

/* ---- dispatch tables: every version keeps its decoder ---- */

static const struct {
    int encver;
    void *(*load)(RedisModuleIO *io);
} decoders[] = {
    {REDISAI_ENCVER_V0, redisai_tensor_load_v0},
    {REDISAI_ENCVER_V1, redisai_tensor_load_v0}, /* RedisAI changed models and scripts, not tensors */
    {REDISAI_ENCVER_V2, redisai_tensor_load_v0},
    {REDISAI_ENCVER_V3, redisai_tensor_load_v0},
    {REDISAI_ENCVER_V4, redisai_tensor_load_v4},
    {TENSOR_ENCVER_V10, load_v10},
};

void tensor_rdb_save(RedisModuleIO *io, void *value) {
    save_v10(io, value);
}

void *tensor_rdb_load(RedisModuleIO *io, int encver) {
    for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
        if (decoders[i].encver == encver)
            return decoders[i].load(io);
    RedisModule_LogIOError(io, "warning",
                           "AI_TENSOR: encoding version %d is unknown to this locus_ai (it reads RedisAI's %d to %d "
                           "and its own %d to %d)",
                           encver, REDISAI_ENCVER_V0, REDISAI_ENCVER_V4, TENSOR_ENCVER_V10, TENSOR_ENCVER_CURRENT);
    return NULL;
}

/* ---- other callbacks ---- */

void tensor_emit_tensorset(RedisModuleCtx *ctx, RedisModuleIO *aof, RedisModuleString *key, const tensor *t) {
    RedisModuleString *dims[t->ndims > 0 ? t->ndims : 1];
    for (int i = 0; i < t->ndims; i++)
        dims[i] = RedisModule_CreateStringFromLongLong(NULL, t->shape[i]);
    if (aof != NULL)
        RedisModule_EmitAOF(aof, "AI.TENSORSET", "scvcb", key, t->dtype->name, dims, (size_t)t->ndims, "BLOB",
                            tensor_data(t), t->nbytes);
    else
        RedisModule_Replicate(ctx, "AI.TENSORSET", "scvcb", key, t->dtype->name, dims, (size_t)t->ndims, "BLOB",
                              tensor_data(t), t->nbytes);
    for (int i = 0; i < t->ndims; i++)
        RedisModule_FreeString(NULL, dims[i]);
}

static void tensor_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    tensor_emit_tensorset(NULL, aof, key, value);
}

static void tensor_digest(RedisModuleDigest *md, void *value) {
    tensor *t = value;
    RedisModule_DigestAddStringBuffer(md, t->dtype->name, strlen(t->dtype->name));
    for (int i = 0; i < t->ndims; i++)
        RedisModule_DigestAddLongLong(md, t->shape[i]);
    RedisModule_DigestAddStringBuffer(md, tensor_data(t), t->nbytes);
    RedisModule_DigestEndSequence(md);
}

static size_t tensor_mem(const void *value) {
    return tensor_mem_usage(value);
}

static void tensor_free(void *value) {
    tensor_release(value);
}

/* Tensors are immutable, so a COPY shares the object. */
static void *tensor_copy(RedisModuleString *from, RedisModuleString *to, const void *value) {
    (void)from;
    (void)to;
    return tensor_retain((tensor *)value);
}

int tensor_type_register(RedisModuleCtx *ctx) {
    RedisModuleTypeMethods methods = {
        .version = REDISMODULE_TYPE_METHOD_VERSION_USED,
        .rdb_load = tensor_rdb_load,
        .rdb_save = tensor_rdb_save,
        .aof_rewrite = tensor_aof_rewrite,
        .mem_usage = tensor_mem,
        .digest = tensor_digest,
        .free = tensor_free,
        .copy = tensor_copy,
    };
    TensorType = RedisModule_CreateDataType(ctx, TENSOR_TYPE_NAME, TENSOR_ENCVER_CURRENT, &methods);
    return TensorType != NULL ? REDISMODULE_OK : REDISMODULE_ERR;
}
