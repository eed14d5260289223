/* AI.MODELSTORE/SET/GET/DEL, AI.SCRIPTSTORE/SET/GET/DEL and AI.INFO: parse, build the model or script
 * (model/), store it, reply. Syntax, replies and error strings follow RedisAI 1.2. */
#include "model_cmds.h"

#include <stdio.h>
#include <string.h>

#include "../config.h"
#include "../copies.h"
#include "../keyspace.h"
#include "../model/model_type.h"
#include "../parsing/model_args.h"
#include "../queue/queue.h"
#include "../script/script_type.h"
#include "../tensor/tensor_type.h"
#include "locus/locus_version.h"
#include "common.h"

static int modelstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, bool deprecated) {
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    const char **names = RedisModule_Alloc((size_t)argc * sizeof *names);
    size_t *lens = RedisModule_Alloc((size_t)argc * sizeof *lens);
    model_store_args a;
    lc_err err;
    RedisModuleKey *key = NULL;
    if (parse_modelstore(argc, v, deprecated, names, lens, &a, &err) != NULL) {
        RedisModule_ReplyWithError(ctx, err.msg);
        goto done;
    }
    key = open_typed_or_reply(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE, ModelType, NULL);
    if (key == NULL)
        goto done;
    size_t total = 0;
    for (int i = a.blob_pos; i < argc; i++)
        total += v[i].len;
    char *blob = RedisModule_Alloc(total > 0 ? total : 1);
    size_t off = 0;
    for (int i = a.blob_pos; i < argc; i++) {
        memcpy(blob + off, v[i].ptr, v[i].len);
        off += v[i].len;
    }
    /* the strings are copied by model_create; tag too */
    model *m = model_create(&a.spec, blob, total, &err);
    if (m == NULL) {
        RedisModule_ReplyWithError(ctx, err.msg);
        goto done;
    }
    RedisModule_ModuleTypeSetValue(key, ModelType, m);
    RedisModule_ReplicateVerbatim(ctx);
    RedisModule_ReplyWithSimpleString(ctx, "OK");
done:
    if (key != NULL)
        RedisModule_CloseKey(key);
    RedisModule_Free(names);
    RedisModule_Free(lens);
    args_views_free(v, stack);
    return REDISMODULE_OK;
}

/* AI.MODELSTORE key backend device [TAG tag] [BATCHSIZE n [MINBATCHSIZE m [MINBATCHTIMEOUT t]]]
 *               [INPUTS n name..] [OUTPUTS n name..] BLOB model [chunk ..] */
int cmd_modelstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return modelstore(ctx, argv, argc, false);
}

/* AI.MODELSET key backend device [TAG tag] [BATCHSIZE ..] [INPUTS name..] [OUTPUTS name..] BLOB model */
int cmd_modelset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return modelstore(ctx, argv, argc, true);
}

static size_t chunk_size(void) {
    return g_config.model_chunk_size > 0 ? (size_t)g_config.model_chunk_size : 511u * 1024 * 1024;
}

static void reply_blob(RedisModuleCtx *ctx, const model *m) {
    size_t cs = chunk_size();
    if (m->bloblen <= cs) {
        RedisModule_ReplyWithStringBuffer(ctx, m->blob, m->bloblen);
        return;
    }
    size_t n = (m->bloblen + cs - 1) / cs;
    RedisModule_ReplyWithArray(ctx, (long)n);
    for (size_t i = 0; i < n; i++) {
        size_t off = i * cs;
        RedisModule_ReplyWithStringBuffer(ctx, m->blob + off, m->bloblen - off < cs ? m->bloblen - off : cs);
    }
}

static void reply_names(RedisModuleCtx *ctx, int n, char **names) {
    RedisModule_ReplyWithArray(ctx, n);
    for (int i = 0; i < n; i++)
        RedisModule_ReplyWithCString(ctx, names[i]);
}

