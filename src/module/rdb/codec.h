/* What the decoders and encoders of the three data types (tensor/, model/, script/) share: RedisAI's encoding
 * version numbers, reading a counted list of strings, RedisAI's C-string terminators, and the argument
 * strings of an AOF rewrite. Each type's own layouts stay in its folder. */
#ifndef LOCUS_MODULE_RDB_CODEC_H
#define LOCUS_MODULE_RDB_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../redismodule_api.h"

/* RedisAI's encoding versions (its REDISAI_ENC_VER over time, one number for its three types; 1.2.3's
 * src/version.h says 2, 1.2.4's says 4, and 1.2.7 still writes 4). What each one changed: */
#define REDISAI_ENCVER_V0 0 /* the first layout */
#define REDISAI_ENCVER_V1 1 /* model blobs in chunks; binary tags (no trailing NUL) */
#define REDISAI_ENCVER_V2 2 /* models: MINBATCHTIMEOUT */
#define REDISAI_ENCVER_V3 3 /* scripts: entry points */
#define REDISAI_ENCVER_V4 4 /* tensors: dtype code and bits, signed shape; no device, lanes, strides */

/* The longest list of names (model inputs and outputs, script entry points) a record may hold. */
#define RDB_MAX_NAMES 65536

/* Read an unsigned count and that many strings into *names / *lens (both allocated, even for 0; *n is 0 when
 * the count is over the limit). False after a short read or for a count over RDB_MAX_NAMES. */
bool rdb_names_load(RedisModuleIO *io, uint64_t *n, char ***names, size_t **lens);

/* RedisAI wrote C strings with their terminator: drop one trailing NUL from p's length (p may be NULL), or
 * from each of n names. */
void rdb_drop_nul(const char *p, size_t *len);
void rdb_drop_nuls(char **names, size_t *lens, uint64_t n);

/* New strings for an AOF rewrite's command arguments (the caller frees them with RedisModule_FreeString). */
RedisModuleString *aof_str_ll(long long v);
RedisModuleString *aof_str_c(const char *s);

#endif
