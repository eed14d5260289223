/* A bounded end-to-end fuzz of a real server with the module and the Torch backend:
 *  - random AI.* commands (seeded): a command name, then words drawn from the protocol's keywords, numbers
 *    (negative, huge, NaN), type and device names, a few key names, random bytes, the test model and script;
 *  - corrupt RESTORE payloads: DUMPs of a tensor, a model and a script truncated at every length (keeping the
 *    version and checksum trailer; checksum validation is switched off with DEBUG so the decoders see the
 *    damage), mutated at random, and rewritten field by field with huge lengths (a 2^62-byte model blob,
 *    2^62 dims).
 * Every command must get a reply, the server must stay up, and the keys stored before (which no fuzzed
 * command names) must keep their values. usage: test_module_fuzz [random commands] [mutations per payload] */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model_util.h"
#include "server.h"

#define TRAILER 10 /* 2 bytes RDB version + 8 bytes CRC64 */

typedef struct {
    unsigned char *p;
    size_t n;
} buf;

static buf dump(redisContext *c, const char *key) {
    redisReply *r = lt_cmdf(c, "DUMP %s", key);
    buf b = {0};
    if (r->type == REDIS_REPLY_STRING) {
        b.p = malloc(r->len);
        memcpy(b.p, r->str, r->len);
        b.n = r->len;
    }
    freeReplyObject(r);
    return b;
}

static long restores, errors, oks;

static void restore(redisContext *c, const unsigned char *p, size_t n) {
    redisReply *r = lt_cmdf(c, "RESTORE fuzzed 0 %b REPLACE", p, n);
    restores++;
    if (r->type == REDIS_REPLY_ERROR)
        errors++;
    else
        oks++;
    freeReplyObject(r);
}

/* One RDB length at p[*pos] (the 6-, 14-, 32- and 64-bit forms; `special` for the encoded-string forms). */
static int rdb_len(const buf *b, size_t *pos, uint64_t *v, int *special) {
    if (*pos >= b->n) return -1;
    unsigned char x = b->p[(*pos)++];
    *special = -1;
    switch (x >> 6) {
    case 0: *v = x & 0x3f; return 0;
    case 1:
        if (*pos >= b->n) return -1;
        *v = ((uint64_t)(x & 0x3f) << 8) | b->p[(*pos)++];
        return 0;
    case 2: {
        int bytes = x == 0x80 ? 4 : x == 0x81 ? 8 : 0;
        if (!bytes || *pos + bytes > b->n) return -1;
        *v = 0;
        for (int i = 0; i < bytes; i++) *v = (*v << 8) | b->p[(*pos)++];
        return 0;
    }
    default: *special = x & 0x3f; *v = 0; return 0;
    }
}

/* Offsets [start, end) of the value of each unsigned field of a module value payload, in order. */
static int uint_fields(const buf *b, size_t *start, size_t *end, int max) {
    size_t pos = 1; /* the object type byte */
    uint64_t v;
    int sp, n = 0;
    if (rdb_len(b, &pos, &v, &sp)) return -1; /* module type id */
    while (pos < b->n - TRAILER) {
        uint64_t op;
        if (rdb_len(b, &pos, &op, &sp)) return -1;
        if (op == 0) break;                      /* EOF */
        if (op == 2 || op == 1) {                /* UINT, SINT */
            size_t s = pos;
            if (rdb_len(b, &pos, &v, &sp)) return -1;
            if (n < max) start[n] = s, end[n] = pos, n++;
        } else if (op == 5) {                    /* STRING */
            if (rdb_len(b, &pos, &v, &sp)) return -1;
            if (sp == 0) pos += 1;
            else if (sp == 1) pos += 2;
            else if (sp == 2) pos += 4;
            else if (sp == 3) {                  /* LZF: compressed length, length, data */
                uint64_t clen, len;
                if (rdb_len(b, &pos, &clen, &sp) || rdb_len(b, &pos, &len, &sp)) return -1;
                pos += clen;
            } else
                pos += v;
        } else if (op == 3 || op == 4) {         /* FLOAT, DOUBLE */
            pos += op == 3 ? 4 : 8;
        } else
            return -1;
    }
    return n;
}

