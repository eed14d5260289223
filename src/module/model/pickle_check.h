/* The pickles inside a TorchScript archive (data.pkl, constants.pkl, the debug pickles under code/) describe its tensors:
 * each tensor is a view (offset, sizes, strides) of a storage record (data/<key>, constants/<key>). libtorch
 * trusts them: a view larger than its storage read past the end or crashed on the first run, a storage
 * record emptied or cut crashed the load, a memo index of 2^31 made it allocate gigabytes. torch_pickle_check
 * walks one pickle without running it (a stack of typed values, no objects built) and refuses, by name, what
 * libtorch would mishandle: an opcode outside the binary protocols libtorch reads, a length past the end, a
 * memo index out of sequence, a persistent id that is not a storage record of the archive, a storage whose
 * element count disagrees with its record's size, and a tensor whose view does not fit in its storage.
 * Pure code over a byte buffer; allocations through RedisModule_Alloc. */
#ifndef LOCUS_MODULE_PICKLE_CHECK_H
#define LOCUS_MODULE_PICKLE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"

/* Largest pickle record accepted (resnet50's data.pkl is 31 KB; this leaves room for models 1000x its size). */
#define PICKLE_MAX_BYTES ((uint64_t)64 << 20)
/* Most values one pickle may create (its opcodes, less the ones that only consume): bounds the walker's
 * memory at 40 bytes each. */
#define PICKLE_MAX_VALUES ((uint32_t)1 << 22)
/* Most dimensions of a tensor view a pickle may describe. */
#define PICKLE_MAX_TENSOR_DIMS 64

/* Finds the size of record `dir`<key> of the archive (dir is "data/" or "constants/", relative to the
 * pickle's own folder); returns 0 and sets *size when it exists, -1 when it does not. */
typedef int (*pickle_record_fn)(void *arg, const char *dir, const char *key, size_t keylen, uint64_t *size);

/* Checks the pickle p (len bytes) named `name` (for messages). Storage persistent ids are resolved in
 * `dir` with find(arg, ...); find NULL means the pickle may hold no storages (a debug_pkl). Returns 0 (err
 * untouched), or -1 with a message naming the pickle, the byte offset and the problem recorded in err. */
int torch_pickle_check(const unsigned char *p, size_t len, const char *name, const char *dir, pickle_record_fn find,
                       void *arg, lc_err *err);

#endif
