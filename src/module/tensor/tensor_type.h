/* The AI_TENSOR Redis data type: registration, RDB encoders/decoders, AOF rewrite, digest, memory usage,
 * COPY and free callbacks.
 *
 * RDB encodings are versioned. Every version ever written keeps its decoder here, so a file written by any
 * earlier Locus loads in every later one. RedisAI wrote versions 0 to 4 of a type with the same name; those
 * are read too (redisai_tensor_decode.h), never written. Our own encodings start at 10. */
#ifndef LOCUS_MODULE_TENSOR_TYPE_H
#define LOCUS_MODULE_TENSOR_TYPE_H

#include "../redismodule_api.h"
#include "tensor.h"

#define TENSOR_TYPE_NAME "AI_TENSOR"
#define TENSOR_ENCVER_V10 10 /* dtype code, ndims, dims, data as one string */
#define TENSOR_ENCVER_CURRENT TENSOR_ENCVER_V10

extern RedisModuleType *TensorType;

/* Register the data type; REDISMODULE_OK or REDISMODULE_ERR. */
int tensor_type_register(RedisModuleCtx *ctx);

/* The RDB codec, exposed for the unit tests (which drive it through stand-in IO functions). */
void tensor_rdb_save(RedisModuleIO *io, void *value);
void *tensor_rdb_load(RedisModuleIO *io, int encver);

/* The end of every decoder: a tensor of `ndims` dims (0 < dims[i] <= INT64_MAX) whose data `buf` (blen bytes,
 * Redis's buffer from RedisModule_LoadStringBuffer, NULL after a short read) must match the shape. Takes buf
 * whatever the outcome. NULL when the IO already failed, or (logged with RedisModule_LogIOError) when the shape
 * and the data length disagree or overflow. */
tensor *tensor_from_fields(RedisModuleIO *io, const dtype_info *dt, int ndims, const uint64_t *dims, char *buf,
                           size_t blen);

/* The AI.TENSORSET that recreates t at key (BLOB form): written to the AOF being rewritten when aof is not
 * NULL, else replicated from ctx (a run's persisted outputs). */
void tensor_emit_tensorset(RedisModuleCtx *ctx, RedisModuleIO *aof, RedisModuleString *key, const tensor *t);

#endif
