/* Unit tests of liblocus's pure layers: slots, addresses and settings, layouts, RESP headers, metadata of
 * the public error convention. No server. */
#include "internal.h"
#include "server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void test_slots(void) {
    CHECK(lc_crc16("123456789", 9) == 0x31C3); /* the CRC16/XMODEM check value */
    CHECK(lc_key_slot("foo", 3) == 12182);     /* values from the Redis Cluster spec / CLUSTER KEYSLOT */
    CHECK(lc_key_slot("bar", 3) == 5061);
    CHECK(lc_key_slot("{user1000}.following", 20) == lc_key_slot("{user1000}.followers", 20));
    CHECK(lc_key_slot("{user1000}.following", 20) == lc_key_slot("user1000", 8));
    CHECK(lc_key_slot("foo{}{bar}", 10) == lc_crc16("foo{}{bar}", 10) % 16384); /* empty tag: whole key */
    CHECK(lc_key_slot("foo{{bar}}zap", 13) == lc_key_slot("{bar", 4));
    CHECK(lc_key_slot("foo{bar}{zap}", 13) == lc_key_slot("bar", 3));
    CHECK(lc_key_slot("", 0) == 0);
}

/* SmartRedis's model prefixes: for every slot, the bytes whose CRC16 is the slot and that hold no brace; the
 * 2-byte one whenever it has no brace (found here by search over all 65536, independently of the division
 * the library does), else a 3-byte one. */
static void test_slot_prefixes(void) {
    static int two_byte[16384];
    for (int i = 0; i < 16384; i++)
        two_byte[i] = -1;
    for (int v = 0; v < 65536; v++) {
        char b[2] = {(char)(v >> 8), (char)(v & 0xff)};
        uint16_t crc = lc_crc16(b, 2);
        if (crc < 16384)
            two_byte[crc] = v; /* 2-byte CRC16 is a bijection: each value has one preimage */
    }
    int bad = 0, longer = 0;
    for (int slot = 0; slot < 16384; slot++) {
        char p[LC_PREFIX_MAX];
        size_t n = lc_slot_prefix(slot, p);
        char b[2] = {(char)(two_byte[slot] >> 8), (char)(two_byte[slot] & 0xff)};
        bool braces = b[0] == '{' || b[0] == '}' || b[1] == '{' || b[1] == '}';
        bool ok = lc_crc16(p, n) == slot && memchr(p, '{', n) == NULL && memchr(p, '}', n) == NULL;
        ok = ok && (braces ? n == 3 : n == 2 && memcmp(p, b, 2) == 0);
        char key[16] = "{";
        memcpy(key + 1, p, n);
        memcpy(key + 1 + n, "}.m", 3);
        ok = ok && lc_key_slot(key, n + 4) == slot;
        bad += !ok;
        longer += n == 3;
    }
    CHECK(bad == 0);
    CHECK(longer > 0); /* some slots' 2-byte inverse holds a brace */
    char p[LC_PREFIX_MAX];
    CHECK(lc_slot_prefix(0, p) == 2 && p[0] == 0 && p[1] == 0); /* slot 0: two NUL bytes */
}

static void test_addr(void) {
    lc_addr a[4];
    char err[256];
    CHECK(lc_addr_parse("127.0.0.1:6379", 14, &a[0], err, sizeof err) == 0);
    CHECK(a[0].kind == LC_ADDR_TCP && strcmp(a[0].host, "127.0.0.1") == 0 && a[0].port == 6379);
    CHECK(lc_addr_parse(" tcp://node-1:7000 ", 19, &a[0], err, sizeof err) == 0);
    CHECK(strcmp(a[0].host, "node-1") == 0 && a[0].port == 7000);
    CHECK(lc_addr_parse("unix:///tmp/r.sock", 18, &a[0], err, sizeof err) == 0);
    CHECK(a[0].kind == LC_ADDR_UNIX && strcmp(a[0].path, "/tmp/r.sock") == 0);
    CHECK(lc_addr_parse("[::1]:6379", 10, &a[0], err, sizeof err) == 0);
    CHECK(strcmp(a[0].host, "::1") == 0 && a[0].port == 6379);
    CHECK(lc_addr_parse("localhost", 9, &a[0], err, sizeof err) == -1 && strstr(err, "localhost"));
    CHECK(lc_addr_parse("h:0", 3, &a[0], err, sizeof err) == -1);
    CHECK(lc_addr_parse("h:70000", 7, &a[0], err, sizeof err) == -1 && strstr(err, "range"));
    CHECK(lc_addr_parse("h:12x", 5, &a[0], err, sizeof err) == -1);
    CHECK(lc_addr_parse("unix://rel", 10, &a[0], err, sizeof err) == -1);
    CHECK(lc_addr_parse_list("a:1, tcp://b:2 ,unix:///s", a, 4, err, sizeof err) == 3);
    CHECK(a[1].port == 2 && a[2].kind == LC_ADDR_UNIX);
    CHECK(lc_addr_parse_list(" , ", a, 4, err, sizeof err) == -1);
    CHECK(lc_addr_parse_list("a:1,b:2", a, 1, err, sizeof err) == -1);
    char buf[64];
    lc_addr_parse("[::1]:5", 7, &a[0], err, sizeof err);
    lc_addr_format(&a[0], buf, sizeof buf);
    CHECK(strcmp(buf, "[::1]:5") == 0);
}

