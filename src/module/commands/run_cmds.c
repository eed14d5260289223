/* AI.MODELEXECUTE / AI.MODELRUN, AI.SCRIPTEXECUTE / AI.SCRIPTRUN, AI.DAGEXECUTE / AI.DAGEXECUTE_RO.
 *
 * Each command is parsed into a run (run/run.h) on the main thread: inputs are looked up (from the keyspace
 * for a single command, from the DAG's tensor table inside a DAG) and retained, then the run is handed to
 * the device's run queue and the client is blocked until a worker has executed it. Parsing errors are
 * replied at once; nothing is queued. */
#include <stdio.h>
#include <string.h>

#include "../copies.h"
#include "../keyspace.h"
#include "../model/model_type.h"
#include "../parsing/run_args.h"
#include "../run/run.h"
#include "../script/script_type.h"
#include "../tensor/tensor_type.h"
#include "common.h"
#include "model_cmds.h"

typedef struct parse_ctx {
    RedisModuleCtx *ctx;
    run_ctx *rc;
    bool dag;
    RedisModuleString **argv; /* the DAG's, for its LOAD keys */
    lc_err err;
} parse_ctx;

static int fail(parse_ctx *p, const char *text) {
    lc_err_put(&p->err, text);
    return -1;
}

static tensor *keyspace_tensor(parse_ctx *p, RedisModuleString *name) {
    return get_typed(p->ctx, name, TensorType, KEY_EMPTY_TENSOR, &p->err);
}

/* The slot an input name refers to: inside a DAG an earlier version of it; standalone, a new slot holding
 * the tensor stored under that key. -1 with p->err set. */
static int input_slot(parse_ctx *p, RedisModuleString *name) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(name, &len);
    if (p->dag) {
        int slot = run_ctx_find_slot(p->rc, s, len);
        if (slot < 0)
            return fail(p, "ERR INPUT key cannot be found in DAG");
        return slot;
    }
    tensor *t = keyspace_tensor(p, name);
    if (t == NULL)
        return -1;
    int slot = run_ctx_new_slot(p->rc, s, len);
    p->rc->slots[slot] = tensor_retain(t);
    return slot;
}

static int output_slot(parse_ctx *p, RedisModuleString *name) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(name, &len);
    int slot = run_ctx_new_slot(p->rc, s, len);
    if (!p->dag)
        run_ctx_add_persist(p->rc, slot, name);
    return slot;
}

/* The op's slots: inputs argv[in_pos[i]] (argv[first_in + i] when in_pos is NULL), outputs argv[first_out ..]. */
static int fill_ios(parse_ctx *p, dag_op *op, RedisModuleString **argv, const int *in_pos, int first_in, int nin,
                    int first_out, int nout) {
    op->nin = nin;
    op->nout = nout;
    op->in = RedisModule_Calloc((size_t)nin + 1, sizeof(int));
    op->out = RedisModule_Calloc((size_t)nout + 1, sizeof(int));
    for (int i = 0; i < nin; i++)
        if ((op->in[i] = input_slot(p, argv[in_pos != NULL ? in_pos[i] : first_in + i])) < 0)
            return -1;
    for (int i = 0; i < nout; i++)
        op->out[i] = output_slot(p, argv[first_out + i]);
    return 0;
}

static void *keyspace_value(parse_ctx *p, RedisModuleString *name, RedisModuleType *type, const char *empty) {
    void *v = get_typed(p->ctx, name, type, empty, &p->err);
    if (v != NULL && p->rc->what[0] == '\0') { /* the first model or script names the run (AI.INFO) */
        size_t len;
        const char *s = RedisModule_StringPtrLen(name, &len);
        snprintf(p->rc->what, sizeof p->rc->what, "%s%s %.*s", p->dag ? "DAG: " : "",
                 type == ModelType ? "model" : "script", (int)(len > 64 ? 64 : len), s);
    }
    return v;
}

/* A TIMEOUT a parser read: the run's (a DAG op's TIMEOUT is refused by the parser). */
static void set_timeout(parse_ctx *p, long long timeout_ms) {
    if (timeout_ms > 0)
        p->rc->qi.timeout_ms = timeout_ms;
}

typedef const char *(*model_args_parser)(int argc, const arg_view *v, int model_nin, int model_nout, bool dag,
                                         model_run_args *out, lc_err *err);

/* AI.MODELEXECUTE / AI.MODELRUN: the arity, the model (RedisAI looks it up before the arguments), the
 * arguments against its counts, then the input keys. */
