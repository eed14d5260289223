/* The AI_SCRIPT data type and its persistence (see script_type.h): our encoding 10 written and read, and the
 * record-to-object step every decoder ends with (RedisAI's too, redisai_script_decode.c). */
#include "script_type.h"

#include <string.h>

#include "../copies.h"
#include "../parsing/args.h"
#include "../rdb/codec.h"
#include "redisai_script_decode.h"

RedisModuleType *ScriptType = NULL;

void script_record_free(script_record *r) {
    free_list(r->entry, r->nentry);
    RedisModule_Free(r->entrylens);
    RedisModule_Free(r->device);
    RedisModule_Free(r->tag);
    RedisModule_Free(r->source);
    memset(r, 0, sizeof *r);
}

script *script_from_record(RedisModuleIO *io, script_record *r) {
    char devn[16];
    if (r->corrupt || RedisModule_IsIOError(io) || r->device == NULL || r->source == NULL ||
        !device_normalize(r->device, r->devlen, devn)) {
        RedisModule_LogIOError(io, "warning", "AI_SCRIPT: corrupt record");
        script_record_free(r);
        return NULL;
    }
    char **ep = copy_list(r->nentry, (const char *const *)r->entry, r->entrylens);
    lc_err err;
    script *s = script_create(devn, r->tag, r->taglen, copy_bytes(r->source, r->srclen), (int)r->nentry,
                              (const char *const *)ep, &err);
    if (s == NULL)
        RedisModule_LogIOError(io, "warning", "AI_SCRIPT: cannot re-create a stored script: %s", err.msg);
    free_list(ep, r->nentry);
    script_record_free(r);
    return s;
}

/* ---- version 10 ---- */

static void script_rdb_save(RedisModuleIO *io, void *value) {
    script *s = value;
    RedisModule_SaveStringBuffer(io, s->device, strlen(s->device));
    RedisModule_SaveStringBuffer(io, s->tag, s->taglen);
    RedisModule_SaveStringBuffer(io, s->source, strlen(s->source));
    RedisModule_SaveUnsigned(io, (uint64_t)s->nentry);
    for (int i = 0; i < s->nentry; i++)
        RedisModule_SaveStringBuffer(io, s->entry_points[i], strlen(s->entry_points[i]));
}

static void *script_load_v10(RedisModuleIO *io) {
    script_record r = {0};
    r.device = RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = RedisModule_IsIOError(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    r.source = RedisModule_IsIOError(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.srclen);
    r.corrupt = !rdb_names_load(io, &r.nentry, &r.entry, &r.entrylens);
    return script_from_record(io, &r);
}

static const struct {
    int encver;
    void *(*load)(RedisModuleIO *io);
} script_decoders[] = {
    {REDISAI_ENCVER_V0, redisai_script_load_v0},
    {REDISAI_ENCVER_V1, redisai_script_load_v1},
    {REDISAI_ENCVER_V2, redisai_script_load_v1}, /* RedisAI's version 2 changed models only */
    {REDISAI_ENCVER_V3, redisai_script_load_v3},
    {REDISAI_ENCVER_V4, redisai_script_load_v3}, /* version 4 changed tensors only */
    {SCRIPT_ENCVER_V10, script_load_v10},
};

void *script_rdb_load(RedisModuleIO *io, int encver) {
    for (size_t i = 0; i < sizeof script_decoders / sizeof script_decoders[0]; i++)
        if (script_decoders[i].encver == encver)
            return script_decoders[i].load(io);
    RedisModule_LogIOError(
        io, "warning",
        "AI_SCRIPT: encoding version %d is unknown to this locus_ai (it reads RedisAI's %d to %d "
        "and its own %d)",
        encver, REDISAI_ENCVER_V0, REDISAI_ENCVER_V4, SCRIPT_ENCVER_V10);
    return NULL;
}

static void script_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    script *s = value;
    RedisModuleString **v = RedisModule_Alloc((size_t)(8 + s->nentry) * sizeof *v);
    int n = 0;
    v[n++] = aof_str_c(s->device);
    v[n++] = aof_str_c("TAG");
    v[n++] = RedisModule_CreateString(NULL, s->tag, s->taglen);
    if (s->nentry > 0) {
        v[n++] = aof_str_c("ENTRY_POINTS");
        v[n++] = aof_str_ll(s->nentry);
        for (int i = 0; i < s->nentry; i++)
            v[n++] = aof_str_c(s->entry_points[i]);
    }
    v[n++] = aof_str_c("SOURCE");
    v[n++] = aof_str_c(s->source);
    RedisModule_EmitAOF(aof, s->nentry > 0 ? "AI.SCRIPTSTORE" : "AI.SCRIPTSET", "sv", key, v, (size_t)n);
    for (int i = 0; i < n; i++)
        RedisModule_FreeString(NULL, v[i]);
    RedisModule_Free(v);
}

static void script_digest(RedisModuleDigest *md, void *value) {
    script *s = value;
    RedisModule_DigestAddStringBuffer(md, s->device, strlen(s->device));
    RedisModule_DigestAddStringBuffer(md, s->tag, s->taglen);
    RedisModule_DigestAddStringBuffer(md, s->source, strlen(s->source));
    for (int i = 0; i < s->nentry; i++)
        RedisModule_DigestAddStringBuffer(md, s->entry_points[i], strlen(s->entry_points[i]));
    RedisModule_DigestEndSequence(md);
}

static size_t script_mem(const void *value) {
    const script *s = value;
    return sizeof *s + strlen(s->source) + s->taglen;
}

static void script_free_cb(void *value) {
    script_release(value);
}

static void *script_copy(RedisModuleString *from, RedisModuleString *to, const void *value) {
    (void)from;
    (void)to;
    return script_retain((script *)value);
}

int script_type_register(RedisModuleCtx *ctx) {
    RedisModuleTypeMethods methods = {
        .version = REDISMODULE_TYPE_METHOD_VERSION_USED,
        .rdb_load = script_rdb_load,
        .rdb_save = script_rdb_save,
        .aof_rewrite = script_aof_rewrite,
        .mem_usage = script_mem,
        .digest = script_digest,
        .free = script_free_cb,
        .copy = script_copy,
    };
    ScriptType = RedisModule_CreateDataType(ctx, SCRIPT_TYPE_NAME, SCRIPT_ENCVER_CURRENT, &methods);
    return ScriptType != NULL ? REDISMODULE_OK : REDISMODULE_ERR;
}
