/* AI__MODEL and AI_SCRIPT data types and their persistence (see model_type.h). */
#include "model_type.h"

#include <stdio.h>
#include <string.h>

#include "../config.h"

RedisModuleType *ModelType = NULL;
RedisModuleType *ScriptType = NULL;

#define MAX_NAMES 65536

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

static char **load_names(RedisModuleIO *io, uint64_t n, size_t **lens) {
    char **names = RedisModule_Calloc(n > 0 ? n : 1, sizeof *names);
    *lens = RedisModule_Calloc(n > 0 ? n : 1, sizeof **lens);
    for (uint64_t i = 0; i < n && !io_failed(io); i++)
        names[i] = RedisModule_LoadStringBuffer(io, &(*lens)[i]);
    return names;
}

static void free_loaded(char **p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        RedisModule_Free(p[i]);
    RedisModule_Free(p);
}

static void *model_load_v10(RedisModuleIO *io) {
    model *m = NULL;
    uint64_t backend = RedisModule_LoadUnsigned(io);
    size_t devlen = 0, taglen = 0;
    char *dev = RedisModule_LoadStringBuffer(io, &devlen);
    char *tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &taglen);
    uint64_t bs = RedisModule_LoadUnsigned(io), mbs = RedisModule_LoadUnsigned(io),
             mbt = RedisModule_LoadUnsigned(io);
    uint64_t nin = RedisModule_LoadUnsigned(io);
    if (io_failed(io) || nin > MAX_NAMES) {
        RedisModule_Free(dev);
        RedisModule_Free(tag);
        RedisModule_LogIOError(io, "warning", "AI__MODEL: corrupt record");
        return NULL;
    }
    size_t *inlens, *outlens;
    char **in = load_names(io, nin, &inlens);
    uint64_t nout = io_failed(io) ? 0 : RedisModule_LoadUnsigned(io);
    bool corrupt = nout > MAX_NAMES;
    if (corrupt)
        nout = 0;
    char **out = load_names(io, nout, &outlens);
    uint64_t bloblen = RedisModule_LoadUnsigned(io);
    uint64_t nchunks = RedisModule_LoadUnsigned(io);
    char *blob = NULL;
    size_t got = 0;
    char devn[16];
    bool ok = !corrupt && !io_failed(io) && dev != NULL && device_normalize(dev, devlen, devn) && backend < BACKEND_COUNT &&
              nchunks <= bloblen + 1;
    if (ok) {
        /* The blob grows with the chunks actually read: a length field is never trusted for an allocation, so
         * a corrupt one (2^62) is a refused record, not an out-of-memory abort. */
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
        ok = ok && got == bloblen;
        if (ok && blob == NULL)
            blob = RedisModule_Alloc(1);
    }
    if (!ok) {
        RedisModule_LogIOError(io, "warning", "AI__MODEL: corrupt record");
        RedisModule_Free(blob);
    } else {
        model_spec spec = {
            .backend = (backend_id)backend,
            .device = devn,
            .tag = tag,
            .taglen = taglen,
            .batchsize = (long long)bs,
            .minbatchsize = (long long)mbs,
            .minbatchtimeout = (long long)mbt,
            .ninput_names = (int)nin,
            .noutput_names = (int)nout,
            .input_names = (const char **)in,
            .output_names = (const char **)out,
            .input_lens = inlens,
            .output_lens = outlens,
        };
        char err[512];
        m = model_create(&spec, blob, bloblen, err, sizeof err);
        if (m == NULL)
            RedisModule_LogIOError(io, "warning", "AI__MODEL: cannot re-create a stored model: %s", err);
    }
    free_loaded(in, nin);
    free_loaded(out, nout);
    RedisModule_Free(inlens);
    RedisModule_Free(outlens);
    RedisModule_Free(dev);
    RedisModule_Free(tag);
    return m;
}

static const struct {
    int encver;
    void *(*load)(RedisModuleIO *io);
} model_decoders[] = {
    {MODEL_ENCVER_V10, model_load_v10},
};

static void model_rdb_save(RedisModuleIO *io, void *value) {
    model_save_v10(io, value);
}

void *model_rdb_load(RedisModuleIO *io, int encver) {
    for (size_t i = 0; i < sizeof model_decoders / sizeof model_decoders[0]; i++)
        if (model_decoders[i].encver == encver)
            return model_decoders[i].load(io);
    RedisModule_LogIOError(io, "warning", "AI__MODEL: encoding version %d is unknown to this locus_ai%s", encver,
                           encver < MODEL_ENCVER_V10 ? " (versions below 10 were written by RedisAI)" : "");
    return NULL;
}

static RedisModuleString *str_ll(long long v) {
    return RedisModule_CreateStringFromLongLong(NULL, v);
}
static RedisModuleString *str_c(const char *s) {
    return RedisModule_CreateString(NULL, s, strlen(s));
}

