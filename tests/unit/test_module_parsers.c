/* Unit tests of the module's command parsers (src/module/parsing/model_args.c, run_args.c), no server:
 * every command family's valid forms and each error path with its exact reply text (RedisAI 1.2.7's). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "parsing/model_args.h"
#include "parsing/run_args.h"

#define MAXV 64

/* A command line split at spaces into views (of a static copy: one line at a time); its argc. */
static arg_view v[MAXV];
static int cmd(const char *line) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", line);
    int n = 0;
    for (char *p = strtok(buf, " "); p != NULL && n < MAXV; p = strtok(NULL, " "))
        v[n++] = (arg_view){p, strlen(p)};
    return n;
}

static bool view_is(arg_view a, const char *s) {
    return a.len == strlen(s) && memcmp(a.ptr, s, a.len) == 0;
}

static lc_err err;
static const char *names[MAXV];
static size_t lens[MAXV];

static const char *store(const char *line, model_store_args *a) {
    int argc = cmd(line);
    return parse_modelstore(argc, v, strncmp(line, "AI.MODELSET", 11) == 0, names, lens, a, &err);
}

static void test_modelstore(void) {
    model_store_args a;
    CHECK_OK(store("AI.MODELSTORE m TORCH cpu TAG t BATCHSIZE 4 MINBATCHSIZE 2 MINBATCHTIMEOUT 10 BLOB x y", &a));
    CHECK(a.spec.backend == BACKEND_TORCH && strcmp(a.spec.device, "CPU") == 0 && a.spec.taglen == 1 &&
          a.spec.tag[0] == 't');
    CHECK(a.spec.batchsize == 4 && a.spec.minbatchsize == 2 && a.spec.minbatchtimeout == 10 && a.blob_pos == 13);
    CHECK_OK(store("AI.MODELSTORE m TF gpu:1 INPUTS 2 a b OUTPUTS 1 c BLOB x", &a));
    CHECK(strcmp(a.spec.device, "GPU:1") == 0 && a.spec.ninput_names == 2 && a.spec.noutput_names == 1);
    CHECK(a.spec.input_lens[1] == 1 && a.spec.input_names[1][0] == 'b' && a.spec.output_names[0][0] == 'c');
    CHECK(a.blob_pos == 12 && a.spec.tag == NULL);
    /* AI.MODELSET: names up to the next keyword, for any backend */
    CHECK_OK(store("AI.MODELSET m TORCH CPU INPUTS a b OUTPUTS c BLOB x", &a));
    CHECK(a.spec.ninput_names == 2 && a.spec.noutput_names == 1 && a.blob_pos == 10);

    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BLOB", &a), "ERR wrong number of arguments for 'AI.MODELSTORE' command");
    CHECK_ERR(store("AI.MODELSET m TORCH", &a), "ERR wrong number of arguments for 'AI.MODELSET' command");
    CHECK_ERR(store("AI.MODELSTORE m FOO CPU BLOB x", &a), "ERR unsupported backend");
    CHECK_ERR(store("AI.MODELSTORE m TORCH XPU BLOB x", &a), "ERR Invalid DEVICE");
    CHECK_ERR(store("AI.MODELSET m TORCH CPU TAG", &a), "ERR Insufficient arguments, missing model BLOB");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BATCHSIZE x BLOB b", &a), "ERR Invalid argument for BATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BATCHSIZE -1 BLOB b", &a), "ERR Invalid argument for BATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU MINBATCHSIZE 2 BLOB b", &a),
              "ERR MINBATCHSIZE specified without BATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BATCHSIZE 2 MINBATCHSIZE x BLOB b", &a),
              "ERR Invalid argument for MINBATCHSIZE");
    CHECK_ERR(store("AI.MODELSET m TORCH CPU MINBATCHTIMEOUT 5 BLOB b", &a),
              "ERR MINBATCHTIMEOUT specified without BATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU MINBATCHTIMEOUT 5 BLOB b", &a),
              "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BATCHSIZE 4 MINBATCHSIZE 2 MINBATCHTIMEOUT x BLOB b", &a),
              "ERR Invalid argument for MINBATCHTIMEOUT");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU BATCHSIZE 2 MINBATCHSIZE 3 BLOB b", &a),
              "ERR MINBATCHSIZE is larger than BATCHSIZE");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU INPUTS 1 a BLOB b", &a),
              "ERR INPUTS argument should not be specified for this backend");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS x a BLOB b", &a), "ERR Invalid argument for input_count");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 1 a OUTPUTS 0 BLOB b", &a),
              "ERR Invalid argument for output_count");
    /* TF's names: RedisAI 1.2.7's AI.MODELSTORE texts (redisai.c; its tests_tensorflow.py's cases) */
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 5 a BLOB b", &a),
              "ERR number of model inputs does not match the number of given arguments");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a", &a),
              "ERR number of model inputs does not match the number of given arguments");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU BLOB b", &a), "ERR INPUTS not specified for TF");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU OUTPUTS 4 a BLOB b", &a), "ERR INPUTS not specified for TF");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU TAG t BATCHSIZE 2 BLOB b", &a), "ERR INPUTS not specified for TF");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU TAG t", &a), "ERR Insufficient arguments, missing model BLOB");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b", &a), "ERR OUTPUTS not specified for TF");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 1 a BLOB b", &a), "ERR OUTPUTS not specified for TF");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS x", &a), "ERR Invalid argument for output_count");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS 1", &a),
              "ERR number of model outputs does not match the number of given arguments");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 1 a OUTPUTS 4 c BLOB b", &a),
              "ERR number of model outputs does not match the number of given arguments");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS 1 c", &a), "ERR Invalid argument, expected BLOB");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS 1 c FOO", &a),
              "ERR Invalid argument, expected BLOB");
    CHECK_ERR(store("AI.MODELSTORE m TF CPU INPUTS 2 a b OUTPUTS 1 c BLOB", &a),
              "ERR Insufficient arguments, missing model BLOB");
    CHECK_OK(store("AI.MODELSTORE m TF CPU INPUTS 1 BLOB OUTPUTS 1 OUTPUTS BLOB x", &a)); /* names are names */
    CHECK(a.spec.ninput_names == 1 && a.spec.noutput_names == 1 && a.blob_pos == 11);
    /* AI.MODELSET of a TF model (RedisAI 1.2.7's deprecated.c) */
    CHECK_ERR(store("AI.MODELSET m TF CPU BLOB b", &a),
              "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model");
    CHECK_ERR(store("AI.MODELSET m TF CPU TAG t", &a),
              "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model");
    CHECK_ERR(store("AI.MODELSET m TF CPU OUTPUTS c BLOB b", &a), "ERR INPUTS not specified for TF model");
    CHECK_ERR(store("AI.MODELSET m TF CPU INPUTS a b OUTPUTS c", &a), "ERR Insufficient arguments, missing model BLOB");
    CHECK_OK(store("AI.MODELSET m TF CPU INPUTS a b OUTPUTS c BLOB x", &a));
    CHECK(a.spec.ninput_names == 2 && a.spec.noutput_names == 1 && a.blob_pos == 10);
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU FOO x", &a), "ERR Invalid argument, expected BLOB");
    CHECK_ERR(store("AI.MODELSTORE m TORCH CPU TAG t BLOB", &a), "ERR Insufficient arguments, missing model BLOB");
}

