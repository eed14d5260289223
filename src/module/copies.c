/* Copies of strings (see copies.h). */
#include "copies.h"

#include <string.h>

#include "redismodule_api.h"

char *copy_bytes(const char *p, size_t n) {
    char *d = RedisModule_Alloc(n + 1);
    if (n > 0)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

char **copy_list(size_t n, const char *const *p, const size_t *lens) {
    char **out = RedisModule_Alloc((n + 1) * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = copy_bytes(p[i], lens != NULL ? lens[i] : strlen(p[i]));
    out[n] = NULL;
    return out;
}

void free_list(char **list, size_t n) {
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        RedisModule_Free(list[i]);
    RedisModule_Free(list);
}
