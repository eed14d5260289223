/* RedisAI 1.2.7 compatibility (issue 16 items 10-12) for what needs no backend: AI.TENSORSET / AI.TENSORGET,
 * the DAG preamble and its tensor ops, AI.CONFIG. Each reply is compared whole with the text RedisAI gives;
 * the comment above a case says where that text comes from (RedisAI's tests/flow files, which assert it with
 * assertEqual, or its source when no test covers the path). redis-py strips the "ERR " those tests omit.
 *
 * A Redis Cluster of one node checks the DAG that names no key (refused there only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "server.h"

/* Split on spaces; "\x01" stands for an empty argument. */
static redisReply *run_split(redisContext *c, const char *cmd) {
    char *copy = strdup(cmd);
    const char *argv[64];
    size_t lens[64];
    int n = 0;
    for (char *tok = strtok(copy, " "); tok && n < 64; tok = strtok(NULL, " ")) {
        argv[n] = tok[0] == '\x01' ? "" : tok;
        lens[n] = strlen(argv[n]);
        n++;
    }
    redisReply *r = lt_cmd(c, n, argv, lens);
    free(copy);
    return r;
}

/* The reply to `cmd` is the error `expect`, exactly. */
static void expect_error(redisContext *c, const char *cmd, const char *expect) {
    redisReply *r = run_split(c, cmd);
    int ok = r->type == REDIS_REPLY_ERROR && strcmp(r->str, expect) == 0;
    if (!ok)
        fprintf(stderr, "  '%s':\n    want '%s'\n    got  '%s'\n", cmd, expect,
                r->type == REDIS_REPLY_ERROR ? r->str : "(not an error)");
    CHECK(ok);
    freeReplyObject(r);
}

static void expect_status(redisContext *c, const char *cmd, const char *status) {
    redisReply *r = run_split(c, cmd);
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, status) == 0;
    if (!ok)
        fprintf(stderr, "  '%s': want %s, got %s\n", cmd, status, r->type == REDIS_REPLY_ERROR ? r->str : "?");
    CHECK(ok);
    freeReplyObject(r);
}

static const char *const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

static void test_tensorset(redisContext *c) {
    freeReplyObject(lt_cmdf(c, "SET str hello"));
    /* item 10. RedisAI src/redis_ai_objects/tensor.c _RAI_TensorFillWithValues: "ERR invalid value" whole, for a
     * value that does not parse and for one out of the type's range */
    expect_error(c, "AI.TENSORSET t FLOAT 2 VALUES 1 A", "ERR invalid value");
    expect_error(c, "AI.TENSORSET t INT8 1 VALUES 128", "ERR invalid value");
    expect_error(c, "AI.TENSORSET t BOOL 1 VALUES 2", "ERR invalid value");
    /* RedisAI 1.2.7 refuses every negative value (a bug); locus stores them */
    expect_status(c, "AI.TENSORSET t INT8 2 VALUES -128 -1", "OK");
    /* item 11. RedisAI src/redisai.c RedisAI_TensorSet_RedisCommand opens the key before parsing:
     * WRONGTYPE first, even for a bad type or shape (tests_commands.py asserts WRONGTYPE on other commands) */
    expect_error(c, "AI.TENSORSET str BADTYPE 2", WRONGTYPE);
    expect_error(c, "AI.TENSORSET str FLOAT -1", WRONGTYPE);
    expect_error(c, "AI.TENSORSET str FLOAT 2 VALUES 1 A", WRONGTYPE);
    /* RedisAI_TensorGet_RedisCommand looks the key up before the format: WRONGTYPE / empty key first */
    expect_error(c, "AI.TENSORGET str BOGUS", WRONGTYPE);
    expect_error(c, "AI.TENSORGET nokey BOGUS", "ERR tensor key is empty or in a different shard");
    expect_error(c, "AI.TENSORGET t BOGUS", "ERR unsupported data format");

    /* item 12. tensor.c _RAI_TensorParseBooleansBlob: a BOOL blob byte other than 0 or 1 is refused */
    const char *argv[] = {"AI.TENSORSET", "b", "BOOL", "3", "BLOB", "\x00\x01\x02"};
    size_t lens[] = {12, 1, 4, 1, 4, 3};
    redisReply *r = lt_cmd(c, 6, argv, lens);
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR BOOL tensor elements must be 0 or 1") == 0);
    freeReplyObject(r);
    argv[5] = "\x01\x00\x01";
    r = lt_cmd(c, 6, argv, lens);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    /* the same inside a DAG (dag_parser.c parses its TENSORSET with the same code) */
    const char *dargv[] = {"AI.DAGEXECUTE", "PERSIST", "1", "b", "|>", "AI.TENSORSET", "b", "BOOL", "1", "BLOB", "\x07"};
    size_t dlens[] = {13, 7, 1, 1, 2, 12, 1, 4, 1, 4, 1};
    r = lt_cmd(c, 11, dargv, dlens);
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR BOOL tensor elements must be 0 or 1") == 0);
    freeReplyObject(r);
}

