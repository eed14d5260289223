/* liblocus models and scripts against real servers with the Torch backend: a standalone server (TCP and a
 * Unix socket) and a 3-shard Redis Cluster. Results are compared with what libtorch computed when the test
 * models were made (tests/models/gen_models.py). In the cluster: a copy of each model on every shard, runs on
 * tensors placed with locus_colocation_tag make no copies (DUMP/COPY counts unchanged on every node), runs on
 * tensors spread over shards give the same results and leave no temporary keys. */
#include "cluster.h"
#include "common.h"
#include "model_util.h"

#include <unistd.h>

static lt_server srv;
static lt_cluster cl;

/* Put a float tensor read from a generated .bin file with the given dims. */
static void put_bin(locus_client *c, const char *name, const char *file, size_t d0, size_t d1) {
    size_t n;
    char *buf = tm_read(file, &n);
    REQUIRE(n == d0 * d1 * 4);
    size_t dims[2] = {d0, d1};
    OK(locus_put_tensor(c, name, buf, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    free(buf);
}

/* Fetch a float tensor and compare it with a generated .bin file. */
static int same_as(locus_client *c, const char *name, const char *file) {
    size_t n;
    char *want = tm_read(file, &n);
    locus_tensor *t = NULL;
    locus_status st = locus_get_tensor(c, name, LOCUS_LAYOUT_CONTIGUOUS, &t);
    int ok = st == LOCUS_OK && t->type == LOCUS_DTYPE_FLOAT && t->nbytes == n &&
             tm_close(t->data, (const float *)want, n / 4, 1e-5f);
    if (st != LOCUS_OK)
        fprintf(stderr, "get %s: %s\n", name, locus_last_error());
    locus_free(t);
    free(want);
    return ok;
}

static char *model_path(const char *file) {
    static char path[1024];
    const char *dir = getenv("LOCUS_TEST_MODELS");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "test_models", file);
    return path;
}

/* ---- several GPUs (SmartRedis's *_multigpu calls), checked on the CPU ----
 * Storing on GPU:n fails here (a CPU-only backend), naming the device; so the per-GPU copies are stored by
 * hand on the CPU under the names the calls use ("<name>.GPU:<n>"), and the runs must pick the copy of GPU
 * first_gpu + offset mod num_gpus and compute what the single-device run computes. */
static void test_multigpu(locus_client *c) {
    CHECK(locus_set_model_from_file_multigpu(c, "mg", model_path("linear.pt"), NULL, 0, 2) != LOCUS_OK);
    CHECK(strstr(locus_last_error(), "GPU:0") != NULL);
    bool ex = true;
    OK(locus_model_exists(c, "mg", &ex));
    CHECK(!ex);
    CHECK(locus_run_model_multigpu(c, "mg", NULL, 0, NULL, 0, 0, -1, 2) == LOCUS_ERR_PARAMETER);
    CHECK(strstr(locus_last_error(), "first_gpu must be a non-negative integer"));
    CHECK(locus_run_model_multigpu(c, "mg", NULL, 0, NULL, 0, 0, 0, 0) == LOCUS_ERR_PARAMETER);
    CHECK(strstr(locus_last_error(), "num_gpus must be a positive integer"));

    /* GPUs 1 and 2 (first_gpu 1, num_gpus 2): copies mg.GPU:1, mg.GPU:2 and the general mg */
    OK(locus_set_model_from_file(c, "mg.GPU:2", model_path("linear.pt"), NULL));
    put_bin(c, "mgx", "linear_in.bin", 2, 4);
    const char *in[] = {"mgx"}, *out[] = {"mgy"};
    OK(locus_run_model_multigpu(c, "mg", in, 1, out, 1, 5, 1, 2)); /* 1 + 5 % 2 = GPU 2 */
    CHECK(same_as(c, "mgy", "linear_out.bin"));
    CHECK(locus_run_model_multigpu(c, "mg", in, 1, out, 1, 4, 1, 2) != LOCUS_OK); /* GPU 1: not stored */
    CHECK(strstr(locus_last_error(), "mg.GPU:1") != NULL);
    OK(locus_run_model_multigpu(c, "mg", in, 1, out, 1, -3, 1, 2)); /* negative offsets wrap: GPU 2 */
    OK(locus_set_model_from_file(c, "mg.GPU:1", model_path("linear.pt"), NULL));
    OK(locus_set_model_from_file(c, "mg", model_path("linear.pt"), NULL));
    OK(locus_delete_model_multigpu(c, "mg", 1, 2));
    const char *names[] = {"mg", "mg.GPU:1", "mg.GPU:2"};
    for (int i = 0; i < 3; i++) {
        OK(locus_model_exists(c, names[i], &ex));
        CHECK(!ex);
    }
    /* scripts the same way */
    size_t slen;
    char *src = tm_read("script.py", &slen);
    CHECK(locus_set_script_multigpu(c, "ms", src, 0, 1) != LOCUS_OK && strstr(locus_last_error(), "GPU:0"));
    OK(locus_set_script(c, "ms.GPU:3", "CPU", src));
    OK(locus_set_script(c, "ms", "CPU", src));
    put_bin(c, "msx", "script_in.bin", 2, 3);
    const char *sin[] = {"msx"}, *sout[] = {"msy"};
    OK(locus_run_script(c, "ms.GPU:3", "pre_process", sin, 1, sout, 1));
    locus_tensor *a = NULL, *b = NULL;
    OK(locus_get_tensor(c, "msy", LOCUS_LAYOUT_CONTIGUOUS, &a));
    const char *sout2[] = {"msy2"};
    OK(locus_run_script_multigpu(c, "ms", "pre_process", sin, 1, sout2, 1, 7, 3, 1)); /* only GPU 3 */
    OK(locus_get_tensor(c, "msy2", LOCUS_LAYOUT_CONTIGUOUS, &b));
    CHECK(a && b && a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) == 0);
    locus_free(a);
    locus_free(b);
    OK(locus_delete_script_multigpu(c, "ms", 3, 1));
    OK(locus_script_exists(c, "ms.GPU:3", &ex));
    CHECK(!ex);
    OK(locus_script_exists(c, "ms", &ex));
    CHECK(!ex);
    free(src);
}

