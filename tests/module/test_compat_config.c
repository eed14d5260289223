/* RedisAI 1.2.7 compatibility (issue 16 items 10 and 12) for AI.CONFIG: its subcommands' errors,
 * MODEL_CHUNK_SIZE and AI.CONFIG GET. Each reply is compared whole with the text RedisAI gives; the comment
 * above a case says where that text comes from (RedisAI's source, or its tests/flow files, which assert it
 * with assertEqual after redis-py strips "ERR "). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "server.h"

static void test_config(redisContext *c) {
    /* item 10. RedisAI src/redisai.c RedisAI_Config_RedisCommand */
    EXPECT_ERROR(c, "AI.CONFIG BACKENDSPATH", "ERR BACKENDSPATH: missing path argument");
    EXPECT_ERROR(c, "AI.CONFIG MODEL_CHUNK_SIZE", "ERR MODEL_CHUNK_SIZE: missing chunk size");
    EXPECT_ERROR(c, "AI.CONFIG MODEL_CHUNK_SIZE -5", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    EXPECT_ERROR(c, "AI.CONFIG MODEL_CHUNK_SIZE 0", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    EXPECT_ERROR(c, "AI.CONFIG MODEL_CHUNK_SIZE abc", "ERR MODEL_CHUNK_SIZE: invalid chunk size");
    EXPECT_ERROR(c, "AI.CONFIG LOADBACKEND TORCH", "ERR wrong number of arguments for 'AI.CONFIG' command");
    EXPECT_ERROR(c, "AI.CONFIG LOADBACKEND BOGUS x.so", "ERR unsupported backend");
    EXPECT_ERROR(c, "AI.CONFIG BOGUS", "ERR unsupported subcommand");
    /* item 12. src/config/config.c Config_SetModelChunkSize: any positive size */
    EXPECT_STATUS(c, "AI.CONFIG MODEL_CHUNK_SIZE 1", "OK");
    redisReply *r = lt_cmdf(c, "AI.CONFIG GET MODEL_CHUNK_SIZE");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    EXPECT_STATUS(c, "AI.CONFIG MODEL_CHUNK_SIZE 9223372036854775807", "OK");
    /* tests/flow/tests_commands.py test_ai_config: the default back */
    EXPECT_STATUS(c, "AI.CONFIG MODEL_CHUNK_SIZE 535822336", "OK");
}

int main(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    test_config(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    return lt_report("module_compat_config");
}