static void test_dag(redisContext *c) {
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET a FLOAT 2 2 VALUES 2 3 2 3"));
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET volatile FLOAT 2 2 VALUES 5 10 5 10"));
    /* tests/flow/tests_dag_errors.py test_dag_load_errors */
    expect_error(c, "AI.DAGEXECUTE PERSIST 2 no_tensor1 no_tensor2 LOAD 1",
                 "ERR missing arguments after LOAD keyword in DAG command");
    expect_error(c, "AI.DAGEXECUTE LOAD notnumber |> AI.TENSORGET no_tensor VALUES",
                 "ERR invalid or negative value found in number of keys to LOAD");
    expect_error(c, "AI.DAGEXECUTE ROUTING a LOAD 2 a",
                 "ERR number of keys to LOAD into DAG does not match the number of given arguments");
    expect_error(c, "AI.DAGEXECUTE ROUTING no_tensor LOAD 1 no_tensor",
                 "ERR tensor key is empty or in a different shard");
    /* test_dag_persist_errors */
    expect_error(c, "AI.DAGEXECUTE ROUTING a LOAD 1 a PERSIST 1",
                 "ERR missing arguments after PERSIST keyword in DAG command");
    expect_error(c, "AI.DAGEXECUTE ROUTING a PERSIST not_number a",
                 "ERR invalid or negative value found in number of keys to PERSIST");
    expect_error(c, "AI.DAGEXECUTE ROUTING a PERSIST 2 a",
                 "ERR number of keys to PERSIST after DAG execution does not match the number of given arguments");
    /* dag_parser.c _ParseDAGPersistArgs */
    expect_error(c, "AI.DAGEXECUTE PERSIST 2 a a |> AI.TENSORSET a FLOAT 1", "ERR PERSIST keys must be unique");
    /* test_dag_timeout_errors */
    expect_error(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a TIMEOUT", "ERR No value provided for TIMEOUT");
    expect_error(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a TIMEOUT not_number", "ERR Invalid value for TIMEOUT");
    /* test_dag_common_errors (two spaces after the colon, as RedisAI writes it) */
    expect_error(c, "AI.DAGEXECUTE PERSIST 3 a b c ROUTING", "ERR Missing ROUTING value");
    expect_error(c, "AI.DAGEXECUTE ROUTING a PERSIST 1 a BAD_ARG",
                 "ERR Invalid DAG command. Unexpected argument:  BAD_ARG");
    /* dag_parser.c DAGInitialParsing: a keyword given twice is an unexpected argument */
    expect_error(c, "AI.DAGEXECUTE LOAD 1 a LOAD 1 a |> AI.TENSORGET a",
                 "ERR Invalid DAG command. Unexpected argument:  LOAD");
    expect_error(c, "AI.DAGEXECUTE ROUTING a |> AI.NOCOMMAND a FLOAT 1 2 VALUES 5 10",
                 "ERR Unsupported command within DAG");
    expect_error(c, "AI.DAGEXECUTE \x01", "ERR missing arguments for 'AI.DAGEXECUTE' command");
    expect_error(c, "AI.DAGEXECUTE ROUTING volatile LOAD 1 volatile", "ERR DAG is empty");
    expect_error(c, "AI.DAGEXECUTE LOAD 1 volatile |> AI.MODELRUN m INPUTS volatile volatile OUTPUTS out",
                 "ERR Deprecated AI.MODELRUN cannot be used in AI.DAGEXECUTE command");
    expect_error(c, "AI.DAGEXECUTE LOAD 1 volatile |> AI.SCRIPTRUN s bar INPUTS volatile OUTPUTS out",
                 "ERR Deprecated AI.SCRIPTRUN cannot be used in AI.DAGEXECUTE command");
    /* test_dag_ro_errors */
    expect_error(c, "AI.DAGEXECUTE_RO \x01", "ERR missing arguments for 'AI.DAGEXECUTE_RO' command");
    expect_error(c, "AI.DAGEXECUTE_RO PERSIST 1 tensor1 |> AI.TENSORSET tensor1 FLOAT 1 2 VALUES 5 10",
                 "ERR PERSIST cannot be specified in a read-only DAG");
    /* item 12. test_dag_ro_errors: no AI.SCRIPTEXECUTE in a read-only DAG (refused before the script is looked
     * up, so no backend is needed here) */
    expect_error(c, "AI.DAGEXECUTE_RO LOAD 1 volatile |> AI.SCRIPTEXECUTE script bar INPUTS 2 volatile volatile",
                 "ERR AI.SCRIPTEXECUTE command cannot be specified in a read-only DAG");
    /* test_dag_tensorget_tensorset_errors */
    expect_error(c, "AI.DAGEXECUTE ROUTING a |> AI.TENSORSET a FLOAT 1 |> AI.TENSORGET",
                 "ERR wrong number of arguments for 'AI.TENSORGET' command");
    expect_error(c, "AI.DAGEXECUTE ROUTING a |> AI.TENSORSET a FLOAT 1 |> AI.TENSORSET",
                 "ERR wrong number of arguments for 'AI.TENSORSET' command");
    /* deprecated.c ParseDAGRunOps */
    expect_error(c, "AI.DAGRUN LOAD 1 a |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 y",
                 "ERR AI.MODELEXECUTE cannot be used in a deprecated AI.DAGRUN command");
    /* outside a cluster a DAG naming no key still runs (RedisAI refuses it everywhere; see the cluster case) */
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE |> AI.TENSORSET x FLOAT 1 VALUES 1 |> AI.TENSORGET x VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
}

static void test_multi_and_lua(redisContext *c) {
    /* item 11. tests/flow/tests_common.py: inside MULTI or Lua a run command is refused before its model is
     * looked up (here there is none) */
    freeReplyObject(lt_cmdf(c, "MULTI"));
    freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE no_model INPUTS 1 no_input OUTPUTS 1 no_output"));
    redisReply *r = lt_cmdf(c, "EXEC");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ERROR &&
          strcmp(r->element[0]->str, "ERR Cannot run RedisAI command within a transaction or a LUA script") == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "EVAL %s 0", "return redis.pcall('AI.MODELEXECUTE', 'no_model', 'INPUTS', 1, 'no_input', "
                                "'OUTPUTS', 1, 'no_output')");
    CHECK(r->type == REDIS_REPLY_ERROR &&
          strstr(r->str, "Cannot run RedisAI command within a transaction or a LUA script") != NULL);
    freeReplyObject(r);
    r = lt_cmdf(c, "EVAL %s 0", "return redis.pcall('AI.DAGEXECUTE', 'LOAD', 1, 'nokey', '|>', 'AI.TENSORGET', "
                                "'nokey')");
    CHECK(r->type == REDIS_REPLY_ERROR &&
          strstr(r->str, "Cannot run RedisAI command within a transaction or a LUA script") != NULL);
    freeReplyObject(r);
}

static void test_config(redisContext *c) {
    /* item 10. RedisAI src/redisai.c RedisAI_Config_RedisCommand */
    expect_error(c, "AI.CONFIG BACKENDSPATH", "ERR BACKENDSPATH: missing path argument");
    expect_error(c, "AI.CONFIG MODEL_CHUNK_SIZE", "ERR MODEL_CHUNK_SIZE: missing chunk size");
    expect_error(c, "AI.CONFIG MODEL_CHUNK_SIZE -5", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    expect_error(c, "AI.CONFIG MODEL_CHUNK_SIZE 0", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    expect_error(c, "AI.CONFIG MODEL_CHUNK_SIZE abc", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    expect_error(c, "AI.CONFIG LOADBACKEND TORCH", "ERR wrong number of arguments for 'AI.CONFIG' command");
    expect_error(c, "AI.CONFIG LOADBACKEND BOGUS x.so", "ERR unsupported backend");
    expect_error(c, "AI.CONFIG BOGUS", "ERR unsupported subcommand");
    /* item 12. src/config/config.c Config_SetModelChunkSize: any positive size */
    expect_status(c, "AI.CONFIG MODEL_CHUNK_SIZE 1", "OK");
    redisReply *r = lt_cmdf(c, "AI.CONFIG GET MODEL_CHUNK_SIZE");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    expect_status(c, "AI.CONFIG MODEL_CHUNK_SIZE 9223372036854775807", "OK");
    /* tests/flow/tests_commands.py test_ai_config: the default back */
    expect_status(c, "AI.CONFIG MODEL_CHUNK_SIZE 535822336", "OK");
}

static void test_cluster_dag(void) {
    lt_cluster cl;
    if (lt_cluster_start(&cl, 1) != 0) {
        CHECK(!"cluster start");
        return;
    }
    redisContext *c = lt_connect(&cl.node[0]);
    /* item 12. tests/flow/tests_dag_errors.py test_dag_common_errors */
    expect_error(c, "AI.DAGEXECUTE |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10",
                 "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
                 "PERSIST keywords");
    expect_error(c, "AI.DAGEXECUTE_RO |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10",
                 "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, LOAD, "
                 "PERSIST keywords");
    redisReply *r = lt_cmdf(c, "AI.DAGEXECUTE ROUTING a{1} |> AI.TENSORSET a{1} FLOAT 1 2 VALUES 5 10");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    freeReplyObject(r);
    redisFree(c);
    CHECK(lt_cluster_stop(&cl) == 0);
}

/* A command of binary arguments (NUL bytes included): argv and the length of each. */
static redisReply *bin(redisContext *c, int argc, const char **argv, const size_t *lens) {
    return lt_cmd(c, argc, argv, lens);
}

/* The reply is an array of exactly these bulk strings (n of them, lens given). */
static int strings_are(const redisReply *r, int n, const char *const *want, const size_t *lens) {
    if (r->type != REDIS_REPLY_ARRAY || (int)r->elements != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING || r->element[i]->len != lens[i] ||
            memcmp(r->element[i]->str, want[i], lens[i]) != 0)
            return 0;
    return 1;
}

/* item 8. STRING tensors, with the replies of RedisAI's tests_commands.py test_string_tensor and the errors
 * of its test_common_tensorset_errors ("C-string value contains null character") and of
 * src/redis_ai_objects/tensor.c (the BLOB of a STRING tensor). */
static void test_string_tensors(redisContext *c) {
    redisReply *r;
    /* VALUES: C strings, one may end in its NUL */
    r = bin(c, 7, (const char *[]){"AI.TENSORSET", "sv", "STRING", "2", "VALUES", "str_val1", "str_val2\0"},
            (size_t[]){12, 2, 6, 1, 6, 8, 9});
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET sv VALUES");
    CHECK(strings_are(r, 2, (const char *[]){"str_val1", "str_val2"}, (size_t[]){8, 8}));
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET sv BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 18 && memcmp(r->str, "str_val1\0str_val2\0", 18) == 0);
    freeReplyObject(r);
    /* BLOB: NUL-terminated strings, one per element */
    r = lt_cmdf(c, "AI.TENSORSET sb STRING 2 BLOB %b", "str_blob1\0str_blob2\0", (size_t)20);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET sb VALUES");
    CHECK(strings_are(r, 2, (const char *[]){"str_blob1", "str_blob2"}, (size_t[]){9, 9}));
    freeReplyObject(r);
    /* no data: empty strings; META gives STRING and the shape */
    expect_status(c, "AI.TENSORSET se STRING 2", "OK");
    r = lt_cmdf(c, "AI.TENSORGET se META VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, "STRING") == 0 &&
          r->element[3]->elements == 1 && r->element[3]->element[0]->integer == 2 &&
          strings_are(r->element[5], 2, (const char *[]){"", ""}, (size_t[]){0, 0}));
    freeReplyObject(r);
    /* two dimensions, and UTF-8 */
    r = lt_cmdf(c, "AI.TENSORSET s22 STRING 2 2 BLOB %b", "str11\0str12\0str21\0str22\0", (size_t)24);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET s22 VALUES");
    CHECK(strings_are(r, 4, (const char *[]){"str11", "str12", "str21", "str22"}, (size_t[]){5, 5, 5, 5}));
    freeReplyObject(r);
    const char *heb = "\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa";
    char blob[64];
    memcpy(blob, "english", 8);
    memcpy(blob + 8, heb, 11);
    r = lt_cmdf(c, "AI.TENSORSET su STRING 2 BLOB %b", blob, (size_t)19);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET su VALUES");
    CHECK(strings_are(r, 2, (const char *[]){"english", heb}, (size_t[]){7, 10}));
    freeReplyObject(r);

    /* refused, and nothing stored */
    r = bin(c, 7, (const char *[]){"AI.TENSORSET", "sx", "STRING", "2", "VALUES", "valid C-string", "invalid\0C-string"},
            (size_t[]){12, 2, 6, 1, 6, 14, 16});
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR C-string value contains null character") == 0);
    freeReplyObject(r);
    const char *bad_blob = "ERR String tensor blob must contain a sequence of null-terminated strings whose length "
                           "is the tensor's length";
    r = lt_cmdf(c, "AI.TENSORSET sx STRING 2 BLOB %b", "a\0b", (size_t)3);
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, bad_blob) == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORSET sx STRING 2 BLOB %b", "a\0b\0c\0", (size_t)6);
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, bad_blob) == 0);
    freeReplyObject(r);
    expect_error(c, "AI.TENSORSET sx STRING 3 VALUES a b", "ERR wrong number of values was given in 'AI.TENSORSET' command");
    r = lt_cmdf(c, "EXISTS sx");
    CHECK(r->integer == 0);
    freeReplyObject(r);

    /* kept by DUMP/RESTORE (the RDB encoding) and COPY */
    r = lt_cmdf(c, "DUMP s22");
    REQUIRE(r->type == REDIS_REPLY_STRING);
    redisReply *q = lt_cmdf(c, "RESTORE s22r 0 %b", r->str, r->len);
    CHECK(q->type == REDIS_REPLY_STATUS);
    freeReplyObject(q);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET s22r VALUES");
    CHECK(strings_are(r, 4, (const char *[]){"str11", "str12", "str21", "str22"}, (size_t[]){5, 5, 5, 5}));
    freeReplyObject(r);
    freeReplyObject(lt_cmdf(c, "COPY sv svc"));
    r = lt_cmdf(c, "AI.TENSORGET svc VALUES");
    CHECK(strings_are(r, 2, (const char *[]){"str_val1", "str_val2"}, (size_t[]){8, 8}));
    freeReplyObject(r);

    /* in a DAG: set, read back, persisted */
    r = lt_cmdf(c, "AI.DAGEXECUTE PERSIST 1 sd |> AI.TENSORSET sd STRING 3 VALUES x yy zzz |> AI.TENSORGET sd VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STATUS &&
          strings_are(r->element[1], 3, (const char *[]){"x", "yy", "zzz"}, (size_t[]){1, 2, 3}));
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET sd BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 9 && memcmp(r->str, "x\0yy\0zzz\0", 9) == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.DAGEXECUTE PERSIST 1 sd2 |> AI.TENSORSET sd2 STRING 2 BLOB %b", "no-nul", (size_t)6);
    CHECK(r->type == REDIS_REPLY_ERROR && strcmp(r->str, bad_blob) == 0);
    freeReplyObject(r);
}

int main(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    test_tensorset(c);
    test_dag(c);
    test_multi_and_lua(c);
    test_config(c);
    test_string_tensors(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    test_cluster_dag();
    return lt_report("module_compat_tensor");
}