static const char *sstore(const char *line, script_store_args *a) {
    int argc = cmd(line);
    return parse_scriptstore(argc, v, strncmp(line, "AI.SCRIPTSET", 12) == 0, a, &err);
}

static void test_scriptstore(void) {
    script_store_args a;
    CHECK_OK(sstore("AI.SCRIPTSTORE s gpu TAG t ENTRY_POINTS 2 f g SOURCE src", &a));
    CHECK(strcmp(a.device, "GPU") == 0 && view_is(a.tag, "t") && a.nentry == 2 && a.first_entry == 7 &&
          a.source_pos == 10);
    CHECK_OK(sstore("AI.SCRIPTSET s CPU SOURCE src", &a));
    CHECK(a.tag.ptr == NULL && a.nentry == 0 && a.source_pos == 4);
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU SOURCE src", &a),
              "ERR wrong number of arguments for 'AI.SCRIPTSTORE' command");
    CHECK_ERR(sstore("AI.SCRIPTSET s CPU SOURCE", &a), "ERR wrong number of arguments for 'AI.SCRIPTSET' command");
    CHECK_ERR(sstore("AI.SCRIPTSET s XPU SOURCE x", &a), "ERR Invalid DEVICE");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU TAG t SOURCE x", &a),
              "ERR Insufficient arguments, missing script entry points");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU ENTRY_POINTS x f SOURCE s", &a),
              "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU ENTRY_POINTS 0 f SOURCE s", &a),
              "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU ENTRY_POINTS 5 f SOURCE s", &a),
              "ERR Insufficient arguments, missing script entry points");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU ENTRY_POINTS 1 f x", &a),
              "ERR Insufficient arguments, missing script entry points");
    CHECK_ERR(sstore("AI.SCRIPTSET s CPU TAG t", &a), "ERR Insufficient arguments, missing script SOURCE");
    CHECK_ERR(sstore("AI.SCRIPTSET s CPU SOURCE a b", &a), "ERR too many arguments after SOURCE");
    CHECK_ERR(sstore("AI.SCRIPTSTORE s CPU ENTRY_POINTS 1 f SOURCE", &a),
              "ERR Insufficient arguments, missing script SOURCE");
}

