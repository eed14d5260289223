/* AI.TENSORSET / AI.TENSORGET against a real redis-server with locus_ai.so loaded:
 * round trips of every type through BLOB and VALUES, META replies and format combinations, the ordinary
 * key commands on tensor keys, and a table of malformed commands that must each get an error while the
 * server stays up and the stored keys stay byte-identical. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

typedef struct {
    const char *name;
    int size;
    int is_float;
    long long min, max;
} type_case;

static const type_case types[] = {
    {"FLOAT", 4, 1, 0, 0},        {"DOUBLE", 8, 1, 0, 0},      {"INT8", 1, 0, -128, 127},
    {"INT16", 2, 0, -32768, 32767}, {"INT32", 4, 0, INT32_MIN, INT32_MAX}, {"INT64", 8, 0, INT64_MIN, INT64_MAX},
    {"UINT8", 1, 0, 0, 255},      {"UINT16", 2, 0, 0, 65535},  {"BOOL", 1, 0, 0, 1},
};
#define NTYPES (int)(sizeof types / sizeof types[0])

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Fill `n` elements of type tc with random valid values; returns them as doubles/ints for comparison. */
static void random_elems(const type_case *tc, void *buf, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *p = (char *)buf + i * tc->size;
        if (tc->is_float) {
            double v = ((double)(next_rand() % 2000001) - 1000000.0) / 1024.0;
            if (tc->size == 4) {
                float f = (float)v;
                memcpy(p, &f, 4);
            } else {
                memcpy(p, &v, 8);
            }
        } else {
            uint64_t span = (uint64_t)tc->max - (uint64_t)tc->min; /* unsigned: INT64 spans 2^64 - 1 */
            int64_t v = span == UINT64_MAX ? (int64_t)next_rand() : tc->min + (int64_t)(next_rand() % (span + 1));
            switch (tc->size) {
            case 1: { int8_t x = (int8_t)v; memcpy(p, &x, 1); break; }
            case 2: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
            case 4: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
            default: memcpy(p, &v, 8);
            }
        }
    }
}

static long long elem_int(const type_case *tc, const void *buf, size_t i) {
    const char *p = (const char *)buf + i * tc->size;
    int is_unsigned = tc->min == 0;
    switch (tc->size) {
    case 1: return is_unsigned ? (long long)*(const uint8_t *)p : (long long)*(const int8_t *)p;
    case 2: { if (is_unsigned) { uint16_t x; memcpy(&x, p, 2); return x; } int16_t x; memcpy(&x, p, 2); return x; }
    case 4: { int32_t x; memcpy(&x, p, 4); return x; }
    default: { int64_t x; memcpy(&x, p, 8); return x; }
    }
}

static double elem_double(const type_case *tc, const void *buf, size_t i) {
    const char *p = (const char *)buf + i * tc->size;
    if (tc->size == 4) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    double d;
    memcpy(&d, p, 8);
    return d;
}

/* Round trip through BLOB: set with BLOB, get META BLOB, compare bytes and shape. */
static void blob_round_trip(redisContext *c, const type_case *tc, size_t rows, size_t cols) {
    size_t n = rows * cols, nbytes = n * tc->size;
    char *buf = malloc(nbytes);
    random_elems(tc, buf, n);
    char d0[32], d1[32];
    snprintf(d0, sizeof d0, "%zu", rows);
    snprintf(d1, sizeof d1, "%zu", cols);
    const char *argv[] = {"AI.TENSORSET", "t", tc->name, d0, d1, "BLOB", buf};
    size_t lens[] = {12, 1, strlen(tc->name), strlen(d0), strlen(d1), 4, nbytes};
    redisReply *r = lt_cmd(c, 7, argv, lens);
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);

    r = lt_cmdf(c, "AI.TENSORGET t META BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 6) {
        CHECK(strcmp(r->element[0]->str, "dtype") == 0);
        CHECK(strcmp(r->element[1]->str, tc->name) == 0);
        CHECK(strcmp(r->element[2]->str, "shape") == 0);
        CHECK(r->element[3]->elements == 2 && r->element[3]->element[0]->integer == (long long)rows &&
              r->element[3]->element[1]->integer == (long long)cols);
        CHECK(strcmp(r->element[4]->str, "blob") == 0);
        CHECK(r->element[5]->len == nbytes && memcmp(r->element[5]->str, buf, nbytes) == 0);
    }
    freeReplyObject(r);

    /* BLOB alone is the bare bulk string. */
    r = lt_cmdf(c, "AI.TENSORGET t BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == nbytes && memcmp(r->str, buf, nbytes) == 0);
    freeReplyObject(r);
    free(buf);
}

