/* Model, script, DAG and INFO command handlers of locus_ai (RedisAI 1.2 protocol). */
#ifndef LOCUS_MODULE_MODEL_CMDS_H
#define LOCUS_MODULE_MODEL_CMDS_H

#include "../parsing/run_args.h"
#include "../redismodule_api.h"

int cmd_modelstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_modelset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_modelget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_modeldel(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptstore(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptset(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptget(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptdel(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_info(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

int cmd_modelexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_modelrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_dagexecute(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_dagexecute_ro(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_dagrun(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

/* Parses a run command (argv as the handler gets it, command name first) into a run and frees it, running
 * nothing: 0, or -1 with the error reply the handler would send in err. The keys it names are looked up. */
int run_parse_only(RedisModuleCtx *ctx, run_command kind, RedisModuleString **argv, int argc, lc_err *err);
int cmd_modelscan(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_scriptscan(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int cmd_dagrun_ro(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

#endif
