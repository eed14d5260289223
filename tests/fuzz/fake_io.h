/* A stand-in for Redis's RDB IO and allocator so the module's decoders can be fed bytes without a server
 * (fuzz targets only). The input is read as a stream of fields: an unsigned is 8 little-endian bytes, a
 * string a 2-byte little-endian length and that many bytes (so a fuzzer reaches every length), a double 8
 * bytes. Reading past the end sets the IO error flag and returns 0 / NULL, as Redis does with
 * REDISMODULE_OPTIONS_HANDLE_IO_ERRORS. */
#ifndef LOCUS_FUZZ_FAKE_IO_H
#define LOCUS_FUZZ_FAKE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "redismodule_api.h"

/* Points every RedisModule_* function the decoders and their helpers use at the stand-ins. Call once. */
void fake_api_install(void);
/* An IO handle reading data[0..size). */
RedisModuleIO *fake_io_open(const uint8_t *data, size_t size);
void fake_io_close(RedisModuleIO *io);

#endif