/* Round trip through VALUES: set with VALUES, get VALUES and BLOB, compare with what was sent. */
static void values_round_trip(redisContext *c, const type_case *tc, size_t n) {
    char *buf = malloc(n * tc->size);
    random_elems(tc, buf, n);
    const char **argv = malloc((n + 5) * sizeof *argv);
    char (*strs)[48] = malloc(n * sizeof *strs);
    char dim[32];
    snprintf(dim, sizeof dim, "%zu", n);
    argv[0] = "AI.TENSORSET";
    argv[1] = "v";
    argv[2] = tc->name;
    argv[3] = dim;
    argv[4] = "VALUES";
    for (size_t i = 0; i < n; i++) {
        if (tc->is_float)
            snprintf(strs[i], 48, "%.17g", elem_double(tc, buf, i));
        else
            snprintf(strs[i], 48, "%lld", elem_int(tc, buf, i));
        argv[5 + i] = strs[i];
    }
    redisReply *r = lt_cmd(c, (int)n + 5, argv, NULL);
    CHECK(r->type == REDIS_REPLY_STATUS);
    if (r->type == REDIS_REPLY_ERROR)
        fprintf(stderr, "  %s VALUES: %s\n", tc->name, r->str);
    freeReplyObject(r);

    r = lt_cmdf(c, "AI.TENSORGET v VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == n);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && i < n; i++) {
        redisReply *e = r->element[i];
        if (tc->is_float)
            CHECK(e->type == REDIS_REPLY_STRING && strtod(e->str, NULL) == elem_double(tc, buf, i));
        else
            CHECK(e->type == REDIS_REPLY_INTEGER && e->integer == elem_int(tc, buf, i));
    }
    freeReplyObject(r);

    r = lt_cmdf(c, "AI.TENSORGET v BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == n * tc->size && memcmp(r->str, buf, n * tc->size) == 0);
    freeReplyObject(r);
    free(strs);
    free(argv);
    free(buf);
}

static void test_round_trips(redisContext *c) {
    for (int t = 0; t < NTYPES; t++) {
        blob_round_trip(c, &types[t], 3, 5);      /* inline storage */
        blob_round_trip(c, &types[t], 257, 1031); /* held Redis string, larger than the inline limit */
        values_round_trip(c, &types[t], 17);
        values_round_trip(c, &types[t], 1500);
    }
    /* Extremes of each integer type survive VALUES. */
    redisReply *r = lt_cmdf(c, "AI.TENSORSET e INT64 2 VALUES -9223372036854775808 9223372036854775807");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET e VALUES");
    CHECK(r->elements == 2 && r->element[0]->integer == INT64_MIN && r->element[1]->integer == INT64_MAX);
    freeReplyObject(r);
}

static void test_meta_and_zero_fill(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.TENSORSET z INT32 2 3 4");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET z META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4);
    CHECK(r->elements == 4 && strcmp(r->element[1]->str, "INT32") == 0 && r->element[3]->elements == 3 &&
          r->element[3]->element[2]->integer == 4);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET z VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 24);
    int zeros = 0;
    for (size_t i = 0; i < r->elements; i++)
        zeros += r->element[i]->integer == 0;
    CHECK(zeros == 24);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET z VALUES META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[4]->str, "values") == 0 &&
          r->element[5]->elements == 24);
    freeReplyObject(r);
    /* No format given: META and BLOB, as RedisAI. */
    r = lt_cmdf(c, "AI.TENSORGET z");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[4]->str, "blob") == 0 &&
          r->element[5]->len == 96);
    freeReplyObject(r);
    /* A large zero-filled tensor (owned buffer path). */
    r = lt_cmdf(c, "AI.TENSORSET zl DOUBLE 1000 100");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET zl BLOB");
    int allzero = r->type == REDIS_REPLY_STRING && r->len == 800000;
    for (size_t i = 0; allzero && i < r->len; i++)
        allzero = r->str[i] == 0;
    CHECK(allzero);
    freeReplyObject(r);
    /* A scalar (no dims). */
    r = lt_cmdf(c, "AI.TENSORSET s DOUBLE VALUES 2.5");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET s META VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && r->element[3]->elements == 0 &&
          r->element[5]->elements == 1 && strcmp(r->element[5]->element[0]->str, "2.5") == 0);
    freeReplyObject(r);
}

static long long int_reply(redisContext *c, const char *cmd) {
    redisReply *r = lt_cmdf(c, cmd);
    long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -999;
    freeReplyObject(r);
    return v;
}