/* The payload with unsigned field k replaced by the 64-bit length form of v. */
static void restore_with_field(redisContext *c, const buf *b, int k, uint64_t v) {
    size_t st[64], en[64];
    int n = uint_fields(b, st, en, 64);
    CHECK(n > k);
    if (n <= k) return;
    unsigned char enc[9] = {0x81};
    for (int i = 0; i < 8; i++) enc[1 + i] = (unsigned char)(v >> (56 - 8 * i));
    size_t len = st[k] + sizeof enc + (b->n - en[k]);
    unsigned char *p = malloc(len);
    memcpy(p, b->p, st[k]);
    memcpy(p + st[k], enc, sizeof enc);
    memcpy(p + st[k] + sizeof enc, b->p + en[k], b->n - en[k]);
    redisReply *r = lt_cmdf(c, "RESTORE fuzzed 0 %b REPLACE", p, len);
    CHECK(r->type == REDIS_REPLY_ERROR); /* refused, not an out-of-memory abort */
    freeReplyObject(r);
    free(p);
}

/* Truncations at every trunc_step bytes, then `mutations` payloads with 1-4 random bytes changed among the
 * first `body` bytes (past the type byte, before the trailer). */
static void fuzz(redisContext *c, const buf *b, int mutations, unsigned *seed, int trunc_step, size_t body) {
    unsigned char *p = malloc(b->n);
    for (size_t len = 1; len + TRAILER <= b->n; len += (size_t)trunc_step) { /* truncations */
        memcpy(p, b->p, len);
        memcpy(p + len, b->p + b->n - TRAILER, TRAILER);
        restore(c, p, len + TRAILER);
    }
    for (int m = 0; m < mutations; m++) { /* 1-4 random bytes of the body changed */
        memcpy(p, b->p, b->n);
        int k = 1 + rand_r(seed) % 4;
        for (int i = 0; i < k; i++) p[1 + (size_t)rand_r(seed) % (body - 1)] = (unsigned char)rand_r(seed);
        restore(c, p, b->n);
    }
    free(p);
}

static char *digest(redisContext *c, const char *key) {
    redisReply *r = lt_cmdf(c, "DEBUG DIGEST-VALUE %s", key);
    char *d = strdup(r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? r->element[0]->str : "missing");
    freeReplyObject(r);
    return d;
}

/* ---- random commands ---- */

static const char *const cmd_names[] = {
    "AI.TENSORSET", "AI.TENSORGET", "AI.MODELSTORE", "AI.MODELSET", "AI.MODELGET", "AI.MODELDEL",
    "AI.MODELEXECUTE", "AI.MODELRUN", "AI.SCRIPTSTORE", "AI.SCRIPTSET", "AI.SCRIPTGET", "AI.SCRIPTDEL",
    "AI.SCRIPTEXECUTE", "AI.SCRIPTRUN", "AI.DAGEXECUTE", "AI.DAGEXECUTE_RO", "AI.INFO", "AI.CONFIG", "AI.DAGRUN",
    "AI.DAGRUN_RO", "AI._MODELSCAN", "AI._SCRIPTSCAN"};
static const char *const words[] = {
    "FLOAT", "DOUBLE", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "BOOL", "STRING", "BLOB", "VALUES",
    "META", "INPUTS", "OUTPUTS", "KEYS", "ARGS", "TIMEOUT", "LOAD", "PERSIST", "ROUTING", "|>", "TAG", "BATCHSIZE",
    "MINBATCHSIZE", "MINBATCHTIMEOUT", "ENTRY_POINTS", "SOURCE", "CPU", "GPU", "GPU:0", "cpu:1", "TORCH", "TF",
    "ONNX", "TFLITE", "RESETSTAT", "GET", "MODEL_CHUNK_SIZE", "$", "0", "1", "2", "3", "4", "7", "-1", "1000",
    "99999999999", "9223372036854775807", "-9223372036854775808", "1e300", "nan", "inf", "0.5", "",
    "pre_process", "post_process", "sum_all", "nosuch", "fz0", "fz1", "fz2", "fz3", "fzm", "fzs", "AI.MODELRUN",
    "AI.SCRIPTRUN", "QUEUES"};