/* AI.MODELGET key [META] [BLOB] */
int cmd_modelget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 2 || argc > 4)
        return RedisModule_WrongArity(ctx);
    arg_view v[4];
    args_views(argv, argc, v, 4);
    model *m = get_typed_or_reply(ctx, argv[1], ModelType, KEY_EMPTY_MODEL); /* the key before the arguments, as RedisAI */
    if (m == NULL)
        return REDISMODULE_OK;
    get_args a;
    lc_err err;
    if (parse_get(argc, v, false, &a, &err) != NULL)
        return RedisModule_ReplyWithError(ctx, err.msg);
    if (!a.meta) {
        reply_blob(ctx, m);
        return REDISMODULE_OK;
    }
    RedisModule_ReplyWithArray(ctx, a.payload ? 18 : 16);
    RedisModule_ReplyWithCString(ctx, "backend");
    RedisModule_ReplyWithCString(ctx, backend_name(m->backend));
    RedisModule_ReplyWithCString(ctx, "device");
    RedisModule_ReplyWithCString(ctx, m->device);
    RedisModule_ReplyWithCString(ctx, "tag");
    RedisModule_ReplyWithStringBuffer(ctx, m->tag, m->taglen);
    RedisModule_ReplyWithCString(ctx, "batchsize");
    RedisModule_ReplyWithLongLong(ctx, m->batchsize);
    RedisModule_ReplyWithCString(ctx, "minbatchsize");
    RedisModule_ReplyWithLongLong(ctx, m->minbatchsize);
    /* as RedisAI: the names given at store time, else the signature's inputs and one "" per output */
    RedisModule_ReplyWithCString(ctx, "inputs");
    if (m->ninput_names > 0)
        reply_names(ctx, m->ninput_names, m->input_names);
    else
        reply_names(ctx, m->nsig_inputs, m->sig_inputs);
    RedisModule_ReplyWithCString(ctx, "outputs");
    if (m->noutput_names > 0 || m->noutputs <= 0) {
        reply_names(ctx, m->noutput_names, m->output_names);
    } else if (m->nsig_outputs > 0) { /* ONNX: the graph's output names, as RedisAI's ONNX backend */
        reply_names(ctx, m->nsig_outputs, m->sig_outputs);
    } else {
        RedisModule_ReplyWithArray(ctx, m->noutputs);
        for (int i = 0; i < m->noutputs; i++)
            RedisModule_ReplyWithCString(ctx, "");
    }
    RedisModule_ReplyWithCString(ctx, "minbatchtimeout");
    RedisModule_ReplyWithLongLong(ctx, m->minbatchtimeout);
    if (a.payload) {
        RedisModule_ReplyWithCString(ctx, "blob");
        reply_blob(ctx, m);
    }
    return REDISMODULE_OK;
}

static int delete_typed(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleType *type, const char *empty) {
    RedisModuleKey *key = open_typed_or_reply(ctx, name, REDISMODULE_READ | REDISMODULE_WRITE, type, empty);
    if (key == NULL)
        return REDISMODULE_OK;
    RedisModule_DeleteKey(key);
    RedisModule_CloseKey(key);
    RedisModule_ReplicateVerbatim(ctx);
    return RedisModule_ReplyWithSimpleString(ctx, "OK");
}

/* AI.MODELDEL key */
int cmd_modeldel(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2)
        return RedisModule_WrongArity(ctx);
    return delete_typed(ctx, argv[1], ModelType, KEY_EMPTY_MODEL);
}

/* AI.SCRIPTDEL key */
int cmd_scriptdel(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 2)
        return RedisModule_WrongArity(ctx);
    return delete_typed(ctx, argv[1], ScriptType, KEY_EMPTY_SCRIPT);
}

