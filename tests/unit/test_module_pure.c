/* Unit tests of the module's pure code, no server: the dtype table, argument parsing, VALUES parsing,
 * tensor construction and reference counting, and the RDB codec (driven through stand-in IO functions
 * that write to and read from a memory buffer, and fail on demand). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "parsing/args.h"
#include "redismodule_api.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"
#include "tensor/tensor_type.h"

/* ---- stand-ins for the Redis allocator and RDB IO ---- */
static long live_allocs;
static void *t_alloc(size_t n) { live_allocs++; return malloc(n); }
static void *t_calloc(size_t a, size_t b) { live_allocs++; return calloc(a, b); }
static void t_free(void *p) { if (p) { live_allocs--; free(p); } }

typedef struct { uint64_t words[4096]; size_t nw, rw; char *bufs[16]; size_t blen[16]; size_t nb, rb; int fail; } fake_io;
static fake_io io;
static void t_save_u(RedisModuleIO *x, uint64_t v) { (void)x; io.words[io.nw++] = v; }
static uint64_t t_load_u(RedisModuleIO *x) { (void)x; return io.rw < io.nw ? io.words[io.rw++] : (io.fail = 1, 0); }
static void t_save_s(RedisModuleIO *x, const char *s, size_t n) {
    (void)x; io.bufs[io.nb] = malloc(n ? n : 1); memcpy(io.bufs[io.nb], s, n); io.blen[io.nb++] = n;
}
static char *t_load_s(RedisModuleIO *x, size_t *n) {
    (void)x;
    if (io.rb >= io.nb) { io.fail = 1; return NULL; }
    char *p = t_alloc(io.blen[io.rb] ? io.blen[io.rb] : 1);
    memcpy(p, io.bufs[io.rb], io.blen[io.rb]);
    *n = io.blen[io.rb++];
    return p;
}
static int t_ioerr(RedisModuleIO *x) { (void)x; return io.fail; }
static int logged;
static void t_logioerr(RedisModuleIO *x, const char *l, const char *fmt, ...) { (void)x; (void)l; (void)fmt; logged++; }
static void io_reset(void) {
    for (size_t i = 0; i < io.nb; i++) free(io.bufs[i]);
    memset(&io, 0, sizeof io);
}

static arg_view A(const char *s) { return (arg_view){s, strlen(s)}; }