static void test_key_commands(redisContext *c) {
    redisReply *r = lt_cmdf(c, "AI.TENSORSET k1 FLOAT 2 VALUES 1 2");
    freeReplyObject(r);
    CHECK(int_reply(c, "EXISTS k1") == 1);
    r = lt_cmdf(c, "TYPE k1");
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "AI_TENSOR") == 0);
    freeReplyObject(r);
    CHECK(int_reply(c, "MEMORY USAGE k1") > 8);
    r = lt_cmdf(c, "DEBUG DIGEST-VALUE k1");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->len == 40);
    char digest[41] = {0};
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        memcpy(digest, r->element[0]->str, 40);
    freeReplyObject(r);

    r = lt_cmdf(c, "RENAME k1 k2");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    CHECK(int_reply(c, "EXISTS k1") == 0);
    r = lt_cmdf(c, "DEBUG DIGEST-VALUE k2");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && strcmp(r->element[0]->str, digest) == 0);
    freeReplyObject(r);

    CHECK(int_reply(c, "COPY k2 k3") == 1);
    r = lt_cmdf(c, "AI.TENSORSET k2 FLOAT 2 VALUES 5 6"); /* overwriting the original leaves the copy alone */
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET k3 VALUES");
    CHECK(r->elements == 2 && strcmp(r->element[0]->str, "1") == 0 && strcmp(r->element[1]->str, "2") == 0);
    freeReplyObject(r);

    /* Large (held) tensors copy and rename alike. */
    size_t nbytes = 1 << 20;
    char *blob = malloc(nbytes);
    for (size_t i = 0; i < nbytes; i++)
        blob[i] = (char)(i * 7);
    const char *argv[] = {"AI.TENSORSET", "big", "UINT8", "1048576", "BLOB", blob};
    size_t lens[] = {12, 3, 5, 7, 4, nbytes};
    freeReplyObject(lt_cmd(c, 6, argv, lens));
    CHECK(int_reply(c, "COPY big big2") == 1);
    CHECK(int_reply(c, "DEL big") == 1);
    r = lt_cmdf(c, "AI.TENSORGET big2 BLOB");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == nbytes && memcmp(r->str, blob, nbytes) == 0);
    freeReplyObject(r);
    free(blob);

    CHECK(int_reply(c, "DEL k2 k3 big2") == 3);
    CHECK(int_reply(c, "EXISTS k2 k3 big2") == 0);
}

/* Overwriting a tensor behaves like SET over a key: the new value, type and shape replace the old, a TTL
 * goes, and a client WATCHing the key sees it change. */
static void test_overwrite(const lt_server *s, redisContext *c) {
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET ow FLOAT 2 VALUES 1 2"));
    CHECK(int_reply(c, "EXPIRE ow 1000") == 1);
    CHECK(int_reply(c, "TTL ow") > 0);
    redisReply *r = lt_cmdf(c, "AI.TENSORSET ow INT8 3 VALUES 7 8 9");
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);
    CHECK(int_reply(c, "TTL ow") == -1);
    r = lt_cmdf(c, "AI.TENSORGET ow META VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, "INT8") == 0 &&
          r->element[3]->elements == 1 && r->element[3]->element[0]->integer == 3 &&
          r->element[5]->elements == 3 && r->element[5]->element[2]->integer == 9);
    freeReplyObject(r);

    redisContext *w = lt_connect(s);
    freeReplyObject(lt_cmdf(w, "WATCH ow"));
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET ow INT8 1 VALUES 1"));
    freeReplyObject(lt_cmdf(w, "MULTI"));
    freeReplyObject(lt_cmdf(w, "SET marker 1"));
    r = lt_cmdf(w, "EXEC");
    CHECK(r->type == REDIS_REPLY_NIL); /* the transaction was aborted by the overwrite */
    freeReplyObject(r);
    CHECK(int_reply(c, "EXISTS marker") == 0);
    redisFree(w);
    CHECK(int_reply(c, "DEL ow") == 1);
}

/* ---- malformed commands ---- */

typedef struct {
    const char *cmd;      /* space-separated; "\x01" stands for an empty argument */
    const char *expect;   /* substring of the error */
} bad_case;