static void test_run_arity(void) {
    CHECK_OK(parse_run_arity(RUN_MODELEXECUTE, 8, &err));
    CHECK_ERR(parse_run_arity(RUN_MODELEXECUTE, 7, &err),
              "ERR wrong number of arguments for 'AI.MODELEXECUTE' command");
    CHECK_ERR(parse_run_arity(RUN_MODELRUN, 5, &err), "ERR wrong number of arguments for 'AI.MODELRUN' command");
    CHECK_ERR(parse_run_arity(RUN_SCRIPTEXECUTE, 2, &err),
              "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command");
    CHECK_ERR(parse_run_arity(RUN_SCRIPTRUN, 3, &err), "ERR wrong number of arguments for 'AI.SCRIPTRUN' command");
}

static const char *mexec(const char *line, int nin, int nout, bool dag, model_run_args *a) {
    int argc = cmd(line);
    return parse_modelexecute(argc, v, nin, nout, dag, a, &err);
}

static void test_modelexecute(void) {
    model_run_args a;
    CHECK_OK(mexec("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 50", -1, -1, false, &a));
    CHECK(a.first_in == 4 && a.nin == 2 && a.first_out == 8 && a.nout == 1 && a.timeout_ms == 50);
    CHECK_OK(mexec("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c", 2, 1, true, &a));
    CHECK(a.timeout_ms == 0);
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1", -1, -1, false, &a),
              "ERR wrong number of arguments for 'AI.MODELEXECUTE' command");
    CHECK_ERR(mexec("AI.MODELEXECUTE m FOO 1 a OUTPUTS 1 c", -1, -1, false, &a), "ERR INPUTS not specified");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS x a OUTPUTS 1 c", -1, -1, false, &a),
              "ERR Invalid argument for input_count");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 0 a OUTPUTS 1 c", -1, -1, false, &a),
              "ERR Input count must be a positive integer");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c", 2, -1, false, &a),
              "ERR Number of keys given as INPUTS here does not match model definition");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 9 a OUTPUTS 1 c", 9, -1, false, &a),
              "ERR Number of keys given as INPUTS here does not match model definition");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 9 a OUTPUTS 1 c", -1, -1, false, &a),
              "ERR number of input keys to AI.MODELEXECUTE command does not match the number of given arguments");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a FOO 1 c x", -1, -1, false, &a), "ERR OUTPUTS not specified");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 3 a b c OUTPUTS", -1, -1, false, &a),
              "ERR Invalid argument for output_count");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS x c", -1, -1, false, &a),
              "ERR Invalid argument for output_count");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS -1 c", -1, -1, false, &a),
              "ERR Output count must be a positive integer");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c", -1, 2, false, &a),
              "ERR Number of keys given as OUTPUTS here does not match model definition");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 2 c", -1, -1, false, &a),
              "ERR number of output keys to AI.MODELEXECUTE command does not match the number of given arguments");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c FOO", -1, -1, false, &a), "ERR Invalid argument: FOO");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c TIMEOUT", -1, -1, false, &a),
              "ERR No value provided for TIMEOUT");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c TIMEOUT 0", -1, -1, false, &a),
              "ERR Invalid value for TIMEOUT");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c TIMEOUT 5", -1, -1, true, &a),
              "ERR TIMEOUT not allowed within a DAG command");
    CHECK_ERR(mexec("AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c TIMEOUT 5 x", -1, -1, false, &a),
              "ERR Invalid argument: x");
    /* a long unexpected argument is echoed cut, the reply at most 511 bytes, as it always was */
    char line[1200], longarg[700];
    memset(longarg, 'x', sizeof longarg - 1);
    longarg[sizeof longarg - 1] = '\0';
    snprintf(line, sizeof line, "AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 c %s", longarg);
    const char *e = mexec(line, -1, -1, false, &a);
    CHECK(e != NULL && strlen(e) == 511 && strncmp(e, "ERR Invalid argument: xxx", 25) == 0);
}

