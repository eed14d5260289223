/* The AI__MODEL Redis data type: registration, versioned RDB encoders/decoders (our encodings start at 10, as
 * for AI_TENSOR and AI_SCRIPT; RedisAI's versions 0 to 4 are read too, never written: redisai_model_decode.h),
 * AOF rewrite, digest, memory usage, COPY and free. Model blobs are written in chunks of at most
 * MODEL_CHUNK_SIZE bytes, so blobs over 512 MB survive RDB, AOF and replication. Loading a record re-creates
 * the backend object, loading the backend first if needed. */
#ifndef LOCUS_MODULE_MODEL_TYPE_H
#define LOCUS_MODULE_MODEL_TYPE_H

#include "../redismodule_api.h"
#include "model.h"

#define MODEL_TYPE_NAME "AI__MODEL"
#define MODEL_ENCVER_V10 10  /* backend, device, tag, batching, names, blob length + chunks */
#define MODEL_ENCVER_CURRENT MODEL_ENCVER_V10

extern RedisModuleType *ModelType;

int model_type_register(RedisModuleCtx *ctx);
/* The rdb_load callback (also fed by the fuzz targets): a new model, or NULL on a bad record. */
void *model_rdb_load(RedisModuleIO *io, int encver);

/* ---- what every decoder (ours and RedisAI's) ends with ---- */

/* A model record as read, before the backend sees it. Every pointer is RedisModule_Alloc'd (Redis's buffers
 * from RedisModule_LoadStringBuffer) and owned by the record; strings are lengths, not NUL-terminated. */
typedef struct model_record {
    uint64_t backend; /* backend_id: RedisAI numbers its backends as we do (TF 0, TFLITE 1, TORCH 2, ONNX 3) */
    char *device, *tag;
    size_t devlen, taglen;
    uint64_t batchsize, minbatchsize, minbatchtimeout;
    uint64_t ninputs, noutputs;
    char **inputs, **outputs;
    size_t *inlens, *outlens;
    char *blob; /* the whole serialized model, bloblen bytes */
    size_t bloblen;
    bool corrupt; /* set by a decoder that found its own fields inconsistent */
} model_record;

/* Read nchunks strings that together must make bloblen bytes. The blob (RedisModule_Alloc'd, caller owns), or
 * NULL after a short read or when the chunks do not add up; a length field is never trusted for an
 * allocation. */
char *model_blob_load(RedisModuleIO *io, uint64_t bloblen, uint64_t nchunks);
/* Re-create the model of a record (loading its backend first if needed) as every decoder does; consumes the
 * record whatever the outcome. NULL, logged with RedisModule_LogIOError, for a short read, a corrupt record
 * or a model the backend refuses (the message names the backend, e.g. TF when locus_ai has none). */
model *model_from_record(RedisModuleIO *io, model_record *r);
/* Free what a record holds (for a decoder that stops before model_from_record). */
void model_record_free(model_record *r);

#endif