static int scriptstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, bool deprecated) {
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    script_store_args a;
    lc_err err;
    if (parse_scriptstore(argc, v, deprecated, &a, &err) != NULL) {
        RedisModule_ReplyWithError(ctx, err.msg);
        goto out;
    }
    RedisModuleKey *key = open_typed_or_reply(ctx, argv[1], REDISMODULE_READ | REDISMODULE_WRITE, ScriptType, NULL);
    if (key == NULL)
        goto out;
    char **entries = RedisModule_Calloc((size_t)a.nentry + 1, sizeof *entries);
    for (int k = 0; k < a.nentry; k++)
        entries[k] = copy_bytes(v[a.first_entry + k].ptr, v[a.first_entry + k].len);
    script *s = script_create(a.device, a.tag.ptr, a.tag.len, copy_bytes(v[a.source_pos].ptr, v[a.source_pos].len), a.nentry,
                              (const char *const *)entries, &err);
    for (int k = 0; k < a.nentry; k++)
        RedisModule_Free(entries[k]);
    RedisModule_Free(entries);
    if (s == NULL) {
        RedisModule_ReplyWithError(ctx, err.msg);
    } else {
        RedisModule_ModuleTypeSetValue(key, ScriptType, s);
        RedisModule_ReplicateVerbatim(ctx);
        RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    RedisModule_CloseKey(key);
out:
    args_views_free(v, stack);
    return REDISMODULE_OK;
}

/* AI.SCRIPTSTORE key device [TAG tag] ENTRY_POINTS n fn.. SOURCE src */
int cmd_scriptstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return scriptstore(ctx, argv, argc, false);
}

/* AI.SCRIPTSET key device [TAG tag] SOURCE src */
int cmd_scriptset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return scriptstore(ctx, argv, argc, true);
}

/* AI.SCRIPTGET key [META] [SOURCE] */
int cmd_scriptget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc < 2 || argc > 4)
        return RedisModule_WrongArity(ctx);
    arg_view v[4];
    args_views(argv, argc, v, 4);
    script *s = get_typed_or_reply(ctx, argv[1], ScriptType, KEY_EMPTY_SCRIPT); /* the key before the arguments, as RedisAI */
    if (s == NULL)
        return REDISMODULE_OK;
    get_args a;
    lc_err err;
    if (parse_get(argc, v, true, &a, &err) != NULL)
        return RedisModule_ReplyWithError(ctx, err.msg);
    if (!a.meta)
        return RedisModule_ReplyWithCString(ctx, s->source);
    RedisModule_ReplyWithArray(ctx, a.payload ? 8 : 6);
    RedisModule_ReplyWithCString(ctx, "device");
    RedisModule_ReplyWithCString(ctx, s->device);
    RedisModule_ReplyWithCString(ctx, "tag");
    RedisModule_ReplyWithStringBuffer(ctx, s->tag, s->taglen);
    RedisModule_ReplyWithCString(ctx, "Entry Points"); /* RedisAI 1.2.7's order: device, tag, Entry Points, source */
    reply_names(ctx, s->nentry, s->entry_points);
    if (a.payload) {
        RedisModule_ReplyWithCString(ctx, "source");
        RedisModule_ReplyWithCString(ctx, s->source);
    }
    return REDISMODULE_OK;
}

static void reply_stats(RedisModuleCtx *ctx, RedisModuleString *key, const char *type, const char *backend,
                        const char *device, const char *tag, size_t taglen, run_stats *st, bool is_script) {
    RedisModule_ReplyWithArray(ctx, 18);
    RedisModule_ReplyWithCString(ctx, "key");
    RedisModule_ReplyWithString(ctx, key);
    RedisModule_ReplyWithCString(ctx, "type");
    RedisModule_ReplyWithCString(ctx, type);
    RedisModule_ReplyWithCString(ctx, "backend");
    RedisModule_ReplyWithCString(ctx, backend);
    RedisModule_ReplyWithCString(ctx, "device");
    RedisModule_ReplyWithCString(ctx, device);
    RedisModule_ReplyWithCString(ctx, "tag");
    RedisModule_ReplyWithStringBuffer(ctx, tag, taglen);
    RedisModule_ReplyWithCString(ctx, "duration");
    RedisModule_ReplyWithLongLong(ctx, __atomic_load_n(&st->duration_us, __ATOMIC_RELAXED));
    RedisModule_ReplyWithCString(ctx, "samples");
    RedisModule_ReplyWithLongLong(ctx, is_script ? -1 : __atomic_load_n(&st->samples, __ATOMIC_RELAXED));
    RedisModule_ReplyWithCString(ctx, "calls");
    RedisModule_ReplyWithLongLong(ctx, __atomic_load_n(&st->calls, __ATOMIC_RELAXED));
    RedisModule_ReplyWithCString(ctx, "errors");
    RedisModule_ReplyWithLongLong(ctx, __atomic_load_n(&st->errors, __ATOMIC_RELAXED));
}

