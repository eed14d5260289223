/* Pure parsers of the run commands and the DAG preamble (see run_args.h). */
#include "run_args.h"

#include <string.h>

static const char *invalid_argument(arg_view a, lc_err *err) {
    lc_err_set(err, "ERR Invalid argument: %.*s", (int)a.len, a.ptr);
    err->msg[RUN_ERR_CUT - 1] = '\0';
    return err->msg;
}

const char *parse_run_arity(run_command kind, int argc, lc_err *err) {
    static const struct {
        const char *name;
        int min_argc;
    } single[] = {{"AI.MODELEXECUTE", 8}, {"AI.MODELRUN", 6}, {"AI.SCRIPTEXECUTE", 3}, {"AI.SCRIPTRUN", 4}};
    if (argc >= single[kind].min_argc)
        return NULL;
    return lc_err_set(err, "ERR wrong number of arguments for '%s' command", single[kind].name);
}

/* A run's TIMEOUT value: positive, and refused inside a DAG (after the value is checked, as RedisAI). */
static const char *parse_timeout(arg_view a, bool dag, long long *out, lc_err *err) {
    int64_t t;
    if (!arg_to_int64(a, &t) || t <= 0)
        return lc_err_put(err, "ERR Invalid value for TIMEOUT");
    if (dag)
        return lc_err_put(err, "ERR TIMEOUT not allowed within a DAG command");
    *out = t;
    return NULL;
}

/* A count: 0, -1 when not a positive integer, -2 when above max. */
static int parse_count(arg_view a, int max, int *out) {
    int64_t n;
    if (!arg_to_int64(a, &n) || n <= 0)
        return -1;
    if (n > max)
        return -2;
    *out = (int)n;
    return 0;
}

/* MODELEXECUTE's INPUTS n or OUTPUTS n count at v[i], checked against the model's (-1: unknown) and the
 * arguments left; RedisAI's texts, in its order. */
static const char *model_count(int argc, const arg_view *v, int i, int model_n, bool input, int *n, lc_err *err) {
    int r = parse_count(v[i], argc, n);
    if (r == -1 && !arg_to_int64(v[i], &(int64_t){0}))
        return lc_err_set(err, "ERR Invalid argument for %s_count", input ? "input" : "output");
    if (r != 0 && r != -2)
        return lc_err_set(err, "ERR %s count must be a positive integer", input ? "Input" : "Output");
    if (model_n >= 0 && (r == -2 || model_n != *n))
        return lc_err_set(err, "ERR Number of keys given as %s here does not match model definition",
                          input ? "INPUTS" : "OUTPUTS");
    if (r == -2 || i + 1 + *n > argc)
        return lc_err_set(err, "ERR number of %s keys to AI.MODELEXECUTE command does not match the number of "
                               "given arguments", input ? "input" : "output");
    return NULL;
}

