/* Decoders of the AI_SCRIPT records RedisAI wrote (encoding versions 0 to 4; the numbers are in rdb/codec.h),
 * so a RedisAI database loads into locus_ai. Read-only: locus_ai always writes its own encoding 10
 * (script_type.h). Each decoder reads its layout into a record and ends as our own decoder does
 * (script_from_record), so the backend sees exactly what a version 10 record gives. */
#ifndef LOCUS_MODULE_REDISAI_SCRIPT_DECODE_H
#define LOCUS_MODULE_REDISAI_SCRIPT_DECODE_H

#include "../redismodule_api.h"

/* rdb_load callbacks: a new script, or NULL (logged) for a short, corrupt or uncompilable record. */
void *redisai_script_load_v0(RedisModuleIO *io);
void *redisai_script_load_v1(RedisModuleIO *io); /* versions 1 and 2 */
void *redisai_script_load_v3(RedisModuleIO *io); /* versions 3 and 4 */

#endif
