/* The shared pieces of the data types' codecs (see codec.h). */
#include "codec.h"

#include <string.h>

bool rdb_names_load(RedisModuleIO *io, uint64_t *n, char ***names, size_t **lens) {
    *n = RedisModule_IsIOError(io) ? 0 : RedisModule_LoadUnsigned(io);
    bool ok = !RedisModule_IsIOError(io) && *n <= RDB_MAX_NAMES;
    if (!ok)
        *n = 0;
    *names = RedisModule_Calloc(*n > 0 ? *n : 1, sizeof **names);
    *lens = RedisModule_Calloc(*n > 0 ? *n : 1, sizeof **lens);
    for (uint64_t i = 0; i < *n && !RedisModule_IsIOError(io); i++)
        (*names)[i] = RedisModule_LoadStringBuffer(io, &(*lens)[i]);
    return ok && !RedisModule_IsIOError(io);
}

void rdb_drop_nul(const char *p, size_t *len) {
    if (p != NULL && *len > 0 && p[*len - 1] == '\0')
        (*len)--;
}

void rdb_drop_nuls(char **names, size_t *lens, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        rdb_drop_nul(names[i], &lens[i]);
}

RedisModuleString *aof_str_ll(long long v) {
    return RedisModule_CreateStringFromLongLong(NULL, v);
}

RedisModuleString *aof_str_c(const char *s) {
    return RedisModule_CreateString(NULL, s, strlen(s));
}