const char *parse_modelexecute(int argc, const arg_view *v, int model_nin, int model_nout, bool dag,
                               model_run_args *out, lc_err *err) {
    memset(out, 0, sizeof *out);
    if (parse_run_arity(RUN_MODELEXECUTE, argc, err) != NULL)
        return err->msg;
    int i = 2;
    if (!arg_is(v[i++], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS not specified");
    if (model_count(argc, v, i, model_nin, true, &out->nin, err) != NULL)
        return err->msg;
    out->first_in = ++i;
    i += out->nin;
    if (i >= argc || !arg_is(v[i++], "OUTPUTS"))
        return lc_err_put(err, "ERR OUTPUTS not specified");
    if (i >= argc)
        return lc_err_put(err, "ERR Invalid argument for output_count");
    if (model_count(argc, v, i, model_nout, false, &out->nout, err) != NULL)
        return err->msg;
    out->first_out = ++i;
    i += out->nout;
    if (i < argc) {
        if (!arg_is(v[i], "TIMEOUT"))
            return invalid_argument(v[i], err);
        if (++i >= argc)
            return lc_err_put(err, "ERR No value provided for TIMEOUT");
        if (parse_timeout(v[i++], dag, &out->timeout_ms, err) != NULL)
            return err->msg;
        if (i < argc)
            return invalid_argument(v[i], err);
    }
    return NULL;
}

const char *parse_modelrun(int argc, const arg_view *v, int model_nin, int model_nout, bool dag,
                           model_run_args *out, lc_err *err) {
    memset(out, 0, sizeof *out);
    if (parse_run_arity(RUN_MODELRUN, argc, err) != NULL)
        return err->msg;
    int i = 2;
    if (arg_is(v[i], "TIMEOUT")) {
        if (parse_timeout(v[i + 1], dag, &out->timeout_ms, err) != NULL)
            return err->msg;
        i += 2;
    }
    if (i >= argc || !arg_is(v[i++], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS not specified");
    out->first_in = i;
    while (i < argc && !arg_is(v[i], "OUTPUTS"))
        i++;
    out->nin = i - out->first_in;
    if (i >= argc)
        return lc_err_put(err, "ERR OUTPUTS not specified");
    out->first_out = ++i;
    out->nout = argc - out->first_out;
    if (model_nin >= 0 && model_nin != out->nin)
        return lc_err_put(err, "ERR Number of keys given as INPUTS here does not match model definition");
    if (model_nout >= 0 && model_nout != out->nout)
        return lc_err_put(err, "ERR Number of keys given as OUTPUTS here does not match model definition");
    if (out->nin == 0 || out->nout == 0)
        return parse_run_arity(RUN_MODELRUN, 0, err);
    return NULL;
}

static bool is_scope_keyword(arg_view a) {
    return arg_is(a, "KEYS") || arg_is(a, "INPUTS") || arg_is(a, "ARGS") || arg_is(a, "OUTPUTS") ||
           arg_is(a, "TIMEOUT") || arg_is(a, "LIST_INPUTS");
}

static void script_args_init(script_run_args *out, int *in_pos) {
    memset(out, 0, sizeof *out);
    out->in_pos = in_pos;
    out->variadic_from = -1;
}

const char *parse_scriptexecute(int argc, const arg_view *v, bool dag, int *in_pos, script_run_args *out,
                                lc_err *err) {
    script_args_init(out, in_pos);
    if (parse_run_arity(RUN_SCRIPTEXECUTE, argc, err) != NULL)
        return err->msg;
    /* As RedisAI 1.2.7: argv[2] is the function whatever it says, so a missing name shows as an unexpected
     * argument after it. */
    int i = 3;
    if (!dag && (i >= argc || (!arg_is(v[i], "KEYS") && !arg_is(v[i], "INPUTS"))))
        return lc_err_put(err, "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
    static const char *const scopes[] = {"KEYS", "INPUTS", "ARGS", "OUTPUTS"};
    unsigned seen = 0;
    while (i < argc) {
        int k = 0;
        while (k < 4 && !arg_is(v[i], scopes[k]))
            k++;
        if (arg_is(v[i], "TIMEOUT")) {
            if (i + 1 >= argc)
                return lc_err_put(err, "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE");
            if (parse_timeout(v[i + 1], dag, &out->timeout_ms, err) != NULL)
                return err->msg;
            if (i + 2 != argc)
                return lc_err_put(err, "ERR Encountered problem parsing AI.SCRIPTEXECUTE");
            break;
        }
        if (k == 4)
            return lc_err_set(err, "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: %.*s",
                              (int)(v[i].len > 128 ? 128 : v[i].len), v[i].ptr);
        if (seen & (1u << k))
            return lc_err_set(err, "ERR Already Encountered %s scope in AI.SCRIPTEXECUTE command", scopes[k]);
        seen |= 1u << k;
        int64_t n;
        if (i + 1 >= argc)
            return lc_err_put(err, k == 0 ? "ERR Missing arguments after KEYS keyword"
                                          : "ERR Invalid arguments provided to AI.SCRIPTEXECUTE");
        if (!arg_to_int64(v[i + 1], &n) || n < 0) {
            /* RedisAI 1.2.7's texts, "keys count" for ARGS included */
            static const char *const bad[] = {"ERR Invalid or negative value found in number of KEYS",
                                              "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE",
                                              "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE",
                                              "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE"};
            return lc_err_put(err, bad[k]);
        }
        if (k == 0 && i + 2 >= argc && n > 0)
            return lc_err_put(err, "ERR Missing arguments after KEYS keyword");
        if (n > argc - (i + 2)) {
            static const char *const mismatch[] = {
                ("ERR Number of pre declared KEYS to be used in the command does not match the number of given "
                 "arguments"),
                "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments",
                "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments",
                "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments"};
            return lc_err_put(err, mismatch[k]);
        }
        int first = i + 2;
        switch (k) {
        case 0: out->nkeys = (int)n; out->first_keys = first; break;
        case 1:
            out->nin = (int)n;
            for (int j = 0; j < out->nin; j++)
                out->in_pos[j] = first + j;
            break;
        case 2: out->nargs = (int)n; out->first_args = first; break;
        default: out->nout = (int)n; out->first_out = first; break;
        }
        i = first + (int)n;
    }
    return NULL;
}

const char *parse_scriptrun_function(int argc, const arg_view *v, lc_err *err) {
    if (parse_run_arity(RUN_SCRIPTRUN, argc, err) != NULL)
        return err->msg;
    if (is_scope_keyword(v[2]))
        return lc_err_put(err, "ERR function name not specified");
    return NULL;
}

const char *parse_scriptrun(int argc, const arg_view *v, bool dag, int *in_pos, script_run_args *out,
                            lc_err *err) {
    script_args_init(out, in_pos);
    if (parse_scriptrun_function(argc, v, err) != NULL)
        return err->msg;
    int i = 3;
    if (i + 1 < argc && arg_is(v[i], "TIMEOUT")) {
        if (parse_timeout(v[i + 1], dag, &out->timeout_ms, err) != NULL)
            return err->msg;
        i += 2;
    }
    if (i >= argc || !arg_is(v[i], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS not specified");
    for (i++; i < argc && !arg_is(v[i], "OUTPUTS"); i++) {
        if (v[i].len == 1 && v[i].ptr[0] == '$') {
            if (out->variadic_from >= 0)
                return lc_err_put(err, "ERR Already encountered a variable size list of tensors");
            out->variadic_from = out->nin;
        } else {
            out->in_pos[out->nin++] = i;
        }
    }
    if (i >= argc)
        return lc_err_put(err, "ERR OUTPUTS not specified");
    out->first_out = i + 1;
    out->nout = argc - out->first_out;
    return NULL;
}

static bool is_op_start(arg_view a) {
    return a.len == 2 && memcmp(a.ptr, "|>", 2) == 0;
}

/* LOAD n k.. / PERSIST n k.. / KEYS n k.. at v[i]: the count checked and returned in *n. */
static const char *parse_key_list(int argc, const arg_view *v, int i, int64_t *n, lc_err *err) {
    int kw = (int)(v[i].len > 16 ? 16 : v[i].len);
    if (argc - i < 3)
        return lc_err_set(err, "ERR missing arguments after %.*s keyword in DAG command", kw, v[i].ptr);
    if (!arg_to_int64(v[i + 1], n) || *n <= 0)
        return lc_err_set(err, "ERR invalid or negative value found in number of keys to %.*s", kw, v[i].ptr);
    if (*n > argc - i - 2)
        return lc_err_set(err, "ERR number of keys to %.*s %s does not match the number of given arguments", kw,
                          v[i].ptr, arg_is(v[i], "PERSIST") ? "after DAG execution" : "into DAG");
    return NULL;
}

static const char *const dag_names[2][2] = {{"AI.DAGEXECUTE", "AI.DAGEXECUTE_RO"}, {"AI.DAGRUN", "AI.DAGRUN_RO"}};

const char *parse_dag_preamble(int argc, const arg_view *v, bool ro, bool dagrun, bool cluster,
                               dag_load_hook load, void *ud, dag_args *out, lc_err *err) {
    memset(out, 0, sizeof *out);
    if (argc < (dagrun ? 4 : 6))
        return lc_err_set(err, "ERR %s arguments for '%s' command", dagrun ? "wrong number of" : "missing",
                          dag_names[dagrun][ro]);
    enum { SEEN_LOAD = 1, SEEN_PERSIST = 2, SEEN_KEYS = 4, SEEN_ROUTING = 8, SEEN_TIMEOUT = 16 };
    unsigned seen = 0;
    int i = 1;
    while (i < argc && !(is_op_start(v[i]) && i < argc - 1)) {
        unsigned bit = arg_is(v[i], "LOAD")      ? SEEN_LOAD
                       : arg_is(v[i], "PERSIST") ? SEEN_PERSIST
                       : arg_is(v[i], "KEYS")    ? SEEN_KEYS
                       : arg_is(v[i], "ROUTING") ? SEEN_ROUTING
                       : arg_is(v[i], "TIMEOUT") ? SEEN_TIMEOUT
                                                 : 0;
        if (bit == 0 || (seen & bit))
            return lc_err_set(err, "ERR Invalid DAG command. Unexpected argument:  %.*s",
                              (int)(v[i].len > 128 ? 128 : v[i].len), v[i].ptr);
        seen |= bit;
        if (bit == SEEN_PERSIST && ro)
            return lc_err_put(err, "ERR PERSIST cannot be specified in a read-only DAG");
        if (bit == SEEN_LOAD || bit == SEEN_PERSIST || bit == SEEN_KEYS) {
            int64_t n;
            if (parse_key_list(argc, v, i, &n, err) != NULL)
                return err->msg;
            if (bit == SEEN_LOAD) {
                out->first_load = i + 2;
                out->nload = (int)n;
                if (load != NULL && load(ud, v, i + 2, (int)n, err) != NULL)
                    return err->msg;
            }
            for (int k = 0; bit == SEEN_PERSIST && k < n; k++)
                for (int j = 0; j < k; j++)
                    if (v[i + 2 + k].len == v[i + 2 + j].len &&
                        memcmp(v[i + 2 + k].ptr, v[i + 2 + j].ptr, v[i + 2 + k].len) == 0)
                        return lc_err_put(err, "ERR PERSIST keys must be unique");
            if (bit == SEEN_PERSIST) {
                out->first_persist = i + 2;
                out->npersist = (int)n;
            } else if (bit == SEEN_KEYS) {
                out->first_keys = i + 2;
                out->nkeys = (int)n;
            }
            i += 2 + (int)n;
        } else if (bit == SEEN_ROUTING) {
            if (i + 1 >= argc)
                return lc_err_put(err, "ERR Missing ROUTING value");
            out->routing_pos = i + 1;
            i += 2;
        } else {
            int64_t t;
            if (i + 1 >= argc)
                return lc_err_put(err, "ERR No value provided for TIMEOUT");
            if (!arg_to_int64(v[i + 1], &t) || t <= 0)
                return lc_err_put(err, "ERR Invalid value for TIMEOUT");
            out->timeout_ms = t;
            i += 2;
        }
    }
    /* RedisAI refuses an AI.DAGEXECUTE(_RO) that names no key at all: in a cluster nothing would say which shard
     * runs it. Only a cluster is refused here, where that matters. */
    if (!dagrun && cluster && !(seen & (SEEN_LOAD | SEEN_PERSIST | SEEN_KEYS | SEEN_ROUTING)))
        return lc_err_put(err, "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of "
                               "ROUTING, LOAD, PERSIST keywords");
    if (i >= argc)
        return lc_err_put(err, "ERR DAG is empty");
    out->ops_pos = i;
    return NULL;
}

const char *parse_dag_op(int argc, const arg_view *v, int i, bool ro, bool dagrun, int *start, int *end,
                         dag_op_name *name, lc_err *err) {
    static const char *const names[2][DAG_OP_COUNT] = {
        {"AI.TENSORSET", "AI.TENSORGET", "AI.MODELEXECUTE", "AI.SCRIPTEXECUTE"},
        {"AI.TENSORSET", "AI.TENSORGET", "AI.MODELRUN", "AI.SCRIPTRUN"}};
    *start = i + 1;
    *end = *start;
    while (*end < argc && !is_op_start(v[*end]))
        (*end)++;
    if (*start >= *end)
        return lc_err_put(err, "ERR DAG op is empty (nothing between two |>)");
    int k = 0;
    while (k < DAG_OP_COUNT && !arg_is(v[*start], names[dagrun][k]))
        k++;
    if (k == DAG_OP_COUNT) {
        /* the other generation's run commands are named, as RedisAI does */
        for (int o = DAG_OP_MODEL; o < DAG_OP_COUNT; o++)
            if (arg_is(v[*start], names[!dagrun][o]))
                return lc_err_set(err,
                                  dagrun ? "ERR %s cannot be used in a deprecated AI.DAGRUN command"
                                         : "ERR Deprecated %s cannot be used in AI.DAGEXECUTE command",
                                  names[!dagrun][o]);
        return lc_err_put(err, "ERR Unsupported command within DAG");
    }
    /* a script may call Redis commands that write, so AI.DAGEXECUTE_RO refuses it (RedisAI) */
    if (ro && !dagrun && k == DAG_OP_SCRIPT)
        return lc_err_put(err, "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
    *name = (dag_op_name)k;
    return NULL;
}

static int add_range(int *pos, int n, int first, int count) {
    for (int k = 0; k < count; k++)
        pos[n++] = first + k;
    return n;
}

static int single_op_keys(run_command kind, int argc, const arg_view *v, int *pos) {
    if (argc < 2)
        return 0;
    int n = 0;
    pos[n++] = 1;
    lc_err err;
    if (kind == RUN_MODELEXECUTE || kind == RUN_MODELRUN) {
        model_run_args a;
        const char *bad = kind == RUN_MODELEXECUTE ? parse_modelexecute(argc, v, -1, -1, false, &a, &err)
                                                   : parse_modelrun(argc, v, -1, -1, false, &a, &err);
        if (bad == NULL) {
            n = add_range(pos, n, a.first_in, a.nin);
            n = add_range(pos, n, a.first_out, a.nout);
        }
        return n;
    }
    /* the parsers write the input positions into pos itself (room for argc); the keys are written over them */
    script_run_args a;
    if (kind == RUN_SCRIPTEXECUTE && parse_scriptexecute(argc, v, false, pos, &a, &err) == NULL) {
        n = add_range(pos, n, a.first_keys, a.nkeys);
        n = add_range(pos, n, a.first_out, a.nout);
    } else if (kind == RUN_SCRIPTRUN && parse_scriptrun(argc, v, false, pos, &a, &err) == NULL) {
        memmove(pos + 1, pos, sizeof(int) * (size_t)a.nin);
        n = add_range(pos, 1 + a.nin, a.first_out, a.nout);
    }
    pos[0] = 1;
    return n;
}

int run_key_positions(run_command kind, int argc, const arg_view *v, int *pos) {
    if (kind < RUN_DAGEXECUTE)
        return single_op_keys(kind, argc, v, pos);
    bool ro = kind == RUN_DAGEXECUTE_RO || kind == RUN_DAGRUN_RO;
    bool dagrun = kind == RUN_DAGRUN || kind == RUN_DAGRUN_RO;
    dag_args d;
    lc_err err;
    if (parse_dag_preamble(argc, v, ro, dagrun, false, NULL, NULL, &d, &err) != NULL)
        return 0;
    int n = add_range(pos, 0, d.first_load, d.nload);
    n = add_range(pos, n, d.first_persist, d.npersist);
    if (dagrun)
        return n;
    n = add_range(pos, n, d.first_keys, d.nkeys);
    if (d.routing_pos > 0)
        pos[n++] = d.routing_pos;
    for (int i = d.ops_pos; i < argc;) {
        int start, end;
        dag_op_name name;
        if (parse_dag_op(argc, v, i, ro, dagrun, &start, &end, &name, &err) != NULL)
            break;
        if ((name == DAG_OP_MODEL || name == DAG_OP_SCRIPT) && start + 1 < end)
            pos[n++] = start + 1;
        i = end;
    }
    return n;
}