static const bad_case bad[] = {
    {"AI.TENSORSET", "wrong number of arguments"},
    {"AI.TENSORSET keep", "wrong number of arguments"},
    {"AI.TENSORSET keep FLOAT", "wrong number of arguments"},
    {"AI.TENSORSET keep FLOAT32 2", "invalid data type"},
    {"AI.TENSORSET keep float64 2", "invalid data type"},
    {"AI.TENSORSET keep INT 2", "invalid data type"},
    {"AI.TENSORSET keep UINT32 2", "invalid data type"},
    {"AI.TENSORSET keep STRINGS 2", "invalid data type"},
    {"AI.TENSORSET keep \x01 2", "invalid data type"},
    {"AI.TENSORSET keep FLOAT 0", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 2 0", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT -2", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT two", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 2.5", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 1e3", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 99999999999999999999", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 4294967296 4294967296 4294967296", "too large"},
    {"AI.TENSORSET keep DOUBLE 3037000500 3037000500", "too large"},
    {"AI.TENSORSET keep FLOAT 100000 100000 100000", "proto-max-bulk-len"},
    {"AI.TENSORSET keep FLOAT 2 2 FOO", "invalid or negative"},
    {"AI.TENSORSET keep FLOAT 2 BLOB", "single binary string"},
    {"AI.TENSORSET keep FLOAT 2 BLOB abcdefgh extra", "single binary string"},
    {"AI.TENSORSET keep FLOAT 2 BLOB abc", "data length does not match"},
    {"AI.TENSORSET keep FLOAT 2 BLOB abcdefghi", "data length does not match"},
    {"AI.TENSORSET keep INT16 3 BLOB abcd", "data length does not match"},
    {"AI.TENSORSET keep FLOAT 2 VALUES 1", "wrong number of values"},
    {"AI.TENSORSET keep FLOAT 2 VALUES 1 2 3", "wrong number of values"},
    {"AI.TENSORSET keep FLOAT 2 VALUES", "wrong number of values"},
    {"AI.TENSORSET keep FLOAT 2 VALUES 1 abc", "invalid value"},
    {"AI.TENSORSET keep FLOAT 2 VALUES 1 nan", "invalid value"},
    {"AI.TENSORSET keep FLOAT 1 VALUES 1e39", "invalid value"},
    {"AI.TENSORSET keep DOUBLE 1 VALUES 1e400", "invalid value"},
    {"AI.TENSORSET keep DOUBLE 1 VALUES \x01", "invalid value"},
    {"AI.TENSORSET keep INT8 2 VALUES 1 128", "invalid value"},
    {"AI.TENSORSET keep INT8 2 VALUES -129 1", "invalid value"},
    {"AI.TENSORSET keep UINT8 1 VALUES 256", "invalid value"},
    {"AI.TENSORSET keep UINT8 1 VALUES -1", "invalid value"},
    {"AI.TENSORSET keep UINT16 1 VALUES 65536", "invalid value"},
    {"AI.TENSORSET keep INT16 1 VALUES 32768", "invalid value"},
    {"AI.TENSORSET keep INT32 1 VALUES 2147483648", "invalid value"},
    {"AI.TENSORSET keep INT64 1 VALUES 9223372036854775808", "invalid value"},
    {"AI.TENSORSET keep INT32 1 VALUES 1.5", "invalid value"},
    {"AI.TENSORSET keep BOOL 1 VALUES 2", "invalid value"},
    {"AI.TENSORSET keep BOOL 1 VALUES -1", "invalid value"},
    {"AI.TENSORSET str FLOAT 1", "WRONGTYPE"},
    {"AI.TENSORSET lst FLOAT 1 VALUES 1", "WRONGTYPE"},
    {"AI.TENSORGET", "wrong number of arguments"},
    {"AI.TENSORGET keep META BLOB extra", "wrong number of arguments"},
    {"AI.TENSORGET keep BLOB VALUES", "both BLOB and VALUES"},
    {"AI.TENSORGET keep JSON", "unsupported data format"},
    {"AI.TENSORGET keep META META", "given twice"},
    {"AI.TENSORGET missing", "tensor key is empty"},
    {"AI.TENSORGET str", "WRONGTYPE"},
    {"AI.TENSORGET lst META", "WRONGTYPE"},
};

static redisReply *run_split(redisContext *c, const char *cmd) {
    char *copy = strdup(cmd);
    const char *argv[16];
    size_t lens[16];
    int n = 0;
    for (char *tok = strtok(copy, " "); tok && n < 16; tok = strtok(NULL, " ")) {
        argv[n] = tok[0] == '\x01' ? "" : tok;
        lens[n] = strlen(argv[n]);
        n++;
    }
    redisReply *r = lt_cmd(c, n, argv, lens);
    free(copy);
    return r;
}

static char *db_digest(redisContext *c) {
    redisReply *r = lt_cmdf(c, "DEBUG DIGEST");
    char *d = strdup(r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING ? r->str : "?");
    freeReplyObject(r);
    return d;
}

static void test_malformed(redisContext *c) {
    freeReplyObject(lt_cmdf(c, "AI.TENSORSET keep FLOAT 2 2 VALUES 1 2 3 4"));
    freeReplyObject(lt_cmdf(c, "SET str hello"));
    freeReplyObject(lt_cmdf(c, "RPUSH lst a b"));
    char *before = db_digest(c);
    int n = (int)(sizeof bad / sizeof bad[0]);
    CHECK(n >= 40);
    for (int i = 0; i < n; i++) {
        redisReply *r = run_split(c, bad[i].cmd);
        int ok = r->type == REDIS_REPLY_ERROR && strstr(r->str, bad[i].expect) != NULL;
        if (!ok)
            fprintf(stderr, "  malformed case %d '%s': got %s\n", i, bad[i].cmd,
                    r->type == REDIS_REPLY_ERROR ? r->str : "a non-error reply");
        CHECK(ok);
        freeReplyObject(r);
    }
    char *after = db_digest(c);
    CHECK(strcmp(before, after) == 0); /* nothing stored changed */
    redisReply *r = lt_cmdf(c, "PING");
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET keep VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && strcmp(r->element[3]->str, "4") == 0);
    freeReplyObject(r);

    /* The size limit follows the server's configuration. */
    freeReplyObject(lt_cmdf(c, "CONFIG SET proto-max-bulk-len 1048576"));
    r = lt_cmdf(c, "AI.TENSORSET big FLOAT 1000 1000");
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "proto-max-bulk-len (1048576 bytes)"));
    freeReplyObject(r);
    freeReplyObject(lt_cmdf(c, "CONFIG SET proto-max-bulk-len 536870912"));
    r = lt_cmdf(c, "AI.TENSORSET big FLOAT 1000 1000");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(before);
    free(after);
}

