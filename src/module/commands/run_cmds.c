/* AI.MODELEXECUTE / AI.MODELRUN, AI.SCRIPTEXECUTE / AI.SCRIPTRUN, AI.DAGEXECUTE / AI.DAGEXECUTE_RO.
 *
 * Each command is parsed into a run (run/run.h) on the main thread: inputs are looked up (from the keyspace
 * for a single command, from the DAG's tensor table inside a DAG) and retained, then the run is handed to
 * the device's run queue and the client is blocked until a worker has executed it. Parsing errors are
 * replied at once; nothing is queued. */
#include <stdio.h>
#include <string.h>

#include "../run/run.h"
#include "../keyspace.h"
#include "../model/model_type.h"
#include "../rdb/tensor_type.h"
#include "common.h"
#include "model_cmds.h"

#define STACK_ARGS 64
#define ERRLEN 512

typedef struct parse_ctx {
    RedisModuleCtx *ctx;
    run_ctx *rc;
    bool dag;
    char err[ERRLEN];
} parse_ctx;

static int fail(parse_ctx *p, const char *fmt, const char *arg) {
    snprintf(p->err, sizeof p->err, fmt, arg != NULL ? arg : "");
    return -1;
}

static tensor *keyspace_tensor(parse_ctx *p, RedisModuleString *name) {
    return get_typed(p->ctx, name, TensorType, KEY_EMPTY_TENSOR, p->err, sizeof p->err);
}

/* The slot an input name refers to: inside a DAG an earlier version of it; standalone, a new slot holding
 * the tensor stored under that key. -1 with p->err set. */
