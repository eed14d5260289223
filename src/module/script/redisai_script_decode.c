/* Decoders of RedisAI's AI_SCRIPT encodings 0 to 4 (see redisai_script_decode.h).
 *
 * Read from RedisAI's sources (src/serialization/RDB/decoder/previous/v0-v3 and current/v4, the writers in
 * encoder/v1-v4) and checked against the DUMP payloads of its tests/flow/test_serializations.py. "u" is an
 * unsigned field, "str" a string; "str+NUL" a string RedisAI wrote with its C terminator included (dropped
 * here).
 *
 * AI_SCRIPT
 *   version 0:  str+NUL device, str+NUL tag, str+NUL source
 *   versions 1 and 2: str+NUL device, binary tag (one trailing NUL dropped, as for models), str+NUL source
 *   versions 3 and 4: str+NUL device, binary tag, str+NUL source, u nentry, nentry x str+NUL entry point
 * A script without entry points is one stored with the deprecated AI.SCRIPTSET (run by AI.SCRIPTRUN). */
#include "redisai_script_decode.h"

#include <stdbool.h>

#include "../rdb/codec.h"
#include "script_type.h"

/* What differs between RedisAI's script layouts. */
typedef struct redisai_layout {
    bool binary_tag;   /* tag written as a Redis string (from version 3; versions 1 and 2 may carry a NUL) */
    bool entry_points; /* from version 3 */
} redisai_layout;

static const redisai_layout script_v0 = {false, false};
static const redisai_layout script_v1 = {false, false};
static const redisai_layout script_v3 = {true, true};

static script *load_script(RedisModuleIO *io, const redisai_layout *l) {
    script_record r = {0};
    r.device = RedisModule_LoadStringBuffer(io, &r.devlen);
    r.tag = RedisModule_IsIOError(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.taglen);
    r.source = RedisModule_IsIOError(io) ? NULL : RedisModule_LoadStringBuffer(io, &r.srclen);
    rdb_drop_nul(r.device, &r.devlen);
    if (!l->binary_tag)
        rdb_drop_nul(r.tag, &r.taglen);
    rdb_drop_nul(r.source, &r.srclen);
    if (l->entry_points) {
        r.corrupt = !rdb_names_load(io, &r.nentry, &r.entry, &r.entrylens);
        rdb_drop_nuls(r.entry, r.entrylens, r.nentry);
    }
    return script_from_record(io, &r);
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