/* AI.TENSORSET (and its DAG form) with `ndims` dims of 1; argv built here as the split helper takes 16 words. */
static redisReply *set_ndims(redisContext *c, bool dag, int ndims) {
    int n = 0, max = ndims + 16;
    const char **argv = malloc((size_t)max * sizeof *argv);
    size_t *lens = malloc((size_t)max * sizeof *lens);
    if (dag) {
        argv[n++] = "AI.DAGEXECUTE";
        argv[n++] = "|>";
    }
    argv[n++] = "AI.TENSORSET";
    argv[n++] = "many";
    argv[n++] = "INT8";
    for (int i = 0; i < ndims; i++) argv[n++] = "1";
    if (dag) {
        argv[n++] = "|>";
        argv[n++] = "AI.TENSORGET";
        argv[n++] = "many";
        argv[n++] = "META";
    }
    for (int i = 0; i < n; i++) lens[i] = strlen(argv[i]);
    redisReply *r = lt_cmd(c, n, argv, lens);
    free(argv);
    free(lens);
    return r;
}

/* What a command may create is what the RDB loader accepts: a tensor with one dimension too many is refused
 * (directly and in a DAG) instead of stored and then refused at the next start; the limit itself survives a
 * reload. A DAG's TENSORSET follows proto-max-bulk-len as the plain command does. */
static void test_limits(redisContext *c) {
    redisReply *r = set_ndims(c, false, 4097);
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "too many dimensions in tensor shape (at most 4096)"));
    freeReplyObject(r);
    r = set_ndims(c, true, 4097);
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "too many dimensions"));
    freeReplyObject(r);
    r = set_ndims(c, false, 4096);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "DEBUG RELOAD"); /* save + load: the loader takes what TENSORSET took */
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORGET many META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[3]->elements == 4096);
    freeReplyObject(r);

    freeReplyObject(lt_cmdf(c, "CONFIG SET proto-max-bulk-len 1048576"));
    r = lt_cmdf(c, "AI.DAGEXECUTE |> AI.TENSORSET dagbig FLOAT 1000 1000 |> AI.TENSORGET dagbig META");
    CHECK(r->type == REDIS_REPLY_ERROR && strstr(r->str, "proto-max-bulk-len (1048576 bytes)"));
    freeReplyObject(r);
    freeReplyObject(lt_cmdf(c, "CONFIG SET proto-max-bulk-len 536870912"));
    r = lt_cmdf(c, "AI.DAGEXECUTE |> AI.TENSORSET dagbig FLOAT 1000 1000 |> AI.TENSORGET dagbig META");
    CHECK(r->type == REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    freeReplyObject(lt_cmdf(c, "DEL many"));
}

int main(void) {
    lt_server s;
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *c = lt_connect(&s);
    test_round_trips(c);
    test_meta_and_zero_fill(c);
    test_key_commands(c);
    test_overwrite(&s, c);
    test_malformed(c);
    test_limits(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    return lt_report("module_tensor_cmds");
}
