/* The AI__MODEL data type and its persistence (see model_type.h): our encoding 10 written and read, and the
 * record-to-object step every decoder ends with (RedisAI's too, redisai_model_decode.c). */
#include "model_type.h"

#include <stdio.h>
#include <string.h>

#include "../config.h"
#include "../copies.h"
#include "../rdb/codec.h"
#include "redisai_model_decode.h"

RedisModuleType *ModelType = NULL;

static bool io_failed(RedisModuleIO *io) {
    return RedisModule_IsIOError(io);
}

static size_t chunk_size(void) {
    return g_config.model_chunk_size > 0 ? (size_t)g_config.model_chunk_size : 511u * 1024 * 1024;
}

/* ---- AI__MODEL version 10 ---- */

static void model_save_v10(RedisModuleIO *io, const model *m) {
    RedisModule_SaveUnsigned(io, (uint64_t)m->backend);
    RedisModule_SaveStringBuffer(io, m->device, strlen(m->device));
    RedisModule_SaveStringBuffer(io, m->tag, m->taglen);
    RedisModule_SaveUnsigned(io, (uint64_t)m->batchsize);
    RedisModule_SaveUnsigned(io, (uint64_t)m->minbatchsize);
    RedisModule_SaveUnsigned(io, (uint64_t)m->minbatchtimeout);
    RedisModule_SaveUnsigned(io, (uint64_t)m->ninput_names);
    for (int i = 0; i < m->ninput_names; i++)
        RedisModule_SaveStringBuffer(io, m->input_names[i], strlen(m->input_names[i]));
    RedisModule_SaveUnsigned(io, (uint64_t)m->noutput_names);
    for (int i = 0; i < m->noutput_names; i++)
        RedisModule_SaveStringBuffer(io, m->output_names[i], strlen(m->output_names[i]));
    size_t cs = chunk_size();
    size_t nchunks = (m->bloblen + cs - 1) / cs;
    RedisModule_SaveUnsigned(io, (uint64_t)m->bloblen);
    RedisModule_SaveUnsigned(io, (uint64_t)nchunks);
    for (size_t i = 0; i < nchunks; i++) {
        size_t off = i * cs;
        size_t n = m->bloblen - off < cs ? m->bloblen - off : cs;
        RedisModule_SaveStringBuffer(io, m->blob + off, n);
    }
}

/* ---- shared by every encoding: reading names and chunked blobs, and records to objects ---- */

char *model_blob_load(RedisModuleIO *io, uint64_t bloblen, uint64_t nchunks) {
    if (io_failed(io) || nchunks > bloblen + 1)
        return NULL;
    /* The blob grows with the chunks actually read: a length field is never trusted for an allocation, so a
     * corrupt one (2^62) is a refused record, not an out-of-memory abort. */
    char *blob = NULL;
    size_t got = 0;
    bool ok = true;
    for (uint64_t i = 0; i < nchunks && ok; i++) {
        size_t n = 0;
        char *c = RedisModule_LoadStringBuffer(io, &n);
        if (io_failed(io) || c == NULL || n > bloblen - got) {
            ok = false;
        } else if (i == 0 && nchunks == 1) {
            blob = c; /* the usual single chunk: keep Redis's buffer */
            c = NULL;
            got = n;
        } else {
            blob = RedisModule_Realloc(blob, got + n > 0 ? got + n : 1);
            memcpy(blob + got, c, n);
            got += n;
        }
        RedisModule_Free(c);
    }
    if (!ok || got != bloblen) {
        RedisModule_Free(blob);
        return NULL;
    }
    return blob != NULL ? blob : RedisModule_Alloc(1);
}

void model_record_free(model_record *r) {
    free_list(r->inputs, r->ninputs);
    free_list(r->outputs, r->noutputs);
    RedisModule_Free(r->inlens);
    RedisModule_Free(r->outlens);
    RedisModule_Free(r->device);
    RedisModule_Free(r->tag);
    RedisModule_Free(r->blob);
    memset(r, 0, sizeof *r);
}