static int input_slot(parse_ctx *p, RedisModuleString *name) {
    size_t len;
    const char *s = RedisModule_StringPtrLen(name, &len);
    if (p->dag) {
        int slot = run_ctx_find_slot(p->rc, s, len);
        if (slot < 0)
            return fail(p, "ERR INPUT key cannot be found in DAG", NULL);
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

static int parse_timeout(parse_ctx *p, arg_view a) {
    int64_t t;
    if (!arg_to_int64(a, &t) || t <= 0)
        return fail(p, "ERR Invalid value for TIMEOUT", NULL);
    if (p->dag)
        return fail(p, "ERR TIMEOUT not allowed within a DAG command", NULL);
    p->rc->qi.timeout_ms = t;
    return 0;
}

static int fill_ios(parse_ctx *p, dag_op *op, RedisModuleString **argv, int first_in, int nin, int first_out,
                    int nout) {
    op->nin = nin;
    op->nout = nout;
    op->in = RedisModule_Calloc((size_t)nin + 1, sizeof(int));
    op->out = RedisModule_Calloc((size_t)nout + 1, sizeof(int));
    for (int i = 0; i < nin; i++)
        if ((op->in[i] = input_slot(p, argv[first_in + i])) < 0)
            return -1;
    for (int i = 0; i < nout; i++)
        op->out[i] = output_slot(p, argv[first_out + i]);
    return 0;
}

static void *keyspace_value(parse_ctx *p, RedisModuleString *name, RedisModuleType *type, const char *empty) {
    void *v = get_typed(p->ctx, name, type, empty, p->err, sizeof p->err);
    if (v != NULL && p->rc->what[0] == '\0') { /* the first model or script names the run (AI.INFO) */
        size_t len;
        const char *s = RedisModule_StringPtrLen(name, &len);
        snprintf(p->rc->what, sizeof p->rc->what, "%s%s %.*s", p->dag ? "DAG: " : "",
                 type == ModelType ? "model" : "script", (int)(len > 64 ? 64 : len), s);
    }
    return v;
}

static int parse_count(arg_view a, int max, int *out) {
    int64_t n;
    if (!arg_to_int64(a, &n) || n <= 0)
        return -1;
    if (n > max)
        return -2;
    *out = (int)n;
    return 0;
}

/* AI.MODELEXECUTE key INPUTS n in.. OUTPUTS n out.. [TIMEOUT ms] */
static int parse_modelexecute(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 8)
        return fail(p, "ERR wrong number of arguments for 'AI.MODELEXECUTE' command", NULL);
    model *m = keyspace_value(p, argv[1], ModelType, KEY_EMPTY_MODEL);
    if (m == NULL)
        return -1;
    int i = 2, nin = 0, nout = 0;
    if (!arg_is(v[i++], "INPUTS"))
        return fail(p, "ERR INPUTS not specified", NULL);
    int r = parse_count(v[i++], argc, &nin);
    if (r == -1 && !arg_to_int64(v[i - 1], &(int64_t){0}))
        return fail(p, "ERR Invalid argument for input_count", NULL);
    if (r != 0 && r != -2)
        return fail(p, "ERR Input count must be a positive integer", NULL);
    if (m->ninputs >= 0 && (r == -2 || m->ninputs != nin))
        return fail(p, "ERR Number of keys given as INPUTS here does not match model definition", NULL);
    if (r == -2 || i + nin > argc)
        return fail(p, "ERR number of input keys to AI.MODELEXECUTE command does not match the number of given "
                       "arguments", NULL);
    int first_in = i;
    i += nin;
    if (i >= argc || !arg_is(v[i++], "OUTPUTS"))
        return fail(p, "ERR OUTPUTS not specified", NULL);
    if (i >= argc)
        return fail(p, "ERR Invalid argument for output_count", NULL);
    r = parse_count(v[i++], argc, &nout);
    if (r == -1 && !arg_to_int64(v[i - 1], &(int64_t){0}))
        return fail(p, "ERR Invalid argument for output_count", NULL);
    if (r != 0 && r != -2)
        return fail(p, "ERR Output count must be a positive integer", NULL);
    if (m->noutputs >= 0 && (r == -2 || m->noutputs != nout))
        return fail(p, "ERR Number of keys given as OUTPUTS here does not match model definition", NULL);
    if (r == -2 || i + nout > argc)
        return fail(p, "ERR number of output keys to AI.MODELEXECUTE command does not match the number of given "
                       "arguments", NULL);
    int first_out = i;
    i += nout;
    if (i < argc) {
        if (!arg_is(v[i], "TIMEOUT")) {
            snprintf(p->err, sizeof p->err, "ERR Invalid argument: %.*s", (int)v[i].len, v[i].ptr);
            return -1;
        }
        if (++i >= argc)
            return fail(p, "ERR No value provided for TIMEOUT", NULL);
        if (parse_timeout(p, v[i++]) != 0)
            return -1;
        if (i < argc) {
            snprintf(p->err, sizeof p->err, "ERR Invalid argument: %.*s", (int)v[i].len, v[i].ptr);
            return -1;
        }
    }
    dag_op *op = run_ctx_add_op(p->rc, OP_MODEL);
    op->m = model_retain(m);
    return fill_ios(p, op, argv, first_in, nin, first_out, nout);
}

/* AI.MODELRUN key [TIMEOUT ms] INPUTS in.. OUTPUTS out.. (deprecated form, no counts) */
static int parse_modelrun(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 6)
        return fail(p, "ERR wrong number of arguments for 'AI.MODELRUN' command", NULL);
    model *m = keyspace_value(p, argv[1], ModelType, KEY_EMPTY_MODEL);
    if (m == NULL)
        return -1;
    int i = 2;
    if (arg_is(v[i], "TIMEOUT")) {
        if (parse_timeout(p, v[i + 1]) != 0)
            return -1;
        i += 2;
    }
    if (i >= argc || !arg_is(v[i++], "INPUTS"))
        return fail(p, "ERR INPUTS not specified", NULL);
    int first_in = i;
    while (i < argc && !arg_is(v[i], "OUTPUTS"))
        i++;
    int nin = i - first_in;
    if (i >= argc)
        return fail(p, "ERR OUTPUTS not specified", NULL);
    int first_out = ++i, nout = argc - first_out;
    if (m->ninputs >= 0 && m->ninputs != nin)
        return fail(p, "ERR Number of keys given as INPUTS here does not match model definition", NULL);
    if (m->noutputs >= 0 && m->noutputs != nout)
        return fail(p, "ERR Number of keys given as OUTPUTS here does not match model definition", NULL);
    if (nin == 0 || nout == 0)
        return fail(p, "ERR wrong number of arguments for 'AI.MODELRUN' command", NULL);
    dag_op *op = run_ctx_add_op(p->rc, OP_MODEL);
    op->m = model_retain(m);
    return fill_ios(p, op, argv, first_in, nin, first_out, nout);
}

