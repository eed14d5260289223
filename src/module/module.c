/* locus_ai.so: entry point of the module. Registers the data types and the command table, and reads the
 * load-time options. Everything else lives in the folders beside this file. */
#include <stdio.h>
#include <string.h>

#include "backends/loader.h"
#include "commands/config_cmd.h"
#include "commands/info.h"
#include "commands/model_cmds.h"
#include "commands/tensor_cmds.h"
#include "config.h"
#include "locus/locus_version.h"
#include "model/model_type.h"
#include "queue/queue.h"
#include "redismodule_api.h"
#include "script/script_type.h"
#include "tensor/tensor_type.h"

#define MODULE_NAME "ai"

static const struct {
    const char *name;
    RedisModuleCmdFunc fn;
    const char *flags;
    int firstkey, lastkey, keystep;
} commands[] = {
    {"AI.TENSORSET", cmd_tensorset, "write deny-oom", 1, 1, 1},
    {"AI.TENSORGET", cmd_tensorget, "readonly", 1, 1, 1},
    {"AI.MODELSTORE", cmd_modelstore, "write deny-oom", 1, 1, 1},
    {"AI.MODELSET", cmd_modelset, "write deny-oom", 1, 1, 1},
    {"AI.MODELGET", cmd_modelget, "readonly", 1, 1, 1},
    {"AI.MODELDEL", cmd_modeldel, "write", 1, 1, 1},
    {"AI.MODELEXECUTE", cmd_modelexecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.MODELRUN", cmd_modelrun, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTSTORE", cmd_scriptstore, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTSET", cmd_scriptset, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTGET", cmd_scriptget, "readonly", 1, 1, 1},
    {"AI.SCRIPTDEL", cmd_scriptdel, "write", 1, 1, 1},
    {"AI.SCRIPTEXECUTE", cmd_scriptexecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTRUN", cmd_scriptrun, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.DAGEXECUTE", cmd_dagexecute, "write deny-oom getkeys-api", 0, 0, 0},
    {"AI.DAGEXECUTE_RO", cmd_dagexecute_ro, "readonly getkeys-api", 0, 0, 0},
    {"AI.DAGRUN", cmd_dagrun, "write deny-oom getkeys-api", 0, 0, 0},
    {"AI.DAGRUN_RO", cmd_dagrun_ro, "readonly getkeys-api", 0, 0, 0},
    {"AI._MODELSCAN", cmd_modelscan, "readonly", 0, 0, 0},
    {"AI._SCRIPTSCAN", cmd_scriptscan, "readonly", 0, 0, 0},
    {"AI.INFO", cmd_info, "readonly", 1, 1, 1},
    {"AI.CONFIG", cmd_config, "write", 0, 0, 0},
};

/* The three data types, each registered by its own folder (tensor/, model/, script/). */
static const struct {
    const char *name;
    int (*reg)(RedisModuleCtx *ctx);
} data_types[] = {
    {TENSOR_TYPE_NAME, tensor_type_register},
    {MODEL_TYPE_NAME, model_type_register},
    {SCRIPT_TYPE_NAME, script_type_register},
};

/* RedisAI's load-time backend options: each named backend is loaded now (a missing or broken one is logged
 * and the server still starts: its models answer "backend not available" later), and the options RedisAI
 * defines that this module does not apply yet are accepted and said so in the log. */
static void start_preload(RedisModuleCtx *ctx, void *data) {
    (void)ctx, (void)data;
    backend_preload(BACKEND_TORCH);
}

/* A server stopped while libtorch still loads in the background would exit under it and crash in exit()
 * (SHUTDOWN or SIGTERM soon after start, on a server that never needed Torch): stop only once it is done. */
static void on_shutdown(RedisModuleCtx *ctx, RedisModuleEvent eid, uint64_t subevent, void *data) {
    (void)ctx, (void)eid, (void)subevent, (void)data;
    backend_preload_wait();
}

