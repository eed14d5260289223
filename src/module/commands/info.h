/* INFO MODULES sections of locus_ai (see info.c). */
#ifndef LOCUS_MODULE_INFO_H
#define LOCUS_MODULE_INFO_H

#include "../redismodule_api.h"

/* Registers the INFO callback (Redis 6 and later; nothing on a server without the API). */
void info_register(RedisModuleCtx *ctx);

#endif