static const char *mrun(const char *line, int nin, int nout, model_run_args *a) {
    int argc = cmd(line);
    return parse_modelrun(argc, v, nin, nout, false, a, &err);
}

static void test_modelrun(void) {
    model_run_args a;
    CHECK_OK(mrun("AI.MODELRUN m TIMEOUT 5 INPUTS a b OUTPUTS c", -1, -1, &a));
    CHECK(a.first_in == 5 && a.nin == 2 && a.first_out == 8 && a.nout == 1 && a.timeout_ms == 5);
    CHECK_ERR(mrun("AI.MODELRUN m INPUTS a OUTPUTS", -1, -1, &a),
              "ERR wrong number of arguments for 'AI.MODELRUN' command");
    CHECK_ERR(mrun("AI.MODELRUN m TIMEOUT x INPUTS a OUTPUTS c", -1, -1, &a), "ERR Invalid value for TIMEOUT");
    CHECK_ERR(mrun("AI.MODELRUN m FOO a OUTPUTS c b", -1, -1, &a), "ERR INPUTS not specified");
    CHECK_ERR(mrun("AI.MODELRUN m INPUTS a b c d", -1, -1, &a), "ERR OUTPUTS not specified");
    CHECK_ERR(mrun("AI.MODELRUN m INPUTS a OUTPUTS c d", 2, -1, &a),
              "ERR Number of keys given as INPUTS here does not match model definition");
    CHECK_ERR(mrun("AI.MODELRUN m INPUTS a OUTPUTS c d", 1, 1, &a),
              "ERR Number of keys given as OUTPUTS here does not match model definition");
    CHECK_ERR(mrun("AI.MODELRUN m INPUTS OUTPUTS c d", -1, -1, &a),
              "ERR wrong number of arguments for 'AI.MODELRUN' command");
}

static int in_pos[MAXV];

static const char *sexec(const char *line, bool dag, script_run_args *a) {
    int argc = cmd(line);
    return parse_scriptexecute(argc, v, dag, in_pos, a, &err);
}

