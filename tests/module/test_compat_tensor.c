/* RedisAI 1.2.7 compatibility (issue 16 items 8 and 10-12) for tensors: AI.TENSORSET / AI.TENSORGET and STRING
 * tensors. Each reply is compared whole with the text RedisAI gives; the comment above a case says where that
 * text comes from (RedisAI's tests/flow files, which assert it with assertEqual, or its source when no test
 * covers the path). redis-py strips the "ERR " those tests omit. The DAG preamble and ops are in
 * test_compat_dag.c, AI.CONFIG in test_compat_config.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "server.h"

static void test_tensorset(redisContext *c) {
    freeReplyObject(lt_cmdf(c, "SET str hello"));
    /* item 10. RedisAI src/redis_ai_objects/tensor.c _RAI_TensorFillWithValues: "ERR invalid value" whole, for a
     * value that does not parse and for one out of the type's range */
    EXPECT_ERROR(c, "AI.TENSORSET t FLOAT 2 VALUES 1 A", "ERR invalid value");
    EXPECT_ERROR(c, "AI.TENSORSET t INT8 1 VALUES 128", "ERR invalid value");
    EXPECT_ERROR(c, "AI.TENSORSET t BOOL 1 VALUES 2", "ERR invalid value");
    /* RedisAI 1.2.7 refuses every negative value (a bug); locus stores them */
    EXPECT_STATUS(c, "AI.TENSORSET t INT8 2 VALUES -128 -1", "OK");
    /* item 11. RedisAI src/redisai.c RedisAI_TensorSet_RedisCommand opens the key before parsing:
     * WRONGTYPE first, even for a bad type or shape (tests_commands.py asserts WRONGTYPE on other commands) */
    EXPECT_ERROR(c, "AI.TENSORSET str BADTYPE 2", CU_WRONGTYPE);
    EXPECT_ERROR(c, "AI.TENSORSET str FLOAT -1", CU_WRONGTYPE);
    EXPECT_ERROR(c, "AI.TENSORSET str FLOAT 2 VALUES 1 A", CU_WRONGTYPE);
    /* RedisAI_TensorGet_RedisCommand looks the key up before the format: WRONGTYPE / empty key first */
    EXPECT_ERROR(c, "AI.TENSORGET str BOGUS", CU_WRONGTYPE);
    EXPECT_ERROR(c, "AI.TENSORGET nokey BOGUS", "ERR tensor key is empty or in a different shard");
    EXPECT_ERROR(c, "AI.TENSORGET t BOGUS", "ERR unsupported data format");

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
    EXPECT_STATUS(c, "AI.TENSORSET se STRING 2", "OK");
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
    EXPECT_ERROR(c, "AI.TENSORSET sx STRING 3 VALUES a b", "ERR wrong number of values was given in 'AI.TENSORSET' command");
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
    test_string_tensors(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    return lt_report("module_compat_tensor");
}
