/* The module's one typed-key lookup, as Redis's lookupKeyReadOrReply and checkType are its: open a key, check
 * that it is empty or holds a value of this module's type, and say what is wrong in RedisAI's words
 * otherwise. Every command, run and backend call that reads or writes a tensor, model or script key goes
 * through here. Main thread, or a worker holding Redis's lock (a thread-safe context). */
#ifndef LOCUS_MODULE_KEYSPACE_H
#define LOCUS_MODULE_KEYSPACE_H

#include "err.h"
#include "redismodule_api.h"

/* The empty-key errors, RedisAI 1.2.7's texts. */
#define KEY_EMPTY_TENSOR "ERR tensor key is empty or in a different shard"
#define KEY_EMPTY_MODEL "ERR model key is empty"
#define KEY_EMPTY_SCRIPT "ERR script key is empty"

/* What `key` holds against `type`: NULL when a `type` value, or when it is empty and empty_msg is NULL; else
 * the error text (a static string): empty_msg for an empty key, WRONGTYPE for a value of another type. */
const char *key_check_type(RedisModuleKey *key, RedisModuleType *type, const char *empty_msg);

/* Open `name` in `mode` (REDISMODULE_READ, or with REDISMODULE_WRITE) and check it as key_check_type does
 * (empty_msg NULL: an empty key is fine, for a store). The open key, which the caller closes; NULL with the
 * key closed and the error replied (_or_reply) or recorded in err. */
RedisModuleKey *open_typed(RedisModuleCtx *ctx, RedisModuleString *name, int mode, RedisModuleType *type,
                           const char *empty_msg, lc_err *err);
RedisModuleKey *open_typed_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, int mode, RedisModuleType *type,
                                    const char *empty_msg);

/* The `type` value stored at `name`, borrowed (valid until the key changes; the key is closed again). NULL
 * with the error replied (_or_reply) or recorded in err: empty_msg when the key is empty, WRONGTYPE. */
void *get_typed(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type, const char *empty_msg,
                lc_err *err);
void *get_typed_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type,
                         const char *empty_msg);

/* The value at an open key when it holds a `type` value, borrowed; NULL when the key is NULL, empty or holds
 * something else (a walk over the keyspace that skips what is not its type). */
void *key_typed_value(RedisModuleKey *key, RedisModuleType *type);

/* The value stored at `name` when it is of one of types[0..ntypes), borrowed, with that type's index in
 * *which; NULL when the key is empty or holds anything else (the caller says what that means: AI.INFO's
 * "cannot find run info"). The key is closed again. */
void *get_one_of_types(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *const *types, int ntypes,
                       int *which);

#endif
