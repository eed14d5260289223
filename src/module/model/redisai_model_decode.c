/* Decoders of RedisAI's AI__MODEL and AI_SCRIPT encodings 0 to 4 (see redisai_model_decode.h).
 *
 * Read from RedisAI's sources (src/serialization/RDB/decoder/previous/v0-v3 and current/v4, the writers in
 * encoder/v1-v4) and checked against the DUMP payloads of its tests/flow/test_serializations.py. "u" is an
 * unsigned field, "str" a string; "str+NUL" a string RedisAI wrote with its C terminator included (dropped
 * here).
 *
 * AI__MODEL
 *   version 0:  u backend, str+NUL device, str+NUL tag, u batchsize, u minbatchsize,
 *               u ninputs, ninputs x str+NUL input name, u noutputs, noutputs x str+NUL output name,
 *               str blob (the whole serialized model in one string)
 *   version 1:  as 0, but the tag is binary (RedisAI 1.0's writer still ended it with a NUL: one trailing NUL
 *               is dropped) and the blob is u total length, u nchunks, nchunks x str chunk (RedisAI writes
 *               length / MODEL_CHUNK_SIZE + 1 chunks, so the last may be empty)
 *   versions 2, 3 and 4: as 1 with u minbatchtimeout after minbatchsize, and a binary tag
 *   backend: RedisAI's RAI_Backend, TF 0, TFLITE 1, TORCH 2, ONNX 3, the numbers of backend_id.
 *   Input and output names: what RedisAI knew, the names given to AI.MODELSTORE, or for TORCH the
 *   signature's inputs and one empty name per output; they are kept as names given at store time.
 * AI_SCRIPT
 *   version 0:  str+NUL device, str+NUL tag, str+NUL source
 *   versions 1 and 2: str+NUL device, binary tag (one trailing NUL dropped, as for models), str+NUL source
 *   versions 3 and 4: str+NUL device, binary tag, str+NUL source, u nentry, nentry x str+NUL entry point
 * A script without entry points is one stored with the deprecated AI.SCRIPTSET (run by AI.SCRIPTRUN). */
#include "redisai_model_decode.h"

#include <stdbool.h>

#include "model_type.h"

/* What differs between RedisAI's layouts of one type. */
typedef struct redisai_layout {
    bool binary_tag;      /* tag written as a Redis string (from version 2; version 1 may carry a NUL) */
    bool minbatchtimeout; /* models */
    bool chunked_blob;    /* models */
    bool entry_points;    /* scripts */
} redisai_layout;

static const redisai_layout model_v0 = {false, false, false, false};
static const redisai_layout model_v1 = {false, false, true, false};
static const redisai_layout model_v2 = {true, true, true, false};
static const redisai_layout script_v0 = {false, false, false, false};
static const redisai_layout script_v1 = {false, false, false, false};
static const redisai_layout script_v3 = {true, false, false, true};

static bool io_failed(RedisModuleIO *io) {
    return RedisModule_IsIOError(io);
}

/* RedisAI wrote C strings with their terminator: drop one trailing NUL. */
static void drop_nul(const char *p, size_t *len) {
    if (p != NULL && *len > 0 && p[*len - 1] == '\0')
        (*len)--;
}

static void drop_nuls(char **names, size_t *lens, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        drop_nul(names[i], &lens[i]);
}

static model *load_model(RedisModuleIO *io, const redisai_layout *l) {
    model_record r = {0};
    r.backend = RedisModule_LoadUnsigned(io);
    r.device = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    drop_nul(r.device, &r.devlen);
    if (!l->binary_tag)
        drop_nul(r.tag, &r.taglen);
    r.batchsize = RedisModule_LoadUnsigned(io);
    r.minbatchsize = RedisModule_LoadUnsigned(io);
    r.minbatchtimeout = l->minbatchtimeout ? RedisModule_LoadUnsigned(io) : 0;
    r.corrupt = !model_names_load(io, &r.ninputs, &r.inputs, &r.inlens) ||
                !model_names_load(io, &r.noutputs, &r.outputs, &r.outlens);
    drop_nuls(r.inputs, r.inlens, r.ninputs);
    drop_nuls(r.outputs, r.outlens, r.noutputs);
    if (!r.corrupt && l->chunked_blob) {
        r.bloblen = RedisModule_LoadUnsigned(io);
        uint64_t nchunks = RedisModule_LoadUnsigned(io);
        r.blob = model_blob_load(io, r.bloblen, nchunks);
    } else if (!r.corrupt && !io_failed(io)) {
        r.blob = RedisModule_LoadStringBuffer(io, &r.bloblen);
    }
    return model_from_record(io, &r);
}

static script *load_script(RedisModuleIO *io, const redisai_layout *l) {
    script_record r = {0};
    r.device = RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    r.source = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.srclen);
    drop_nul(r.device, &r.devlen);
    if (!l->binary_tag)
        drop_nul(r.tag, &r.taglen);
    drop_nul(r.source, &r.srclen);
    if (l->entry_points) {
        r.corrupt = !model_names_load(io, &r.nentry, &r.entry, &r.entrylens);
        drop_nuls(r.entry, r.entrylens, r.nentry);
    }
    return script_from_record(io, &r);
}

void *redisai_model_load_v0(RedisModuleIO *io) {
    return load_model(io, &model_v0);
}

void *redisai_model_load_v1(RedisModuleIO *io) {
    return load_model(io, &model_v1);
}

void *redisai_model_load_v2(RedisModuleIO *io) {
    return load_model(io, &model_v2);
}

void *redisai_script_load_v0(RedisModuleIO *io) {
    return load_script(io, &script_v0);
}

void *redisai_script_load_v1(RedisModuleIO *io) {
    return load_script(io, &script_v1);
}

void *redisai_script_load_v3(RedisModuleIO *io) {
    return load_script(io, &script_v3);
}