model *model_from_record(RedisModuleIO *io, model_record *r) {
    model *m = NULL;
    char devn[16];
    if (r->corrupt || io_failed(io) || r->device == NULL || r->blob == NULL ||
        !device_normalize(r->device, r->devlen, devn) || r->backend >= BACKEND_COUNT) {
        RedisModule_LogIOError(io, "warning", "AI__MODEL: corrupt record");
        model_record_free(r);
        return NULL;
    }
    model_spec spec = {
        .backend = (backend_id)r->backend,
        .device = devn,
        .tag = r->tag,
        .taglen = r->taglen,
        .batchsize = (long long)r->batchsize,
        .minbatchsize = (long long)r->minbatchsize,
        .minbatchtimeout = (long long)r->minbatchtimeout,
        .ninput_names = (int)r->ninputs,
        .noutput_names = (int)r->noutputs,
        .input_names = (const char **)r->inputs,
        .output_names = (const char **)r->outputs,
        .input_lens = r->inlens,
        .output_lens = r->outlens,
    };
    lc_err err;
    char *blob = r->blob;
    r->blob = NULL; /* model_create takes it */
    m = model_create(&spec, blob, r->bloblen, &err);
    if (m == NULL)
        RedisModule_LogIOError(io, "warning", "AI__MODEL: cannot re-create a stored %s model: %s",
                               backend_name(spec.backend), err.msg);
    model_record_free(r);
    return m;
}

/* ---- AI__MODEL decoders: version 10 here, RedisAI's 0 to 4 in redisai_model_decode.c ---- */

static void *model_load_v10(RedisModuleIO *io) {
    model_record r = {0};
    r.backend = RedisModule_LoadUnsigned(io);
    r.device = RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    r.batchsize = RedisModule_LoadUnsigned(io);
    r.minbatchsize = RedisModule_LoadUnsigned(io);
    r.minbatchtimeout = RedisModule_LoadUnsigned(io);
    r.corrupt = !rdb_names_load(io, &r.ninputs, &r.inputs, &r.inlens) ||
                !rdb_names_load(io, &r.noutputs, &r.outputs, &r.outlens);
    if (!r.corrupt) {
        r.bloblen = RedisModule_LoadUnsigned(io);
        uint64_t nchunks = RedisModule_LoadUnsigned(io);
        r.blob = model_blob_load(io, r.bloblen, nchunks);
    }
    return model_from_record(io, &r);
}

static const struct {
    int encver;
    void *(*load)(RedisModuleIO *io);
} model_decoders[] = {
    {REDISAI_ENCVER_V0, redisai_model_load_v0},
    {REDISAI_ENCVER_V1, redisai_model_load_v1},
    {REDISAI_ENCVER_V2, redisai_model_load_v2},
    {REDISAI_ENCVER_V3, redisai_model_load_v2}, /* RedisAI's version 3 changed scripts only */
    {REDISAI_ENCVER_V4, redisai_model_load_v2}, /* version 4 changed tensors only */
    {MODEL_ENCVER_V10, model_load_v10},
};

static void model_rdb_save(RedisModuleIO *io, void *value) {
    model_save_v10(io, value);
}

void *model_rdb_load(RedisModuleIO *io, int encver) {
    for (size_t i = 0; i < sizeof model_decoders / sizeof model_decoders[0]; i++)
        if (model_decoders[i].encver == encver)
            return model_decoders[i].load(io);
    RedisModule_LogIOError(io, "warning",
                           "AI__MODEL: encoding version %d is unknown to this locus_ai (it reads RedisAI's %d to %d "
                           "and its own %d)", encver, REDISAI_ENCVER_V0, REDISAI_ENCVER_V4, MODEL_ENCVER_V10);
    return NULL;
}

