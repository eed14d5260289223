/* Helpers shared by command handlers. Functions named *_or_reply have already sent the error reply when
 * they fail, so a handler just returns REDISMODULE_OK (each error reaches the client exactly once). */
#ifndef LOCUS_MODULE_COMMANDS_COMMON_H
#define LOCUS_MODULE_COMMANDS_COMMON_H

#include "../err.h"
#include "../parsing/args.h"
#include "../redismodule_api.h"
#include "../tensor/tensor.h"

/* How many argument views a handler keeps on its stack for args_views; more are allocated. */
#define STACK_ARGS 64

/* Views of argv[0..argc). Small arrays live in `stack` (n_stack entries), larger ones are allocated;
 * release with args_views_free(views, stack). */
arg_view *args_views(RedisModuleString **argv, int argc, arg_view *stack, int n_stack);
void args_views_free(arg_view *views, arg_view *stack);

/* True, with the error recorded in err, when nbytes is larger than the server's proto-max-bulk-len (what the
 * server would let a client send as one value). Cheap for small sizes: the configuration is only read above
 * the smallest legal limit. */
bool bulk_limit_exceeded(RedisModuleCtx *ctx, size_t nbytes, lc_err *err);

/* The tensor a parsed AI.TENSORSET (a) describes, its BLOB or VALUES in views/argv. With `hold` a large BLOB
 * is kept as the argument string itself (a key's value); without, it is copied (a DAG's, read by workers).
 * Zero-filled and VALUES tensors are refused above proto-max-bulk-len (a BLOB is at most what the client
 * could send). NULL with the error reply (RedisAI's texts) in err. */
tensor *tensor_build(RedisModuleCtx *ctx, RedisModuleString **argv, const arg_view *views, const tensor_set_args *a,
                     bool hold, lc_err *err);

#endif