/* AI.INFO QUEUES (when no model or script is stored at "QUEUES"; RedisAI has no such form): the run queues
 * and their workers, one map per queue: device, threads, timeout_ms (the MODEL_EXECUTION_TIMEOUT), the
 * queue's counters (queued, wedged, replacements, deadline_stops: runs stopped at the timeout, batches and
 * batched_runs: executions that served several runs, and those runs, as AI.INFO <key> counts each run as a
 * call), workers, and per worker state (idle, running, wedged), running_ms and run. */
static int reply_queues(RedisModuleCtx *ctx) {
    queue_info *qs;
    int n = queue_snapshot(&qs);
    RedisModule_ReplyWithArray(ctx, n);
    for (int i = 0; i < n; i++) {
        const queue_info *q = &qs[i];
        queue_counter counters[QUEUE_NCOUNTERS];
        queue_counters(q, counters);
        RedisModule_ReplyWithArray(ctx, 2 * (3 + QUEUE_NCOUNTERS) + 2);
        RedisModule_ReplyWithCString(ctx, "device");
        RedisModule_ReplyWithCString(ctx, q->device);
        RedisModule_ReplyWithCString(ctx, "threads");
        RedisModule_ReplyWithLongLong(ctx, q->configured);
        RedisModule_ReplyWithCString(ctx, "timeout_ms");
        RedisModule_ReplyWithLongLong(ctx, g_config.model_execution_timeout);
        for (int k = 0; k < QUEUE_NCOUNTERS; k++) {
            RedisModule_ReplyWithCString(ctx, counters[k].name);
            RedisModule_ReplyWithLongLong(ctx, counters[k].value);
        }
        RedisModule_ReplyWithCString(ctx, "workers");
        RedisModule_ReplyWithArray(ctx, q->nworkers);
        for (int k = 0; k < q->nworkers; k++) {
            const queue_worker_info *w = &q->workers[k];
            RedisModule_ReplyWithArray(ctx, 6);
            RedisModule_ReplyWithCString(ctx, "state");
            RedisModule_ReplyWithCString(ctx, w->wedged ? "wedged" : w->busy ? "running" : "idle");
            RedisModule_ReplyWithCString(ctx, "running_ms");
            RedisModule_ReplyWithLongLong(ctx, w->running_ms);
            RedisModule_ReplyWithCString(ctx, "run");
            RedisModule_ReplyWithCString(ctx, w->what);
        }
    }
    queue_snapshot_free(qs, n);
    return REDISMODULE_OK;
}

/* AI.INFO without a key, as RedisAI 1.2 replies it: the module's version, its low-level API version, its RDB
 * encoding version, then "<Backend> version" and the version of each backend loaded. */
static int reply_module_info(RedisModuleCtx *ctx) {
    static const char *const names[BACKEND_COUNT] = {"TensorFlow version", "TFLite version", "Torch version",
                                                     "ONNX version"};
    long n = 6;
    for (int b = 0; b < BACKEND_COUNT; b++)
        n += backend_loaded((backend_id)b) != NULL ? 2 : 0;
    RedisModule_ReplyWithArray(ctx, n);
    RedisModule_ReplyWithSimpleString(ctx, "Version");
    RedisModule_ReplyWithStringBuffer(ctx, LOCUS_VERSION_STRING, strlen(LOCUS_VERSION_STRING));
    RedisModule_ReplyWithSimpleString(ctx, "Low Level API Version");
    RedisModule_ReplyWithStringBuffer(ctx, "1", 1);
    char enc[16];
    snprintf(enc, sizeof enc, "%d", TENSOR_ENCVER_CURRENT);
    RedisModule_ReplyWithSimpleString(ctx, "RDB Encoding version");
    RedisModule_ReplyWithStringBuffer(ctx, enc, strlen(enc));
    for (int b = 0; b < BACKEND_COUNT; b++) {
        const lb_ops *ops = backend_loaded((backend_id)b);
        if (ops != NULL) {
            RedisModule_ReplyWithSimpleString(ctx, names[b]);
            RedisModule_ReplyWithSimpleString(ctx, ops->version);
        }
    }
    return REDISMODULE_OK;
}