static int model_op(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v, run_command kind,
                    model_args_parser parse) {
    if (parse_run_arity(kind, argc, &p->err) != NULL)
        return -1;
    model *m = keyspace_value(p, argv[1], ModelType, KEY_EMPTY_MODEL);
    if (m == NULL)
        return -1;
    model_run_args a;
    if (parse(argc, v, m->ninputs, m->noutputs, p->dag, &a, &p->err) != NULL)
        return -1;
    set_timeout(p, a.timeout_ms);
    dag_op *op = run_ctx_add_op(p->rc, OP_MODEL);
    op->m = model_retain(m);
    return fill_ios(p, op, argv, NULL, a.first_in, a.nin, a.first_out, a.nout);
}

/* AI.MODELEXECUTE key INPUTS n in.. OUTPUTS n out.. [TIMEOUT ms] */
static int op_modelexecute(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    return model_op(p, argv, argc, v, RUN_MODELEXECUTE, parse_modelexecute);
}

/* AI.MODELRUN key [TIMEOUT ms] INPUTS in.. OUTPUTS out.. (deprecated form, no counts) */
static int op_modelrun(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    return model_op(p, argv, argc, v, RUN_MODELRUN, parse_modelrun);
}

/* NULL-terminated copies of n arguments; the caller frees each and the array. */
static char **dup_views(const arg_view *v, int n) {
    char **out = RedisModule_Calloc((size_t)n + 1, sizeof *out);
    for (int i = 0; i < n; i++)
        out[i] = copy_bytes(v[i].ptr, v[i].len);
    return out;
}

/* The script's function v, checked by the backend: its copy, or NULL with p->err set. */
static char *checked_function(parse_ctx *p, script *s, arg_view v) {
    char *fn = copy_bytes(v.ptr, v.len);
    if (s->ops->script_check_function(s->handle, fn, 0, &p->err) != 0) {
        p->err.msg[RUN_ERR_CUT - 1] = '\0'; /* the backend's text, cut where it always was */
        RedisModule_Free(fn);
        return NULL;
    }
    return fn;
}

/* The script op of parsed arguments; takes fn. */
static int script_op(parse_ctx *p, RedisModuleString **argv, const arg_view *v, script *s, char *fn,
                     const script_run_args *a) {
    set_timeout(p, a->timeout_ms);
    dag_op *op = run_ctx_add_op(p->rc, OP_SCRIPT);
    op->s = script_retain(s);
    op->fn = fn;
    op->variadic_from = a->variadic_from;
    op->nkeys = a->nkeys;
    op->keys = dup_views(v + a->first_keys, a->nkeys);
    op->nargs = a->nargs;
    op->args = dup_views(v + a->first_args, a->nargs);
    return fill_ios(p, op, argv, a->in_pos, 0, a->nin, a->first_out, a->nout);
}

/* AI.SCRIPTEXECUTE key fn [KEYS n k..] [INPUTS n in..] [ARGS n a..] [OUTPUTS n out..] [TIMEOUT ms]: the
 * script, the scopes, then the function (RedisAI 1.2.7's order). */
static int op_scriptexecute(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (parse_run_arity(RUN_SCRIPTEXECUTE, argc, &p->err) != NULL)
        return -1;
    script *s = keyspace_value(p, argv[1], ScriptType, KEY_EMPTY_SCRIPT);
    if (s == NULL)
        return -1;
    int *in_pos = RedisModule_Alloc((size_t)argc * sizeof *in_pos);
    script_run_args a;
    char *fn = NULL;
    int rcode = -1;
    if (parse_scriptexecute(argc, v, p->dag, in_pos, &a, &p->err) == NULL &&
        (fn = checked_function(p, s, v[2])) != NULL)
        rcode = script_op(p, argv, v, s, fn, &a);
    RedisModule_Free(in_pos);
    return rcode;
}

/* AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in.. [$ in..] OUTPUTS out.. (deprecated; `$` starts the inputs
 * passed as one List[Tensor]): the script, the function, then the rest. */
static int op_scriptrun(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (parse_run_arity(RUN_SCRIPTRUN, argc, &p->err) != NULL)
        return -1;
    script *s = keyspace_value(p, argv[1], ScriptType, KEY_EMPTY_SCRIPT);
    if (s == NULL || parse_scriptrun_function(argc, v, &p->err) != NULL)
        return -1;
    char *fn = checked_function(p, s, v[2]);
    if (fn == NULL)
        return -1;
    int *in_pos = RedisModule_Alloc((size_t)argc * sizeof *in_pos);
    script_run_args a;
    int rcode = -1;
    if (parse_scriptrun(argc, v, p->dag, in_pos, &a, &p->err) == NULL)
        rcode = script_op(p, argv, v, s, fn, &a);
    else
        RedisModule_Free(fn);
    RedisModule_Free(in_pos);
    return rcode;
}

