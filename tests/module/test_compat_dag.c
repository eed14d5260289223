/* RedisAI 1.2.7 compatibility (issue 16 items 10-12) for DAGs that need no backend: the AI.DAGEXECUTE /
 * AI.DAGEXECUTE_RO / AI.DAGRUN preamble (LOAD, PERSIST, ROUTING, TIMEOUT), its tensor ops and the op names it
 * refuses. Each reply is compared whole with the text RedisAI gives; the comment above a case says where that
 * text comes from (RedisAI's tests/flow files, which assert it with assertEqual after redis-py strips "ERR ",
 * or its source when no test covers the path). The DAG ops that run a model or a script are in
 * test_compat_models.c and test_compat_scripts.c.
 *
 * A Redis Cluster of one node checks the DAG that names no key (refused there only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "compat_util.h"
#include "server.h"

static void test_dag(redisContext *c) {
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET a FLOAT 2 2 VALUES 2 3 2 3"));
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET volatile FLOAT 2 2 VALUES 5 10 5 10"));
    /* tests/flow/tests_dag_errors.py test_dag_load_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE PERSIST 2 no_tensor1 no_tensor2 LOAD 1",
                 "ERR missing arguments after LOAD keyword in DAG command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE LOAD notnumber |> AI.TENSORGET no_tensor VALUES",
                 "ERR invalid or negative value found in number of keys to LOAD");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a LOAD 2 a",
                 "ERR number of keys to LOAD into DAG does not match the number of given arguments");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING no_tensor LOAD 1 no_tensor",
                 "ERR tensor key is empty or in a different shard");
    /* test_dag_persist_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a LOAD 1 a PERSIST 1",
                 "ERR missing arguments after PERSIST keyword in DAG command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a PERSIST not_number a",
                 "ERR invalid or negative value found in number of keys to PERSIST");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a PERSIST 2 a",
                 "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments");
    /* dag_parser.c _ParseDAGPersistArgs */
    EXPECT_ERROR(c, "AI.DAGEXECUTE PERSIST 2 a a |> AI.TENSORSET a FLOAT 1", "ERR PERSIST keys must be unique");
    /* test_dag_timeout_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a TIMEOUT", "ERR No value provided for TIMEOUT");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a TIMEOUT not_number", "ERR Invalid value for TIMEOUT");
    /* test_dag_common_errors (two spaces after the colon, as RedisAI writes it) */
    EXPECT_ERROR(c, "AI.DAGEXECUTE PERSIST 3 a b c ROUTING", "ERR Missing ROUTING value");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a BAD_ARG",
                 "ERR Invalid DAG command. Unexpected argument:  BAD_ARG");
    /* dag_parser.c DAGInitialParsing: a keyword given twice is an unexpected argument */
    EXPECT_ERROR(c, "AI.DAGEXECUTE LOAD 1 a LOAD 1 a |> AI.TENSORGET a",
                 "ERR Invalid DAG command. Unexpected argument:  LOAD");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a |> AI.NOCOMMAND a FLOAT 1 2 VALUES 5 10",
                 "ERR Unsupported command within DAG");
    EXPECT_ERROR(c, "AI.DAGEXECUTE \x01", "ERR missing arguments for 'AI.DAGEXECUTE' command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING volatile LOAD 1 volatile", "ERR DAG is empty");
    EXPECT_ERROR(c, "AI.DAGEXECUTE LOAD 1 volatile |> AI.MODELRUN m INPUTS volatile volatile OUTPUTS out",
                 "ERR Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE LOAD 1 volatile |> AI.SCRIPTRUN s bar INPUTS volatile OUTPUTS out",
                 "ERR Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command");
    /* test_dag_ro_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE_RO \x01", "ERR missing arguments for 'AI.DAGEXECUTE_RO' command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE_RO PERSIST 1 tensor1 |> AI.TENSORSET tensor1 FLOAT 1 2 VALUES 5 10",
                 "ERR PERSIST cannot be specified in a read-only DAG");
    /* item 12. test_dag_ro_errors: no AI.SCRIPTEXECUTE in a read-only DAG (refused before the script is looked
     * up, so no backend is needed here) */
    EXPECT_ERROR(c, "AI.DAGEXECUTE_RO LOAD 1 volatile |> AI.SCRIPTEXECUTE script bar INPUTS 2 volatile volatile",
                 "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
    /* test_dag_tensorget_tensorset_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a |> AI.TENSORSET a FLOAT 1 |> AI.TENSORGET",
                 "ERR wrong number of arguments for 'AI.TENSORGET' command");
    EXPECT_ERROR(c, "AI.DAGEXECUTE ROUTING a |> AI.TENSORSET a FLOAT 1 |> AI.TENSORSET",
                 "ERR wrong number of arguments for 'AI.TENSORSET' command");
    /* deprecated.c ParseDAGRunOps */
    EXPECT_ERROR(c, "AI.DAGRUN LOAD 1 a |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 y",
                 "ERR AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command");
    /* outside a cluster a DAG naming no key still runs (RedisAI refuses it everywhere; see the cluster case) */
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE |> AI.TENSORSET x FLOAT 1 VALUES 1 |> AI.TENSORGET x VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
}

static void test_dag_in_lua(redisContext *c) {
    /* item 11. tests/flow/tests_common.py test_lua_multi asserts the text for AI.MODELEXECUTE; RedisAI's
     * src/execution/command_parser.c RedisAI_ExecuteCommand, which every run command and DAG goes through,
     * refuses in MULTI or Lua before it parses: a DAG is refused the same way */
    redisReply *r = lt_cmdf(c, "EVAL %s 0",
                            "return redis.pcall('AI.DAGEXECUTE', 'LOAD', 1, 'nokey', '|>', 'AI.TENSORGET', "
                            "'nokey')");
    CHECK(r->type == REDIS_REPLY_ERROR &&
          strstr(r->str, "Cannot run RedisAI command within a transaction or a LUA script") != NULL);
    freeReplyObject(r);
}

static void test_cluster_dag(void) {
    lt_cluster cl;
    if (lt_cluster_start(&cl, 1) != 0) {
        CHECK(!"cluster start");
        return;
    }
    redisContext *c = lt_connect(&cl.node[0]);
    /* item 12. tests/flow/tests_dag_errors.py test_dag_common_errors */
    EXPECT_ERROR(c, "AI.DAGEXECUTE |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10",
                 "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
                 "PERSIST keywords");
    EXPECT_ERROR(c, "AI.DAGEXECUTE_RO |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10",
                 "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
                 "PERSIST keywords");
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE ROUTING a{1} |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    freeReplyObject(r);
    redisFree(c);
    CHECK(lt_cluster_stop(&cl) == 0);
}

int main(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    test_dag(c);
    test_dag_in_lua(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    test_cluster_dag();
    return lt_report("module_compat_dag");
}
