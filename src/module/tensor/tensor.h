/* The tensor object stored under a key: element type, shape and a row-major data block.
 *
 * Tensors are immutable once built and reference-counted, so a key, a COPY of it and (later) a batch being
 * executed on a worker thread can share one object. The data lives in one of three places:
 *   - inline, in the same allocation as the tensor (small tensors: one allocation, one short memcpy);
 *   - an owned buffer from RedisModule_Alloc (zero-filled and VALUES tensors, tensors loaded from RDB);
 *   - a Redis string the tensor holds a reference to (large BLOBs): AI.TENSORSET keeps the argument Redis
 *     already read instead of copying it, which is what makes it as cheap as SET.
 * A held string's buffer can move after the command that stored it returns (Redis trims the spare room of
 * argument strings a module kept, with a realloc), so the address of held data is never cached: read it
 * through tensor_data() each time. Held data may sit at any address (inside the string's header), so element access goes through the
 * alignment-safe helpers of dtype.h, and execution code must check tensor_is_aligned() before handing the
 * pointer to a library that assumes natural alignment.
 *
 * Memory always comes from RedisModule_Alloc so that INFO memory sees it. The last release must happen on
 * the main thread (or under the module GIL), because it may drop a Redis string. */
#ifndef LOCUS_MODULE_TENSOR_H
#define LOCUS_MODULE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../redismodule_api.h"
#include "dtype.h"

/* Blobs up to this size are copied inline; larger ones are held without a copy. */
#define TENSOR_INLINE_MAX 4096

typedef enum { TENSOR_STORE_INLINE, TENSOR_STORE_OWNED, TENSOR_STORE_HELD } tensor_storage;

typedef struct tensor {
    int refcount; /* atomic */
    tensor_storage storage;
    const dtype_info *dtype;
    int ndims;
    size_t len;    /* elements */
    size_t nbytes; /* len * dtype->size */
    char *data;    /* inline or owned data; NULL when held: use tensor_data() */
    void *owner;   /* the owned buffer or the held RedisModuleString; NULL when inline */
    int64_t shape[];
} tensor;

/* A new tensor with its data block allocated, zero-filled when `zero`. dims: ndims entries, each > 0,
 * whose product is len; nbytes = len * element size (the caller has checked both for overflow).
 * Returns a tensor with refcount 1, owned by the caller (release with tensor_release). */
tensor *tensor_new(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes, bool zero);

/* A tensor whose data are the bytes of `blob` (exactly nbytes long). Small blobs are copied inline; large
 * ones are held: the tensor takes its own reference to `blob`, the caller keeps its own. */
tensor *tensor_from_string(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes,
                           RedisModuleString *blob);

/* A tensor that takes ownership of `buf` (nbytes, from RedisModule_Alloc), e.g. what an RDB load returned. */
tensor *tensor_adopt_buffer(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes,
                            char *buf);

/* The first byte of the tensor's data, wherever it lives. */
static inline char *tensor_data(const tensor *t) {
    return t->storage == TENSOR_STORE_HELD ? (char *)RedisModule_StringPtrLen(t->owner, NULL) : t->data;
}

/* Add a reference; returns t. */
tensor *tensor_retain(tensor *t);
/* Drop a reference; the last one frees everything. NULL is accepted. */
void tensor_release(tensor *t);

/* Bytes this tensor accounts for (object, shape and data). */
size_t tensor_mem_usage(const tensor *t);
/* True when the data pointer is aligned for the element type (and for `align` bytes if larger). */
bool tensor_is_aligned(const tensor *t, size_t align);

#endif
