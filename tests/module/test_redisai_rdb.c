/* RedisAI's saved data loads into locus_ai (issue 16 item 6): records of RedisAI's AI_TENSOR, AI__MODEL and
 * AI_SCRIPT encodings 0 to 4, written here field by field from RedisAI's layouts (see
 * src/module/rdb/redisai_tensor_decode.c and src/module/model/redisai_model_decode.c), are
 *  - RESTOREd from DUMP payloads (type 7 = module value v2, the module id of the 9-char type name and the
 *    encoding version, the opcode-prefixed fields, the EOF opcode, RDB version and CRC64 trailer, which Redis
 *    7.0 checks before it decodes) and checked field by field: AI.TENSORGET META VALUES / BLOB, AI.MODELGET
 *    META and BLOB, AI.SCRIPTGET META SOURCE, and the model and the script run;
 *  - loaded from an RDB file holding one key of every type and version, at the server's start;
 *  - refused when corrupt (every truncation, bad dtype, impossible shapes and byte counts, huge lengths, a
 *    backend locus_ai does not have), with the server up afterwards, and a file with a TF model refused at
 *    start with a message naming TF, not a crash.
 * Needs the Torch backend and the generated test models (LOCUS_TEST_MODELS). With --no-torch (the valgrind
 * run) only what never reaches libtorch: the tensors, and the corrupt records refused before a backend loads.
 */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model_util.h"
#include "server.h"

/* ---- a small RDB writer ---- */

typedef struct {
    unsigned char *p;
    size_t n, cap;
} buf;

static void b_bytes(buf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        REQUIRE(b->p != NULL);
    }
    if (n > 0)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void b_byte(buf *b, unsigned c) {
    unsigned char x = (unsigned char)c;
    b_bytes(b, &x, 1);
}