static void model_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    model *m = value;
    size_t cs = chunk_size();
    size_t nchunks = (m->bloblen + cs - 1) / cs;
    int cap = 16 + 2 * (m->ninput_names + m->noutput_names) + (int)nchunks;
    RedisModuleString **v = RedisModule_Alloc((size_t)cap * sizeof *v);
    int n = 0;
    v[n++] = aof_str_c(backend_name(m->backend));
    v[n++] = aof_str_c(m->device);
    v[n++] = aof_str_c("TAG");
    v[n++] = RedisModule_CreateString(NULL, m->tag, m->taglen);
    if (m->batchsize > 0) {
        v[n++] = aof_str_c("BATCHSIZE");
        v[n++] = aof_str_ll(m->batchsize);
        if (m->minbatchsize > 0) {
            v[n++] = aof_str_c("MINBATCHSIZE");
            v[n++] = aof_str_ll(m->minbatchsize);
            if (m->minbatchtimeout > 0) {
                v[n++] = aof_str_c("MINBATCHTIMEOUT");
                v[n++] = aof_str_ll(m->minbatchtimeout);
            }
        }
    }
    if (m->ninput_names > 0) {
        v[n++] = aof_str_c("INPUTS");
        v[n++] = aof_str_ll(m->ninput_names);
        for (int i = 0; i < m->ninput_names; i++)
            v[n++] = aof_str_c(m->input_names[i]);
    }
    if (m->noutput_names > 0) {
        v[n++] = aof_str_c("OUTPUTS");
        v[n++] = aof_str_ll(m->noutput_names);
        for (int i = 0; i < m->noutput_names; i++)
            v[n++] = aof_str_c(m->output_names[i]);
    }
    v[n++] = aof_str_c("BLOB");
    for (size_t i = 0; i < nchunks; i++) {
        size_t off = i * cs;
        v[n++] = RedisModule_CreateString(NULL, m->blob + off, m->bloblen - off < cs ? m->bloblen - off : cs);
    }
    RedisModule_EmitAOF(aof, "AI.MODELSTORE", "sv", key, v, (size_t)n);
    for (int i = 0; i < n; i++)
        RedisModule_FreeString(NULL, v[i]);
    RedisModule_Free(v);
}

static void model_digest(RedisModuleDigest *md, void *value) {
    model *m = value;
    RedisModule_DigestAddStringBuffer(md, backend_name(m->backend), strlen(backend_name(m->backend)));
    RedisModule_DigestAddStringBuffer(md, m->device, strlen(m->device));
    RedisModule_DigestAddStringBuffer(md, m->tag, m->taglen);
    RedisModule_DigestAddLongLong(md, m->batchsize);
    RedisModule_DigestAddLongLong(md, m->minbatchsize);
    RedisModule_DigestAddLongLong(md, m->minbatchtimeout);
    RedisModule_DigestAddStringBuffer(md, m->blob, m->bloblen);
    RedisModule_DigestEndSequence(md);
}

static size_t model_mem(const void *value) {
    const model *m = value;
    return sizeof *m + m->bloblen + m->taglen;
}

static void model_free_cb(void *value) {
    model_release(value);
}

static void *model_copy(RedisModuleString *from, RedisModuleString *to, const void *value) {
    (void)from;
    (void)to;
    return model_retain((model *)value);
}

int model_type_register(RedisModuleCtx *ctx) {
    RedisModuleTypeMethods methods = {
        .version = REDISMODULE_TYPE_METHOD_VERSION_USED,
        .rdb_load = model_rdb_load,
        .rdb_save = model_rdb_save,
        .aof_rewrite = model_aof_rewrite,
        .mem_usage = model_mem,
        .digest = model_digest,
        .free = model_free_cb,
        .copy = model_copy,
    };
    ModelType = RedisModule_CreateDataType(ctx, MODEL_TYPE_NAME, MODEL_ENCVER_CURRENT, &methods);
    return ModelType != NULL ? REDISMODULE_OK : REDISMODULE_ERR;
}
