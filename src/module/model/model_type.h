/* The AI__MODEL and AI_SCRIPT Redis data types: registration, versioned RDB encoders/decoders (encodings
 * start at 10, as for AI_TENSOR; RedisAI's own versions below that are refused with a message), AOF
 * rewrite, digest, memory usage, COPY and free. Model blobs are written in chunks of at most
 * MODEL_CHUNK_SIZE bytes, so blobs over 512 MB survive RDB, AOF and replication. Loading a record re-creates
 * the backend object, loading the backend first if needed. */
#ifndef LOCUS_MODULE_MODEL_TYPE_H
#define LOCUS_MODULE_MODEL_TYPE_H

#include "../redismodule_api.h"
#include "model.h"

#define MODEL_TYPE_NAME "AI__MODEL"
#define SCRIPT_TYPE_NAME "AI_SCRIPT"
#define MODEL_ENCVER_V10 10  /* backend, device, tag, batching, names, blob length + chunks */
#define SCRIPT_ENCVER_V10 10 /* device, tag, source, entry points */
#define MODEL_ENCVER_CURRENT MODEL_ENCVER_V10
#define SCRIPT_ENCVER_CURRENT SCRIPT_ENCVER_V10

extern RedisModuleType *ModelType;
extern RedisModuleType *ScriptType;

int model_types_register(RedisModuleCtx *ctx);
/* The rdb_load callbacks (also fed by the fuzz targets): a new model or script, or NULL on a bad record. */
void *model_rdb_load(RedisModuleIO *io, int encver);
void *script_rdb_load(RedisModuleIO *io, int encver);

#endif