static bool is_scope_keyword(arg_view a) {
    return arg_is(a, "KEYS") || arg_is(a, "INPUTS") || arg_is(a, "ARGS") || arg_is(a, "OUTPUTS") ||
           arg_is(a, "TIMEOUT") || arg_is(a, "LIST_INPUTS");
}

/* A NUL-terminated copy of one argument; the caller frees it with RedisModule_Free. */
static char *dup_view(arg_view v) {
    char *s = RedisModule_Alloc(v.len + 1);
    memcpy(s, v.ptr, v.len);
    s[v.len] = '\0';
    return s;
}

/* NULL-terminated copies of n arguments; the caller frees each and the array. */
static char **dup_views(const arg_view *v, int n) {
    char **out = RedisModule_Calloc((size_t)n + 1, sizeof *out);
    for (int i = 0; i < n; i++)
        out[i] = dup_view(v[i]);
    return out;
}

static int check_function(parse_ctx *p, script *s, const char *fn) {
    char err[ERRLEN];
    if (s->ops->script_check_function(s->handle, fn, 0, err, sizeof err) != 0) {
        snprintf(p->err, sizeof p->err, "%s", err);
        return -1;
    }
    return 0;
}

/* AI.SCRIPTRUN's script and function: a scope keyword in the function's place is refused. */
static script *script_and_function(parse_ctx *p, RedisModuleString **argv, const arg_view *v, char **fn) {
    script *s = keyspace_value(p, argv[1], ScriptType, KEY_EMPTY_SCRIPT);
    if (s == NULL)
        return NULL;
    if (is_scope_keyword(v[2])) {
        fail(p, "ERR function name not specified", NULL);
        return NULL;
    }
    *fn = dup_view(v[2]);
    return check_function(p, s, *fn) == 0 ? s : NULL;
}

/* AI.SCRIPTEXECUTE key fn [KEYS n k..] [INPUTS n in..] [ARGS n a..] [OUTPUTS n out..] [TIMEOUT ms] */
static int parse_scriptexecute(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 3)
        return fail(p, "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command", NULL);
    /* As RedisAI 1.2.7: argv[2] is the function whatever it says; the scopes are parsed before the function is
     * looked up, so a missing name shows as an unexpected argument after it. */
    script *s = keyspace_value(p, argv[1], ScriptType, KEY_EMPTY_SCRIPT);
    if (s == NULL)
        return -1;
    char *fn = dup_view(v[2]);
    int i = 3, nkeys = 0, nin = 0, nargs = 0, nout = 0, first_keys = 0, first_in = 0, first_args = 0,
        first_out = 0;
    unsigned seen = 0;
    int rcode = 0;
    if (!p->dag && (i >= argc || (!arg_is(v[i], "KEYS") && !arg_is(v[i], "INPUTS")))) {
        rcode = fail(p, "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command", NULL);
        goto done;
    }
    while (i < argc && rcode == 0) {
        static const char *scopes[] = {"KEYS", "INPUTS", "ARGS", "OUTPUTS"};
        int k = 0;
        while (k < 4 && !arg_is(v[i], scopes[k]))
            k++;
        if (arg_is(v[i], "TIMEOUT")) {
            if (i + 1 >= argc) {
                rcode = fail(p, "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE", NULL);
                break;
            }
            rcode = parse_timeout(p, v[i + 1]);
            i += 2;
            if (rcode == 0 && i != argc)
                rcode = fail(p, "ERR Encountered problem parsing AI.SCRIPTEXECUTE", NULL);
            break;
        }
        if (k == 4) {
            snprintf(p->err, sizeof p->err, "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: %.*s",
                     (int)(v[i].len > 128 ? 128 : v[i].len), v[i].ptr);
            rcode = -1;
            break;
        }
        if (seen & (1u << k)) {
            snprintf(p->err, sizeof p->err, "ERR Already Encountered %s scope in AI.SCRIPTEXECUTE command", scopes[k]);
            rcode = -1;
            break;
        }
        seen |= 1u << k;
        int64_t n;
        if (i + 1 >= argc) {
            rcode = fail(p, k == 0 ? "ERR Missing arguments after KEYS keyword"
                                   : "ERR Invalid arguments provided to AI.SCRIPTEXECUTE", NULL);
            break;
        }
        if (!arg_to_int64(v[i + 1], &n) || n < 0) {
            /* RedisAI 1.2.7's texts, "keys count" for ARGS included */
            static const char *bad[] = {"ERR Invalid or negative value found in number of KEYS",
                                        "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE",
                                        "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE",
                                        "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE"};
            rcode = fail(p, bad[k], NULL);
            break;
        }
        if (k == 0 && i + 2 >= argc && n > 0) {
            rcode = fail(p, "ERR Missing arguments after KEYS keyword", NULL);
            break;
        }
        if (n > argc - (i + 2)) {
            static const char *mismatch[] = {
                "ERR Number of pre declared KEYS to be used in the command does not match the number of given "
                "arguments",
                "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments",
                "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments",
                "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"};
            rcode = fail(p, mismatch[k], NULL);
            break;
        }
        int first = i + 2;
        switch (k) {
        case 0: nkeys = (int)n; first_keys = first; break;
        case 1: nin = (int)n; first_in = first; break;
        case 2: nargs = (int)n; first_args = first; break;
        default: nout = (int)n; first_out = first; break;
        }
        i = first + (int)n;
    }
    if (rcode == 0)
        rcode = check_function(p, s, fn);
    if (rcode == 0) {
        dag_op *op = run_ctx_add_op(p->rc, OP_SCRIPT);
        op->s = script_retain(s);
        op->fn = fn;
        fn = NULL;
        op->nkeys = nkeys;
        op->keys = dup_views(v + first_keys, nkeys);
        op->nargs = nargs;
        op->args = dup_views(v + first_args, nargs);
        rcode = fill_ios(p, op, argv, first_in, nin, first_out, nout);
    }
