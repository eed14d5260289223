/* Handlers of the tensor commands. */
#ifndef LOCUS_MODULE_TENSOR_CMDS_H
#define LOCUS_MODULE_TENSOR_CMDS_H

#include "../redismodule_api.h"

int cmd_tensorset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_tensorget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

#endif
