/* Script objects (see script.h). */
#include "script.h"

#include <stdio.h>
#include <string.h>

#include "../copies.h"
#include "../parsing/args.h"

script *script_create(const char *device, const char *tag, size_t taglen, char *source, int nentry,
                      const char *const *entry_points, lc_err *e) {
    int depth = source_max_nesting(source, strlen(source));
    if (depth > SCRIPT_MAX_NESTING) {
        lc_err_set(e, "ERR script nests brackets %d deep; at most %d levels are compiled", depth,
                   SCRIPT_MAX_NESTING);
        RedisModule_Free(source);
        return NULL;
    }
    const lb_ops *ops = backend_get(BACKEND_TORCH, e);
    if (ops == NULL) {
        RedisModule_Free(source);
        return NULL;
    }
    void *h = ops->script_compile(device, source, e);
    if (h == NULL) {
        RedisModule_Free(source);
        return NULL;
    }
    for (int i = 0; i < nentry; i++) {
        if (ops->script_check_function(h, entry_points[i], 1, e) != 0) {
            ops->script_free(h);
            RedisModule_Free(source);
            return NULL;
        }
    }
    script *s = RedisModule_Calloc(1, sizeof *s);
    s->refcount = 1;
    s->ops = ops;
    s->handle = h;
    snprintf(s->device, sizeof s->device, "%s", device);
    s->tag = copy_bytes(tag != NULL ? tag : "", tag != NULL ? taglen : 0);
    s->taglen = tag != NULL ? taglen : 0;
    s->source = source;
    s->nentry = nentry;
    s->entry_points = copy_list((size_t)nentry, entry_points, NULL);
    return s;
}

script *script_retain(script *s) {
    __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED);
    return s;
}

void script_release(script *s) {
    if (s == NULL || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    s->ops->script_free(s->handle);
    free_list(s->entry_points, (size_t)s->nentry);
    RedisModule_Free(s->tag);
    RedisModule_Free(s->source);
    RedisModule_Free(s);
}