static void b_be(buf *b, uint64_t v, int nbytes) {
    for (int i = nbytes - 1; i >= 0; i--)
        b_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* RDB length encoding: 6 bits, 14 bits, 0x80 + 32 bits, 0x81 + 64 bits (big-endian). */
static void b_len(buf *b, uint64_t v) {
    if (v < 64) {
        b_byte(b, (unsigned)v);
    } else if (v < 16384) {
        b_byte(b, 0x40 | (unsigned)(v >> 8));
        b_byte(b, (unsigned)v & 0xff);
    } else if (v <= UINT32_MAX) {
        b_byte(b, 0x80);
        b_be(b, v, 4);
    } else {
        b_byte(b, 0x81);
        b_be(b, v, 8);
    }
}

/* Module value fields: opcode 2 (RedisModule_SaveUnsigned, and SaveSigned, which stores the two's complement
 * the same way), opcode 5 (SaveStringBuffer). */
static void b_u(buf *b, uint64_t v) {
    b_byte(b, 2);
    b_len(b, v);
}
static void b_s(buf *b, int64_t v) {
    b_u(b, (uint64_t)v);
}
static void b_str(buf *b, const void *p, size_t n) {
    b_byte(b, 5);
    b_len(b, n);
    b_bytes(b, p, n);
}
/* A C string with its NUL, as RedisAI wrote device names, names and sources. */
static void b_cstr(buf *b, const char *s) {
    b_str(b, s, strlen(s) + 1);
}

/* Redis's module type id: each of the 9 name characters as its 6-bit index in Redis's character set, then
 * the 10-bit encoding version. */
static uint64_t module_id(const char *name, int encver) {
    static const char cset[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t id = 0;
    for (int i = 0; i < 9; i++)
        id = (id << 6) | (uint64_t)(strchr(cset, name[i]) - cset);
    return (id << 10) | (uint64_t)encver;
}

/* Redis's CRC64 (Jones polynomial, reflected, initial 0, no final xor). */
static uint64_t crc64(uint64_t crc, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
}

static void b_le64(buf *b, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* A module value begins with its type's id and ends with the EOF opcode (0). */
static void value_begin(buf *b, const char *type, int encver) {
    b_len(b, module_id(type, encver));
}
static void value_end(buf *b) {
    b_len(b, 0);
}

/* A DUMP payload of a module value: type 7, the value, RDB version 10 (2 bytes LE), CRC64 of all before (LE);
 * Redis 7.0's RESTORE refuses a payload whose version is above its own or whose checksum differs. */
static buf dump_payload(const unsigned char *value, size_t n) {
    buf d = {0};
    b_byte(&d, 7);
    b_bytes(&d, value, n);
    b_byte(&d, 10);
    b_byte(&d, 0);
    b_le64(&d, crc64(0, d.p, d.n));
    return d;
}

/* ---- RedisAI's records ---- */

enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2, DL_BOOL = 6, DL_STRING = 7 };

typedef struct {
    const char *name;
    uint64_t code, bits;
} dl_type;

static const dl_type dl_types[] = {
    {"FLOAT", DL_FLOAT, 32}, {"DOUBLE", DL_FLOAT, 64}, {"INT8", DL_INT, 8},
    {"INT16", DL_INT, 16},   {"INT32", DL_INT, 32},    {"INT64", DL_INT, 64},
    {"UINT8", DL_UINT, 8},   {"UINT16", DL_UINT, 16},  {"BOOL", DL_BOOL, 8},
};

/* Versions 0-3: device type (kDLCPU 1), device id, bits, code, lanes, ndims, dims, strides, byte offset,
 * data. */
static void tensor_v0(buf *b, int encver, uint64_t code, uint64_t bits, int nd, const uint64_t *dims,
                      const void *data, size_t n) {
    value_begin(b, "AI_TENSOR", encver);
    b_u(b, 1);
    b_u(b, 0);
    b_u(b, bits);
    b_u(b, code);
    b_u(b, 1);
    b_u(b, (uint64_t)nd);
    for (int i = 0; i < nd; i++)
        b_u(b, dims[i]);
    uint64_t stride = 1;
    uint64_t strides[8];
    for (int i = nd - 1; i >= 0; i--) {
        strides[i] = stride;
        stride *= dims[i];
    }
    for (int i = 0; i < nd; i++)
        b_u(b, strides[i]);
    b_u(b, 0);
    b_str(b, data, n);
    value_end(b);
}

/* Version 4: code, bits, signed ndims, signed dims, data. */
static void tensor_v4(buf *b, uint64_t code, uint64_t bits, int nd, const int64_t *dims, const void *data,
                      size_t n) {
    value_begin(b, "AI_TENSOR", 4);
    b_u(b, code);
    b_u(b, bits);
    b_s(b, nd);
    for (int i = 0; i < nd; i++)
        b_s(b, dims[i]);
    b_str(b, data, n);
    value_end(b);
}

typedef struct {
    uint64_t backend;
    const char *device, *tag;
    uint64_t batchsize, minbatchsize, minbatchtimeout;
    int nin, nout;
    const char *in[4], *out[4];
    const char *blob;
    size_t bloblen, chunk;
    bool tag_nul; /* version 1 as RedisAI 1.0 wrote it: the tag with its NUL */
} model_fields;

static void model_rec(buf *b, int encver, const model_fields *f) {
    value_begin(b, "AI__MODEL", encver);
    b_u(b, f->backend);
    b_cstr(b, f->device);
    if (encver == 0 || f->tag_nul)
        b_cstr(b, f->tag);
    else
        b_str(b, f->tag, strlen(f->tag));
    b_u(b, f->batchsize);
    b_u(b, f->minbatchsize);
    if (encver >= 2)
        b_u(b, f->minbatchtimeout);
    b_u(b, (uint64_t)f->nin);
    for (int i = 0; i < f->nin; i++)
        b_cstr(b, f->in[i]);
    b_u(b, (uint64_t)f->nout);
    for (int i = 0; i < f->nout; i++)
        b_cstr(b, f->out[i]);
    if (encver == 0) {
        b_str(b, f->blob, f->bloblen);
    } else {
        /* RedisAI writes length / chunk + 1 chunks: the last one is empty when the chunk size divides it */
        size_t n = f->bloblen / f->chunk + 1;
        b_u(b, f->bloblen);
        b_u(b, n);
        for (size_t i = 0; i < n; i++)
            b_str(b, f->blob + i * f->chunk, i < n - 1 ? f->chunk : f->bloblen % f->chunk);
    }
    value_end(b);
}

static void script_rec(buf *b, int encver, const char *device, const char *tag, const char *source,
                       int nentry, const char *const *entry) {
    value_begin(b, "AI_SCRIPT", encver);
    b_cstr(b, device);
    if (encver == 0)
        b_cstr(b, tag);
    else
        b_str(b, tag, strlen(tag));
    b_cstr(b, source);
    if (encver >= 3) {
        b_u(b, (uint64_t)nentry);
        for (int i = 0; i < nentry; i++)
            b_cstr(b, entry[i]);
    }
    value_end(b);
}

/* ---- the test data ---- */

static bool no_torch;
static char *model_blob, *source, *x_in;
static size_t model_len, source_len, x_len;

/* Element i of a test tensor of this type, as the integer the VALUES reply gives (floats are small integers).
 */
static long long elem(int t, int i) {
    if (strcmp(dl_types[t].name, "BOOL") == 0)
        return i % 2;
    if (dl_types[t].name[0] == 'U')
        return 3 * i + 1;
    return i % 2 ? -(i + 1) : i + 1;
}

/* The data of a 2x3 test tensor of type t. */
static size_t tensor_data(int t, unsigned char *out) {
    size_t size = dl_types[t].bits / 8;
    for (int i = 0; i < 6; i++) {
        long long v = elem(t, i);
        if (dl_types[t].code == DL_FLOAT && size == 4) {
            float f = (float)v;
            memcpy(out + i * size, &f, size);
        } else if (dl_types[t].code == DL_FLOAT) {
            double d = (double)v;
            memcpy(out + i * size, &d, size);
        } else {
            memcpy(out + i * size, &v, size); /* little-endian: the low bytes */
        }
    }
    return 6 * size;
}

static model_fields model_of_version(int v) {
    /* chunk sizes: several chunks, a divisor (an empty last chunk), one chunk */
    size_t chunks[5] = {0, 1000, model_len, 1u << 30, 777};
    model_fields f = {
        .backend = 2,
        .device = v == 3 ? "cpu" : "CPU",
        .batchsize = v == 0 ? 0 : 4,
        .minbatchsize = v == 0 ? 0 : 2,
        .minbatchtimeout = v >= 2 ? 50 : 0,
        .nin = v == 0 ? 0 : 1,
        .nout = v == 0 ? 0 : 1,
        .in = {"x"},
        .out = {""},
        .blob = model_blob,
        .bloblen = model_len,
        .chunk = chunks[v],
    };
    static char tags[5][16];
    snprintf(tags[v], sizeof tags[v], "ai-model-v%d", v);
    f.tag = tags[v];
    return f;
}

static const char *entry_points[] = {"pre_process", "sum_all"};

/* The records of every type and version under keys t<v>_<type>, m<v>, s<v>. */
typedef struct {
    char key[32];
    buf value;
} record;

static int all_records(record *r) {
    int n = 0;
    for (int v = 0; v <= 4; v++) {
        for (int t = 0; t < (int)(sizeof dl_types / sizeof dl_types[0]); t++) {
            unsigned char data[64];
            size_t len = tensor_data(t, data);
            snprintf(r[n].key, sizeof r[n].key, "t%d_%s", v, dl_types[t].name);
            memset(&r[n].value, 0, sizeof r[n].value);
            if (v < 4) {
                uint64_t dims[2] = {2, 3};
                tensor_v0(&r[n].value, v, dl_types[t].code, dl_types[t].bits, 2, dims, data, len);
            } else {
                int64_t dims[2] = {2, 3};
                tensor_v4(&r[n].value, dl_types[t].code, dl_types[t].bits, 2, dims, data, len);
            }
            n++;
        }
        model_fields f = model_of_version(v);
        snprintf(r[n].key, sizeof r[n].key, "m%d", v);
        memset(&r[n].value, 0, sizeof r[n].value);
        model_rec(&r[n].value, v, &f);
        n++;
        char tag[16];
        snprintf(tag, sizeof tag, "ai-script-v%d", v);
        snprintf(r[n].key, sizeof r[n].key, "s%d", v);
        memset(&r[n].value, 0, sizeof r[n].value);
        script_rec(&r[n].value, v, "CPU", tag, source, v >= 3 ? 2 : 0, entry_points);
        n++;
    }
    return n;
}

/* ---- checks ---- */

static void check_tensor(redisContext *c, const char *key, int t) {
    redisReply *r = lt_cmdf(c, "AI.TENSORGET %s META VALUES", key);
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 6 &&
              strcmp(r->element[1]->str, dl_types[t].name) == 0 && r->element[3]->elements == 2 &&
              r->element[3]->element[0]->integer == 2 && r->element[3]->element[1]->integer == 3 &&
              r->element[5]->elements == 6;
    for (int i = 0; ok && i < 6; i++) {
        redisReply *e = r->element[5]->element[i];
        long long got = e->type == REDIS_REPLY_INTEGER ? e->integer : (long long)strtod(e->str, NULL);
        ok = got == elem(t, i);
    }
    if (!ok)
        fprintf(stderr, "tensor %s (%s): unexpected META VALUES (reply type %d%s%s)\n", key, dl_types[t].name,
                r->type, r->type == REDIS_REPLY_ERROR ? ": " : "",
                r->type == REDIS_REPLY_ERROR ? r->str : "");
    CHECK(ok);
    freeReplyObject(r);
    unsigned char want[64];
    size_t n = tensor_data(t, want);
    r = lt_cmdf(c, "AI.TENSORGET %s BLOB", key);
    CHECK(r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, want, n) == 0);
    freeReplyObject(r);
}

static void check_model(redisContext *c, const char *key, int v) {
    model_fields f = model_of_version(v);
    redisReply *r = lt_cmdf(c, "AI.MODELGET %s META", key);
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 16 && strcmp(r->element[1]->str, "TORCH") == 0 &&
              strcmp(r->element[3]->str, "CPU") == 0 && strcmp(r->element[5]->str, f.tag) == 0 &&
              r->element[5]->len == strlen(f.tag) && r->element[7]->integer == (long long)f.batchsize &&
              r->element[9]->integer == (long long)f.minbatchsize &&
              r->element[15]->integer == (long long)f.minbatchtimeout &&
              /* inputs: the stored names, or (version 0 stored none) the signature's; one nameless output */
              r->element[11]->elements == 1 && strcmp(r->element[11]->element[0]->str, "x") == 0 &&
              r->element[13]->elements == 1 && r->element[13]->element[0]->len == 0;
    if (!ok)
        fprintf(stderr, "model %s (version %d): unexpected META (reply type %d)\n", key, v, r->type);
    CHECK(ok);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.MODELGET %s BLOB", key);
    size_t off = 0;
    bool same = true;
    if (r->type == REDIS_REPLY_STRING) {
        same = r->len == model_len && memcmp(r->str, model_blob, model_len) == 0;
        off = r->len;
    } else if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < r->elements; i++) {
            same &= off + r->element[i]->len <= model_len &&
                    memcmp(model_blob + off, r->element[i]->str, r->element[i]->len) == 0;
            off += r->element[i]->len;
        }
    }
    CHECK(same && off == model_len);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 2 4 BLOB %b", x_in, x_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE %s INPUTS 1 x OUTPUTS 1 y", key), "OK"));
    CHECK(tm_check_output(c, "y", "linear_out.bin", 1e-4f));
}