static void preload_backends(RedisModuleCtx *ctx) {
    const struct {
        const char *name;
        const char *path;
    } wanted[] = {{"TF", g_config.tf_path}, {"TFLITE", g_config.tflite_path}, {"TORCH", g_config.torch_path},
                  {"ONNX", g_config.onnx_path}};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (!wanted[i].path[0])
            continue;
        int id = backend_by_name(wanted[i].name, strlen(wanted[i].name));
        char path[1200];
        lc_err err;
        /* the operator chose it at load time: any path, relative ones inside the backends directory */
        backend_resolve_path(wanted[i].path, strlen(wanted[i].path), true, path, sizeof path, &err);
        if (backend_load_path((backend_id)id, path, &err) != 0)
            RedisModule_Log(ctx, "warning", "locus_ai: %s backend not loaded (%s); its models are refused until "
                                            "it is", wanted[i].name, err.msg);
        else
            RedisModule_Log(ctx, "notice", "locus_ai: %s backend loaded from %s", wanted[i].name, path);
    }
    /* The first store must not wait for libtorch: load it in the background, but only once the server runs.
     * dlopen holds the loader's lock throughout, and Redis's start (bio threads: each pthread_create takes
     * that lock for its TLS) would wait for it: 4 ms to ready became 270 ms, and far more on a loaded host. */
    if (!g_config.torch_path[0] && g_config.backend_preload) {
        /* The server waits for that load before it exits (see on_shutdown); a server too old to tell us
         * that it stops loads Torch at its first use instead. */
        RedisModuleEvent shutdown = {REDISMODULE_EVENT_SHUTDOWN, REDISMODULE_EVENT_SHUTDOWN_DATAVER};
        if (RedisModule_CreateTimer && RedisModule_SubscribeToServerEvent &&
            RedisModule_SubscribeToServerEvent(ctx, shutdown, on_shutdown) == REDISMODULE_OK)
            RedisModule_CreateTimer(ctx, 1, start_preload, NULL);
    }
    if (g_config.model_execution_timeout > 0)
        RedisModule_Log(ctx, "notice", "locus_ai: MODEL_EXECUTION_TIMEOUT %lld ms: a model or script run past it is "
                                       "stopped at its next tensor operation",
                        g_config.model_execution_timeout);
    if (g_config.backend_memory_limit > 0)
        RedisModule_Log(ctx, "warning", "locus_ai: BACKEND_MEMORY_LIMIT %lld accepted but not applied",
                        g_config.backend_memory_limit);
}

__attribute__((visibility("default"))) int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv,
                                                              int argc) {
    /* The version Redis shows in MODULE LIST: 0x00MMmmpp read as decimal MMmmpp. */
    int version = LOCUS_VERSION_MAJOR * 10000 + LOCUS_VERSION_MINOR * 100 + LOCUS_VERSION_PATCH;
    if (rm_api_init(ctx, MODULE_NAME, version) != REDISMODULE_OK)
        return REDISMODULE_ERR;

    config_defaults(&g_config);
    arg_view views[argc > 0 ? argc : 1];
    for (int i = 0; i < argc; i++)
        views[i].ptr = RedisModule_StringPtrLen(argv[i], &views[i].len);
    lc_err err;
    if (config_apply(&g_config, argc, views, &err) != NULL) {
        RedisModule_Log(ctx, "warning", "locus_ai: bad load argument: %s", err.msg + 4); /* less "ERR " */
        return REDISMODULE_ERR;
    }

    /* Decoders check RedisModule_IsIOError after their reads and return NULL on a bad payload. */
    RedisModule_SetModuleOptions(ctx, REDISMODULE_OPTIONS_HANDLE_IO_ERRORS);
    for (size_t i = 0; i < sizeof data_types / sizeof data_types[0]; i++) {
        if (data_types[i].reg(ctx) != REDISMODULE_OK) {
            RedisModule_Log(ctx, "warning", "locus_ai: could not register the %s data type", data_types[i].name);
            return REDISMODULE_ERR;
        }
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (RedisModule_CreateCommand(ctx, commands[i].name, commands[i].fn, commands[i].flags, commands[i].firstkey,
                                      commands[i].lastkey, commands[i].keystep) != REDISMODULE_OK) {
            RedisModule_Log(ctx, "warning", "locus_ai: could not register %s", commands[i].name);
            return REDISMODULE_ERR;
        }
    }
    preload_backends(ctx);
    /* the CPU queue and its workers from the start, as RedisAI (INFO lists their threads) */
    if (queue_open("CPU", &err) != 0) {
        RedisModule_Log(ctx, "warning", "locus_ai: could not start the CPU run queue: %s", err.msg + 4);
        return REDISMODULE_ERR;
    }
    info_register(ctx);
    RedisModule_Log(ctx, "notice", "locus_ai %s loaded (threads per queue %lld)", LOCUS_VERSION_STRING,
                    g_config.threads_per_queue);
    return REDISMODULE_OK;
}
