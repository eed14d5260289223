/* RedisAI 1.2.7 compatibility (issue 16 items 8 and 10-12) for scripts: AI.SCRIPTEXECUTE's arguments, the DAG
 * op that runs a script, AI.SCRIPTEXECUTE in MULTI, and a STRING tensor given to a script. Each reply is
 * compared whole with RedisAI's text; the comment above a case says where it comes from (RedisAI's tests/flow
 * files, which assert it with assertEqual after redis-py strips "ERR ", or its source). A script's AI.INFO is
 * in test_compat_info.c, the TorchScript extensions (redis.execute ...) in test_script_ext.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "model_util.h"
#include "server.h"

static void test_scriptexecute(redisContext *c) {
    /* item 10. src/execution/parsing/script_commands_parser.c (1.2.7) */
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x BOGUS 1 y",
                 "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: BOGUS");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 3 x",
                 "ERR number of inputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 3 y",
                 "ERR number of outputs to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x ARGS 3 a",
                 "ERR number of args to AI.SCRIPTEXECUTE command does not match the number of given arguments");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS nan y",
                 "ERR Invalid argument for outputs count in AI.SCRIPTEXECUTE");
    /* RedisAI's ARGS count message says "keys count" (its copy of the KEYS text) */
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x ARGS nan a",
                 "ERR Invalid argument for keys count in AI.SCRIPTEXECUTE");
    /* tests/flow/tests_commands.py test_pytorch_scriptexecute_errors */
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process KEYS 1 k ARGS", "ERR Invalid arguments provided to AI.SCRIPTEXECUTE");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS OUTPUTS", "ERR Invalid argument for inputs count in "
                                                             "AI.SCRIPTEXECUTE");
    EXPECT_ERROR(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 1 y TIMEOUT",
                 "ERR No value provided for TIMEOUT in AI.SCRIPTEXECUTE");
    /* tests/flow/tests_dag_errors.py test_dag_scriptexecute_errors: without a function name, INPUTS is taken for
     * one and the count after it is the unexpected argument */
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING x |> AI.SCRIPTEXECUTE scr INPUTS 1 x OUTPUTS 1 t1",
                 "ERR Invalid AI.SCRIPTEXECUTE command. Unexpected argument: 1");
}

static void test_scriptexecute_in_multi(redisContext *c) {
    /* item 11. tests/flow/tests_common.py test_lua_multi (there for AI.MODELEXECUTE; RedisAI's
     * src/execution/command_parser.c RedisAI_ExecuteCommand refuses every run command so): in MULTI a script
     * run is refused as a blocking command */
    freeReplyObject(lt_cmdf(c, "MULTI"));
    freeReplyObject(lt_cmdf(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 x OUTPUTS 1 y"));
    redisReply *r = lt_cmdf(c, "EXEC");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ERROR &&
          strcmp(r->element[0]->str, "ERR Cannot run RedisAI command within a transaction or a LUA script") ==
              0);
    freeReplyObject(r);
}

/* item 8. A STRING tensor given to a Torch script is refused with a message (libtorch has no string tensors);
 * nothing is written. */
static void test_string_inputs(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET sin STRING 1 4 VALUES a b c d"), "OK"));
    redisReply *r = lt_cmdf(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 sin OUTPUTS 1 sout");
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "not supported by the Torch backend") != NULL);
    freeReplyObject(r);
    r = lt_cmdf(c, "EXISTS sout");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
}

int main(void) {
    size_t script_len;
    char *script_src = tm_read("script.py", &script_len);
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE scr CPU ENTRY_POINTS 2 pre_process post_process SOURCE %b",
                            script_src, script_len),
                    "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 1 4 VALUES 1 2 3 4"), "OK"));
    test_scriptexecute(c);
    test_scriptexecute_in_multi(c);
    test_string_inputs(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(script_src);
    return lt_report("module_compat_scripts");
}
