/* Decoders of RedisAI's AI__MODEL encodings 0 to 4 (see redisai_model_decode.h).
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
 */
#include "redisai_model_decode.h"

#include <stdbool.h>

#include "../rdb/codec.h"
#include "model_type.h"

/* What differs between RedisAI's layouts of one type. */
typedef struct redisai_layout {
    bool binary_tag;      /* tag written as a Redis string (from version 2; version 1 may carry a NUL) */
    bool minbatchtimeout; /* models */
    bool chunked_blob;    /* models */
} redisai_layout;

static const redisai_layout model_v0 = {false, false, false};
static const redisai_layout model_v1 = {false, false, true};
static const redisai_layout model_v2 = {true, true, true};


static bool io_failed(RedisModuleIO *io) {
    return RedisModule_IsIOError(io);
}

static model *load_model(RedisModuleIO *io, const redisai_layout *l) {
    model_record r = {0};
    r.backend = RedisModule_LoadUnsigned(io);
    r.device = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    rdb_drop_nul(r.device, &r.devlen);
    if (!l->binary_tag)
        rdb_drop_nul(r.tag, &r.taglen);
    r.batchsize = RedisModule_LoadUnsigned(io);
    r.minbatchsize = RedisModule_LoadUnsigned(io);
    r.minbatchtimeout = l->minbatchtimeout ? RedisModule_LoadUnsigned(io) : 0;
    r.corrupt = !rdb_names_load(io, &r.ninputs, &r.inputs, &r.inlens) ||
                !rdb_names_load(io, &r.noutputs, &r.outputs, &r.outlens);
    rdb_drop_nuls(r.inputs, r.inlens, r.ninputs);
    rdb_drop_nuls(r.outputs, r.outlens, r.noutputs);
    if (!r.corrupt && l->chunked_blob) {
        r.bloblen = RedisModule_LoadUnsigned(io);
        uint64_t nchunks = RedisModule_LoadUnsigned(io);
        r.blob = model_blob_load(io, r.bloblen, nchunks);
    } else if (!r.corrupt && !io_failed(io)) {
        r.blob = RedisModule_LoadStringBuffer(io, &r.bloblen);
    }
    return model_from_record(io, &r);
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