static void test_scriptexecute(void) {
    script_run_args a;
    CHECK_OK(sexec("AI.SCRIPTEXECUTE s f KEYS 1 k INPUTS 2 a b ARGS 1 x OUTPUTS 1 o TIMEOUT 9", false, &a));
    CHECK(a.nkeys == 1 && a.first_keys == 5 && a.nin == 2 && a.in_pos[0] == 8 && a.in_pos[1] == 9);
    CHECK(a.nargs == 1 && a.first_args == 12 && a.nout == 1 && a.first_out == 15 && a.timeout_ms == 9);
    CHECK(a.variadic_from == -1);
    CHECK_OK(sexec("AI.SCRIPTEXECUTE s f ARGS 1 x", true, &a));
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s", false, &a),
              "ERR wrong number of arguments for 'AI.SCRIPTEXECUTE' command");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f ARGS 1 x", false, &a),
              "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f", false, &a),
              "ERR KEYS or INPUTS scope must be provided first for AI.SCRIPTEXECUTE command");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a TIMEOUT", false, &a),
              "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a TIMEOUT 5 x", false, &a),
              "ERR Encountered problem parsing AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a TIMEOUT 5", true, &a),
              "ERR TIMEOUT not allowed within a DAG command");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a BAR", false, &a),
              "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BAR");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a INPUTS 1 b", false, &a),
              "ERR Already Encountered INPUTS scope in AI.SCRIPTEXECUTE command");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f KEYS", false, &a), "ERR Missing arguments after KEYS keyword");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS", false, &a), "ERR Invalid arguments provided to AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f KEYS x", false, &a), "ERR Invalid or negative value found in number of KEYS");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS -1", false, &a),
              "ERR Invalid argument for inputs count in AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a ARGS x", false, &a),
              "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a OUTPUTS x", false, &a),
              "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f KEYS 1", false, &a), "ERR Missing arguments after KEYS keyword");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f KEYS 3 a", false, &a),
              "ERR Number of pre declared KEYS to be used in the command does not match the number of given "
              "arguments");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 3 a", false, &a),
              "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a ARGS 2 x", false, &a),
              "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    CHECK_ERR(sexec("AI.SCRIPTEXECUTE s f INPUTS 1 a OUTPUTS 2 x", false, &a),
              "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
}

static const char *srun(const char *line, script_run_args *a) {
    int argc = cmd(line);
    return parse_scriptrun(argc, v, false, in_pos, a, &err);
}

static void test_scriptrun(void) {
    script_run_args a;
    CHECK_OK(srun("AI.SCRIPTRUN s f TIMEOUT 5 INPUTS a $ b c OUTPUTS o", &a));
    CHECK(a.nin == 3 && a.in_pos[0] == 6 && a.in_pos[1] == 8 && a.in_pos[2] == 9 && a.variadic_from == 1);
    CHECK(a.first_out == 11 && a.nout == 1 && a.timeout_ms == 5 && a.nkeys == 0 && a.nargs == 0);
    CHECK_ERR(srun("AI.SCRIPTRUN s f", &a), "ERR wrong number of arguments for 'AI.SCRIPTRUN' command");
    CHECK_ERR(srun("AI.SCRIPTRUN s INPUTS a", &a), "ERR function name not specified");
    int argc = cmd("AI.SCRIPTRUN s LIST_INPUTS a");
    CHECK_ERR(parse_scriptrun_function(argc, v, &err), "ERR function name not specified");
    argc = cmd("AI.SCRIPTRUN s f INPUTS");
    CHECK_OK(parse_scriptrun_function(argc, v, &err));
    CHECK_ERR(srun("AI.SCRIPTRUN s f OUTPUTS o", &a), "ERR INPUTS not specified");
    CHECK_ERR(srun("AI.SCRIPTRUN s f INPUTS a $ b $ c OUTPUTS o", &a),
              "ERR Already encountered a variable size list of tensors");
    CHECK_ERR(srun("AI.SCRIPTRUN s f INPUTS a b", &a), "ERR OUTPUTS not specified");
    CHECK_ERR(srun("AI.SCRIPTRUN s f TIMEOUT 0 INPUTS a OUTPUTS b", &a), "ERR Invalid value for TIMEOUT");
}

/* parse_dag_preamble's hook: records the LOAD keys, fails on a key named "missing". */
static int loaded_first = -1, loaded_n = -1;
static const char *load_hook(void *ud, const arg_view *argv, int first, int n, lc_err *e) {
    (void)ud;
    loaded_first = first;
    loaded_n = n;
    for (int k = 0; k < n; k++)
        if (view_is(argv[first + k], "missing"))
            return lc_err_put(e, "ERR tensor key is empty or in a different shard");
    return NULL;
}

