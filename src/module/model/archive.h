/* A TorchScript model file is a zip archive; libtorch's reader trusts its sizes, offsets and contents (a
 * mutated archive crashed it or made it try a huge allocation). torchscript_archive_check walks the zip
 * structure and verifies every entry's data (CRC-32, and inflated size for deflated entries) before the
 * backend sees the bytes, so a damaged file is an error reply, not a crash; then it walks the archive's
 * pickles (pickle_check.h), so a well-formed archive whose pickles lie about its tensors is refused too.
 * What remains is libtorch's own job: TorchScript code that does not compile is its error reply. */
#ifndef LOCUS_MODULE_ARCHIVE_H
#define LOCUS_MODULE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"

/* Largest size one deflated entry may inflate to (a zip bomb is refused, not inflated). */
#define ARCHIVE_MAX_INFLATED ((uint64_t)1 << 32)

/* 0 when blob (len bytes) is a consistent zip archive whose entries all match their CRC-32 and whose pickles
 * pass torch_pickle_check (err untouched); else -1 with an "ERR model archive is not a valid TorchScript
 * file: ..." reply naming the first problem recorded in err. */
int torchscript_archive_check(const void *blob, size_t len, lc_err *err);

#endif