static int submit_or_reply(RedisModuleCtx *ctx, parse_ctx *p, int rcode) {
    if (rcode != 0) {
        run_ctx_free(p->rc);
        return RedisModule_ReplyWithError(ctx, p->err.msg);
    }
    return run_dispatch(ctx, p->rc);
}

typedef int (*op_parser)(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v);

/* The single-op commands' parsers, by run_command */
static op_parser const single_parsers[] = {op_modelexecute, op_modelrun, op_scriptexecute, op_scriptrun};

static int refuse_in_multi_or_lua(RedisModuleCtx *ctx);

/* The server asks which arguments are keys (getkeys-api: cluster routing, CROSSSLOT, COMMAND GETKEYS). */
static int report_keys(RedisModuleCtx *ctx, run_command kind, RedisModuleString **argv, int argc) {
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    int *pos = RedisModule_Alloc(sizeof(int) * ((size_t)argc + 1));
    int n = run_key_positions(kind, argc, v, pos);
    for (int i = 0; i < n; i++)
        RedisModule_KeyAtPos(ctx, pos[i]);
    RedisModule_Free(pos);
    args_views_free(v, stack);
    return REDISMODULE_OK;
}

static int single(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, run_command kind) {
    if (RedisModule_IsKeysPositionRequest(ctx))
        return report_keys(ctx, kind, argv, argc);
    if (refuse_in_multi_or_lua(ctx) != 0)
        return REDISMODULE_OK;
    parse_ctx p = {.ctx = ctx, .rc = run_ctx_new(false), .dag = false};
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    int rcode = single_parsers[kind](&p, argv, argc, v);
    args_views_free(v, stack);
    return submit_or_reply(ctx, &p, rcode);
}

int cmd_modelexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, RUN_MODELEXECUTE);
}
int cmd_modelrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, RUN_MODELRUN);
}
int cmd_scriptexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, RUN_SCRIPTEXECUTE);
}
int cmd_scriptrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, RUN_SCRIPTRUN);
}

/* ---- DAG ---- */

/* |> AI.TENSORSET name TYPE dims.. [BLOB b | VALUES v..]: the tensor is built now (a copy, never a held
 * argument string: workers read it while the main thread goes on). */
static int op_dag_tensorset(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 3)
        return fail(p, "ERR wrong number of arguments for 'AI.TENSORSET' command");
    int64_t *dims = RedisModule_Alloc((size_t)argc * sizeof *dims);
    tensor_set_args a;
    tensor *t = NULL;
    if (parse_tensorset(argc, v, dims, &a, &p->err) == NULL)
        t = tensor_build(p->ctx, argv, v, &a, false, &p->err);
    RedisModule_Free(dims);
    if (t == NULL)
        return -1;
    dag_op *op = run_ctx_add_op(p->rc, OP_TENSORSET);
    op->set_tensor = t;
    op->nout = 1;
    op->out = RedisModule_Calloc(1, sizeof(int));
    op->out[0] = run_ctx_new_slot(p->rc, v[1].ptr, v[1].len);
    return 0;
}

/* |> AI.TENSORGET name [META] [BLOB | VALUES] */
static int op_dag_tensorget(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 2 || argc > 4)
        return fail(p, "ERR wrong number of arguments for 'AI.TENSORGET' command");
    unsigned fmt;
    if (parse_tensorget(argc, v, &fmt, &p->err) != NULL)
        return -1;
    int slot = input_slot(p, argv[1]);
    if (slot < 0)
        return -1;
    dag_op *op = run_ctx_add_op(p->rc, OP_TENSORGET);
    op->get_fmt = fmt;
    op->nin = 1;
    op->in = RedisModule_Calloc(1, sizeof(int));
    op->in[0] = slot;
    return 0;
}

/* parse_dag_preamble's hook: the LOAD keys argv[first ..] into new slots, looked up where RedisAI does. */
static const char *load_keys(void *ud, const arg_view *v, int first, int n, lc_err *err) {
    parse_ctx *p = ud;
    (void)err; /* p->err is it */
    for (int k = 0; k < n; k++) {
        tensor *t = keyspace_tensor(p, p->argv[first + k]);
        if (t == NULL)
            return p->err.msg;
        int slot = run_ctx_new_slot(p->rc, v[first + k].ptr, v[first + k].len);
        p->rc->slots[slot] = tensor_retain(t);
    }
    return NULL;
}

/* The preamble (parse_dag_preamble), then |> ops; the PERSIST keys must name slots. Errors as RedisAI 1.2.7's
 * dag_parser.c words them. */