/* ---- standalone ---- */

static void test_models_standalone(locus_client *c) {
    size_t len;
    char *lin = tm_read("linear.pt", &len);
    OK(locus_set_model_from_file(c, "lin", model_path("linear.pt"), NULL));
    bool ex = false;
    OK(locus_model_exists(c, "lin", &ex));
    CHECK(ex);
    void *blob = NULL;
    size_t blen = 0;
    OK(locus_get_model(c, "lin", &blob, &blen));
    CHECK(blob && blen == len && memcmp(blob, lin, len) == 0);
    locus_free(blob);

    put_bin(c, "x", "linear_in.bin", 2, 4);
    const char *in[] = {"x"}, *out[] = {"y"};
    OK(locus_run_model(c, "lin", in, 1, out, 1));
    CHECK(same_as(c, "y", "linear_out.bin"));

    /* get_ai_info: AI.INFO's fields, the run counted; RESETSTAT starts the counters again */
    char ssdb_now[300];
    snprintf(ssdb_now, sizeof ssdb_now, "%s", getenv("SSDB"));
    locus_info *info = NULL;
    OK(locus_get_ai_info(c, ssdb_now, "lin", false, &info));
    CHECK(info && strcmp(locus_info_get(info, NULL, "key"), "lin") == 0);
    CHECK(strcmp(locus_info_get(info, NULL, "type"), "MODEL") == 0);
    CHECK(strcmp(locus_info_get(info, NULL, "backend"), "TORCH") == 0);
    CHECK(atoll(locus_info_get(info, NULL, "calls")) >= 1);
    CHECK(atoll(locus_info_get(info, NULL, "samples")) >= 2);
    locus_info_destroy(info);
    OK(locus_get_ai_info(c, ssdb_now, "lin", true, &info));
    locus_info_destroy(info);
    OK(locus_get_ai_info(c, ssdb_now, "lin", false, &info));
    CHECK(info && strcmp(locus_info_get(info, NULL, "calls"), "0") == 0);
    locus_info_destroy(info);
    CHECK(locus_get_ai_info(c, ssdb_now, "nomodel", false, &info) == LOCUS_ERR_DATABASE);

    /* two inputs, two outputs, stored from memory with a tag */
    size_t tlen;
    char *two = tm_read("twoinout.pt", &tlen);
    locus_model_options o;
    locus_model_options_init(&o);
    o.tag = "v2";
    OK(locus_set_model(c, "two", two, tlen, &o));
    free(two);
    put_bin(c, "a", "twoinout_a.bin", 2, 3);
    put_bin(c, "b", "twoinout_b.bin", 2, 3);
    const char *in2[] = {"a", "b"}, *out2[] = {"sum", "prod"};
    OK(locus_run_model(c, "two", in2, 2, out2, 2));
    CHECK(same_as(c, "sum", "twoinout_out1.bin"));
    CHECK(same_as(c, "prod", "twoinout_out2.bin"));

    /* batching options reach the database */
    o.batch_size = 4, o.min_batch_size = 2, o.min_batch_timeout_ms = 50;
    OK(locus_set_model(c, "lin_batched", lin, len, &o));
    redisContext *raw = lt_connect(&srv);
    redisReply *r = lt_cmdf(raw, "AI.MODELGET lin_batched META");
    int found = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *k = r->element[i]->str;
        long long v = r->element[i + 1]->integer;
        if (strcmp(k, "batchsize") == 0)
            found += v == 4;
        else if (strcmp(k, "minbatchsize") == 0)
            found += v == 2;
        else if (strcmp(k, "minbatchtimeout") == 0)
            found += v == 50;
        else if (strcmp(k, "tag") == 0)
            found += strcmp(r->element[i + 1]->str, "v2") == 0;
    }
    CHECK(found == 4);
    freeReplyObject(r);
    const char *inb[] = {"x"}, *outb[] = {"yb"};
    OK(locus_run_model(c, "lin_batched", inb, 1, outb, 1));
    CHECK(same_as(c, "yb", "linear_out.bin"));

    /* models larger than the database's chunk size go in chunks and come back whole */
    freeReplyObject(lt_cmdf(raw, "AI.CONFIG MODEL_CHUNK_SIZE 1024"));
    locus_client *c2 = client(); /* asks the chunk size afresh */
    OK(locus_set_model(c2, "lin_chunked", lin, len, NULL));
    OK(locus_get_model(c2, "lin_chunked", &blob, &blen));
    CHECK(blob && blen == len && memcmp(blob, lin, len) == 0);
    locus_free(blob);
    r = lt_cmdf(raw, "AI.MODELGET lin_chunked BLOB");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == (len + 1023) / 1024);
    freeReplyObject(r);
    const char *outc[] = {"yc"};
    OK(locus_run_model(c2, "lin_chunked", in, 1, outc, 1));
    CHECK(same_as(c2, "yc", "linear_out.bin"));
    locus_client_destroy(c2);
    freeReplyObject(lt_cmdf(raw, "AI.CONFIG MODEL_CHUNK_SIZE %lld", 511LL * 1024 * 1024));

    /* errors: named, nothing stored, nothing lost */
    CHECK(locus_set_model(c, "bad", "not a model", 11, NULL) == LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "bad") != NULL);
    OK(locus_model_exists(c, "bad", &ex));
    CHECK(!ex);
    locus_model_options_init(&o);
    o.backend = "TF";
    CHECK(locus_set_model(c, "tf", lin, len, &o) == LOCUS_ERR_DATABASE);
    printf("unknown backend: %s\n", locus_last_error());
    locus_model_options_init(&o);
    o.min_batch_size = 2;
    CHECK(locus_set_model(c, "mb", lin, len, &o) == LOCUS_ERR_PARAMETER);
    CHECK(locus_set_model_from_file(c, "nofile", "/nonexistent/model.pt", NULL) == LOCUS_ERR_PARAMETER);
    CHECK(strstr(locus_last_error(), "/nonexistent/model.pt") != NULL);
    CHECK(locus_run_model(c, "missing", in, 1, out, 1) == LOCUS_ERR_KEY);
    const char *nin[] = {"no-such-tensor"};
    locus_status st = locus_run_model(c, "lin", nin, 1, out, 1);
    CHECK(st == LOCUS_ERR_KEY || st == LOCUS_ERR_DATABASE);
    CHECK(locus_run_model(c, "two", in, 1, out, 1) == LOCUS_ERR_DATABASE); /* wrong input count */
    CHECK(same_as(c, "y", "linear_out.bin"));                           /* earlier output intact */

    OK(locus_delete_model(c, "lin_batched"));
    OK(locus_model_exists(c, "lin_batched", &ex));
    CHECK(!ex);
    CHECK(locus_delete_model(c, "lin_batched") == LOCUS_ERR_KEY);
    CHECK(locus_get_model(c, "lin_batched", &blob, &blen) == LOCUS_ERR_KEY);

    /* poll: a stored model is found at once, a missing one after the tries run out */
    OK(locus_poll_model(c, "lin", 10, 3, &ex));
    CHECK(ex);
    OK(locus_poll_model(c, "never", 10, 3, &ex));
    CHECK(!ex);

    /* model names with the SSKEYOUT prefix when asked */
    setenv("SSKEYOUT", "ens1", 1);
    setenv("SSKEYIN", "ens1", 1);
    locus_client *p = client();
    OK(locus_use_prefix(p, LOCUS_KIND_MODEL, true));
    OK(locus_set_model(p, "plin", lin, len, NULL));
    r = lt_cmdf(raw, "EXISTS ens1.plin");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    put_bin(p, "px", "linear_in.bin", 2, 4);
    const char *pin[] = {"px"}, *pout[] = {"py"};
    OK(locus_run_model(p, "plin", pin, 1, pout, 1));
    CHECK(same_as(p, "py", "linear_out.bin"));
    r = lt_cmdf(raw, "EXISTS ens1.py");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    locus_client_destroy(p);
    unsetenv("SSKEYOUT");
    unsetenv("SSKEYIN");
    redisFree(raw);
    free(lin);
}

