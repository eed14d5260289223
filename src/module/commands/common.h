/* Helpers shared by command handlers. Functions named *_or_reply have already sent the error reply when
 * they fail, so a handler just returns REDISMODULE_OK (each error reaches the client exactly once). */
#ifndef LOCUS_MODULE_COMMANDS_COMMON_H
#define LOCUS_MODULE_COMMANDS_COMMON_H

#include "../parsing/args.h"
#include "../redismodule_api.h"
#include "../tensor/tensor.h"

/* Views of argv[0..argc). Small arrays live in `stack` (n_stack entries), larger ones are allocated;
 * release with args_views_free(views, stack). */
arg_view *args_views(RedisModuleString **argv, int argc, arg_view *stack, int n_stack);
void args_views_free(arg_view *views, arg_view *stack);

/* Open `name` for writing; fails (WRONGTYPE) when it holds something other than `type`. */
int open_key_for_write_or_reply(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type,
                                RedisModuleKey **key);

/* The tensor stored at `name`, borrowed (valid until the key changes). NULL with the reply sent when the
 * key is empty or of another type. */
tensor *get_tensor_or_reply(RedisModuleCtx *ctx, RedisModuleString *name);

/* Refuse a payload that is larger than the server's proto-max-bulk-len (what the server would let a client
 * send as one value). Cheap for small sizes: the configuration is only read above the smallest legal limit. */
int check_bulk_limit_or_reply(RedisModuleCtx *ctx, size_t nbytes);
/* The same check without a reply: true, with the error message in msg, when nbytes is over the limit. */
bool bulk_limit_exceeded(RedisModuleCtx *ctx, size_t nbytes, char *msg, size_t msglen);

#endif
