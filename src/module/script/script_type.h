/* The AI_SCRIPT Redis data type: registration, versioned RDB encoder/decoders (our encodings start at 10, as
 * for AI_TENSOR and AI__MODEL; RedisAI's versions 0 to 4 are read too, never written:
 * redisai_script_decode.h), AOF rewrite, digest, memory usage, COPY and free. Loading a record compiles the
 * script again (the Torch backend, loaded first if needed) and checks its entry points. */
#ifndef LOCUS_MODULE_SCRIPT_TYPE_H
#define LOCUS_MODULE_SCRIPT_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "../redismodule_api.h"
#include "script.h"

#define SCRIPT_TYPE_NAME "AI_SCRIPT"
#define SCRIPT_ENCVER_V10 10 /* device, tag, source, entry points */
#define SCRIPT_ENCVER_CURRENT SCRIPT_ENCVER_V10

extern RedisModuleType *ScriptType;

int script_type_register(RedisModuleCtx *ctx);
/* The rdb_load callback (also fed by the fuzz targets): a new script, or NULL on a bad record. */
void *script_rdb_load(RedisModuleIO *io, int encver);

/* ---- what every decoder (ours and RedisAI's) ends with ---- */

/* A script record as read: every pointer is RedisModule_Alloc'd (Redis's buffers from
 * RedisModule_LoadStringBuffer) and owned by the record; strings are lengths, not NUL-terminated. */
typedef struct script_record {
    char *device, *tag, *source;
    size_t devlen, taglen, srclen;
    uint64_t nentry;
    char **entry;
    size_t *entrylens;
    bool corrupt;
} script_record;

/* Re-create the script of a record (compiled by the Torch backend, loaded first if needed; entry points
 * checked) as every decoder does; consumes the record whatever the outcome. NULL, logged with
 * RedisModule_LogIOError, for a short read, a corrupt record or a script that does not compile. */
script *script_from_record(RedisModuleIO *io, script_record *r);
/* Free what a record holds (for a decoder that stops before script_from_record). */
void script_record_free(script_record *r);

#endif