static void test_scripts(locus_client *c, const char *x_name) {
    size_t slen;
    char *src = tm_read("script.py", &slen);
    OK(locus_set_script_from_file(c, "s", NULL, model_path("script.py")));
    char *back = NULL;
    OK(locus_get_script(c, "s", &back));
    CHECK(back && strlen(back) == slen && memcmp(back, src, slen) == 0);
    locus_free(back);
    bool ex = false;
    OK(locus_script_exists(c, "s", &ex));
    CHECK(ex);

    put_bin(c, x_name, "script_in.bin", 2, 3);
    const char *in[] = {x_name}, *out[] = {"sm_idx", "sm_soft"};
    OK(locus_run_script(c, "s", "post_process", in, 1, out, 2));
    int64_t idx[2] = {-1, -1};
    size_t d[1] = {2};
    OK(locus_unpack_tensor(c, "sm_idx", idx, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS));
    size_t n;
    char *want = tm_read("script_post_idx.bin", &n);
    CHECK(n == sizeof idx && memcmp(idx, want, n) == 0);
    free(want);
    CHECK(same_as(c, "sm_soft", "script_post_sm.bin"));

    /* three inputs summed by sum_all, compared with the sum done here */
    float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40}, e[4] = {100, 200, 300, 400}, s[4];
    size_t dd[1] = {4};
    OK(locus_put_tensor(c, "ta", a, dd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_put_tensor(c, "tb", b, dd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_put_tensor(c, "tc", e, dd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    const char *in3[] = {"ta", "tb", "tc"}, *out3[] = {"tsum"};
    OK(locus_run_script(c, "s", "sum_all", in3, 3, out3, 1));
    OK(locus_unpack_tensor(c, "tsum", s, dd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    for (int i = 0; i < 4; i++)
        CHECK(s[i] == a[i] + b[i] + e[i]);

    /* errors */
    CHECK(locus_set_script(c, "broken", NULL, "def f(:\n  return") == LOCUS_ERR_DATABASE);
    OK(locus_script_exists(c, "broken", &ex));
    CHECK(!ex);
    CHECK(locus_run_script(c, "s", "no_such_function", in, 1, out, 2) == LOCUS_ERR_DATABASE);
    CHECK(locus_run_script(c, "none", "post_process", in, 1, out, 2) == LOCUS_ERR_KEY);
    CHECK(locus_run_script(c, "s", "", in, 1, out, 2) == LOCUS_ERR_PARAMETER);

    OK(locus_delete_script(c, "s"));
    OK(locus_script_exists(c, "s", &ex));
    CHECK(!ex);
    CHECK(locus_delete_script(c, "s") == LOCUS_ERR_KEY);
    free(src);
}

/* ---- cluster ---- */

/* Keys matching pattern summed over every node, and per node into per[] (may be NULL). */
static long long count_keys(const char *pattern, long long *per) {
    long long total = 0;
    for (int i = 0; i < cl.n; i++) {
        redisContext *raw = lt_connect(&cl.node[i]);
        redisReply *r = lt_cmdf(raw, "KEYS %s", pattern);
        long long k = r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
        freeReplyObject(r);
        redisFree(raw);
        if (per)
            per[i] = k;
        total += k;
    }
    return total;
}

/* Calls of a command (INFO commandstats) summed over every node. */
static long long calls(const char *cmd) {
    long long total = 0;
    char field[64];
    snprintf(field, sizeof field, "cmdstat_%s:calls=", cmd);
    for (int i = 0; i < cl.n; i++) {
        redisContext *raw = lt_connect(&cl.node[i]);
        redisReply *r = lt_cmdf(raw, "INFO commandstats");
        const char *p = r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ? strstr(r->str, field)
                                                                                         : NULL;
        if (p)
            total += atoll(p + strlen(field));
        freeReplyObject(r);
        redisFree(raw);
    }
    return total;
}

static int owner_of(const char *key) {
    redisContext *raw = lt_connect(&cl.node[0]);
    redisReply *r = lt_cmdf(raw, "CLUSTER KEYSLOT %s", key);
    int owner = lt_cluster_slot_owner(&cl, (int)r->integer);
    freeReplyObject(r);
    redisFree(raw);
    return owner;
}

/* ---- SmartRedis's cluster layout, computed here as SmartRedis computes it ---- */

static unsigned crc16_xmodem(const unsigned char *p, size_t n) {
    unsigned crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (unsigned)p[i] << 8;
        for (int b = 0; b < 8; b++)
            crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

/* The 2 bytes whose CRC16 is `slot` (SmartRedis's prefix for a range starting there, when it holds no
 * brace); 0 when it holds one (the test's ranges must not need SmartRedis's 3-byte form). */
static int smartredis_prefix(int slot, unsigned char out[2]) {
    for (unsigned v = 0; v < 65536; v++) {
        out[0] = (unsigned char)(v >> 8), out[1] = (unsigned char)v;
        if (crc16_xmodem(out, 2) == (unsigned)slot)
            return out[0] != '{' && out[0] != '}' && out[1] != '{' && out[1] != '}';
    }
    return 0;
}

/* The first slot of each range of CLUSTER SLOTS and the node serving it. */
static int cluster_ranges(int *first, int *node, int max) {
    redisContext *raw = lt_connect(&cl.node[0]);
    redisReply *r = lt_cmdf(raw, "CLUSTER SLOTS");
    int n = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && n < max; i++, n++) {
        first[n] = (int)r->element[i]->element[0]->integer;
        node[n] = lt_cluster_slot_owner(&cl, first[n]);
    }
    freeReplyObject(r);
    redisFree(raw);
    return n;
}

/* "{P}.name" for the range starting at slot; returns its length. */
static size_t sr_key(int slot, const char *name, char *buf) {
    unsigned char p[2];
    REQUIRE(smartredis_prefix(slot, p));
    buf[0] = '{', buf[1] = (char)p[0], buf[2] = (char)p[1], buf[3] = '}', buf[4] = '.';
    strcpy(buf + 5, name);
    return 5 + strlen(name);
}

/* A model stored by liblocus sits at SmartRedis's keys, one per range; one stored at SmartRedis's keys (raw
 * commands on each node, as SmartRedis sends them) is found, run and deleted by liblocus. */
static void test_smartredis_layout(locus_client *c, const char *blob, size_t len) {
    int first[16], node[16];
    int n = cluster_ranges(first, node, 16);
    CHECK(n == cl.n);
    OK(locus_set_model(c, "srlin", blob, len, NULL));
    for (int i = 0; i < n; i++) {
        char key[64];
        size_t kl = sr_key(first[i], "srlin", key);
        redisContext *raw = lt_connect(&cl.node[node[i]]);
        redisReply *r = lt_cmdf(raw, "AI.MODELGET %b BLOB", key, kl);
        CHECK(r->type == REDIS_REPLY_STRING && r->len == len && memcmp(r->str, blob, len) == 0);
        freeReplyObject(r);
        redisFree(raw);
    }
    OK(locus_delete_model(c, "srlin"));

    for (int i = 0; i < n; i++) {
        char key[64];
        size_t kl = sr_key(first[i], "fromsr", key);
        redisContext *raw = lt_connect(&cl.node[node[i]]);
        redisReply *r = lt_cmdf(raw, "AI.MODELSTORE %b TORCH CPU BLOB %b", key, kl, blob, len);
        CHECK(r->type == REDIS_REPLY_STATUS);
        freeReplyObject(r);
        redisFree(raw);
    }
    bool ex = false;
    OK(locus_model_exists(c, "fromsr", &ex));
    CHECK(ex);
    void *got = NULL;
    size_t glen = 0;
    OK(locus_get_model(c, "fromsr", &got, &glen));
    CHECK(got && glen == len && memcmp(got, blob, len) == 0);
    locus_free(got);
    for (int k = 0; k < 3; k++) { /* inputs on each shard in turn: each shard's copy runs */
        char xin[16], yout[16];
        snprintf(xin, sizeof xin, "srx%d", k);
        snprintf(yout, sizeof yout, "sry%d", k);
        put_bin(c, xin, "linear_in.bin", 2, 4);
        const char *in[] = {xin}, *out[] = {yout};
        OK(locus_run_model(c, "fromsr", in, 1, out, 1));
        CHECK(same_as(c, yout, "linear_out.bin"));
    }
    /* get_ai_info on each node: that node's copy ({P}.fromsr), which counted the run made there */
    long long total = 0;
    for (int i = 0; i < n; i++) {
        char addr[64];
        snprintf(addr, sizeof addr, "127.0.0.1:%d", cl.node[node[i]].port);
        locus_info *info = NULL;
        OK(locus_get_ai_info(c, addr, "fromsr", false, &info));
        const char *k = locus_info_get(info, NULL, "key"), *calls = locus_info_get(info, NULL, "calls");
        char want[64];
        size_t kl = sr_key(first[i], "fromsr", want);
        CHECK(k && memcmp(k, want, kl) == 0);
        total += calls ? atoll(calls) : -100;
        locus_info_destroy(info);
    }
    CHECK(total == 3);
    locus_info *none = NULL;
    CHECK(locus_get_ai_info(c, "127.0.0.1:1", "fromsr", false, &none) == LOCUS_ERR_PARAMETER);
    OK(locus_delete_model(c, "fromsr"));
    CHECK(count_keys("*fromsr", NULL) == 0);
}

static void test_models_cluster(locus_client *c) {
    size_t len;
    char *lin = tm_read("linear.pt", &len);
    OK(locus_set_model(c, "clin", lin, len, NULL));
    long long per[LT_CLUSTER_MAX];
    CHECK(count_keys("*clin", per) == cl.n);
    for (int i = 0; i < cl.n; i++)
        CHECK(per[i] == 1); /* one copy on every shard */
    void *blob = NULL;
    size_t blen = 0;
    OK(locus_get_model(c, "clin", &blob, &blen));
    CHECK(blob && blen == len && memcmp(blob, lin, len) == 0);
    locus_free(blob);

    /* tensors named with the colocation tag of each shard: no copies */
    for (int s = 0; s < cl.n; s++) {
        char near[32], tag[16], xin[64], yout[64];
        /* a name on shard s */
        for (int k = 0;; k++) {
            snprintf(near, sizeof near, "near%d", k);
            if (owner_of(near) == s)
                break;
        }
        OK(locus_colocation_tag(c, near, tag, sizeof tag));
        CHECK(tag[0] == '{');
        snprintf(xin, sizeof xin, "%s.x", tag);
        snprintf(yout, sizeof yout, "%s.y", tag);
        CHECK(owner_of(xin) == s);
        put_bin(c, xin, "linear_in.bin", 2, 4);
        long long dumps = calls("dump"), copies = calls("copy"), restores = calls("restore");
        const char *in[] = {xin}, *out[] = {yout};
        OK(locus_run_model(c, "clin", in, 1, out, 1));
        CHECK(calls("dump") == dumps && calls("copy") == copies && calls("restore") == restores);
        CHECK(same_as(c, yout, "linear_out.bin"));
    }

    /* inputs and outputs spread over shards: same results, temporaries gone */
    size_t tlen;
    char *two = tm_read("twoinout.pt", &tlen);
    OK(locus_set_model(c, "ctwo", two, tlen, NULL));
    free(two);
    char an[16] = "", bn[16] = "";
    for (int k = 0; !an[0] || !bn[0]; k++) {
        char name[16];
        snprintf(name, sizeof name, "ab%d", k);
        if (!an[0] && owner_of(name) == 0)
            snprintf(an, sizeof an, "%s", name);
        else if (!bn[0] && owner_of(name) == 1)
            snprintf(bn, sizeof bn, "%s", name);
    }
    put_bin(c, an, "twoinout_a.bin", 2, 3);
    put_bin(c, bn, "twoinout_b.bin", 2, 3);
    long long moves = calls("dump") + calls("copy");
    const char *in2[] = {an, bn}, *out2[] = {"sum_far", "prod_far"};
    OK(locus_run_model(c, "ctwo", in2, 2, out2, 2));
    CHECK(calls("dump") + calls("copy") > moves); /* this one did need copies */
    CHECK(same_as(c, "sum_far", "twoinout_out1.bin"));
    CHECK(same_as(c, "prod_far", "twoinout_out2.bin"));
    CHECK(count_keys("*locus.tmp*", NULL) == 0);
    CHECK(same_as(c, an, "twoinout_a.bin")); /* inputs untouched */

    /* a failing run leaves no temporaries either */
    const char *bad_in[] = {an}, *bad_out[] = {"o1"};
    CHECK(locus_run_model(c, "ctwo", bad_in, 1, bad_out, 1) == LOCUS_ERR_DATABASE);
    CHECK(count_keys("*locus.tmp*", NULL) == 0);

    OK(locus_delete_model(c, "clin"));
    CHECK(count_keys("*clin", NULL) == 0);
    bool ex = true;
    OK(locus_model_exists(c, "clin", &ex));
    CHECK(!ex);
    OK(locus_delete_model(c, "ctwo"));
    test_smartredis_layout(c, lin, len);
    free(lin);
}

int main(void) {
    unsetenv("SSKEYIN");
    unsetenv("SSKEYOUT");
    unsetenv("SR_DB_TYPE");
    setenv("SR_CMD_INTERVAL", "50", 1);
    setenv("SR_CMD_TIMEOUT", "20", 1);

    char unix_ssdb[320], ssdb[64];
    REQUIRE(start_server_with_socket(&srv, NULL) == 0);
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", srv.port);
    snprintf(unix_ssdb, sizeof unix_ssdb, "unix://%s", srv.sock);

    setenv("SSDB", ssdb, 1);
    locus_client *c = client();
    test_models_standalone(c);
    test_scripts(c, "sx");
    test_multigpu(c);
    locus_client_destroy(c);

    setenv("SSDB", unix_ssdb, 1); /* the same over the Unix socket */
    c = client();
    const char *in[] = {"x"}, *out[] = {"y_unix"};
    OK(locus_run_model(c, "lin", in, 1, out, 1));
    CHECK(same_as(c, "y_unix", "linear_out.bin"));
    test_scripts(c, "sx_unix");
    locus_client_destroy(c);
    CHECK(lt_server_stop(&srv, false) == 0);

    REQUIRE(lt_cluster_start(&cl, 3) == 0);
    setenv("SSDB", cl.ssdb, 1);
    c = client();
    CHECK(locus_client_is_cluster(c));
    test_models_cluster(c);
    test_scripts(c, "spread_x"); /* scripts: a copy per shard, inputs wherever they land */
    CHECK(count_keys("*locus.tmp*", NULL) == 0);
    locus_client_destroy(c);
    lt_cluster_stop(&cl);
    return lt_report("client_models");
}