static const char *dag(const char *line, bool cluster, dag_args *d) {
    int argc = cmd(line);
    bool ro = strstr(line, "_RO ") != NULL, dagrun = strncmp(line, "AI.DAGRUN", 9) == 0;
    return parse_dag_preamble(argc, v, ro, dagrun, cluster, load_hook, NULL, d, &err);
}

static void test_dag_preamble(void) {
    dag_args d;
    CHECK_OK(dag("AI.DAGEXECUTE LOAD 2 a b PERSIST 1 c KEYS 1 k ROUTING r TIMEOUT 7 |> AI.TENSORGET a", true, &d));
    CHECK(d.first_load == 3 && d.nload == 2 && loaded_first == 3 && loaded_n == 2);
    CHECK(d.first_persist == 7 && d.npersist == 1 && d.timeout_ms == 7 && d.ops_pos == 15);
    CHECK_OK(dag("AI.DAGEXECUTE TIMEOUT 5 |> AI.TENSORGET a x", false, &d));
    CHECK_ERR(dag("AI.DAGEXECUTE TIMEOUT 5 |> AI.TENSORGET a x", true, &d),
              "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
              "PERSIST keywords");
    CHECK_OK(dag("AI.DAGRUN TIMEOUT 5 |> AI.TENSORGET a", true, &d));
    CHECK_ERR(dag("AI.DAGEXECUTE |> AI.TENSORGET a", false, &d),
              "ERR missing arguments for 'AI.DAGEXECUTE' command");
    CHECK_ERR(dag("AI.DAGEXECUTE_RO |> AI.TENSORGET a", false, &d),
              "ERR missing arguments for 'AI.DAGEXECUTE_RO' command");
    CHECK_ERR(dag("AI.DAGRUN |> x", false, &d), "ERR wrong number of arguments for 'AI.DAGRUN' command");
    CHECK_ERR(dag("AI.DAGEXECUTE FOO 1 a |> AI.TENSORGET a", false, &d),
              "ERR Invalid DAG command. Unexpected argument:  FOO");
    CHECK_ERR(dag("AI.DAGEXECUTE ROUTING a ROUTING b |> AI.TENSORGET a", false, &d),
              "ERR Invalid DAG command. Unexpected argument:  ROUTING");
    CHECK_ERR(dag("AI.DAGEXECUTE_RO PERSIST 1 a |> AI.TENSORGET a", false, &d),
              "ERR PERSIST cannot be specified in a read-only DAG");
    CHECK_ERR(dag("AI.DAGEXECUTE ROUTING r TIMEOUT 5 LOAD 1", false, &d),
              "ERR missing arguments after LOAD keyword in DAG command");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD x a |> AI.TENSORGET a", false, &d),
              "ERR invalid or negative value found in number of keys to LOAD");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 5 a |> AI.TENSORGET a", false, &d),
              "ERR number of keys to LOAD into DAG does not match the number of given arguments");
    CHECK_ERR(dag("AI.DAGEXECUTE PERSIST 5 a |> AI.TENSORGET a", false, &d),
              "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments");
    CHECK_ERR(dag("AI.DAGEXECUTE PERSIST 2 a a |> AI.TENSORGET a", false, &d), "ERR PERSIST keys must be unique");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 1 a KEYS 1 k ROUTING", false, &d), "ERR Missing ROUTING value");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 1 a KEYS 1 k TIMEOUT", false, &d), "ERR No value provided for TIMEOUT");
    CHECK_ERR(dag("AI.DAGEXECUTE TIMEOUT x |> AI.TENSORGET a", false, &d), "ERR Invalid value for TIMEOUT");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 1 a KEYS 1 b", false, &d), "ERR DAG is empty");
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 1 a KEYS 1 b |>", false, &d),
              "ERR Invalid DAG command. Unexpected argument:  |>");
    /* the LOAD keys are looked up as soon as they are parsed: before a later keyword's error */
    CHECK_ERR(dag("AI.DAGEXECUTE LOAD 1 missing TIMEOUT x |> AI.TENSORGET a", false, &d),
              "ERR tensor key is empty or in a different shard");
}

