/* Decoders of the AI_TENSOR records RedisAI wrote, encoding versions 0 to 4 (see redisai_tensor_decode.h).
 *
 * RedisAI keeps a tensor as a DLPack DLTensor and wrote its fields. The layouts below were read from
 * RedisAI's sources (src/serialization/RDB/decoder/previous/v0-v3, current/v4 and encoder/v1-v4, with the
 * REDISAI_ENC_VER of src/version.h) and checked against the DUMP payloads of its tests/flow/
 * test_serializations.py. "u" is an unsigned field (RedisModule_SaveUnsigned), "s" a signed one, "str" a
 * string.
 *
 * Versions 0 to 3 (one layout):
 *   u device_type   DLPack's kDLCPU (1): RedisAI kept only CPU tensors in the keyspace
 *   u device_id     ignored (RedisAI wrote 0 or -1)
 *   u bits          element size in bits
 *   u code          DLPack type code (below)
 *   u lanes         1
 *   u ndims, then ndims x u dim
 *   ndims x u stride, u byte_offset   ignored: RedisAI's tensors were always dense, row-major, offset 0
 *   str data        exactly len x bits/8 bytes
 * Version 4:
 *   u code, u bits, s ndims, then ndims x s dim, str data. A STRING tensor (code 7, data as NUL-terminated
 *   strings) may be followed by one u offset per element, depending on RedisAI's version: which 1.2.7 wrote
 *   is not known, so RedisAI's STRING tensors are refused (ours, encoding 10, are read).
 *
 * A dtype is DLPack's (code, bits) pair, numbered as in RedisAI's copy of dlpack (v0.5_RAI): kDLInt 0,
 * kDLUInt 1, kDLFloat 2, kDLBool 6, kDLString 7 (7 is what RedisAI's STRING test payload carries; BOOL is 6
 * as in upstream dlpack). */
#include "redisai_tensor_decode.h"

#include <stdbool.h>

#include "limits.h"
#include "tensor_type.h"

enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2, DL_BOOL = 6, DL_STRING = 7 };
#define DL_DEVICE_CPU 1

static const struct {
    uint64_t code, bits;
    dtype_code dtype;
} dl_types[] = {
    {DL_FLOAT, 32, DTYPE_FLOAT}, {DL_FLOAT, 64, DTYPE_DOUBLE}, {DL_INT, 8, DTYPE_INT8},
    {DL_INT, 16, DTYPE_INT16},   {DL_INT, 32, DTYPE_INT32},    {DL_INT, 64, DTYPE_INT64},
    {DL_UINT, 8, DTYPE_UINT8},   {DL_UINT, 16, DTYPE_UINT16},  {DL_BOOL, 8, DTYPE_BOOL},
};

static bool io_failed(RedisModuleIO *io) {
    return RedisModule_IsIOError(io);
}

/* Our dtype for a DLPack (code, bits) pair, or NULL (logged). */
static const dtype_info *dl_dtype(RedisModuleIO *io, uint64_t code, uint64_t bits) {
    for (size_t i = 0; i < sizeof dl_types / sizeof dl_types[0]; i++)
        if (dl_types[i].code == code && dl_types[i].bits == bits)
            return dtype_by_code(dl_types[i].dtype);
    RedisModule_LogIOError(io, "warning",
                           "AI_TENSOR: a RedisAI tensor of DLPack type code %llu, %llu bits%s",
                           (unsigned long long)code, (unsigned long long)bits,
                           code == DL_STRING ? " (STRING): RedisAI's STRING encoding is not read"
                                             : ": locus_ai has no such type");
    return NULL;
}

void *redisai_tensor_load_v0(RedisModuleIO *io) {
    uint64_t device_type = RedisModule_LoadUnsigned(io);
    (void)RedisModule_LoadUnsigned(io); /* device_id */
    uint64_t bits = RedisModule_LoadUnsigned(io);
    uint64_t code = RedisModule_LoadUnsigned(io);
    uint64_t lanes = RedisModule_LoadUnsigned(io);
    uint64_t ndims = RedisModule_LoadUnsigned(io);
    if (io_failed(io))
        return NULL;
    if (device_type != DL_DEVICE_CPU || lanes != 1 || ndims > TENSOR_MAX_DIMS) {
        RedisModule_LogIOError(
            io, "warning", "AI_TENSOR: corrupt RedisAI record (device type %llu, %llu lanes, %llu dims)",
            (unsigned long long)device_type, (unsigned long long)lanes, (unsigned long long)ndims);
        return NULL;
    }
    const dtype_info *dt = dl_dtype(io, code, bits);
    if (dt == NULL)
        return NULL;
    uint64_t dims[ndims > 0 ? ndims : 1];
    for (uint64_t i = 0; i < ndims; i++)
        dims[i] = RedisModule_LoadUnsigned(io);
    for (uint64_t i = 0; i < ndims; i++)
        (void)RedisModule_LoadUnsigned(io); /* strides */
    (void)RedisModule_LoadUnsigned(io);     /* byte_offset */
    size_t blen = 0;
    char *buf = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &blen);
    return tensor_from_fields(io, dt, (int)ndims, dims, buf, blen);
}

void *redisai_tensor_load_v4(RedisModuleIO *io) {
    uint64_t code = RedisModule_LoadUnsigned(io);
    uint64_t bits = RedisModule_LoadUnsigned(io);
    int64_t ndims = RedisModule_LoadSigned(io);
    if (io_failed(io))
        return NULL;
    if (ndims < 0 || ndims > TENSOR_MAX_DIMS) {
        RedisModule_LogIOError(io, "warning", "AI_TENSOR: corrupt RedisAI record (%lld dims)",
                               (long long)ndims);
        return NULL;
    }
    const dtype_info *dt = dl_dtype(io, code, bits);
    if (dt == NULL)
        return NULL;
    uint64_t dims[ndims > 0 ? ndims : 1];
    for (int64_t i = 0; i < ndims; i++) {
        int64_t d = RedisModule_LoadSigned(io);
        dims[i] = d > 0 ? (uint64_t)d : 0; /* 0 is refused with the shape */
    }
    size_t blen = 0;
    char *buf = io_failed(io) ? NULL : RedisModule_LoadStringBuffer(io, &blen);
    return tensor_from_fields(io, dt, (int)ndims, dims, buf, blen);
}