static void check_script(redisContext *c, const char *key, int v) {
    char tag[16];
    snprintf(tag, sizeof tag, "ai-script-v%d", v);
    redisReply *r = lt_cmdf(c, "AI.SCRIPTGET %s META SOURCE", key);
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 8 && strcmp(r->element[1]->str, "CPU") == 0 &&
              strcmp(r->element[3]->str, tag) == 0 && r->element[5]->elements == (v >= 3 ? 2u : 0u) &&
              r->element[7]->len == source_len && memcmp(r->element[7]->str, source, source_len) == 0;
    for (size_t i = 0; ok && v >= 3 && i < 2; i++)
        ok = strcmp(r->element[5]->element[i]->str, entry_points[i]) == 0;
    if (!ok)
        fprintf(stderr, "script %s (version %d): unexpected META SOURCE (reply type %d)\n", key, v, r->type);
    CHECK(ok);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 2 4 BLOB %b", x_in, x_len), "OK"));
    /* without entry points (AI.SCRIPTSET, versions 0-2) through AI.SCRIPTRUN, with them AI.SCRIPTEXECUTE */
    if (v >= 3)
        CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE %s sum_all INPUTS 2 x x OUTPUTS 1 z", key), "OK"));
    else
        CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTRUN %s bar INPUTS x x OUTPUTS z", key), "OK"));
    r = lt_cmdf(c, "AI.TENSORGET z BLOB");
    bool doubled = r->type == REDIS_REPLY_STRING && r->len == x_len;
    for (size_t i = 0; doubled && i < x_len / 4; i++) {
        float a, b;
        memcpy(&a, x_in + 4 * i, 4);
        memcpy(&b, r->str + 4 * i, 4);
        doubled = b == 2 * a;
    }
    CHECK(doubled);
    freeReplyObject(r);
}