static void test_dtypes(void) {
    const char *names[] = {"FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "BOOL"};
    const int sizes[] = {4, 8, 1, 2, 4, 8, 1, 2, 1};
    for (int i = 0; i < 9; i++) {
        const dtype_info *d = dtype_by_name(names[i], strlen(names[i]));
        CHECK(d != NULL && d->size == sizes[i] && dtype_by_code(d->code) == d);
    }
    CHECK(dtype_by_name("float", 5) != NULL);  /* case-insensitive */
    CHECK(dtype_by_name("FLOAT32", 7) == NULL);
    CHECK(dtype_by_name("FLOA", 4) == NULL);
    CHECK(dtype_by_code(DTYPE_COUNT) == NULL);
    /* Unaligned access works and round-trips. */
    char buf[64];
    const dtype_info *d = dtype_by_name("DOUBLE", 6);
    dtype_set_double(d, buf + 1, 2, -1.25);
    CHECK(dtype_get_double(d, buf + 1, 2) == -1.25);
    const dtype_info *u16 = dtype_by_name("UINT16", 6);
    dtype_set_int(u16, buf + 3, 1, 65535);
    CHECK(dtype_get_int(u16, buf + 3, 1) == 65535);
}

static void test_int_and_double_parsing(void) {
    int64_t v;
    CHECK(arg_to_int64(A("42"), &v) && v == 42);
    CHECK(arg_to_int64(A("-9223372036854775808"), &v) && v == INT64_MIN);
    CHECK(!arg_to_int64(A("9223372036854775808"), &v));
    CHECK(arg_to_int64(A("9223372036854775807"), &v) && v == INT64_MAX);
    CHECK(!arg_to_int64(A("-9223372036854775809"), &v));
    CHECK(!arg_to_int64(A("18446744073709551617"), &v)); /* would wrap a 64-bit accumulator to 1 */
    CHECK(!arg_to_int64(A("99999999999999999999999"), &v));
    CHECK(arg_to_int64(A("-0"), &v) && v == 0);
    CHECK(!arg_to_int64(A("1-2"), &v));
    CHECK(!arg_to_int64(A(""), &v));
    CHECK(!arg_to_int64(A("-"), &v));
    CHECK(!arg_to_int64(A("1 "), &v));
    CHECK(!arg_to_int64(A("+1"), &v));
    CHECK(!arg_to_int64((arg_view){"12\0003", 4}, &v)); /* an embedded NUL is not a number */
    double d;
    CHECK(arg_to_double(A("1.5e3"), &d) && d == 1500);
    CHECK(arg_to_double(A("-inf"), &d) && isinf(d));
    CHECK(!arg_to_double(A("nan"), &d));
    CHECK(!arg_to_double(A("1e400"), &d));
    CHECK(!arg_to_double(A(" 1"), &d));
    CHECK(!arg_to_double(A("1x"), &d));
}

static const char *set(const char *cmd, tensor_set_args *a, int64_t *dims) {
    static arg_view v[32];
    static char copy[512];
    snprintf(copy, sizeof copy, "%s", cmd);
    int n = 0;
    for (char *t = strtok(copy, " "); t && n < 32; t = strtok(NULL, " "))
        v[n++] = A(t);
    static lc_err err;
    return parse_tensorset(n, v, dims, a, &err);
}

static void test_tensorset_parsing(void) {
    lc_err err;
    tensor_set_args a;
    int64_t dims[32];
    CHECK(set("AI.TENSORSET k FLOAT 2 3", &a, dims) == NULL && a.ndims == 2 && a.len == 6 && a.nbytes == 24 &&
          a.fmt == TENSOR_DATA_NONE);
    CHECK(set("AI.TENSORSET k int16 4 BLOB xxxxxxxx", &a, dims) == NULL && a.fmt == TENSOR_DATA_BLOB && a.data_pos == 5 &&
          a.nbytes == 8);
    CHECK(set("AI.TENSORSET k UINT8 2 VALUES 1 2", &a, dims) == NULL && a.fmt == TENSOR_DATA_VALUES && a.nvalues == 2 &&
          a.data_pos == 5);
    CHECK(set("AI.TENSORSET k DOUBLE VALUES 1", &a, dims) == NULL && a.ndims == 0 && a.len == 1);
    CHECK(set("AI.TENSORSET k DOUBLE", &a, dims) != NULL);
    CHECK(strstr(set("AI.TENSORSET k BAD 2", &a, dims), "invalid data type"));
    CHECK(strstr(set("AI.TENSORSET k FLOAT 0", &a, dims), "invalid or negative"));
    CHECK(strstr(set("AI.TENSORSET k FLOAT 2 VALUES 1", &a, dims), "wrong number of values"));
    CHECK(strstr(set("AI.TENSORSET k FLOAT 2 BLOB", &a, dims), "single binary string"));
    CHECK(strstr(set("AI.TENSORSET k FLOAT 4294967296 4294967296 4294967296", &a, dims), "too large"));
    CHECK(strstr(set("AI.TENSORSET k INT64 2305843009213693952 2", &a, dims), "too large")); /* 2^61 * 2 * 8 */

    unsigned fmt;
    arg_view g1[] = {A("AI.TENSORGET"), A("k")};
    CHECK(parse_tensorget(2, g1, &fmt, &err) == NULL && fmt == (TENSOR_GET_META | TENSOR_GET_BLOB));
    arg_view g2[] = {A("AI.TENSORGET"), A("k"), A("values"), A("META")};
    CHECK(parse_tensorget(4, g2, &fmt, &err) == NULL && fmt == (TENSOR_GET_META | TENSOR_GET_VALUES));
    arg_view g3[] = {A("AI.TENSORGET"), A("k"), A("BLOB"), A("VALUES")};
    CHECK(parse_tensorget(4, g3, &fmt, &err) != NULL);
}

static void test_values(void) {
    char data[64];
    lc_err err;
    const dtype_info *i8 = dtype_by_name("INT8", 4);
    arg_view ok[] = {A("-128"), A("127"), A("0")};
    CHECK(parse_tensor_values(i8, ok, 3, data, &err) && (int8_t)data[0] == -128 && data[1] == 127);
    arg_view bad[] = {A("1"), A("128")};
    /* RedisAI's reply whole (tensor.c _RAI_TensorFillWithValues), no detail after it */
    CHECK(!parse_tensor_values(i8, bad, 2, data, &err) && strcmp(err.msg, "ERR invalid value") == 0);
    const dtype_info *f = dtype_by_name("FLOAT", 5);
    arg_view fl[] = {A("3.5"), A("1e39")};
    CHECK(parse_tensor_values(f, fl, 1, data, &err) && dtype_get_double(f, data, 0) == 3.5);
    CHECK(!parse_tensor_values(f, fl, 2, data, &err));
    const dtype_info *b = dtype_by_name("BOOL", 4);
    arg_view bo[] = {A("1"), A("2")};
    CHECK(!parse_tensor_values(b, bo, 2, data, &err) && strcmp(err.msg, "ERR invalid value") == 0);
    /* negative values are stored (RedisAI 1.2.7 refuses them all: a bug not copied) */
    arg_view neg[] = {A("-1"), A("-128")};
    CHECK(parse_tensor_values(i8, neg, 2, data, &err) && data[0] == -1 && (int8_t)data[1] == -128);
}

static void test_bool_blob(void) {
    /* RedisAI tensor.c _RAI_TensorParseBooleansBlob: every byte 0 or 1 (the last one too) */
    lc_err err;
    lc_err_clear(&err);
    const dtype_info *b = dtype_by_name("BOOL", 4);
    CHECK(dtype_check_data(b, "\x00\x01\x01", 3, 3, 1, &err) == NULL && !lc_err_is_set(&err));
    CHECK(dtype_check_data(b, "\x00\x02", 2, 2, 1, &err) == err.msg &&
          strcmp(err.msg, "ERR BOOL tensor elements must be 0 or 1") == 0);
    CHECK(dtype_check_data(b, "\x01\xff", 2, 2, 1, &err) != NULL);
    CHECK(dtype_check_data(b, "\x01\x01\x05", 3, 3, 1, &err) != NULL);
    CHECK(dtype_check_data(b, "\x01\x01\x05", 3, 3, 0, &err) == NULL); /* an RDB load does not check the bytes */
    CHECK(dtype_check_data(b, "\x01", 1, 2, 1, &err) != NULL &&
          strcmp(err.msg, "ERR data length does not match tensor shape and type") == 0);
}

/* STRING tensors, as RedisAI 1.2's tests_commands.py test_string_tensor expects them: VALUES are C strings
 * (a final NUL allowed, none elsewhere), a BLOB holds exactly len NUL-terminated strings, no data means
 * empty strings. */
static void test_string_tensors(void) {
    lc_err err;
    const dtype_info *s = dtype_by_name("STRING", 6);
    CHECK(s != NULL && s->kind == DTYPE_KIND_STRING && dtype_by_code(DTYPE_STRING) == s);
    tensor_set_args a;
    int64_t dims[8];
    arg_view v[] = {A("AI.TENSORSET"), A("k"), A("STRING"), A("2"), A("VALUES"), A("str_val1"), {"str_val2\0", 9}};
    CHECK(parse_tensorset(7, v, dims, &a, &err) == NULL && a.len == 2 && a.nbytes == 18);
    char data[32];
    CHECK(parse_tensor_values(a.dtype, v + a.data_pos, 2, data, &err) &&
          memcmp(data, "str_val1\0str_val2\0", 18) == 0);
    arg_view bad[] = {A("AI.TENSORSET"), A("k"), A("STRING"), A("2"), A("VALUES"), A("ok"), {"in\0valid", 8}};
    CHECK(strcmp(parse_tensorset(7, bad, dims, &a, &err), "ERR C-string value contains null character") == 0);
    arg_view empty[] = {A("AI.TENSORSET"), A("k"), A("STRING"), A("2"), A("2")};
    CHECK(parse_tensorset(5, empty, dims, &a, &err) == NULL && a.len == 4 && a.nbytes == 4); /* four "" */
    arg_view blob[] = {A("AI.TENSORSET"), A("k"), A("STRING"), A("2"), A("BLOB"), {"a\0bc\0", 5}};
    CHECK(parse_tensorset(6, blob, dims, &a, &err) == NULL && a.nbytes == 5 &&
          check_tensor_blob(&a, "a\0bc\0", 5, &err) == NULL);
    const char *want = "ERR String tensor blob must contain a sequence of null-terminated strings whose length is "
                       "the tensor's length";
    CHECK(check_tensor_blob(&a, "a\0bc", 4, &err) == err.msg && strcmp(err.msg, want) == 0); /* no final NUL */
    lc_err_clear(&err);
    CHECK(check_tensor_blob(&a, "a\0b\0c\0", 6, &err) != NULL && strcmp(err.msg, want) == 0); /* three for two */
    lc_err_clear(&err);
    CHECK(check_tensor_blob(&a, "abc\0", 4, &err) != NULL && strcmp(err.msg, want) == 0); /* one */
    lc_err_clear(&err);
    CHECK(check_tensor_blob(&a, "", 0, &err) != NULL && strcmp(err.msg, want) == 0);
    CHECK(check_tensor_blob(&a, "\0\0", 2, &err) == NULL); /* two empty strings */
}

static void test_tensor_and_codec(void) {
    const dtype_info *d = dtype_by_name("INT32", 5);
    int64_t dims[] = {3, 2000};
    /* Owned (large, zeroed) and inline (small) storage. */
    tensor *big = tensor_new(d, 2, dims, 6000, 24000, true);
    CHECK(big->storage == TENSOR_STORE_OWNED && tensor_is_aligned(big, 16));
    int zero = 1;
    for (size_t i = 0; i < big->len; i++)
        zero &= dtype_get_int(d, tensor_data(big), i) == 0;
    CHECK(zero);
    for (size_t i = 0; i < big->len; i++)
        dtype_set_int(d, big->data, i, (int64_t)i * 7 - 5);
    int64_t sdims[] = {2};
    tensor *small = tensor_new(d, 1, sdims, 2, 8, true);
    CHECK(small->storage == TENSOR_STORE_INLINE && tensor_is_aligned(small, 16));
    CHECK(tensor_mem_usage(big) >= 24000 && tensor_mem_usage(small) < 200);

    /* Reference counting: the data survive until the last release. */
    tensor_retain(big);
    tensor_release(big);
    CHECK(big->refcount == 1);

    /* Save and load back through the current encoding. */
    io_reset();
    tensor_rdb_save(NULL, big);
    tensor *back = tensor_rdb_load(NULL, TENSOR_ENCVER_CURRENT);
    CHECK(back != NULL && back->dtype == d && back->ndims == 2 && back->shape[1] == 2000 && back->nbytes == 24000 &&
          memcmp(tensor_data(back), tensor_data(big), 24000) == 0);
    tensor_release(back);

    /* An unknown version (RedisAI wrote 0 to 4, we write from 10) is refused with a log line, not misread. */
    logged = 0;
    io.rw = io.rb = 0;
    CHECK(tensor_rdb_load(NULL, 5) == NULL && logged == 1);
    /* A corrupt record (data shorter than the shape says) is refused and frees what it read. */
    io.rw = io.rb = 0;
    io.blen[0] = 100;
    long before = live_allocs;
    CHECK(tensor_rdb_load(NULL, TENSOR_ENCVER_CURRENT) == NULL && live_allocs == before);
    /* An unknown dtype code. */
    io.rw = io.rb = 0;
    io.words[0] = 99;
    CHECK(tensor_rdb_load(NULL, TENSOR_ENCVER_CURRENT) == NULL);
    /* A truncated stream. */
    io_reset();
    t_save_u(NULL, DTYPE_INT32);
    CHECK(tensor_rdb_load(NULL, TENSOR_ENCVER_CURRENT) == NULL);
    io_reset();

    tensor_release(big);
    tensor_release(small);
    tensor_release(NULL);
    CHECK(live_allocs == 0);
}

static void test_source_nesting(void) {
    const char *cases[][2] = {
        {"x = 1", "0"},
        {"f((a[1]), {2: (3)})", "3"},
        {"s = '((((' + \"[[[\"  # ((((((\nt = (1)", "1"},
        {"d = \"\"\"\n((((\n\"\"\" + (x)", "1"},
        {"e = 'it\\'s (' + ((y))", "2"},
        {")))(", "1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = source_max_nesting(cases[i][0], strlen(cases[i][0]));
        if (got != atoi(cases[i][1]))
            fprintf(stderr, "  nesting of '%s': %d, expected %s\n", cases[i][0], got, cases[i][1]);
        CHECK(got == atoi(cases[i][1]));
    }
}

/* The load-time and AI.CONFIG option table: values applied, each refusal recorded as a reply naming the
 * option. */
static void test_config_options(void) {
    module_config c;
    config_defaults(&c);
    lc_err err;
    arg_view good[] = {A("THREADS_PER_QUEUE"), A("4"), A("backendspath"), A("/opt/b"),
                       A("MODEL_CHUNK_SIZE"), A("1")};
    CHECK(config_apply(&c, 6, good, &err) == NULL && c.threads_per_queue == 4 &&
          strcmp(c.backends_path, "/opt/b") == 0 && c.model_chunk_size == 1);
    arg_view unknown[] = {A("THREADS"), A("4")};
    CHECK(config_apply(&c, 2, unknown, &err) == err.msg &&
          strcmp(err.msg, "ERR unknown option 'THREADS'") == 0);
    arg_view novalue[] = {A("THREADS_PER_QUEUE")};
    CHECK(config_apply(&c, 1, novalue, &err) != NULL &&
          strcmp(err.msg, "ERR option THREADS_PER_QUEUE needs a value") == 0);
    arg_view range[] = {A("THREADS_PER_QUEUE"), A("0")};
    CHECK(config_apply(&c, 2, range, &err) != NULL &&
          strcmp(err.msg, "ERR option THREADS_PER_QUEUE: '0' is not an integer in [1, 1024]") == 0 &&
          c.threads_per_queue == 4);
    arg_view path[] = {A("BACKENDSPATH"), A("")};
    CHECK(config_apply(&c, 2, path, &err) != NULL &&
          strcmp(err.msg, "ERR option BACKENDSPATH: path is empty or too long") == 0);
}

int main(void) {
    RedisModule_Alloc = t_alloc;
    RedisModule_Calloc = t_calloc;
    RedisModule_Free = t_free;
    RedisModule_SaveUnsigned = t_save_u;
    RedisModule_LoadUnsigned = t_load_u;
    RedisModule_SaveStringBuffer = t_save_s;
    RedisModule_LoadStringBuffer = t_load_s;
    RedisModule_IsIOError = t_ioerr;
    RedisModule_LogIOError = t_logioerr;
    test_dtypes();
    test_int_and_double_parsing();
    test_tensorset_parsing();
    test_values();
    test_config_options();
    test_bool_blob();
    test_string_tensors();
    test_tensor_and_codec();
    test_source_nesting();
    printf("unit_module_pure: %d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
