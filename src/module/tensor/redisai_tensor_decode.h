/* Decoders of the AI_TENSOR records RedisAI wrote (encoding versions 0 to 4; RedisAI 1.2.7 writes 4), so a
 * RedisAI database loads into locus_ai. Read-only: locus_ai always writes its own encoding (tensor_type.h).
 * The field lists of each version are in redisai_tensor_decode.c. */
#ifndef LOCUS_MODULE_REDISAI_TENSOR_DECODE_H
#define LOCUS_MODULE_REDISAI_TENSOR_DECODE_H

#include "../rdb/codec.h"
#include "../redismodule_api.h"


/* rdb_load of RedisAI's version 0 tensor layout, which its versions 1 to 3 kept unchanged. A new tensor, or
 * NULL (logged) for a short or corrupt record or a type locus_ai does not have (STRING). */
void *redisai_tensor_load_v0(RedisModuleIO *io);
/* rdb_load of RedisAI's version 4 tensor layout; same contract. */
void *redisai_tensor_load_v4(RedisModuleIO *io);

#endif
