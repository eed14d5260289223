/* RedisAI 1.2.7 compatibility (issue 16 items 8 and 10-12) for models: AI.MODELSTORE / AI.MODELSET,
 * AI.MODELGET, AI.MODELEXECUTE / AI.MODELRUN and the DAG op that runs a model. Each reply is compared whole
 * with RedisAI's text; the comment above a case says where it comes from (RedisAI's tests/flow files, which
 * assert it with assertEqual after redis-py strips "ERR ", or its source). Scripts are in
 * test_compat_scripts.c, AI.INFO in test_compat_info.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "model_util.h"
#include "server.h"

static char *linear;
static size_t linear_len;
static cu_blob lin_blob; /* "%LIN" in a command: linear.pt's bytes */

static void test_modelstore(redisContext *c) {
    /* item 12. tests/flow/tests_commands.py test_modelstore_errors: INPUTS and OUTPUTS belong to TF models */
    EXPECT_ERROR_BLOB(c, &lin_blob, "AI.MODELSTORE m TORCH CPU INPUTS 2 a b OUTPUTS 1 c BLOB %LIN",
                      "ERR INPUTS argument should not be specified for this backend");
    /* src/redisai.c RedisAI_ModelStore_RedisCommand: OUTPUTS alone stands where BLOB should */
    EXPECT_ERROR_BLOB(c, &lin_blob, "AI.MODELSTORE m TORCH CPU OUTPUTS 1 c BLOB %LIN",
                      "ERR Invalid argument, expected BLOB");
    /* item 10. test_modelstore_errors: AI.MODELSTORE checks MINBATCHSIZE only */
    EXPECT_ERROR_BLOB(c, &lin_blob, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 MINBATCHTIMEOUT 1000 BLOB %LIN",
                      "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
    EXPECT_ERROR_BLOB(c, &lin_blob, "AI.MODELSTORE m TORCH CPU MINBATCHTIMEOUT 1000 BLOB %LIN",
                      "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
    EXPECT_ERROR(c, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 NOT_BLOB", "ERR Invalid argument, expected BLOB");
    EXPECT_ERROR(c, "AI.MODELSTORE m TORCH CPU BATCHSIZE 2 BLOB", "ERR Insufficient arguments, missing model BLOB");
    /* src/execution/parsing/deprecated.c ModelSetCommand: AI.MODELSET checks BATCHSIZE first, and key backend
     * device alone reach the BLOB check */
    EXPECT_ERROR_BLOB(c, &lin_blob, "AI.MODELSET m TORCH CPU MINBATCHSIZE 2 MINBATCHTIMEOUT 1 BLOB %LIN",
                      "ERR MINBATCHSIZE specified without BATCHSIZE");
    EXPECT_ERROR(c, "AI.MODELSET m TORCH CPU", "ERR Insufficient arguments, missing model BLOB");
    /* test_modelget: the key is looked up before the arguments */
    EXPECT_ERROR(c, "AI.MODELGET nokey BLAH", "ERR model key is empty");
    EXPECT_ERROR(c, "AI.MODELGET strkey BLAH", CU_WRONGTYPE);
}

static void test_modelexecute(redisContext *c) {
    /* item 10. tests/flow/tests_commands.py test_modelexecute_errors (the model definition is compared before
     * the argument count) */
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 2 x y OUTPUTS 1 c", "ERR Number of keys given as INPUTS here does "
                                                                  "not match model definition");
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 3 x OUTPUTS 1 c", "ERR Number of keys given as INPUTS here does "
                                                                 "not match model definition");
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 2 c d", "ERR Number of keys given as OUTPUTS here does "
                                                                   "not match model definition");
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c bad_arg", "ERR Invalid argument: bad_arg");
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c TIMEOUT -43", "ERR Invalid value for TIMEOUT");
    /* tests/flow/tests_deprecated_commands.py / deprecated.c: AI.MODELRUN compares with the model definition
     * in the same words */
    EXPECT_ERROR(c, "AI.MODELRUN lin INPUTS x x OUTPUTS y", "ERR Number of keys given as INPUTS here does not "
                                                           "match model definition");
    EXPECT_ERROR(c, "AI.MODELRUN lin INPUTS x OUTPUTS y z", "ERR Number of keys given as OUTPUTS here does not "
                                                           "match model definition");
    /* item 11. tests/flow/tests_common.py test_lua_multi: inside MULTI or Lua a run command is refused before
     * its model is looked up (no_model is none), and so is the run of a model that exists */
    freeReplyObject(lt_cmdf(c, "MULTI"));
    freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE no_model INPUTS 1 no_input OUTPUTS 1 no_output"));
    freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 c"));
    redisReply *r = lt_cmdf(c, "EXEC");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        CHECK(r->element[i]->type == REDIS_REPLY_ERROR &&
              strcmp(r->element[i]->str, "ERR Cannot run RedisAI command within a transaction or a LUA script") == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "EVAL %s 0", "return redis.pcall('AI.MODELEXECUTE', 'no_model', 'INPUTS', 1, 'no_input', "
                                "'OUTPUTS', 1, 'no_output')");
    CHECK(r->type == REDIS_REPLY_ERROR &&
          strstr(r->str, "Cannot run RedisAI command within a transaction or a LUA script") != NULL);
    freeReplyObject(r);
}

/* item 8. A STRING tensor given to a Torch model is refused with a message (libtorch has no string tensors),
 * alone, batched and in a DAG; the server stays up and nothing is written. (A script: test_compat_scripts.c.) */
static void test_string_inputs(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET sin STRING 1 4 VALUES a b c d"), "OK"));
    redisReply *r = lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 sin OUTPUTS 1 sout");
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "not supported by the Torch backend") != NULL);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE linb TORCH CPU BATCHSIZE 4 BLOB %b", linear, linear_len), "OK"));
    r = lt_cmdf(c, "AI.MODELEXECUTE linb INPUTS 1 sin OUTPUTS 1 sout");
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
    lin_blob = (cu_blob){"%LIN", linear, linear_len};
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    freeReplyObject(lt_cmdf(c, "SET strkey hello"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE lin TORCH CPU BLOB %b", linear, linear_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 1 4 VALUES 1 2 3 4"), "OK"));
    test_modelstore(c);
    test_modelexecute(c);
    test_string_inputs(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(linear);
    return lt_report("module_compat_models");
}
