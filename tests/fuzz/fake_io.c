/* The stand-in RDB IO and allocator of fake_io.h. */
#include "fake_io.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake_io {
    const uint8_t *p;
    size_t n, pos;
    int error;
} fake_io;

static int take(fake_io *io, void *out, size_t len) {
    if (io->error || io->n - io->pos < len) {
        io->error = 1;
        return -1;
    }
    memcpy(out, io->p + io->pos, len);
    io->pos += len;
    return 0;
}

static uint64_t f_load_unsigned(RedisModuleIO *rio) {
    uint64_t v = 0;
    return take((fake_io *)rio, &v, 8) == 0 ? v : 0;
}
static int64_t f_load_signed(RedisModuleIO *rio) { return (int64_t)f_load_unsigned(rio); }
static double f_load_double(RedisModuleIO *rio) {
    double d = 0;
    return take((fake_io *)rio, &d, 8) == 0 ? d : 0;
}
static char *f_load_string_buffer(RedisModuleIO *rio, size_t *len) {
    fake_io *io = (fake_io *)rio;
    uint16_t n = 0;
    if (take(io, &n, 2) != 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (take(io, s, n) != 0) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}
static int f_is_io_error(RedisModuleIO *rio) { return ((fake_io *)rio)->error; }
static void f_log_io_error(RedisModuleIO *io, const char *level, const char *fmt, ...) {
    (void)io, (void)level, (void)fmt;
}
static void f_log(RedisModuleCtx *ctx, const char *level, const char *fmt, ...) { (void)ctx, (void)level, (void)fmt; }
static void *f_alloc(size_t n) { return malloc(n ? n : 1); }
static void *f_calloc(size_t a, size_t b) { return calloc(a ? a : 1, b ? b : 1); }
static void *f_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
static void f_free(void *p) { free(p); }
static char *f_strdup(const char *s) { return strdup(s); }

void fake_api_install(void) {
    RedisModule_LoadUnsigned = f_load_unsigned;
    RedisModule_LoadSigned = f_load_signed;
    RedisModule_LoadDouble = f_load_double;
    RedisModule_LoadStringBuffer = f_load_string_buffer;
    RedisModule_IsIOError = f_is_io_error;
    RedisModule_LogIOError = f_log_io_error;
    RedisModule_Log = f_log;
    RedisModule_Alloc = f_alloc;
    RedisModule_Calloc = f_calloc;
    RedisModule_Realloc = f_realloc;
    RedisModule_Free = f_free;
    RedisModule_Strdup = f_strdup;
}

RedisModuleIO *fake_io_open(const uint8_t *data, size_t size) {
    fake_io *io = calloc(1, sizeof *io);
    io->p = data;
    io->n = size;
    return (RedisModuleIO *)io;
}

void fake_io_close(RedisModuleIO *io) { free(io); }