static const char *table_env(const char *name, void *ud) {
    for (const char **kv = ud; *kv; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

static void test_config(void) {
    lc_config cfg;
    const char *env1[] = {"SSDB", "h:1", "SR_DB_TYPE", "Clustered", "SR_CMD_TIMEOUT", "7", "REDISCLI_AUTH", "pw",
                          "SSKEYIN", "a,b", "SSKEYOUT", "o", NULL};
    CHECK(lc_config_resolve(NULL, table_env, env1, &cfg) == LOCUS_OK);
    CHECK(strcmp(cfg.address, "h:1") == 0 && cfg.db_type == 2 && cfg.cmd_timeout_s == 7);
    CHECK(cfg.conn_timeout_s == 100 && cfg.conn_interval_ms == 1000 && cfg.socket_timeout_ms == 250);
    CHECK(strcmp(cfg.password, "pw") == 0 && strcmp(cfg.keyin, "a,b") == 0 && strcmp(cfg.keyout, "o") == 0);
    /* suffix variants; LOCUS_DB_PASSWORD wins over REDISCLI_AUTH; options win over the environment */
    const char *env2[] = {"SSDB", "h:1", "SSDB_two", "h:2", "SR_DB_TYPE_two", "standalone",
                          "SR_SOCKET_TIMEOUT_two", "40", "LOCUS_DB_PASSWORD_two", "lp", "REDISCLI_AUTH", "pw", NULL};
    locus_options o;
    locus_options_init(&o);
    o.suffix = "two";
    CHECK(lc_config_resolve(&o, table_env, env2, &cfg) == LOCUS_OK);
    CHECK(strcmp(cfg.address, "h:2") == 0 && cfg.db_type == 1 && cfg.socket_timeout_ms == 40);
    CHECK(strcmp(cfg.password, "lp") == 0);
    o.address = "x:9";
    o.cmd_interval_ms = 5;
    CHECK(lc_config_resolve(&o, table_env, env2, &cfg) == LOCUS_OK);
    CHECK(strcmp(cfg.address, "x:9") == 0 && cfg.cmd_interval_ms == 5);
    const char *env3[] = {"SR_DB_TYPE", "Clustered", NULL};
    CHECK(lc_config_resolve(NULL, table_env, env3, &cfg) == LOCUS_ERR_PARAMETER);
    CHECK(strstr(locus_last_error(), "SSDB") != NULL);
    const char *env4[] = {"SSDB", "h:1", "SR_DB_TYPE", "Sharded", NULL};
    CHECK(lc_config_resolve(NULL, table_env, env4, &cfg) == LOCUS_ERR_PARAMETER);
    const char *env5[] = {"SSDB", "h:1", "SR_CONN_TIMEOUT", "ten", NULL};
    CHECK(lc_config_resolve(NULL, table_env, env5, &cfg) == LOCUS_ERR_PARAMETER);
    CHECK(strstr(locus_last_error(), "SR_CONN_TIMEOUT") != NULL);
}

/* reference: element (i0..in) of a column-major array of dims */
static size_t f_index(const size_t *idx, const size_t *dims, size_t nd) {
    size_t f = 0, s = 1;
    for (size_t a = 0; a < nd; a++)
        f += idx[a] * s, s *= dims[a];
    return f;
}

static void check_layout(const size_t *dims, size_t nd) {
    size_t n = lc_dims_count(dims, nd);
    double *f = malloc(n * 8), *c = malloc(n * 8), *back = malloc(n * 8);
    for (size_t i = 0; i < n; i++)
        f[i] = (double)i + 0.5;
    lc_f2c(c, f, dims, nd, 8);
    size_t idx[8] = {0};
    int ok = 1;
    for (size_t k = 0; k < n; k++) { /* k walks row-major */
        if (c[k] != f[f_index(idx, dims, nd)])
            ok = 0;
        for (size_t a = nd; a-- > 0;) {
            if (++idx[a] < dims[a])
                break;
            idx[a] = 0;
        }
    }
    CHECK(ok);
    lc_c2f(back, c, dims, nd, 8);
    CHECK(memcmp(back, f, n * 8) == 0);
    /* 2-byte elements through the same path */
    uint16_t *f2 = malloc(n * 2), *c2 = malloc(n * 2), *b2 = malloc(n * 2);
    for (size_t i = 0; i < n; i++)
        f2[i] = (uint16_t)(i * 7);
    lc_f2c(c2, f2, dims, nd, 2);
    lc_c2f(b2, c2, dims, nd, 2);
    CHECK(memcmp(b2, f2, n * 2) == 0);
    free(f), free(c), free(back), free(f2), free(c2), free(b2);
}

static void test_layouts(void) {
    size_t d1[] = {7}, d2[] = {3, 5}, d3[] = {4, 3, 2}, d4[] = {2, 3, 4, 5}, d5[] = {1, 9, 1}, d6[] = {67, 45};
    check_layout(d1, 1);
    check_layout(d2, 2);
    check_layout(d3, 3);
    check_layout(d4, 4);
    check_layout(d5, 3);
    check_layout(d6, 2);
    /* 2x3 by hand: Fortran a(i,j) at i + 2j */
    int32_t f[6] = {11, 21, 12, 22, 13, 23}, c[6];
    size_t d[] = {2, 3};
    lc_f2c(c, f, d, 2, 4);
    int32_t want[6] = {11, 12, 13, 21, 22, 23};
    CHECK(memcmp(c, want, sizeof want) == 0);
    /* nested: build a view, gather, scatter */
    size_t dn[] = {2, 3, 4};
    float data[24], flat[24];
    for (int i = 0; i < 24; i++)
        data[i] = (float)i;
    void *tables = malloc(lc_nested_table_bytes(dn, 3));
    CHECK(lc_nested_table_bytes(dn, 3) == (2 + 6) * sizeof(void *));
    float ***v = lc_nested_build(tables, data, dn, 3, 4);
    CHECK(v[1][2][3] == 23.0f && v[0][1][0] == 4.0f);
    lc_nested_gather(flat, v, dn, 3, 4);
    CHECK(memcmp(flat, data, sizeof data) == 0);
    for (int i = 0; i < 24; i++)
        flat[i] = -flat[i];
    lc_nested_scatter(v, flat, dn, 3, 4);
    CHECK(data[23] == -23.0f);
    free(tables);
}

static void test_resp(void) {
    const char *argv[] = {"AI.TENSORSET", "k", "FLOAT", "2", "BLOB"};
    size_t lens[] = {12, 1, 5, 1, 4};
    char buf[256];
    size_t n = lc_resp_header(buf, sizeof buf, 5, argv, lens, 1, 8);
    const char *want = "*6\r\n$12\r\nAI.TENSORSET\r\n$1\r\nk\r\n$5\r\nFLOAT\r\n$1\r\n2\r\n$4\r\nBLOB\r\n$8\r\n";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
    CHECK(lc_resp_header(buf, 10, 5, argv, lens, 1, 8) == strlen(want)); /* too small: the size needed */
    CHECK(lc_resp_header(buf, sizeof buf, 1, argv, lens, 0, 0) == strlen("*1\r\n$12\r\nAI.TENSORSET\r\n"));
}

static void *thread_err(void *arg) {
    lc_fail(LOCUS_ERR_KEY, "thread %s", (const char *)arg);
    for (int i = 0; i < 1000; i++)
        if (strcmp(locus_last_error() + 7, arg) != 0 || locus_last_status() != LOCUS_ERR_KEY)
            return (void *)1;
    return NULL;
}

static void test_errors(void) {
    CHECK(strcmp(locus_version(), LOCUS_VERSION_STRING) == 0);
    CHECK(strcmp(locus_status_name(LOCUS_ERR_TYPE), "LOCUS_ERR_TYPE") == 0);
    CHECK(LOCUS_ERR_TIMEOUT == 6 && LOCUS_ERR_KEY == 7 && LOCUS_ERR_TYPE == 9);
    lc_fail(LOCUS_ERR_PARAMETER, "main");
    pthread_t a, b;
    void *ra, *rb;
    pthread_create(&a, NULL, thread_err, "A");
    pthread_create(&b, NULL, thread_err, "B");
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    CHECK(ra == NULL && rb == NULL);
    CHECK(strcmp(locus_last_error(), "main") == 0);
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    lc_fail(LOCUS_ERR_RUNTIME, "%s", big); /* truncated, never overflows */
    CHECK(strlen(locus_last_error()) < sizeof big);
    CHECK(locus_dtype_size(LOCUS_DTYPE_INT16) == 2 && locus_dtype_size(LOCUS_DTYPE_INVALID) == 0);
    locus_free(NULL);
    locus_client_destroy(NULL);
    locus_dataset_destroy(NULL);
    locus_free_datasets(NULL, 3);
}

static int collect_string(void *arg, const char *p, size_t len) {
    char *out = arg;
    if (strlen(out) + len + 2 > 64)
        return -1;
    strncat(out, p, len);
    strcat(out, "|");
    return 0;
}

/* The metadata codec: scalars and strings survive a round trip byte for byte (also empty strings and an
 * empty field); an empty, truncated or unknown encoding is refused with the reason; a failing callback
 * stops the decode. */
static void test_meta_codec(void) {
    int32_t vals[3] = {-1, 7, 1 << 30};
    size_t len;
    char *b = lc_meta_encode(LOCUS_META_INT32, 3, vals, NULL, NULL, &len);
    CHECK(b && len == 13 && b[0] == (char)LOCUS_META_INT32);
    lc_meta_decoded m;
    CHECK(lc_meta_decode(b, len, &m, NULL, NULL) == 0);
    CHECK(m.type == LOCUS_META_INT32 && m.count == 3 && memcmp(m.scalars, vals, sizeof vals) == 0);
    CHECK(lc_meta_decode(b, len - 1, &m, NULL, NULL) == -1 && strcmp(m.why, "has an unknown encoding") == 0);
    free(b);
    char *strs[3] = {"alpha", "", "b c"};
    size_t lens[3] = {5, 0, 3};
    b = lc_meta_encode(LOCUS_META_STRING, 3, NULL, strs, lens, &len);
    CHECK(b && len == 1 + 3 * sizeof(size_t) + 8);
    char got[64] = "";
    CHECK(lc_meta_decode(b, len, &m, collect_string, got) == 0);
    CHECK(m.type == LOCUS_META_STRING && m.count == 3 && strcmp(got, "alpha||b c|") == 0);
    got[0] = 0;
    CHECK(lc_meta_decode(b, len - 1, &m, collect_string, got) == -1 && strcmp(m.why, "is truncated") == 0);
    got[0] = 0;
    CHECK(lc_meta_decode(b, 1 + sizeof(size_t) + 5 + 3, &m, collect_string, got) == -1);
    CHECK(strcmp(m.why, "is truncated") == 0 && m.count == 1);
    memset(got, 'x', 60);
    got[60] = 0;
    CHECK(lc_meta_decode(b, len, &m, collect_string, got) == -1 && m.why == NULL); /* the callback refused */
    free(b);
    b = lc_meta_encode(LOCUS_META_DOUBLE, 0, NULL, NULL, NULL, &len);
    CHECK(b && len == 1 && lc_meta_decode(b, len, &m, NULL, NULL) == 0 && m.count == 0);
    free(b);
    CHECK(lc_meta_decode("", 0, &m, NULL, NULL) == -1 && strcmp(m.why, "is empty") == 0);
    CHECK(lc_meta_decode("\x63" "abcd", 5, &m, NULL, NULL) == -1 && strcmp(m.why, "has an unknown encoding") == 0);
}

/* SmartRedis's multi-GPU choice and names: first_gpu + offset mod num_gpus (never negative), "<name>.GPU:<n>". */
static void test_multigpu_layout(void) {
    CHECK(lc_multigpu_pick(0, 0, 1) == 0);
    CHECK(lc_multigpu_pick(5, 0, 4) == 1);
    CHECK(lc_multigpu_pick(5, 2, 4) == 3);
    CHECK(lc_multigpu_pick(-1, 0, 4) == 3);
    CHECK(lc_multigpu_pick(7, 1, 2) == 2);
    char buf[16];
    CHECK(lc_multigpu_name("resnet", 3, buf, sizeof buf) == 0 && strcmp(buf, "resnet.GPU:3") == 0);
    CHECK(lc_multigpu_name("a-much-longer-name", 3, buf, sizeof buf) == -1);
}

int main(void) {
    test_slots();
    test_slot_prefixes();
    test_addr();
    test_config();
    test_layouts();
    test_resp();
    test_errors();
    test_meta_codec();
    test_multigpu_layout();
    return lt_report("client_unit");
}