static void model_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    model *m = value;
    size_t cs = chunk_size();
    size_t nchunks = (m->bloblen + cs - 1) / cs;
    int cap = 16 + 2 * (m->ninput_names + m->noutput_names) + (int)nchunks;
    RedisModuleString **v = RedisModule_Alloc((size_t)cap * sizeof *v);
    int n = 0;
    v[n++] = str_c(backend_name(m->backend));
    v[n++] = str_c(m->device);
    v[n++] = str_c("TAG");
    v[n++] = RedisModule_CreateString(NULL, m->tag, m->taglen);
    if (m->batchsize > 0) {
        v[n++] = str_c("BATCHSIZE");
        v[n++] = str_ll(m->batchsize);
        if (m->minbatchsize > 0) {
            v[n++] = str_c("MINBATCHSIZE");
            v[n++] = str_ll(m->minbatchsize);
            if (m->minbatchtimeout > 0) {
                v[n++] = str_c("MINBATCHTIMEOUT");
                v[n++] = str_ll(m->minbatchtimeout);
            }
        }
    }
    if (m->ninput_names > 0) {
        v[n++] = str_c("INPUTS");
        v[n++] = str_ll(m->ninput_names);
        for (int i = 0; i < m->ninput_names; i++)
            v[n++] = str_c(m->input_names[i]);
    }
    if (m->noutput_names > 0) {
        v[n++] = str_c("OUTPUTS");
        v[n++] = str_ll(m->noutput_names);
        for (int i = 0; i < m->noutput_names; i++)
            v[n++] = str_c(m->output_names[i]);
    }
    v[n++] = str_c("BLOB");
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

/* ---- AI_SCRIPT version 10 ---- */

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
    size_t devlen = 0, taglen = 0, srclen = 0;
    char *dev = RedisModule_LoadStringBuffer(io, &devlen);
    char *tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &taglen);
    char *src = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &srclen);
    uint64_t n = io_failed(io) ? 0 : RedisModule_LoadUnsigned(io);
    script *s = NULL;
    char devn[16];
    if (io_failed(io) || n > MAX_NAMES || dev == NULL || src == NULL || !device_normalize(dev, devlen, devn)) {
        RedisModule_LogIOError(io, "warning", "AI_SCRIPT: corrupt record");
        RedisModule_Free(src);
        n = 0;
        src = NULL;
    }
    size_t *lens;
    char **names = load_names(io, n, &lens);
    if (src != NULL && !io_failed(io)) {
        char *source = RedisModule_Alloc(srclen + 1);
        memcpy(source, src, srclen);
        source[srclen] = '\0';
        char **ep = RedisModule_Calloc(n > 0 ? n : 1, sizeof *ep);
        for (uint64_t i = 0; i < n; i++) {
            ep[i] = RedisModule_Alloc(lens[i] + 1);
            memcpy(ep[i], names[i], lens[i]);
            ep[i][lens[i]] = '\0';
        }
        char err[512];
        s = script_create(devn, tag, taglen, source, (int)n, (const char *const *)ep, err, sizeof err);
        if (s == NULL)
            RedisModule_LogIOError(io, "warning", "AI_SCRIPT: cannot re-create a stored script: %s", err);
        free_loaded(ep, n);
    }
    RedisModule_Free(src);
    free_loaded(names, n);
    RedisModule_Free(lens);
    RedisModule_Free(dev);
    RedisModule_Free(tag);
    return s;
}

void *script_rdb_load(RedisModuleIO *io, int encver) {
    if (encver == SCRIPT_ENCVER_V10)
        return script_load_v10(io);
    RedisModule_LogIOError(io, "warning", "AI_SCRIPT: encoding version %d is unknown to this locus_ai%s", encver,
                           encver < SCRIPT_ENCVER_V10 ? " (versions below 10 were written by RedisAI)" : "");
    return NULL;
}

static void script_aof_rewrite(RedisModuleIO *aof, RedisModuleString *key, void *value) {
    script *s = value;
    RedisModuleString **v = RedisModule_Alloc((size_t)(8 + s->nentry) * sizeof *v);
    int n = 0;
    v[n++] = str_c(s->device);
    v[n++] = str_c("TAG");
    v[n++] = RedisModule_CreateString(NULL, s->tag, s->taglen);
    if (s->nentry > 0) {
        v[n++] = str_c("ENTRY_POINTS");
        v[n++] = str_ll(s->nentry);
        for (int i = 0; i < s->nentry; i++)
            v[n++] = str_c(s->entry_points[i]);
    }
    v[n++] = str_c("SOURCE");
    v[n++] = str_c(s->source);
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

int model_types_register(RedisModuleCtx *ctx) {
    RedisModuleTypeMethods mm = {
        .version = REDISMODULE_TYPE_METHOD_VERSION_USED,
        .rdb_load = model_rdb_load,
        .rdb_save = model_rdb_save,
        .aof_rewrite = model_aof_rewrite,
        .mem_usage = model_mem,
        .digest = model_digest,
        .free = model_free_cb,
        .copy = model_copy,
    };
    ModelType = RedisModule_CreateDataType(ctx, MODEL_TYPE_NAME, MODEL_ENCVER_CURRENT, &mm);
    RedisModuleTypeMethods sm = {
        .version = REDISMODULE_TYPE_METHOD_VERSION_USED,
        .rdb_load = script_rdb_load,
        .rdb_save = script_rdb_save,
        .aof_rewrite = script_aof_rewrite,
        .mem_usage = script_mem,
        .digest = script_digest,
        .free = script_free_cb,
        .copy = script_copy,
    };
    ScriptType = RedisModule_CreateDataType(ctx, SCRIPT_TYPE_NAME, SCRIPT_ENCVER_CURRENT, &sm);
    return ModelType != NULL && ScriptType != NULL ? REDISMODULE_OK : REDISMODULE_ERR;
}