static void random_commands(redisContext *c, int n, unsigned *seed, const char *model, size_t model_len,
                            const char *script, size_t script_len) {
    const char *argv[40];
    size_t lens[40];
    char bytes[40][24];
    for (int k = 0; k < n; k++) {
        int argc = 0;
        argv[argc] = cmd_names[rand_r(seed) % (int)(sizeof cmd_names / sizeof cmd_names[0])];
        lens[argc] = strlen(argv[argc]);
        argc++;
        int nwords = rand_r(seed) % 16;
        for (int i = 0; i < nwords; i++) {
            int pick = rand_r(seed) % 100;
            if (pick < 3 && model_len) { /* the real model or script now and then */
                argv[argc] = model, lens[argc] = model_len;
            } else if (pick < 6) {
                argv[argc] = script, lens[argc] = script_len;
            } else if (pick < 14) { /* random bytes */
                size_t len = (size_t)(rand_r(seed) % 24);
                for (size_t b = 0; b < len; b++) bytes[argc][b] = (char)rand_r(seed);
                argv[argc] = bytes[argc], lens[argc] = len;
            } else {
                argv[argc] = words[rand_r(seed) % (int)(sizeof words / sizeof words[0])];
                lens[argc] = strlen(argv[argc]);
            }
            argc++;
        }
        redisReply *r = lt_cmd(c, argc, argv, lens); /* exits the test if the server went away */
        freeReplyObject(r);
    }
}

/* ---- archives that stay valid zips ---- */

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* n copies of the archive, each with 1-4 bytes of one stored entry changed (a pickle, a storage, the code's
 * debug pickle, ...) and that entry's CRC-32 fixed in both headers, as a crafted file would be: they pass
 * the zip check and reach the pickle check and libtorch. Each is stored; one that stores is run. Returns how
 * many stored. */
static int crafted_archives(redisContext *c, const char *archive, size_t len, int n, unsigned *seed) {
    const unsigned char *a = (const unsigned char *)archive;
    size_t eocd = len - 22; /* linear.pt has no archive comment */
    REQUIRE(le32(a + eocd) == 0x06054b50u);
    int nent = le16(a + eocd + 10);
    uint32_t cd = le32(a + eocd + 16);
    struct { size_t central, local, data, size; } e[64];
    int ne = 0;
    for (int i = 0, p = (int)cd; i < nent && ne < 64; i++) {
        size_t local = le32(a + p + 42);
        if (le16(a + p + 10) == 0 && le32(a + p + 20) > 0) { /* stored, not empty */
            e[ne].central = (size_t)p;
            e[ne].local = local;
            e[ne].data = local + 30 + le16(a + local + 26) + le16(a + local + 28);
            e[ne].size = le32(a + p + 20);
            ne++;
        }
        p += 46 + le16(a + p + 28) + le16(a + p + 30) + le16(a + p + 32);
    }
    REQUIRE(ne > 0);
    unsigned char *copy = malloc(len);
    int stored = 0;
    for (int k = 0; k < n; k++) {
        memcpy(copy, archive, len);
        int w = rand_r(seed) % ne, nb = 1 + rand_r(seed) % 4;
        for (int b = 0; b < nb; b++) {
            size_t at = e[w].data + (size_t)rand_r(seed) % e[w].size;
            copy[at] = (rand_r(seed) % 3 == 0) ? (unsigned char)rand_r(seed) : (unsigned char)(copy[at] ^ (1 << (rand_r(seed) % 8)));
        }
        uint32_t crc = (uint32_t)crc32(0L, copy + e[w].data, (uInt)e[w].size);
        put32(copy + e[w].local + 14, crc);
        put32(copy + e[w].central + 16, crc);
        redisReply *r = lt_cmdf(c, "AI.MODELSTORE crafted TORCH CPU BLOB %b", copy, len);
        if (r->type == REDIS_REPLY_STATUS) {
            stored++;
            freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE crafted INPUTS 1 x OUTPUTS 1 ycrafted"));
        }
        freeReplyObject(r);
    }
    freeReplyObject(lt_cmdf(c, "DEL crafted ycrafted"));
    free(copy);
    return stored;
}

