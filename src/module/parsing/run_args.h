/* Pure parsers of the run commands: AI.MODELEXECUTE / AI.MODELRUN, AI.SCRIPTEXECUTE / AI.SCRIPTRUN, and the
 * preamble of AI.DAGEXECUTE(_RO) / AI.DAGRUN(_RO) (LOAD, PERSIST, KEYS, ROUTING, TIMEOUT). They read
 * `arg_view`s (argv[0] the command), fill a plain struct of argument positions and return NULL or the error
 * reply text (RedisAI 1.2.7's), which is err->msg. No Redis calls and no key lookups: what RedisAI checks
 * against a stored model (its input and output counts) comes in as plain values the handler looked up
 * first, and the tensors a DAG LOADs are looked up by the handler through a hook, at the point RedisAI does. */
#ifndef LOCUS_MODULE_PARSING_RUN_ARGS_H
#define LOCUS_MODULE_PARSING_RUN_ARGS_H

#include <stdbool.h>

#include "../err.h"
#include "args.h"

/* The run commands' error replies that echo an argument or a backend's text were always cut to
 * RUN_ERR_CUT - 1 bytes; kept, so they read as they did. */
#define RUN_ERR_CUT 512

/* The run commands. */
typedef enum {
    RUN_MODELEXECUTE,
    RUN_MODELRUN,
    RUN_SCRIPTEXECUTE,
    RUN_SCRIPTRUN,
    RUN_DAGEXECUTE,
    RUN_DAGEXECUTE_RO,
    RUN_DAGRUN,
    RUN_DAGRUN_RO
} run_command;

/* The arity check of a single-op run command (kind < RUN_DAGEXECUTE), made before its key is looked up:
 * NULL, or "ERR wrong number of arguments for '<command>' command". */
const char *parse_run_arity(run_command kind, int argc, lc_err *err);

/* AI.MODELEXECUTE key INPUTS n in.. OUTPUTS n out.. [TIMEOUT ms]
 * AI.MODELRUN key [TIMEOUT ms] INPUTS in.. OUTPUTS out.. (deprecated: no counts)
 * model_nin / model_nout: the stored model's input and output counts (-1: unknown); `dag`: an op of a DAG,
 * where TIMEOUT is refused. Arity included. */
typedef struct model_run_args {
    int first_in, nin;   /* the input keys are argv[first_in ..], nin of them */
    int first_out, nout;
    long long timeout_ms; /* 0: none */
} model_run_args;

const char *parse_modelexecute(int argc, const arg_view *argv, int model_nin, int model_nout, bool dag,
                               model_run_args *out, lc_err *err);
const char *parse_modelrun(int argc, const arg_view *argv, int model_nin, int model_nout, bool dag,
                           model_run_args *out, lc_err *err);

/* AI.SCRIPTEXECUTE key fn [KEYS n k..] [INPUTS n in..] [ARGS n a..] [OUTPUTS n out..] [TIMEOUT ms]
 * AI.SCRIPTRUN key fn [TIMEOUT ms] INPUTS in.. [$ in..] OUTPUTS out.. (deprecated; `$` starts the inputs
 * passed as one List[Tensor])
 * The function is argv[2]; the handler checks it with the backend after parse_scriptexecute, and for
 * AI.SCRIPTRUN between parse_scriptrun_function and parse_scriptrun (RedisAI's order of errors). `in_pos` is
 * the caller's buffer of argc entries, for the positions of the inputs. Arity included. */
typedef struct script_run_args {
    int first_keys, nkeys;
    int first_args, nargs;
    int first_out, nout;
    int nin, *in_pos;      /* the input keys are argv[in_pos[0 .. nin)] */
    int variadic_from;     /* AI.SCRIPTRUN: the first input passed in the list, or -1 */
    long long timeout_ms;  /* 0: none */
} script_run_args;

const char *parse_scriptexecute(int argc, const arg_view *argv, bool dag, int *in_pos, script_run_args *out,
                                lc_err *err);
/* AI.SCRIPTRUN's arity and function name (a scope keyword in its place is refused). */
const char *parse_scriptrun_function(int argc, const arg_view *argv, lc_err *err);
const char *parse_scriptrun(int argc, const arg_view *argv, bool dag, int *in_pos, script_run_args *out,
                            lc_err *err);

/* The preamble of a DAG, each keyword at most once: LOAD n k.. | PERSIST n k.. | KEYS n k.. | ROUTING key |
 * TIMEOUT ms, up to the first |>. `cluster`: the server is a cluster node (AI.DAGEXECUTE must then name a
 * key). `load`, when not NULL, is called for the LOAD keys argv[first .. first + n) as soon as they are
 * parsed (RedisAI looks them up there); a non-NULL return (err->msg) ends the parse with that error. */
typedef struct dag_args {
    int first_load, nload;
    int first_persist, npersist;
    int first_keys, nkeys; /* KEYS n k.. (earlier RedisAI 1.2 releases' ROUTING; still accepted) */
    int routing_pos;       /* the ROUTING key's position; 0: none */
    long long timeout_ms; /* 0: none */
    int ops_pos;          /* the first |> */
} dag_args;

typedef const char *(*dag_load_hook)(void *ud, const arg_view *argv, int first, int n, lc_err *err);

const char *parse_dag_preamble(int argc, const arg_view *argv, bool ro, bool dagrun, bool cluster,
                               dag_load_hook load, void *ud, dag_args *out, lc_err *err);

/* The DAG op whose |> is argv[i]: its arguments argv[*start .. *end) (the op's name first) and which op it is
 * in the command's generation (AI.DAGEXECUTE: AI.TENSORSET, AI.TENSORGET, AI.MODELEXECUTE, AI.SCRIPTEXECUTE;
 * AI.DAGRUN: the same with AI.MODELRUN, AI.SCRIPTRUN). */
typedef enum { DAG_OP_TENSORSET, DAG_OP_TENSORGET, DAG_OP_MODEL, DAG_OP_SCRIPT, DAG_OP_COUNT } dag_op_name;

const char *parse_dag_op(int argc, const arg_view *argv, int i, bool ro, bool dagrun, int *start, int *end,
                         dag_op_name *name, lc_err *err);

/* The keys a run command names, for the server's key-position request (getkeys-api: COMMAND GETKEYS,
 * cluster routing, CROSSSLOT and MOVED, ACL key checks), as RedisAI 1.2.7 reports them:
 *   AI.MODELEXECUTE / AI.MODELRUN: the model, its inputs and its outputs;
 *   AI.SCRIPTEXECUTE: the script, its KEYS and its OUTPUTS (INPUTS and ARGS are not reported);
 *   AI.SCRIPTRUN: the script, its inputs and its outputs;
 *   AI.DAGEXECUTE(_RO): the LOAD, PERSIST, KEYS and ROUTING keys, and the model or script of each
 *   AI.MODELEXECUTE / AI.SCRIPTEXECUTE op; AI.DAGRUN(_RO): its LOAD and PERSIST keys.
 * A command that does not parse reports its object key (single-op commands) or nothing (DAGs), and the
 * command itself then answers the parse error. Writes the positions into pos (room for argc entries) and
 * returns how many. */
int run_key_positions(run_command kind, int argc, const arg_view *argv, int *pos);

#endif