done:
    RedisModule_Free(fn);
    return rcode;
}

/* AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in.. [$ in..] OUTPUTS out.. (deprecated; `$` starts the inputs
 * passed as one List[Tensor]) */
static int parse_scriptrun(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 4)
        return fail(p, "ERR wrong number of arguments for 'AI.SCRIPTRUN' command", NULL);
    char *fn = NULL;
    script *s = script_and_function(p, argv, v, &fn);
    if (s == NULL) {
        RedisModule_Free(fn);
        return -1;
    }
    int i = 3;
    if (i + 1 < argc && arg_is(v[i], "TIMEOUT")) {
        if (parse_timeout(p, v[i + 1]) != 0) {
            RedisModule_Free(fn);
            return -1;
        }
        i += 2;
    }
    if (i >= argc || !arg_is(v[i], "INPUTS")) {
        RedisModule_Free(fn);
        return fail(p, "ERR INPUTS not specified", NULL);
    }
    i++;
    int first_in = i, variadic = -1;
    RedisModuleString **ins = RedisModule_Calloc((size_t)argc, sizeof *ins);
    int nin = 0;
    while (i < argc && !arg_is(v[i], "OUTPUTS")) {
        if (v[i].len == 1 && v[i].ptr[0] == '$') {
            if (variadic >= 0) {
                RedisModule_Free(ins);
                RedisModule_Free(fn);
                return fail(p, "ERR Already encountered a variable size list of tensors", NULL);
            }
            variadic = nin;
        } else {
            ins[nin++] = argv[i];
        }
        i++;
    }
    (void)first_in;
    int first_out = i + 1, nout = argc - first_out;
    int rcode = 0;
    if (i >= argc) {
        rcode = fail(p, "ERR OUTPUTS not specified", NULL);
    } else {
        dag_op *op = run_ctx_add_op(p->rc, OP_SCRIPT);
        op->s = script_retain(s);
        op->fn = fn;
        fn = NULL;
        op->variadic_from = variadic;
        op->keys = RedisModule_Calloc(1, sizeof(char *));
        op->args = RedisModule_Calloc(1, sizeof(char *));
        rcode = fill_ios(p, op, ins, 0, nin, first_out - 0, 0);
        if (rcode == 0) {
            op->nout = nout;
            RedisModule_Free(op->out);
            op->out = RedisModule_Calloc((size_t)nout + 1, sizeof(int));
            for (int k = 0; k < nout; k++)
                op->out[k] = output_slot(p, argv[first_out + k]);
        }
    }
    RedisModule_Free(ins);
    RedisModule_Free(fn);
    return rcode;
}

