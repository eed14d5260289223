/* RedisAI 1.2.7 compatibility (issue 16 items 10-12) for models and scripts: AI.MODELSTORE / AI.MODELSET,
 * AI.MODELGET, AI.MODELEXECUTE / AI.MODELRUN, AI.SCRIPTEXECUTE, and the DAG ops that run them. Each reply is
 * compared whole with RedisAI's text; the comment above a case says where it comes from (RedisAI's
 * tests/flow files, which assert it with assertEqual after redis-py strips "ERR ", or its source). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_util.h"
#include "server.h"

static char *linear, *script_src;
static size_t linear_len, script_len;

static redisReply *run_split(redisContext *c, const char *cmd) {
    char *copy = strdup(cmd);
    const char *argv[64];
    size_t lens[64];
    int n = 0;
    for (char *tok = strtok(copy, " "); tok && n < 64; tok = strtok(NULL, " ")) {
        if (strcmp(tok, "%LIN") == 0) {
            argv[n] = linear;
            lens[n++] = linear_len;
            continue;
        }
        argv[n] = tok;
        lens[n++] = strlen(tok);
    }
    redisReply *r = lt_cmd(c, n, argv, lens);
    free(copy);
    return r;
}

static void expect_error(redisContext *c, const char *cmd, const char *expect) {
    redisReply *r = run_split(c, cmd);
    int ok = r->type == REDIS_REPLY_ERROR && strcmp(r->str, expect) == 0;
    if (!ok)
        fprintf(stderr, "  '%.200s':\n    want '%s'\n    got  '%s'\n", cmd, expect,
                r->type == REDIS_REPLY_ERROR ? r->str : "(not an error)");
    CHECK(ok);
    freeReplyObject(r);
}

static const char *const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

static void test_modelstore(redisContext *c) {
    /* item 12. tests/flow/tests_commands.py test_modelstore_errors: INPUTS and OUTPUTS belong to TF models */
    expect_error(c, "AI.MODELSTORE m TORCH CPU INPUTS 2 a b OUTPUTS 1 c BLOB %LIN",
                 "ERR INPUTS argument should not be specified for this backend");
    /* src/redisai.c RedisAI_ModelStore_RedisCommand: OUTPUTS alone stands where BLOB should */
    expect_error(c, "AI.MODELSTORE m TORCH CPU OUTPUTS 1 c BLOB %LIN", "ERR Invalid argument, expected BLOB");
    /* item 10. test_modelstore_errors: AI.MODELSTORE checks MINBATCHSIZE only */
    expect_error(c, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 MINBATCHTIMEOUT 1000 BLOB %LIN",
                 "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
    expect_error(c, "AI.MODELSTORE m TORCH CPU MINBATCHTIMEOUT 1000 BLOB %LIN",
                 "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
    expect_error(c, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 NOT_BLOB", "ERR Invalid argument, expected BLOB");
    expect_error(c, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 BLOB", "ERR Insufficient arguments, missing model BLOB");
    /* src/execution/parsing/deprecated.c ModelSetCommand: AI.MODELSET checks BATCHSIZE first, and key backend
     * device alone reach the BLOB check */
    expect_error(c, "AI.MODELSET m TORCH CPU MINBATCHSIZE 2 MINBATCHTIMEOUT 1 BLOB %LIN",
                 "ERR MINBATCHSIZE specified without BATCHSIZE");
    expect_error(c, "AI.MODELSET m TORCH CPU", "ERR Insufficient arguments, missing model BLOB");
    /* test_modelget: the key is looked up before the arguments */
    expect_error(c, "AI.MODELGET nokey BLAH", "ERR model key is empty");
    expect_error(c, "AI.MODELGET strkey BLAH", WRONGTYPE);
}

static void test_modelexecute(redisContext *c) {
    /* item 10. tests/flow/tests_commands.py test_modelexecute_errors (the model definition is compared before
     * the argument count) */
    expect_error(c, "AI.MODELEXECUTE lin INPUTS 2 x y OUTPUTS 1 c", "ERR Number of keys given as INPUTS here does "
                                                                  "not match model definition");
    expect_error(c, "AI.MODELEXECUTE lin INPUTS 3 x OUTPUTS 1 c", "ERR Number of keys given as INPUTS here does "
                                                                 "not match model definition");
    expect_error(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 2 c d", "ERR Number of keys given as OUTPUTS here does "
                                                                   "not match model definition");
    expect_error(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c bad_arg", "ERR Invalid argument: bad_arg");
    expect_error(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c TIMEOUT -43", "ERR Invalid value for TIMEOUT");
    /* tests/flow/tests_deprecated_commands.py / deprecated.c: AI.MODELRUN compares with the model definition
     * in the same words */
    expect_error(c, "AI.MODELRUN lin INPUTS x x OUTPUTS y", "ERR Number of keys given as INPUTS here does not "
                                                           "match model definition");
    expect_error(c, "AI.MODELRUN lin INPUTS x OUTPUTS y z", "ERR Number of keys given as OUTPUTS here does not "
                                                           "match model definition");
    /* item 11. tests/flow/tests_common.py: in MULTI a run of a missing model is refused as a blocking command */
    freeReplyObject(lt_cmdf(c, "MULTI"));
    freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c"));
    freeReplyObject(lt_cmdf(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 1 y"));
    redisReply *r = lt_cmdf(c, "EXEC");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        CHECK(r->element[i]->type == REDIS_REPLY_ERROR &&
              strcmp(r->element[i]->str, "ERR Cannot run RedisAI command within a transaction or a LUA script") == 0);
    freeReplyObject(r);
}

static void test_scriptexecute(redisContext *c) {
    /* item 10. src/execution/parsing/script_commands_parser.c (1.2.7) */
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x BOGUS 1 y",
                 "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 3 x",
                 "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 3 y",
                 "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x ARGS 3 a",
                 "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS nan y",
                 "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE");
    /* RedisAI's ARGS count message says "keys count" (its copy of the KEYS text) */
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x ARGS nan a",
                 "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE");
    /* tests/flow/tests_commands.py test_pytorch_scriptexecute_errors */
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process KEYS 1 k ARGS", "ERR Invalid arguments provided to AI.SCRIPTEXECUTE");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS OUTPUTS", "ERR Invalid argument for inputs count in "
                                                             "AI.SCRIPTEXECUTE");
    expect_error(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 1 y TIMEOUT",
                 "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE");
    /* tests/flow/tests_dag_errors.py test_dag_scriptexecute_errors: without a function name, INPUTS is taken for
     * one and the count after it is the unexpected argument */
    expect_error(c, "AI.DAGEXECUTE ROUTING x |> AI.SCRIPTEXECUTE scr INPUTS 1 x OUTPUTS 1 t1",
                 "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: 1");
}

/* item 8. A STRING tensor given to a Torch model or script is refused with a message (libtorch has no string
 * tensors), alone, batched and in a DAG; the server stays up and nothing is written. */
static void test_string_inputs(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET sin STRING 1 4 VALUES a b c d"), "OK"));
    const char *cmds[] = {
        "AI.MODELEXECUTE lin INPUTS 1 sin OUTPUTS 1 sout",
        "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 sin OUTPUTS 1 sout",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        redisReply *r = lt_cmdf(c, cmds[i]);
        CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "not supported by the Torch backend") != NULL);
        freeReplyObject(r);
    }
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE linb TORCH CPU BATCHSIZE 4 BLOB %b", linear, linear_len), "OK"));
    redisReply *r = lt_cmdf(c, "AI.MODELEXECUTE linb INPUTS 1 sin OUTPUTS 1 sout");
    CHECK(r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 sin PERSIST 1 sout |> AI.MODELEXECUTE lin INPUTS 1 sin OUTPUTS 1 sout");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = lt_cmdf(c, "EXISTS sout");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
}

int main(void) {
    linear = tm_read("linear.pt", &linear_len);
    script_src = tm_read("script.py", &script_len);
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    freeReplyObject(lt_cmdf(c, "SET strkey hello"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE lin TORCH CPU BLOB %b", linear, linear_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE scr CPU ENTRY_POINTS 2 pre_process post_process SOURCE %b",
                            script_src, script_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 1 4 VALUES 1 2 3 4"), "OK"));
    test_modelstore(c);
    test_modelexecute(c);
    test_scriptexecute(c);
    test_string_inputs(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(linear);
    free(script_src);
    return lt_report("module_compat_models");
}