/* AI.INFO key [RESETSTAT] | AI.INFO QUEUES | AI.INFO */
int cmd_info(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc == 1)
        return reply_module_info(ctx);
    if (argc != 2 && argc != 3)
        return RedisModule_WrongArity(ctx);
    arg_view v[3];
    args_views(argv, argc, v, 3);
    bool reset = parse_info_reset(argc, v);
    RedisModuleType *const types[] = {ModelType, ScriptType};
    int which = 0;
    void *val = get_one_of_types(ctx, argv[1], types, 2, &which);
    RedisModuleType *t = val != NULL ? types[which] : NULL;
    if (val == NULL) {
        if (argc == 2 && arg_is(v[1], "QUEUES"))
            return reply_queues(ctx);
        return RedisModule_ReplyWithError(ctx, "ERR cannot find run info for key");
    }
    run_stats *st = t == ModelType ? &((model *)val)->stats : &((script *)val)->stats;
    if (reset) {
        run_stats_reset(st);
        return RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    if (t == ModelType) {
        model *m = val;
        reply_stats(ctx, argv[1], "MODEL", backend_name(m->backend), m->device, m->tag, m->taglen, st, false);
    } else {
        script *s = val;
        reply_stats(ctx, argv[1], "SCRIPT", "TORCH", s->device, s->tag, s->taglen, st, true);
    }
    return REDISMODULE_OK;
}

/* AI._MODELSCAN / AI._SCRIPTSCAN's keyspace walk: [key, tag] of every value of one type. */
typedef struct {
    RedisModuleCtx *ctx;
    RedisModuleType *type;
    long n;
} scan_state;

static void scan_one(RedisModuleCtx *ctx, RedisModuleString *name, RedisModuleKey *key, void *privdata) {
    (void)ctx;
    scan_state *st = privdata;
    void *v = key_typed_value(key, st->type);
    if (v == NULL)
        return;
    const char *tag = st->type == ModelType ? ((model *)v)->tag : ((script *)v)->tag;
    size_t taglen = st->type == ModelType ? ((model *)v)->taglen : ((script *)v)->taglen;
    RedisModule_ReplyWithArray(st->ctx, 2);
    RedisModule_ReplyWithString(st->ctx, name);
    RedisModule_ReplyWithStringBuffer(st->ctx, tag ? tag : "", tag ? taglen : 0);
    st->n++;
}

static int scan_type(RedisModuleCtx *ctx, RedisModuleType *type, const char *what) {
    if (!RedisModule_Scan || !RedisModule_ScanCursorCreate)
        return RedisModule_ReplyWithError(ctx, "ERR this Redis has no keyspace scan for modules (Redis >= 6.0.6)");
    RedisModule_Log(ctx, "warning", "%s is experimental and might be removed in future versions", what);
    scan_state st = {ctx, type, 0};
    RedisModule_ReplyWithArray(ctx, REDISMODULE_POSTPONED_ARRAY_LEN);
    RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
    while (RedisModule_Scan(ctx, cur, scan_one, &st))
        ;
    RedisModule_ScanCursorDestroy(cur);
    RedisModule_ReplySetArrayLength(ctx, st.n);
    return REDISMODULE_OK;
}

/* AI._MODELSCAN: [key, tag] of every model (RedisAI's experimental listing) */
int cmd_modelscan(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    return argc != 1 ? RedisModule_WrongArity(ctx) : scan_type(ctx, ModelType, "MODELSCAN");
}

/* AI._SCRIPTSCAN: [key, tag] of every script */
int cmd_scriptscan(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    return argc != 1 ? RedisModule_WrongArity(ctx) : scan_type(ctx, ScriptType, "SCRIPTSCAN");
}