static void check_tensors(redisContext *c) {
    for (int v = 0; v <= 4; v++) {
        char key[32];
        for (int t = 0; t < (int)(sizeof dl_types / sizeof dl_types[0]); t++) {
            snprintf(key, sizeof key, "t%d_%s", v, dl_types[t].name);
            check_tensor(c, key, t);
        }
    }
}

static void check_all(redisContext *c) {
    check_tensors(c);
    for (int v = 0; v <= 4; v++) {
        char key[32];
        snprintf(key, sizeof key, "m%d", v);
        check_model(c, key, v);
        snprintf(key, sizeof key, "s%d", v);
        check_script(c, key, v);
    }
}

/* ---- RESTORE ---- */

static redisReply *restore(redisContext *c, const char *key, const unsigned char *value, size_t n) {
    buf d = dump_payload(value, n);
    redisReply *r = lt_cmdf(c, "RESTORE %s 0 %b REPLACE", key, d.p, d.n);
    free(d.p);
    return r;
}

static void restore_test(redisContext *c) {
    record rec[80];
    int n = all_records(rec);
    for (int i = 0; i < n; i++) {
        if (no_torch && rec[i].key[0] != 't') {
            free(rec[i].value.p);
            continue;
        }
        redisReply *r = restore(c, rec[i].key, rec[i].value.p, rec[i].value.n);
        if (r->type != REDIS_REPLY_STATUS)
            fprintf(stderr, "RESTORE %s: %s\n", rec[i].key, r->str != NULL ? r->str : "?");
        CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
        freeReplyObject(r);
        free(rec[i].value.p);
    }
    if (no_torch) {
        check_tensors(c);
        return;
    }
    check_all(c);
    /* version 1 as RedisAI 1.0 wrote it (the tag with its NUL), and a version 0 tensor of RedisAI's DUMP
     * payloads (INT32 2x1, device id 0, strides 1 1) */
    model_fields f = model_of_version(1);
    f.tag_nul = true;
    buf b = {0};
    model_rec(&b, 1, &f);
    redisReply *r = restore(c, "m1nul", b.p, b.n);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(b.p);
    r = lt_cmdf(c, "AI.MODELGET m1nul META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 16 && r->element[5]->len == strlen(f.tag));
    freeReplyObject(r);
    b = (buf){0};
    int32_t v12[2] = {1, 2};
    uint64_t d21[2] = {2, 1};
    tensor_v0(&b, 0, DL_INT, 32, 2, d21, v12, sizeof v12);
    r = restore(c, "t21", b.p, b.n);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(b.p);
    r = lt_cmdf(c, "AI.TENSORGET t21 META VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, "INT32") == 0 &&
          r->element[3]->elements == 2 && r->element[3]->element[1]->integer == 1 &&
          r->element[5]->elements == 2 && r->element[5]->element[1]->integer == 2);
    freeReplyObject(r);
    /* what is restored is saved in our own encoding: DUMP gives version 10 */
    r = lt_cmdf(c, "DUMP m2");
    const unsigned char *p = r->type == REDIS_REPLY_STRING ? (const unsigned char *)r->str : NULL;
    /* type 7, then the 64-bit module id (0x81 + 8 bytes) whose low 10 bits are the encoding version */
    CHECK(p != NULL && r->len > 10 && p[0] == 7 && p[1] == 0x81 && (((p[8] & 3) << 8) | p[9]) == 10);
    freeReplyObject(r);
}

/* ---- corrupt records ---- */

static long refused;

/* RESTORE must fail and the server keep answering. */
static void expect_refused(redisContext *c, const char *what, const unsigned char *value, size_t n) {
    redisReply *r = restore(c, "bad", value, n);
    bool err = r->type == REDIS_REPLY_ERROR;
    if (!err)
        fprintf(stderr, "%s: accepted\n", what);
    CHECK(err);
    freeReplyObject(r);
    r = lt_cmdf(c, "PING");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    refused++;
}

/* Every truncation of a record whose last field is a string, as a DUMP payload. Redis reads a RESTORE payload
 * up to its end, trailer included, so the cut that drops the last byte of that string and the EOF opcode
 * reads the trailer's first byte (the RDB version's low byte) as that string's last byte and its second (0)
 * as EOF: a well-formed record, which Redis's framing cannot tell from the original with one byte changed.
 * That cut must leave the server up, whatever the reply. */
static void truncations(redisContext *c, const char *what, const buf *b) {
    long before = refused;
    /* --no-torch: a cut within the last string's final 10 bytes may read the trailer as its end and give a
     * whole record that loads the backend; stop before those */
    for (size_t cut = 1; cut < (no_torch ? b->n - 12 : b->n); cut++) {
        char w[64];
        snprintf(w, sizeof w, "%s cut at %zu of %zu", what, cut, b->n);
        if (cut == b->n - 2) {
            freeReplyObject(restore(c, "bad", b->p, cut));
            redisReply *r = lt_cmdf(c, "PING");
            CHECK(r->type == REDIS_REPLY_STATUS);
            freeReplyObject(r);
            freeReplyObject(lt_cmdf(c, "DEL bad"));
            continue;
        }
        expect_refused(c, w, b->p, cut);
    }
    fprintf(stderr, "  %s: %ld truncations refused\n", what, refused - before);
}

static bool log_has(const lt_server *s, const char *needle) {
    FILE *f = fopen(s->log, "r");
    if (f == NULL)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static void corrupt_test(redisContext *c, const lt_server *s) {
    unsigned char data[64];
    size_t dn = tensor_data(4, data); /* INT32 2x3 */
    uint64_t d23[2] = {2, 3};
    int64_t s23[2] = {2, 3};
    buf b = {0};
    /* every truncation of one record of each layout */
    tensor_v0(&b, 0, DL_INT, 32, 2, d23, data, dn);
    truncations(c, "tensor v0", &b);
    b.n = 0;
    tensor_v4(&b, DL_INT, 32, 2, s23, data, dn);
    truncations(c, "tensor v4", &b);
    for (int v = 0; v <= 2; v++) {
        model_fields f = model_of_version(v);
        f.chunk = 1500;
        b.n = 0;
        model_rec(&b, v, &f);
        char what[32];
        snprintf(what, sizeof what, "model v%d", v);
        truncations(c, what, &b);
    }
    b.n = 0;
    script_rec(&b, 0, "CPU", "t", source, 0, NULL);
    truncations(c, "script v0", &b);
    b.n = 0;
    script_rec(&b, 3, "CPU", "t", source, 2, entry_points);
    truncations(c, "script v3", &b);

    /* bad dtypes: float16, STRING (locus_ai has none), an unknown code, lanes 2, a GPU tensor */
    b.n = 0;
    tensor_v0(&b, 1, DL_FLOAT, 16, 2, d23, data, 12);
    expect_refused(c, "float16", b.p, b.n);
    b.n = 0;
    int64_t s2[1] = {2};
    tensor_v4(&b, DL_STRING, 8, 1, s2, "ab\0cd", 6);
    expect_refused(c, "STRING", b.p, b.n);
    CHECK(log_has(s, "(STRING): RedisAI's STRING encoding is not read"));
    b.n = 0;
    tensor_v4(&b, 9, 32, 2, s23, data, dn);
    expect_refused(c, "code 9", b.p, b.n);
    for (int field = 0; field < 2; field++) {
        b.n = 0;
        value_begin(&b, "AI_TENSOR", 2);
        b_u(&b, field == 0 ? 2 : 1); /* device type: 2 is kDLCUDA */
        b_u(&b, 0);
        b_u(&b, 32);
        b_u(&b, DL_INT);
        b_u(&b, field == 1 ? 2 : 1); /* lanes */
        b_u(&b, 1);
        b_u(&b, 6);
        b_u(&b, 1);
        b_u(&b, 0);
        b_str(&b, data, dn);
        value_end(&b);
        expect_refused(c, field == 0 ? "GPU tensor" : "lanes 2", b.p, b.n);
    }
    /* impossible shapes and byte counts */
    b.n = 0;
    tensor_v0(&b, 3, DL_INT, 32, 2, d23, data, dn - 4);
    expect_refused(c, "short data", b.p, b.n);
    b.n = 0;
    tensor_v4(&b, DL_INT, 32, 2, s23, data, dn + 4);
    expect_refused(c, "long data", b.p, b.n);
    int64_t neg[2] = {-2, -3}, zero[2] = {0, 6}, huge[3] = {1LL << 40, 1LL << 40, 1LL << 40};
    b.n = 0;
    tensor_v4(&b, DL_INT, 32, 2, neg, data, dn);
    expect_refused(c, "negative dims", b.p, b.n);
    b.n = 0;
    tensor_v4(&b, DL_INT, 32, 2, zero, data, 0);
    expect_refused(c, "zero dim", b.p, b.n);
    b.n = 0;
    tensor_v4(&b, DL_INT, 32, 3, huge, data, dn);
    expect_refused(c, "overflowing shape", b.p, b.n);
    uint64_t uhuge[2] = {UINT64_MAX, 2};
    b.n = 0;
    tensor_v0(&b, 0, DL_INT, 32, 2, uhuge, data, dn);
    expect_refused(c, "2^64-1 dim", b.p, b.n);
    b.n = 0;
    value_begin(&b, "AI_TENSOR", 4);
    b_u(&b, DL_INT);
    b_u(&b, 32);
    b_s(&b, -1);
    value_end(&b);
    expect_refused(c, "ndims -1", b.p, b.n);
    b.n = 0;
    value_begin(&b, "AI_TENSOR", 0);
    for (int i = 0; i < 4; i++)
        b_u(&b, i == 0 ? 1 : i == 1 ? 0 : i == 2 ? 32 : DL_INT);
    b_u(&b, 1);
    b_u(&b, 1ULL << 40); /* ndims */
    value_end(&b);
    expect_refused(c, "2^40 dims", b.p, b.n);
    /* a huge string length with few bytes behind it */
    b.n = 0;
    value_begin(&b, "AI_TENSOR", 4);
    b_u(&b, DL_INT);
    b_u(&b, 32);
    b_s(&b, 1);
    b_s(&b, 1);
    b_byte(&b, 5);
    b_len(&b, 1ULL << 40);
    b_bytes(&b, data, 4);
    value_end(&b);
    expect_refused(c, "2^40-byte data string", b.p, b.n);

    /* models: blob lengths that do not add up, huge counts, a bad device, an unknown backend */
    model_fields f = model_of_version(2);
    f.chunk = 1500;
    for (int k = 0; k < 5; k++) {
        b.n = 0;
        value_begin(&b, "AI__MODEL", 2);
        b_u(&b, 2);
        b_cstr(&b, k == 3 ? "XPU" : "CPU");
        b_str(&b, "t", 1);
        b_u(&b, 0);
        b_u(&b, 0);
        b_u(&b, 0);
        b_u(&b, k == 2 ? 1ULL << 40 : 0); /* ninputs */
        b_u(&b, 0);
        b_u(&b, k == 0 ? 1ULL << 62 : model_len); /* length */
        b_u(&b, k == 1 ? 1ULL << 40 : 1);         /* chunks */
        b_str(&b, model_blob, model_len);
        value_end(&b);
        if (k == 4) { /* the backend number past ONNX */
            b.n = 0;
            f.backend = 7;
            model_rec(&b, 2, &f);
        }
        const char *what[] = {"2^62-byte blob", "2^40 chunks", "2^40 inputs", "device XPU", "backend 7"};
        expect_refused(c, what[k], b.p, b.n);
    }
    /* a blob that is not a TorchScript archive (refused before the backend loads) */
    b.n = 0;
    f = model_of_version(4);
    f.blob = source;
    f.bloblen = source_len;
    model_rec(&b, 4, &f);
    expect_refused(c, "not a TorchScript blob", b.p, b.n);
    /* backends locus_ai does not have: refused with a message naming them (no backend loads) */
    const char *names[] = {"TF", "TFLITE", "TORCH", "ONNX"};
    for (int be = 0; be <= 3; be += (be == 1 ? 2 : 1)) {
        b.n = 0;
        f = model_of_version(be == 0 ? 2 : 4);
        f.backend = (uint64_t)be;
        model_rec(&b, be == 0 ? 2 : 4, &f);
        expect_refused(c, names[be], b.p, b.n);
        char msg[80];
        snprintf(msg, sizeof msg, "cannot re-create a stored %s model", names[be]);
        CHECK(log_has(s, msg));
    }
    /* scripts: huge entry point count, an entry point the source does not define, source that does not
     * compile */
    b.n = 0;
    value_begin(&b, "AI_SCRIPT", 3);
    b_cstr(&b, "CPU");
    b_str(&b, "t", 1);
    b_cstr(&b, source);
    b_u(&b, 1ULL << 40);
    value_end(&b);
    expect_refused(c, "2^40 entry points", b.p, b.n);
    if (!no_torch) { /* the compiler refuses these */
        const char *missing[] = {"no_such_function"};
        b.n = 0;
        script_rec(&b, 4, "CPU", "t", source, 1, missing);
        expect_refused(c, "missing entry point", b.p, b.n);
        b.n = 0;
        script_rec(&b, 1, "CPU", "t", "def f(:\n", 0, NULL);
        expect_refused(c, "bad source", b.p, b.n);
    }
    free(b.p);

    redisReply *r = lt_cmdf(c, "EXISTS bad");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    fprintf(stderr, "  %ld corrupt RESTOREs refused, server up\n", refused);
}

/* ---- RDB files ---- */

/* An RDB file (version 10) with the records under their keys in db 0. */
static void write_rdb(const char *dir, record *rec, int n) {
    buf f = {0};
    b_bytes(&f, "REDIS0010", 9);
    b_byte(&f, 0xfe); /* SELECTDB 0 */
    b_len(&f, 0);
    for (int i = 0; i < n; i++) {
        b_byte(&f, 7); /* module value, version 2 */
        b_len(&f, strlen(rec[i].key));
        b_bytes(&f, rec[i].key, strlen(rec[i].key));
        b_bytes(&f, rec[i].value.p, rec[i].value.n);
    }
    b_byte(&f, 0xff);
    b_le64(&f, crc64(0, f.p, f.n));
    char path[512];
    snprintf(path, sizeof path, "%s/dump.rdb", dir);
    FILE *out = fopen(path, "wb");
    REQUIRE(out != NULL && fwrite(f.p, 1, f.n, out) == f.n && fclose(out) == 0);
    free(f.p);
}

static void rdb_file_test(void) {
    char dir[] = "/tmp/locus-redisai-rdb-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    record rec[80];
    int n = all_records(rec);
    write_rdb(dir, rec, n);
    for (int i = 0; i < n; i++)
        free(rec[i].value.p);
    lt_server s;
    lt_server_opts o = {.dir = dir, .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    s.own_dir = true;
    redisContext *c = lt_connect(&s);
    redisReply *r = lt_cmdf(c, "DBSIZE");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == n);
    freeReplyObject(r);
    check_all(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
}

/* A file with a TF model: the start is refused with our message naming TF (Redis logs "Internal error in RDB"
 * and stops), not a crash. */
static void rdb_file_refused_test(void) {
    char dir[] = "/tmp/locus-redisai-rdb-XXXXXX";
    REQUIRE(mkdtemp(dir) != NULL);
    record rec[2];
    memset(rec, 0, sizeof rec);
    snprintf(rec[0].key, sizeof rec[0].key, "t");
    int64_t s23[2] = {2, 3};
    unsigned char data[64];
    tensor_v4(&rec[0].value, DL_INT, 32, 2, s23, data, tensor_data(4, data));
    snprintf(rec[1].key, sizeof rec[1].key, "tf");
    model_fields f = model_of_version(4);
    f.backend = 0;
    model_rec(&rec[1].value, 4, &f);
    write_rdb(dir, rec, 2);
    free(rec[0].value.p);
    free(rec[1].value.p);
    const char *mod = getenv("LOCUS_MODULE_PATH");
    REQUIRE(mod != NULL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "timeout -s KILL 30 redis-server --port %d --bind 127.0.0.1 --dir %s --loadmodule %s "
             "--logfile %s/log > /dev/null 2>&1",
             lt_free_port(), dir, mod, dir);
    /* Redis 7.0 then runs its RDB checker on the file, which finds it well-formed and exits with status 0;
     * a crash would be a signal (or 124/137 from timeout) */
    int st = system(cmd);
    CHECK(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1));
    lt_server fake = {0};
    snprintf(fake.log, sizeof fake.log, "%s/log", dir);
    CHECK(log_has(&fake, "cannot re-create a stored TF model") && log_has(&fake, "Internal error in RDB"));
    CHECK(!log_has(&fake, "Guru Meditation") && !log_has(&fake, "crashed by signal"));
    if (lt_failures == 0)
        lt_rmtree(dir);
    else
        fprintf(stderr, "refused start: log kept in %s/log\n", dir);
}

int main(int argc, char **argv) {
    no_torch = argc > 1 && strcmp(argv[1], "--no-torch") == 0;
    /* the writer against known values: CRC64's check value, and the AI_TENSOR id of RedisAI's DUMPs */
    REQUIRE(crc64(0, (const unsigned char *)"123456789", 9) == 0xe9c6d914c4b8d9caULL);
    REQUIRE(module_id("AI_TENSOR", 0) == 0x008fd310d48e4400ULL);
    model_blob = tm_read("linear.pt", &model_len);
    source = tm_read("script.py", &source_len);
    source[source_len] = '\0'; /* tm_read leaves a spare byte */
    x_in = tm_read("linear_in.bin", &x_len);

    lt_server s;
    lt_server_opts o = {.no_valgrind = !no_torch};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    fprintf(stderr, "RESTORE of every type and version\n");
    restore_test(c);
    fprintf(stderr, "corrupt records\n");
    corrupt_test(c, &s);
    if (no_torch)
        check_tensors(c);
    else
        check_all(c); /* the keys restored before are intact */
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    if (!no_torch) {
        fprintf(stderr, "RDB file of every type and version\n");
        rdb_file_test();
        fprintf(stderr, "RDB file with a TF model\n");
        rdb_file_refused_test();
    }
    free(model_blob);
    free(source);
    free(x_in);
    return lt_report("module_redisai_rdb");
}