static int submit_or_reply(RedisModuleCtx *ctx, parse_ctx *p, int rcode) {
    if (rcode != 0) {
        run_ctx_free(p->rc);
        return RedisModule_ReplyWithError(ctx, p->err);
    }
    return run_dispatch(ctx, p->rc);
}

typedef int (*op_parser)(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v);

static int refuse_in_multi_or_lua(RedisModuleCtx *ctx);

static int single(RedisModuleCtx *ctx, RedisModuleString **argv, int argc, op_parser fn) {
    if (refuse_in_multi_or_lua(ctx) != 0)
        return REDISMODULE_OK;
    parse_ctx p = {.ctx = ctx, .rc = run_ctx_new(false), .dag = false};
    arg_view stack[STACK_ARGS];
    arg_view *v = args_views(argv, argc, stack, STACK_ARGS);
    int rcode = fn(&p, argv, argc, v);
    args_views_free(v, stack);
    return submit_or_reply(ctx, &p, rcode);
}

int cmd_modelexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, parse_modelexecute);
}
int cmd_modelrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, parse_modelrun);
}
int cmd_scriptexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, parse_scriptexecute);
}
int cmd_scriptrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    return single(ctx, argv, argc, parse_scriptrun);
}

/* ---- DAG ---- */

/* |> AI.TENSORSET name TYPE dims.. [BLOB b | VALUES v..]: the tensor is built now (a copy, never a held
 * argument string: workers read it while the main thread goes on). */
static int parse_dag_tensorset(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 3)
        return fail(p, "ERR wrong number of arguments for 'AI.TENSORSET' command", NULL);
    int64_t *dims = RedisModule_Alloc((size_t)argc * sizeof *dims);
    tensor_set_args a;
    const char *err = parse_tensorset(argc, v, dims, &a);
    if (err != NULL) {
        RedisModule_Free(dims);
        return fail(p, "%s", err);
    }
    char msg[160];
    tensor *t = tensor_build(p->ctx, argv, v, &a, false, msg, sizeof msg);
    RedisModule_Free(dims);
    if (t == NULL)
        return fail(p, "%s", msg);
    dag_op *op = run_ctx_add_op(p->rc, OP_TENSORSET);
    op->set_tensor = t;
    op->nout = 1;
    op->out = RedisModule_Calloc(1, sizeof(int));
    op->out[0] = run_ctx_new_slot(p->rc, v[1].ptr, v[1].len);
    return 0;
}