static const char *dag_op(const char *line, bool ro, bool dagrun, int *start, int *end, dag_op_name *k) {
    int argc = cmd(line);
    return parse_dag_op(argc, v, 0, ro, dagrun, start, end, k, &err);
}

static void test_dag_ops(void) {
    int start, end;
    dag_op_name k;
    CHECK_OK(dag_op("|> AI.TENSORSET a FLOAT 1 |> AI.MODELEXECUTE m", false, false, &start, &end, &k));
    CHECK(start == 1 && end == 5 && k == DAG_OP_TENSORSET);
    CHECK_OK(dag_op("|> ai.scriptrun s f", true, true, &start, &end, &k));
    CHECK(start == 1 && end == 4 && k == DAG_OP_SCRIPT);
    CHECK_ERR(dag_op("|> |> x", false, false, &start, &end, &k), "ERR DAG op is empty (nothing between two |>)");
    CHECK_ERR(dag_op("|> AI.FOO", false, false, &start, &end, &k), "ERR Unsupported command within DAG");
    CHECK_ERR(dag_op("|> AI.MODELRUN m", false, false, &start, &end, &k),
              "ERR Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command");
    CHECK_ERR(dag_op("|> AI.SCRIPTEXECUTE s", false, true, &start, &end, &k),
              "ERR AI.SCRIPTEXECUTE cannot be used in a deprecated AI.DAGRUN command");
    CHECK_ERR(dag_op("|> AI.SCRIPTEXECUTE s f", true, false, &start, &end, &k),
              "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
}

static void test_get_and_info(void) {
    get_args g;
    CHECK_OK(parse_get(cmd("AI.MODELGET m"), v, false, &g, &err));
    CHECK(g.meta && g.payload); /* neither named: both */
    CHECK_OK(parse_get(cmd("AI.MODELGET m BLOB"), v, false, &g, &err));
    CHECK(!g.meta && g.payload);
    CHECK_OK(parse_get(cmd("AI.MODELGET m meta"), v, false, &g, &err));
    CHECK(g.meta && !g.payload);
    CHECK_OK(parse_get(cmd("AI.SCRIPTGET s SOURCE META"), v, true, &g, &err));
    CHECK(g.meta && g.payload);
    CHECK_ERR(parse_get(cmd("AI.MODELGET m SOURCE"), v, false, &g, &err),
              "ERR unrecognized parameter (expected META and/or BLOB)");
    CHECK_ERR(parse_get(cmd("AI.SCRIPTGET s META BLOB"), v, true, &g, &err),
              "ERR unrecognized parameter (expected META and/or SOURCE)");
    CHECK(!parse_info_reset(cmd("AI.INFO m"), v));
    CHECK(parse_info_reset(cmd("AI.INFO m resetstat"), v));
    CHECK(!parse_info_reset(cmd("AI.INFO m RESET"), v)); /* ignored, as RedisAI: the run info */
}

/* run_key_positions for `line` as command `kind`: the reported keys' texts, joined by spaces */
static const char *keys_of(run_command kind, const char *line) {
    static char out[1024];
    int argc = cmd(line);
    int pos[MAXV];
    int n = run_key_positions(kind, argc, v, pos);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (pos[i] < 1 || pos[i] >= argc)
            return "(out of range)";
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.*s", i ? " " : "", (int)v[pos[i]].len,
                 v[pos[i]].ptr);
    }
    return out;
}

