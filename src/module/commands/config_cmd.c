/* AI.CONFIG: the module's settings at run time (RedisAI 1.2.7's subcommands and texts), beside config.c,
 * which holds the settings and parses the load-time options. */
#include "config_cmd.h"

#include "../backends/loader.h"
#include "../config.h"
#include "../parsing/args.h"
#include "common.h"

/* AI.CONFIG BACKENDSPATH dir | LOADBACKEND backend path | MODEL_CHUNK_SIZE bytes
 *         | GET BACKENDSPATH | GET MODEL_CHUNK_SIZE
 * Arity and value errors as RedisAI 1.2.7's AI.CONFIG replies them; arguments past the ones a subcommand reads
 * are ignored, as there. */
int cmd_config(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 2)
        return RedisModule_WrongArity(ctx);
    arg_view v[4];
    args_views(argv, argc < 4 ? argc : 4, v, 4);
    if (arg_is(v[1], "GET")) {
        if (argc != 3)
            return RedisModule_WrongArity(ctx);
        if (arg_is(v[2], "BACKENDSPATH")) {
            char dir[1024];
            backend_default_dir(dir, sizeof dir);
            return RedisModule_ReplyWithCString(ctx, dir);
        }
        if (arg_is(v[2], "MODEL_CHUNK_SIZE"))
            return RedisModule_ReplyWithLongLong(ctx, g_config.model_chunk_size);
        return RedisModule_ReplyWithNull(ctx);
    }
    if (arg_is(v[1], "LOADBACKEND")) {
        if (argc < 4)
            return RedisModule_WrongArity(ctx);
        int id = backend_by_name(v[2].ptr, v[2].len);
        if (id < 0)
            return RedisModule_ReplyWithError(ctx, "ERR unsupported backend");
        char path[1200];
        lc_err err;
        bool any = g_config.backend_paths_at_runtime != 0;
        if (backend_resolve_path(v[3].ptr, v[3].len, any, path, sizeof path, &err) != 0)
            return RedisModule_ReplyWithError(ctx, err.msg);
        if (backend_load_path((backend_id)id, path, &err) != 0) {
            /* RedisAI's reply; the reason goes to the server's log */
            RedisModule_Log(ctx, "warning", "AI.CONFIG LOADBACKEND: %s", err.msg);
            return RedisModule_ReplyWithError(ctx, "ERR error loading backend");
        }
        return RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    if (arg_is(v[1], "BACKENDSPATH")) {
        if (argc < 3)
            return RedisModule_ReplyWithError(ctx, "ERR BACKENDSPATH: missing path argument");
        if (!g_config.backend_paths_at_runtime)
            return RedisModule_ReplyWithError(ctx, "ERR AI.CONFIG BACKENDSPATH is refused at run time: a client could "
                                                   "make the server load any library. Set it when loading the module "
                                                   "(BACKENDSPATH dir), or load it with BACKEND_PATHS_AT_RUNTIME 1");
        lc_err err;
        if (config_apply(&g_config, 2, v + 1, &err) != NULL)
            return RedisModule_ReplyWithError(ctx, err.msg);
        return RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    if (arg_is(v[1], "MODEL_CHUNK_SIZE")) {
        if (argc < 3)
            return RedisModule_ReplyWithError(ctx, "ERR MODEL_CHUNK_SIZE: missing chunk size");
        lc_err err;
        if (config_apply(&g_config, 2, v + 1, &err) != NULL)
            return RedisModule_ReplyWithError(ctx, "ERR MODEL_CHUNK_SIZE: invalid chunk size");
        return RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    return RedisModule_ReplyWithError(ctx, "ERR unsupported subcommand");
}