static int parse_dag(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v, bool ro, bool dagrun,
                     bool cluster) {
    dag_args d;
    p->argv = argv;
    if (parse_dag_preamble(argc, v, ro, dagrun, cluster, load_keys, p, &d, &p->err) != NULL)
        return -1;
    set_timeout(p, d.timeout_ms);
    static op_parser const parsers[2][DAG_OP_COUNT] = {
        {op_dag_tensorset, op_dag_tensorget, op_modelexecute, op_scriptexecute},
        {op_dag_tensorset, op_dag_tensorget, op_modelrun, op_scriptrun}};
    for (int i = d.ops_pos; i < argc;) {
        int start, end;
        dag_op_name k;
        if (parse_dag_op(argc, v, i, ro, dagrun, &start, &end, &k, &p->err) != NULL)
            return -1;
        if (parsers[dagrun][k](p, argv + start, end - start, v + start) != 0)
            return -1;
        i = end;
    }
    for (int k = 0; k < d.npersist; k++) {
        const arg_view *key = &v[d.first_persist + k];
        int slot = run_ctx_find_slot(p->rc, key->ptr, key->len);
        if (slot < 0)
            return fail(p, "ERR PERSIST key cannot be found in DAG");
        run_ctx_add_persist(p->rc, slot, argv[d.first_persist + k]);
    }
    return 0;
}

/* RedisAI refuses every run command inside MULTI or a Lua script before looking at its arguments (a missing
 * model included): the client cannot block there. */
static int refuse_in_multi_or_lua(RedisModuleCtx *ctx) {
    int flags = RedisModule_GetContextFlags(ctx);
    if (!(flags & (REDISMODULE_CTX_FLAGS_MULTI | REDISMODULE_CTX_FLAGS_LUA | REDISMODULE_CTX_FLAGS_DENY_BLOCKING)))
        return 0;
    RedisModule_ReplyWithError(ctx, "ERR Cannot run RedisAI command within a transaction or a LUA script");
    return -1;
}

static int dag(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, bool ro, bool dagrun) {
    if (RedisModule_IsKeysPositionRequest(ctx))
        return report_keys(ctx, dagrun ? (ro ? RUN_DAGRUN_RO : RUN_DAGRUN) : (ro ? RUN_DAGEXECUTE_RO : RUN_DAGEXECUTE),
                           argv, argc);
    if (refuse_in_multi_or_lua(ctx) != 0)
        return REDISMODULE_OK;
    parse_ctx p = {.ctx = ctx, .rc = run_ctx_new(true), .dag = true};
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    bool cluster = (RedisModule_GetContextFlags(ctx) & REDISMODULE_CTX_FLAGS_CLUSTER) != 0;
    int rcode = parse_dag(&p, argv, argc, v, ro, dagrun, cluster);
    args_views_free(v, stack);
    return submit_or_reply(ctx, &p, rcode);
}

/* AI.DAGEXECUTE [LOAD n k..] [PERSIST n k..] [KEYS n k..] [ROUTING key] [TIMEOUT ms] |> op |> op .. */
int cmd_dagexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return dag(ctx, argv, argc, false, false);
}

/* AI.DAGEXECUTE_RO: the same without PERSIST */
int cmd_dagexecute_ro(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return dag(ctx, argv, argc, true, false);
}

int run_parse_only(RedisModuleCtx *ctx, run_command kind, RedisModuleString **argv, int argc, lc_err *err) {
    bool dag = kind >= RUN_DAGEXECUTE;
    parse_ctx p = {.ctx = ctx, .rc = run_ctx_new(dag), .dag = dag};
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    int rcode;
    if (!dag)
        rcode = single_parsers[kind](&p, argv, argc, v);
    else
        rcode = parse_dag(&p, argv, argc, v, kind == RUN_DAGEXECUTE_RO || kind == RUN_DAGRUN_RO,
                          kind == RUN_DAGRUN || kind == RUN_DAGRUN_RO, false);
    args_views_free(v, stack);
    run_ctx_free(p.rc);
    if (rcode != 0)
        *err = p.err;
    return rcode;
}

/* AI.DAGRUN [LOAD n k..] [PERSIST n k..] [TIMEOUT ms] |> op |> op .. (deprecated; ops AI.TENSORSET,
 * AI.TENSORGET, AI.MODELRUN, AI.SCRIPTRUN) */
int cmd_dagrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) { return dag(ctx, argv, argc, false, true); }

/* AI.DAGRUN_RO: the same without PERSIST */
int cmd_dagrun_ro(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) { return dag(ctx, argv, argc, true, true); }
