/* Tensor objects: construction in the three storage modes, reference counting, accounting (tensor.h). */
#include "tensor.h"

#include <string.h>

/* Offset of inline data from the start of the allocation, rounded up to 16 bytes for natural alignment
 * of every element type (allocators return 16-byte aligned blocks). */
static size_t header_size(int ndims) {
    size_t h = sizeof(tensor) + (size_t)ndims * sizeof(int64_t);
    return (h + 15) & ~(size_t)15;
}

static tensor *tensor_header(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes,
                             size_t inline_bytes) {
    tensor *t = RedisModule_Alloc(header_size(ndims) + inline_bytes);
    t->refcount = 1;
    t->dtype = dt;
    t->ndims = ndims;
    t->len = len;
    t->nbytes = nbytes;
    t->data = NULL;
    t->owner = NULL;
    t->storage = TENSOR_STORE_INLINE;
    if (ndims > 0)
        memcpy(t->shape, dims, (size_t)ndims * sizeof(int64_t));
    return t;
}

tensor *tensor_new(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes, bool zero) {
    if (nbytes <= TENSOR_INLINE_MAX) {
        tensor *t = tensor_header(dt, ndims, dims, len, nbytes, nbytes);
        t->data = (char *)t + header_size(ndims);
        if (zero)
            memset(t->data, 0, nbytes);
        return t;
    }
    tensor *t = tensor_header(dt, ndims, dims, len, nbytes, 0);
    /* Calloc of a large block gets fresh zero pages from the kernel: no memset pass. */
    t->owner = zero ? RedisModule_Calloc(1, nbytes) : RedisModule_Alloc(nbytes);
    t->data = t->owner;
    t->storage = TENSOR_STORE_OWNED;
    return t;
}

tensor *tensor_from_string(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes,
                           RedisModuleString *blob) {
    size_t blen;
    const char *bytes = RedisModule_StringPtrLen(blob, &blen);
    if (nbytes <= TENSOR_INLINE_MAX) {
        tensor *t = tensor_new(dt, ndims, dims, len, nbytes, false);
        memcpy(t->data, bytes, nbytes);
        return t;
    }
    tensor *t = tensor_header(dt, ndims, dims, len, nbytes, 0);
    RedisModule_RetainString(NULL, blob);
    t->owner = blob;
    t->storage = TENSOR_STORE_HELD;
    return t;
}

tensor *tensor_adopt_buffer(const dtype_info *dt, int ndims, const int64_t *dims, size_t len, size_t nbytes,
                            char *buf) {
    tensor *t = tensor_header(dt, ndims, dims, len, nbytes, 0);
    t->owner = buf;
    t->data = buf;
    t->storage = TENSOR_STORE_OWNED;
    return t;
}

tensor *tensor_retain(tensor *t) {
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    return t;
}

void tensor_release(tensor *t) {
    if (t == NULL || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (t->storage == TENSOR_STORE_OWNED)
        RedisModule_Free(t->owner);
    else if (t->storage == TENSOR_STORE_HELD)
        RedisModule_FreeString(NULL, t->owner);
    RedisModule_Free(t);
}

size_t tensor_mem_usage(const tensor *t) {
    size_t header = header_size(t->ndims);
    return t->storage == TENSOR_STORE_INLINE ? header + t->nbytes : header + t->nbytes + 16;
}

bool tensor_is_aligned(const tensor *t, size_t align) {
    size_t a = align > t->dtype->size ? align : t->dtype->size;
    if (a == 0) /* STRING: bytes */
        a = 1;
    return ((uintptr_t)tensor_data(t) % a) == 0;
}