int main(int argc, char **argv) {
    int ncommands = argc > 1 ? atoi(argv[1]) : 3000;
    int mutations = argc > 2 ? atoi(argv[2]) : 400;
    int archives = argc > 3 ? atoi(argv[3]) : 300;
    size_t linear_len, script_len;
    char *linear = tm_read("linear.pt", &linear_len), *script_src = tm_read("script.py", &script_len);
    lt_server s;
    lt_server_opts o = {.module_args = "THREADS_PER_QUEUE 1", .no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    CHECK(tm_status(lt_cmdf(c, "CONFIG SET rdbcompression no"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "DEBUG SET-SKIP-CHECKSUM-VALIDATION 1"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET t FLOAT 2 3 VALUES 1 2 3 4 5 6"), "OK"));
    /* names given at store time (AI.MODELSET: AI.MODELSTORE refuses INPUTS for TORCH, as RedisAI) */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSET lin TORCH CPU TAG v1 INPUTS x OUTPUTS y BLOB %b", linear, linear_len),
                    "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTSTORE scr CPU ENTRY_POINTS 1 pre_process SOURCE %b", script_src,
                            script_len), "OK"));
    CHECK(tm_status(lt_cmdf(c, "SET sentinel keep-me"), "OK"));
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET x FLOAT 2 4 VALUES 1 2 3 4 5 6 7 8"), "OK"));
    const char *keys[] = {"t", "lin", "scr", "sentinel"};
    char *before[4];
    for (int i = 0; i < 4; i++) before[i] = digest(c, keys[i]);

    buf bt = dump(c, "t"), bm = dump(c, "lin"), bs = dump(c, "scr");
    REQUIRE(bt.n > TRAILER && bm.n > TRAILER && bs.n > TRAILER);
    /* the payloads restore as they are */
    restore(c, bt.p, bt.n);
    restore(c, bm.p, bm.n);
    restore(c, bs.p, bs.n);
    CHECK(oks == 3);

    unsigned seed = 12345;
    random_commands(c, ncommands, &seed, linear, linear_len, script_src, script_len);
    fprintf(stderr, "  %d random AI.* commands answered\n", ncommands);
    int stored = crafted_archives(c, linear, linear_len, archives, &seed);
    fprintf(stderr, "  %d crafted archives (valid zips, changed entries): %d stored and run, the others refused\n",
            archives, stored);
    fuzz(c, &bt, mutations, &seed, 1, bt.n - TRAILER);
    fuzz(c, &bs, mutations, &seed, 7, bs.n - TRAILER);
    /* the model's record fields and its TorchScript archive (every damaged byte of the archive must be caught
     * by the archive check before libtorch reads it) */
    fuzz(c, &bm, mutations, &seed, (int)(bm.n / 400) + 1, bm.n - TRAILER);
    /* huge lengths: model fields are backend, batchsize, minbatchsize, minbatchtimeout, #inputs, #outputs,
     * blob length, chunks; tensor fields dtype code, #dims, dims */
    restore_with_field(c, &bm, 6, (uint64_t)1 << 62); /* blob length */
    restore_with_field(c, &bm, 7, (uint64_t)1 << 62); /* chunks */
    restore_with_field(c, &bm, 4, (uint64_t)1 << 62); /* input names */
    restore_with_field(c, &bt, 1, (uint64_t)1 << 62); /* dims */
    restore_with_field(c, &bt, 2, (uint64_t)1 << 62); /* first dim */

    redisReply *r = lt_cmdf(c, "PING");
    CHECK(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0);
    freeReplyObject(r);
    for (int i = 0; i < 4; i++) {
        char *after = digest(c, keys[i]);
        CHECK(strcmp(before[i], after) == 0 && strcmp(after, "missing") != 0);
        free(after);
        free(before[i]);
    }
    r = lt_cmdf(c, "AI.TENSORGET t VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6);
    freeReplyObject(r);
    fprintf(stderr, "  %ld RESTOREs of damaged payloads: %ld refused, %ld accepted; server up, keys intact\n",
            restores, errors, oks);
    CHECK(errors > restores / 2);
    free(bt.p);
    free(bm.p);
    free(bs.p);
    free(linear);
    free(script_src);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    return lt_report("module_fuzz");
}
