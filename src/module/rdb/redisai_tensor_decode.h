/* Decoders of the AI_TENSOR records RedisAI wrote (encoding versions 0 to 4; RedisAI 1.2.7 writes 4), so a
 * RedisAI database loads into locus_ai. Read-only: locus_ai always writes its own encoding (tensor_type.h).
 * The field lists of each version are in redisai_tensor_decode.c. */
#ifndef LOCUS_MODULE_REDISAI_TENSOR_DECODE_H
#define LOCUS_MODULE_REDISAI_TENSOR_DECODE_H

#include "../redismodule_api.h"

/* RedisAI's encoding versions (its REDISAI_ENC_VER over time, one number for its three types; 1.2.3's
 * src/version.h says 2, 1.2.4's says 4, and 1.2.7 still writes 4). What each one changed: */
#define REDISAI_ENCVER_V0 0 /* the first layout */
#define REDISAI_ENCVER_V1 1 /* model blobs in chunks; binary tags (no trailing NUL) */
#define REDISAI_ENCVER_V2 2 /* models: MINBATCHTIMEOUT */
#define REDISAI_ENCVER_V3 3 /* scripts: entry points */
#define REDISAI_ENCVER_V4 4 /* tensors: dtype code and bits, signed shape; no device, lanes, strides */

/* rdb_load of RedisAI's version 0 tensor layout, which its versions 1 to 3 kept unchanged. A new tensor, or
 * NULL (logged) for a short or corrupt record or a type locus_ai does not have (STRING). */
void *redisai_tensor_load_v0(RedisModuleIO *io);
/* rdb_load of RedisAI's version 4 tensor layout; same contract. */
void *redisai_tensor_load_v4(RedisModuleIO *io);

#endif