static void test_key_positions(void) {
    CHECK_ERR(keys_of(RUN_MODELEXECUTE, "AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c TIMEOUT 5"), "m a b c");
    CHECK_ERR(keys_of(RUN_MODELEXECUTE, "AI.MODELEXECUTE m INPUTS 2 a"), "m"); /* does not parse: the model */
    CHECK_ERR(keys_of(RUN_MODELEXECUTE, "AI.MODELEXECUTE"), "");
    CHECK_ERR(keys_of(RUN_MODELRUN, "AI.MODELRUN m TIMEOUT 3 INPUTS a b OUTPUTS c"), "m a b c");
    /* AI.SCRIPTEXECUTE: KEYS and OUTPUTS, not INPUTS or ARGS (RedisAI 1.2.7) */
    CHECK_ERR(keys_of(RUN_SCRIPTEXECUTE, "AI.SCRIPTEXECUTE s f KEYS 2 k1 k2 INPUTS 1 i ARGS 1 x OUTPUTS 1 o"),
              "s k1 k2 o");
    CHECK_ERR(keys_of(RUN_SCRIPTEXECUTE, "AI.SCRIPTEXECUTE s f INPUTS 2 i j OUTPUTS 1 o"), "s o");
    CHECK_ERR(keys_of(RUN_SCRIPTEXECUTE, "AI.SCRIPTEXECUTE s f BOGUS 1 i"), "s");
    CHECK_ERR(keys_of(RUN_SCRIPTRUN, "AI.SCRIPTRUN s f INPUTS a $ b c OUTPUTS o p"), "s a b c o p");
    CHECK_ERR(keys_of(RUN_DAGEXECUTE, "AI.DAGEXECUTE LOAD 2 a b PERSIST 1 c ROUTING r TIMEOUT 9 "
                                      "|> AI.TENSORSET t FLOAT 1 VALUES 1 |> AI.MODELEXECUTE m INPUTS 1 a "
                                      "OUTPUTS 1 c |> AI.SCRIPTEXECUTE s f INPUTS 1 c OUTPUTS 1 d |> AI.TENSORGET d"),
              "a b c r m s");
    CHECK_ERR(keys_of(RUN_DAGEXECUTE, "AI.DAGEXECUTE KEYS 2 x y |> AI.TENSORGET x"), "x y");
    CHECK_ERR(keys_of(RUN_DAGEXECUTE_RO, "AI.DAGEXECUTE_RO ROUTING r |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 b"),
              "r m");
    /* a preamble that does not parse reports nothing; the command answers the error */
    CHECK_ERR(keys_of(RUN_DAGEXECUTE_RO, "AI.DAGEXECUTE_RO PERSIST 1 a |> AI.TENSORGET a"), "");
    CHECK_ERR(keys_of(RUN_DAGEXECUTE, "AI.DAGEXECUTE LOAD 3 a |> AI.TENSORGET a"), "");
    /* the op scan stops at the first op that does not parse */
    CHECK_ERR(keys_of(RUN_DAGEXECUTE, "AI.DAGEXECUTE ROUTING r |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 b "
                                      "|> AI.MODELRUN q INPUTS a OUTPUTS b "
                                      "|> AI.MODELEXECUTE z INPUTS 1 a OUTPUTS 1 b"),
              "r m");
    /* AI.DAGRUN: LOAD and PERSIST only */
    CHECK_ERR(keys_of(RUN_DAGRUN, "AI.DAGRUN LOAD 1 a PERSIST 1 b |> AI.MODELRUN m INPUTS a OUTPUTS b"), "a b");
    CHECK_ERR(keys_of(RUN_DAGRUN_RO, "AI.DAGRUN_RO |> AI.TENSORSET t FLOAT 1 VALUES 1"), "");
}

static void test_err(void) {
    lc_err e;
    lc_err_clear(&e);
    CHECK(!lc_err_is_set(&e));
    CHECK(lc_err_set(&e, "ERR %d %s", 7, "x") == e.msg && strcmp(e.msg, "ERR 7 x") == 0 && lc_err_is_set(&e));
    char big[LB_ERR_MAX + 100];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(strlen(lc_err_put(&e, big)) == LB_ERR_MAX - 1);
}

int main(void) {
    test_err();
    test_modelstore();
    test_scriptstore();
    test_run_arity();
    test_modelexecute();
    test_modelrun();
    test_scriptexecute();
    test_scriptrun();
    test_dag_preamble();
    test_dag_ops();
    test_key_positions();
    test_get_and_info();
    printf("unit_module_parsers: %d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
