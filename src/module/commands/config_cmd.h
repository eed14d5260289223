/* The AI.CONFIG command handler. */
#ifndef LOCUS_MODULE_COMMANDS_CONFIG_CMD_H
#define LOCUS_MODULE_COMMANDS_CONFIG_CMD_H

#include "../redismodule_api.h"

int cmd_config(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

#endif
