/* Decoders of the AI__MODEL records RedisAI wrote (encoding versions 0 to 4; the numbers are in rdb/codec.h),
 * so a RedisAI database loads into locus_ai. Read-only: locus_ai always writes its own encoding 10
 * (model_type.h). Each decoder reads its layout into a record and ends as our own decoder does
 * (model_from_record), so the backend sees exactly what a version 10 record gives.
 * A model of a backend locus_ai does not have (TF, TFLITE, ONNX) is refused with a message naming it. */
#ifndef LOCUS_MODULE_REDISAI_MODEL_DECODE_H
#define LOCUS_MODULE_REDISAI_MODEL_DECODE_H

#include "../rdb/codec.h"
#include "../redismodule_api.h"

/* rdb_load callbacks: a new model, or NULL (logged) for a short, corrupt or unloadable record. */
void *redisai_model_load_v0(RedisModuleIO *io);
void *redisai_model_load_v1(RedisModuleIO *io);
void *redisai_model_load_v2(RedisModuleIO *io); /* versions 2, 3 and 4: one model layout */

#endif