/* |> AI.TENSORGET name [META] [BLOB | VALUES] */
static int parse_dag_tensorget(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v) {
    if (argc < 2 || argc > 4)
        return fail(p, "ERR wrong number of arguments for 'AI.TENSORGET' command", NULL);
    unsigned fmt;
    const char *err = parse_tensorget(argc, v, &fmt);
    if (err != NULL)
        return fail(p, "%s", err);
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

static const struct {
    const char *name;
    op_parser parse;
} dag_ops[] = {
    {"AI.TENSORSET", parse_dag_tensorset},
    {"AI.TENSORGET", parse_dag_tensorget},
    {"AI.MODELEXECUTE", parse_modelexecute},
    {"AI.SCRIPTEXECUTE", parse_scriptexecute},
};

/* The ops of the deprecated AI.DAGRUN / AI.DAGRUN_RO: RedisAI 1.2 still runs them, with the old run syntax. */
static const struct {
    const char *name;
    int (*parse)(parse_ctx *, RedisModuleString **, int, const arg_view *);
} dagrun_ops[] = {
    {"AI.TENSORSET", parse_dag_tensorset},
    {"AI.TENSORGET", parse_dag_tensorget},
    {"AI.MODELRUN", parse_modelrun},
    {"AI.SCRIPTRUN", parse_scriptrun},
};

/* LOAD n k.. / PERSIST n k.. / KEYS n k.. at v[i]: the count checked and returned in *n, -1 with p->err set. */
static int parse_key_list(parse_ctx *p, int argc, const arg_view *v, int i, int64_t *n) {
    int kw = (int)(v[i].len > 16 ? 16 : v[i].len);
    if (argc - i < 3) {
        snprintf(p->err, sizeof p->err, "ERR missing arguments after %.*s keyword in DAG command", kw, v[i].ptr);
        return -1;
    }
    if (!arg_to_int64(v[i + 1], n) || *n <= 0) {
        snprintf(p->err, sizeof p->err, "ERR invalid or negative value found in number of keys to %.*s", kw,
                 v[i].ptr);
        return -1;
    }
    if (*n > argc - i - 2) {
        snprintf(p->err, sizeof p->err, "ERR number of keys to %.*s %s does not match the number of given arguments",
                 kw, v[i].ptr, arg_is(v[i], "PERSIST") ? "after DAG execution" : "into DAG");
        return -1;
    }
    return 0;
}

static const char *const dag_names[2][2] = {{"AI.DAGEXECUTE", "AI.DAGEXECUTE_RO"}, {"AI.DAGRUN", "AI.DAGRUN_RO"}};

/* Preamble keywords (each at most once): LOAD n k.. | PERSIST n k.. | KEYS n k.. | ROUTING key | TIMEOUT ms,
 * then |> ops. Errors as RedisAI 1.2.7's dag_parser.c words them. */
static int parse_dag(parse_ctx *p, RedisModuleString **argv, int argc, const arg_view *v, bool ro, bool dagrun,
                     bool cluster) {
    if (argc < (dagrun ? 4 : 6)) {
        snprintf(p->err, sizeof p->err, "ERR %s arguments for '%s' command", dagrun ? "wrong number of" : "missing",
                 dag_names[dagrun][ro]);
        return -1;
    }
    int i = 1, persist_first = -1, npersist = 0;
    unsigned seen = 0;
    enum { SEEN_LOAD = 1, SEEN_PERSIST = 2, SEEN_KEYS = 4, SEEN_ROUTING = 8, SEEN_TIMEOUT = 16 };
    while (i < argc && !(v[i].len == 2 && memcmp(v[i].ptr, "|>", 2) == 0 && i < argc - 1)) {
        unsigned bit = arg_is(v[i], "LOAD")      ? SEEN_LOAD
                       : arg_is(v[i], "PERSIST") ? SEEN_PERSIST
                       : arg_is(v[i], "KEYS")    ? SEEN_KEYS
                       : arg_is(v[i], "ROUTING") ? SEEN_ROUTING
                       : arg_is(v[i], "TIMEOUT") ? SEEN_TIMEOUT
                                                 : 0;
        if (bit == 0 || (seen & bit)) {
            snprintf(p->err, sizeof p->err, "ERR Invalid DAG command. Unexpected argument:  %.*s",
                     (int)(v[i].len > 128 ? 128 : v[i].len), v[i].ptr);
            return -1;
        }
        seen |= bit;
        if (bit == SEEN_PERSIST && ro)
            return fail(p, "ERR PERSIST cannot be specified in a read-only DAG", NULL);
        if (bit == SEEN_LOAD || bit == SEEN_PERSIST || bit == SEEN_KEYS) {
            int64_t n;
            if (parse_key_list(p, argc, v, i, &n) != 0)
                return -1;
            for (int k = 0; bit == SEEN_LOAD && k < n; k++) {
                tensor *t = keyspace_tensor(p, argv[i + 2 + k]);
                if (t == NULL)
                    return -1;
                int slot = run_ctx_new_slot(p->rc, v[i + 2 + k].ptr, v[i + 2 + k].len);
                p->rc->slots[slot] = tensor_retain(t);
            }
            for (int k = 0; bit == SEEN_PERSIST && k < n; k++)
                for (int j = 0; j < k; j++)
                    if (v[i + 2 + k].len == v[i + 2 + j].len &&
                        memcmp(v[i + 2 + k].ptr, v[i + 2 + j].ptr, v[i + 2 + k].len) == 0)
                        return fail(p, "ERR PERSIST keys must be unique", NULL);
            if (bit == SEEN_PERSIST) {
                persist_first = i + 2;
                npersist = (int)n;
            }
            i += 2 + (int)n;
        } else if (bit == SEEN_ROUTING) {
            if (i + 1 >= argc)
                return fail(p, "ERR Missing ROUTING value", NULL);
            i += 2;
        } else {
            int64_t t;
            if (i + 1 >= argc)
                return fail(p, "ERR No value provided for TIMEOUT", NULL);
            if (!arg_to_int64(v[i + 1], &t) || t <= 0)
                return fail(p, "ERR Invalid value for TIMEOUT", NULL);
            p->rc->qi.timeout_ms = t;
            i += 2;
        }
    }
    /* RedisAI refuses an AI.DAGEXECUTE(_RO) that names no key at all: in a cluster nothing would say which shard
     * runs it. Only a cluster is refused here, where that matters. */
    if (!dagrun && cluster && !(seen & (SEEN_LOAD | SEEN_PERSIST | SEEN_KEYS | SEEN_ROUTING)))
        return fail(p, "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, "
                       "LOAD, PERSIST keywords", NULL);
    if (i >= argc)
        return fail(p, "ERR DAG is empty", NULL);
    while (i < argc) {
        int start = i + 1, end = start;
        while (end < argc && !(v[end].len == 2 && memcmp(v[end].ptr, "|>", 2) == 0))
            end++;
        if (start >= end)
            return fail(p, "ERR DAG op is empty (nothing between two |>)", NULL);
        size_t k = 0, nops = dagrun ? sizeof dagrun_ops / sizeof dagrun_ops[0] : sizeof dag_ops / sizeof dag_ops[0];
        while (k < nops && !arg_is(v[start], dagrun ? dagrun_ops[k].name : dag_ops[k].name))
            k++;
        if (k == nops) {
            /* the other generation's run commands are named, as RedisAI does */
            static const char *const other[2][2] = {{"AI.MODELRUN", "AI.SCRIPTRUN"},
                                                    {"AI.MODELEXECUTE", "AI.SCRIPTEXECUTE"}};
            for (int o = 0; o < 2; o++)
                if (arg_is(v[start], other[dagrun][o])) {
                    snprintf(p->err, sizeof p->err,
                             dagrun ? "ERR %s cannot be used in a deprecated AI.DAGRUN command"
                                    : "ERR Deprecated %s cannot be used in AI.DAGEXECUTE command",
                             other[dagrun][o]);
                    return -1;
                }
            return fail(p, "ERR Unsupported command within DAG", NULL);
        }
        /* a script may call Redis commands that write, so AI.DAGEXECUTE_RO refuses it (RedisAI) */
        if (ro && !dagrun && arg_is(v[start], "AI.SCRIPTEXECUTE"))
            return fail(p, "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG", NULL);
        if ((dagrun ? dagrun_ops[k].parse : dag_ops[k].parse)(p, argv + start, end - start, v + start) != 0)
            return -1;
        i = end;
    }
    for (int k = 0; k < npersist; k++) {
        int slot = run_ctx_find_slot(p->rc, v[persist_first + k].ptr, v[persist_first + k].len);
        if (slot < 0)
            return fail(p, "ERR PERSIST key cannot be found in DAG", NULL);
        run_ctx_add_persist(p->rc, slot, argv[persist_first + k]);
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

int run_parse_only(RedisModuleCtx *ctx, run_command kind, RedisModuleString **argv, int argc, char *err,
                   size_t errlen) {
    static op_parser const single_parsers[] = {parse_modelexecute, parse_modelrun, parse_scriptexecute,
                                              parse_scriptrun};
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
    snprintf(err, errlen, "%s", rcode != 0 ? p.err : "");
    return rcode;
}

/* AI.DAGRUN [LOAD n k..] [PERSIST n k..] [TIMEOUT ms] |> op |> op .. (deprecated; ops AI.TENSORSET,
 * AI.TENSORGET, AI.MODELRUN, AI.SCRIPTRUN) */
int cmd_dagrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) { return dag(ctx, argv, argc, false, true); }

/* AI.DAGRUN_RO: the same without PERSIST */
int cmd_dagrun_ro(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) { return dag(ctx, argv, argc, true, true); }
