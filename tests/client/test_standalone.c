/* liblocus against a real standalone server (module loaded), over TCP and a Unix socket: every tensor call,
 * type and layout; prefixes; datasets (including their stored encoding); lists; AUTH; a wrong address; the
 * last error per thread; a dropped connection and a server restart under a running client. */
#include "common.h"

#include <pthread.h>
#include <unistd.h>

static lt_server srv;
static char ssdb[64], sock_path[300], unix_ssdb[320];

static void test_types_and_layouts(locus_client *c) {
    size_t dims[3] = {3, 4, 5};
    size_t n = 60;
    for (size_t k = 0; k < N_TYPES; k++) {
        locus_dtype t = all_types[k];
        size_t es = locus_dtype_size(t);
        char *src = malloc(n * es), *out = malloc(n * es), *fsrc = malloc(n * es);
        fill_pattern(src, t, n, (int)k);
        char name[32];
        snprintf(name, sizeof name, "t%zu", k);
        OK(locus_put_tensor(c, name, src, dims, 3, t, LOCUS_LAYOUT_CONTIGUOUS));
        /* unpack, C order */
        memset(out, 0x5a, n * es);
        OK(locus_unpack_tensor(c, name, out, dims, 3, t, LOCUS_LAYOUT_CONTIGUOUS));
        CHECK(memcmp(out, src, n * es) == 0);
        /* get, C order */
        locus_tensor *g = NULL;
        OK(locus_get_tensor(c, name, LOCUS_LAYOUT_CONTIGUOUS, &g));
        CHECK(g && g->type == t && g->ndims == 3 && g->dims[0] == 3 && g->dims[2] == 5 && g->nbytes == n * es);
        CHECK(g && memcmp(g->data, src, n * es) == 0);
        locus_free(g);
        /* Fortran order: element [i][j][k] of the tensor sits at i + 3j + 12k */
        OK(locus_unpack_tensor(c, name, out, dims, 3, t, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
        int ok = 1;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 4; j++)
                for (size_t l = 0; l < 5; l++)
                    ok &= memcmp(out + (i + 3 * j + 12 * l) * es, src + ((i * 4 + j) * 5 + l) * es, es) == 0;
        CHECK(ok);
        OK(locus_get_tensor(c, name, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS, &g));
        CHECK(g && memcmp(g->data, out, n * es) == 0);
        locus_free(g);
        /* put Fortran order, read back C order: the same tensor */
        memcpy(fsrc, out, n * es);
        OK(locus_put_tensor(c, "tf", fsrc, dims, 3, t, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
        OK(locus_unpack_tensor(c, "tf", out, dims, 3, t, LOCUS_LAYOUT_CONTIGUOUS));
        CHECK(memcmp(out, src, n * es) == 0);
        /* nested pointers both ways */
        OK(locus_get_tensor(c, name, LOCUS_LAYOUT_NESTED, &g));
        if (g) {
            char ***v = g->data;
            CHECK(memcmp(&v[2][3][0], src + (2 * 20 + 3 * 5) * es, 5 * es) == 0);
            OK(locus_put_tensor(c, "tn", g->data, dims, 3, t, LOCUS_LAYOUT_NESTED));
            memset(g->dims + 0, 0, 0);
            char *flat = (char *)v[0][0];
            memset(flat, 0, n * es);
            OK(locus_unpack_tensor(c, "tn", g->data, dims, 3, t, LOCUS_LAYOUT_NESTED));
            CHECK(memcmp(flat, src, n * es) == 0);
            locus_free(g);
        }
        free(src), free(out), free(fsrc);
    }
    /* 1-d and 2-d nested, and a big tensor through writev and the streaming reader */
    double row[5] = {1, 2, 3, 4, 5}, r2[5];
    size_t d1[1] = {5};
    OK(locus_put_tensor(c, "row", row, d1, 1, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_NESTED));
    OK(locus_unpack_tensor(c, "row", r2, d1, 1, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_NESTED));
    CHECK(memcmp(row, r2, sizeof row) == 0);
    size_t big = 1 << 20; /* 8 MiB of doubles */
    double *b = malloc(big * 8), *b2 = malloc(big * 8);
    for (size_t i = 0; i < big; i++)
        b[i] = (double)i * 1.5;
    size_t bd[2] = {1024, 1024};
    OK(locus_put_tensor(c, "big", b, bd, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_unpack_tensor(c, "big", b2, bd, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(memcmp(b, b2, big * 8) == 0);
    OK(locus_unpack_tensor(c, "big", b2, bd, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
    CHECK(b2[1] == b[1024] && b2[1024] == b[1]);
    free(b), free(b2);
}

static void test_tensor_ops(locus_client *c) {
    float v[6] = {1, 2, 3, 4, 5, 6}, w[6];
    size_t d[2] = {2, 3}, wrong[2] = {3, 2};
    OK(locus_put_tensor(c, "a", v, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    /* type and dims are checked, the buffer left alone */
    memset(w, 0, sizeof w);
    CHECK(locus_unpack_tensor(c, "a", w, wrong, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_TYPE);
    CHECK(strstr(locus_last_error(), "dims") != NULL && w[0] == 0);
    CHECK(locus_unpack_tensor(c, "a", w, d, 2, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_TYPE);
    CHECK(locus_unpack_tensor(c, "nope", w, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_KEY);
    CHECK(strstr(locus_last_error(), "nope") != NULL);
    locus_tensor *g = (locus_tensor *)1;
    CHECK(locus_get_tensor(c, "nope", LOCUS_LAYOUT_CONTIGUOUS, &g) == LOCUS_ERR_KEY && g == NULL);
    /* the connection is still in step after errors and mismatches */
    OK(locus_unpack_tensor(c, "a", w, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(memcmp(v, w, sizeof v) == 0);
    CHECK(locus_put_tensor(c, "x", v, d, 2, (locus_dtype)42, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_PARAMETER);
    CHECK(locus_put_tensor(c, "x", v, d, 0, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_PARAMETER);
    CHECK(locus_put_tensor(c, "x", v, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_FORTRAN_NESTED) == LOCUS_ERR_PARAMETER);
    CHECK(locus_put_tensor(NULL, "x", v, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_PARAMETER);
    bool ex = false;
    OK(locus_tensor_exists(c, "a", &ex));
    CHECK(ex);
    OK(locus_tensor_exists(c, "nope", &ex));
    CHECK(!ex);
    double t0 = lt_now();
    OK(locus_poll_tensor(c, "nope", 20, 3, &ex));
    CHECK(!ex && lt_now() - t0 >= 0.035);
    OK(locus_poll_tensor(c, "a", 20, 3, &ex));
    CHECK(ex);
    OK(locus_copy_tensor(c, "a", "b"));
    OK(locus_unpack_tensor(c, "b", w, d, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(memcmp(v, w, sizeof v) == 0);
    OK(locus_copy_tensor(c, "a", "b")); /* overwrites */
    OK(locus_rename_tensor(c, "b", "c"));
    OK(locus_tensor_exists(c, "b", &ex));
    CHECK(!ex);
    OK(locus_key_exists(c, "c", &ex));
    CHECK(ex);
    OK(locus_poll_key(c, "c", 10, 1, &ex));
    CHECK(ex);
    OK(locus_delete_tensor(c, "c"));
    CHECK(locus_delete_tensor(c, "c") == LOCUS_ERR_KEY);
    CHECK(locus_copy_tensor(c, "nope", "z") == LOCUS_ERR_KEY);
    CHECK(locus_rename_tensor(c, "nope", "z") != LOCUS_OK);
}

static void test_prefixes(void) {
    setenv("SSKEYOUT", "ens1", 1);
    setenv("SSKEYIN", "ens0,ens1", 1);
    locus_client *c = client();
    int32_t v[2] = {7, 8}, w[2];
    size_t d[1] = {2};
    OK(locus_put_tensor(c, "p", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    redisContext *raw = lt_connect(&srv);
    redisReply *r = lt_cmdf(raw, "EXISTS ens1.p");
    CHECK(r->integer == 1);
    freeReplyObject(r);
    bool ex = true;
    OK(locus_tensor_exists(c, "p", &ex)); /* reads from ens0 first */
    CHECK(!ex);
    CHECK(locus_set_data_source(c, "ens9") == LOCUS_ERR_PARAMETER);
    OK(locus_set_data_source(c, "ens1"));
    OK(locus_unpack_tensor(c, "p", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(w[1] == 8);
    OK(locus_use_prefix(c, LOCUS_KIND_TENSOR, false));
    OK(locus_put_tensor(c, "plain", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    r = lt_cmdf(raw, "EXISTS plain");
    CHECK(r->integer == 1);
    freeReplyObject(r);
    /* datasets and lists carry the prefix too: ens1.{ds}.meta and ens1.lst */
    locus_dataset *ds;
    OK(locus_dataset_create("ds", &ds));
    OK(locus_dataset_add_tensor(ds, "x", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_put_dataset(c, ds));
    OK(locus_append_to_list(c, "lst", ds));
    r = lt_cmdf(raw, "EXISTS ens1.{ds}.meta ens1.{ds}.x ens1.lst");
    CHECK(r->integer == 3);
    freeReplyObject(r);
    r = lt_cmdf(raw, "LRANGE ens1.lst 0 -1");
    CHECK(r->elements == 1 && strcmp(r->element[0]->str, "ens1.{ds}") == 0);
    freeReplyObject(r);
    locus_dataset **all;
    size_t n;
    OK(locus_get_datasets_from_list(c, "lst", &all, &n));
    CHECK(n == 1 && strcmp(locus_dataset_name(all[0]), "ds") == 0);
    locus_free_datasets(all, n);
    locus_dataset_destroy(ds);
    redisFree(raw);
    locus_client_destroy(c);
    unsetenv("SSKEYOUT");
    unsetenv("SSKEYIN");
}

static void test_datasets(locus_client *c) {
    locus_dataset *d;
    OK(locus_dataset_create("sim", &d));
    double temp[2][3] = {{1, 2, 3}, {4, 5, 6}};
    int16_t ids[4] = {1, -2, 3, -4};
    size_t dt[2] = {2, 3}, di[1] = {4};
    OK(locus_dataset_add_tensor(d, "temp", temp, dt, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_dataset_add_tensor(d, "ids", ids, di, 1, LOCUS_DTYPE_INT16, LOCUS_LAYOUT_CONTIGUOUS));
    double tstep = 0.125;
    int64_t it = -99;
    uint32_t u = 7, u2 = 8;
    OK(locus_dataset_add_meta_scalar(d, "time", &tstep, LOCUS_META_DOUBLE));
    OK(locus_dataset_add_meta_scalar(d, "iter", &it, LOCUS_META_INT64));
    OK(locus_dataset_add_meta_scalar(d, "u", &u, LOCUS_META_UINT32));
    OK(locus_dataset_add_meta_scalar(d, "u", &u2, LOCUS_META_UINT32));
    CHECK(locus_dataset_add_meta_scalar(d, "u", &it, LOCUS_META_INT64) == LOCUS_ERR_TYPE);
    OK(locus_dataset_add_meta_string(d, "who", "alpha"));
    OK(locus_dataset_add_meta_string(d, "who", "beta"));
    CHECK(locus_dataset_add_meta_string(d, ".COMPLETE", "x") == LOCUS_ERR_PARAMETER);
    OK(locus_put_dataset(c, d));
    /* stored with SmartRedis's layout and encoding */
    redisContext *raw = lt_connect(&srv);
    redisReply *r = lt_cmdf(raw, "HGET {sim}.meta time");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 9 && r->str[0] == LOCUS_META_DOUBLE &&
          memcmp(r->str + 1, &tstep, 8) == 0);
    freeReplyObject(r);
    r = lt_cmdf(raw, "HGET {sim}.meta who");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 1 + 8 + 5 + 8 + 4 && r->str[0] == LOCUS_META_STRING &&
          memcmp(r->str + 9, "alpha", 5) == 0);
    freeReplyObject(r);
    r = lt_cmdf(raw, "HGET {sim}.meta .tensor_names");
    CHECK(r->type == REDIS_REPLY_STRING && r->len == 1 + 8 + 4 + 8 + 3 && memcmp(r->str + 9, "temp", 4) == 0);
    freeReplyObject(r);
    r = lt_cmdf(raw, "HGET {sim}.meta .COMPLETE");
    CHECK(r->type == REDIS_REPLY_STRING && strcmp(r->str, "1") == 0);
    freeReplyObject(r);
    r = lt_cmdf(raw, "AI.TENSORGET {sim}.temp META");
    CHECK(r->type == REDIS_REPLY_ARRAY && strcmp(r->element[1]->str, "DOUBLE") == 0);
    freeReplyObject(r);
    bool ex;
    OK(locus_dataset_exists(c, "sim", &ex));
    CHECK(ex);
    OK(locus_poll_dataset(c, "sim", 10, 2, &ex));
    CHECK(ex);
    OK(locus_dataset_exists(c, "other", &ex));
    CHECK(!ex);
    /* a dataset without the acknowledgement does not exist yet */
    freeReplyObject(lt_cmdf(raw, "HSET {half}.meta x y"));
    OK(locus_dataset_exists(c, "half", &ex));
    CHECK(!ex);
    locus_dataset *g = NULL;
    CHECK(locus_get_dataset(c, "half", &g) == LOCUS_ERR_KEY && g == NULL);
    OK(locus_get_dataset(c, "sim", &g));
    REQUIRE(g != NULL);
    CHECK(locus_dataset_tensor_count(g) == 2);
    const void *data;
    const size_t *gd;
    size_t nd;
    locus_dtype ty;
    OK(locus_dataset_get_tensor(g, "temp", &data, &gd, &nd, &ty));
    CHECK(nd == 2 && gd[1] == 3 && ty == LOCUS_DTYPE_DOUBLE && memcmp(data, temp, sizeof temp) == 0);
    double tf[6];
    OK(locus_dataset_unpack_tensor(g, "temp", tf, dt, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
    CHECK(tf[1] == 4 && tf[2] == 2);
    int16_t ids2[4];
    OK(locus_dataset_unpack_tensor(g, "ids", ids2, di, 1, LOCUS_DTYPE_INT16, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(memcmp(ids, ids2, sizeof ids) == 0);
    CHECK(locus_dataset_unpack_tensor(g, "ids", ids2, di, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) ==
          LOCUS_ERR_TYPE);
    const void *vals;
    size_t cnt;
    locus_metatype mt;
    OK(locus_dataset_get_meta_scalars(g, "u", &vals, &cnt, &mt));
    CHECK(cnt == 2 && mt == LOCUS_META_UINT32 && ((const uint32_t *)vals)[1] == 8);
    OK(locus_dataset_get_meta_scalars(g, "iter", &vals, &cnt, &mt));
    CHECK(cnt == 1 && *(const int64_t *)vals == -99);
    const char *s;
    size_t sl;
    OK(locus_dataset_get_meta_string(g, "who", 1, &s, &sl, &cnt));
    CHECK(cnt == 2 && sl == 4 && strcmp(s, "beta") == 0);
    CHECK(locus_dataset_meta_type(g, ".tensor_names") == LOCUS_META_INVALID);
    CHECK(locus_dataset_get_meta_scalars(g, "who", &vals, &cnt, &mt) == LOCUS_ERR_TYPE);
    CHECK(locus_dataset_get_tensor(g, "none", NULL, NULL, NULL, NULL) == LOCUS_ERR_KEY);
    locus_dataset_destroy(g);
    OK(locus_copy_dataset(c, "sim", "sim2"));
    OK(locus_rename_dataset(c, "sim2", "sim3"));
    OK(locus_dataset_exists(c, "sim2", &ex));
    CHECK(!ex);
    r = lt_cmdf(raw, "EXISTS {sim2}.meta {sim2}.temp {sim2}.ids");
    CHECK(r->integer == 0);
    freeReplyObject(r);
    OK(locus_get_dataset(c, "sim3", &g));
    OK(locus_dataset_get_meta_string(g, "who", 0, &s, &sl, &cnt));
    CHECK(strcmp(s, "alpha") == 0);
    locus_dataset_destroy(g);
    OK(locus_delete_dataset(c, "sim3"));
    r = lt_cmdf(raw, "EXISTS {sim3}.meta {sim3}.temp {sim3}.ids");
    CHECK(r->integer == 0);
    freeReplyObject(r);
    CHECK(locus_delete_dataset(c, "sim3") == LOCUS_ERR_KEY);
    locus_dataset *empty;
    OK(locus_dataset_create("empty", &empty));
    CHECK(locus_put_dataset(c, empty) == LOCUS_ERR_PARAMETER);
    locus_dataset_destroy(empty);
    locus_dataset_destroy(d);
    redisFree(raw);
}

static void test_lists(locus_client *c) {
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "item%d", i);
        locus_dataset *d;
        OK(locus_dataset_create(name, &d));
        int32_t v[3] = {i, i + 1, i + 2};
        size_t dims[1] = {3};
        OK(locus_dataset_add_tensor(d, "v", v, dims, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
        int32_t idx = i;
        OK(locus_dataset_add_meta_scalar(d, "i", &idx, LOCUS_META_INT32));
        OK(locus_put_dataset(c, d));
        OK(locus_append_to_list(c, "agg", d));
        locus_dataset_destroy(d);
    }
    size_t len = 0;
    OK(locus_get_list_length(c, "agg", &len));
    CHECK(len == 5);
    bool ok;
    OK(locus_poll_list_length(c, "agg", 5, LOCUS_CMP_EQ, 5, 2, &ok));
    CHECK(ok);
    OK(locus_poll_list_length(c, "agg", 6, LOCUS_CMP_GE, 5, 2, &ok));
    CHECK(!ok);
    OK(locus_poll_list_length(c, "agg", 4, LOCUS_CMP_GE, 5, 2, &ok));
    CHECK(ok);
    OK(locus_poll_list_length(c, "agg", 4, LOCUS_CMP_LE, 5, 2, &ok));
    CHECK(!ok);
    OK(locus_poll_list_length(c, "agg", 5, LOCUS_CMP_LE, 5, 2, &ok));
    CHECK(ok);
    locus_dataset **all;
    size_t n;
    OK(locus_get_datasets_from_list(c, "agg", &all, &n));
    CHECK(n == 5);
    for (size_t i = 0; i < n; i++) {
        const void *vals;
        size_t cnt;
        OK(locus_dataset_get_meta_scalars(all[i], "i", &vals, &cnt, NULL));
        CHECK(*(const int32_t *)vals == (int32_t)i);
        const void *data;
        OK(locus_dataset_get_tensor(all[i], "v", &data, NULL, NULL, NULL));
        CHECK(((const int32_t *)data)[2] == (int32_t)i + 2);
    }
    locus_free_datasets(all, n);
    OK(locus_get_dataset_list_range(c, "agg", 1, 2, &all, &n));
    CHECK(n == 2 && strcmp(locus_dataset_name(all[0]), "item1") == 0);
    locus_free_datasets(all, n);
    OK(locus_get_dataset_list_range(c, "agg", -1, -1, &all, &n));
    CHECK(n == 1 && strcmp(locus_dataset_name(all[0]), "item4") == 0);
    locus_free_datasets(all, n);
    OK(locus_copy_list(c, "agg", "agg2"));
    OK(locus_get_list_length(c, "agg2", &len));
    CHECK(len == 5);
    OK(locus_rename_list(c, "agg2", "agg3"));
    OK(locus_get_list_length(c, "agg2", &len));
    CHECK(len == 0);
    OK(locus_get_list_length(c, "agg3", &len));
    CHECK(len == 5);
    CHECK(locus_copy_list(c, "nolist", "x") == LOCUS_ERR_KEY);
    OK(locus_delete_list(c, "agg3"));
    OK(locus_get_list_length(c, "agg3", &len));
    CHECK(len == 0);
    OK(locus_get_datasets_from_list(c, "agg3", &all, &n));
    CHECK(n == 0);
    locus_free_datasets(all, n);
}

static void test_wrong_address(void) {
    int port = lt_free_port();
    char bad[64];
    snprintf(bad, sizeof bad, "127.0.0.1:%d", port);
    setenv("SSDB", bad, 1);
    setenv("SR_CONN_TIMEOUT", "1", 1);
    setenv("SR_CONN_INTERVAL", "100", 1);
    locus_client *c = (locus_client *)1;
    double t0 = lt_now();
    locus_status st = locus_client_create_from_env(NULL, &c);
    double el = lt_now() - t0;
    CHECK(st == LOCUS_ERR_TIMEOUT && c == NULL && el < 3.0);
    CHECK(strstr(locus_last_error(), bad) != NULL);
    printf("wrong SSDB (%.2f s): %s\n", el, locus_last_error());
    setenv("SSDB", "no-such-host.invalid:6379", 1);
    t0 = lt_now();
    st = locus_client_create_from_env(NULL, &c);
    CHECK(st != LOCUS_OK && strstr(locus_last_error(), "no-such-host.invalid") != NULL && lt_now() - t0 < 3.0);
    printf("unknown host: %s\n", locus_last_error());
    setenv("SSDB", "127.0.0.1", 1);
    CHECK(locus_client_create_from_env(NULL, &c) == LOCUS_ERR_PARAMETER);
    unsetenv("SSDB");
    CHECK(locus_client_create_from_env(NULL, &c) == LOCUS_ERR_PARAMETER && strstr(locus_last_error(), "SSDB"));
    /* the suffix variant finds the second database */
    setenv("SSDB_second", ssdb, 1);
    OK(locus_client_create_from_env("second", &c));
    locus_client_destroy(c);
    unsetenv("SSDB_second");
    setenv("SSDB", ssdb, 1);
    unsetenv("SR_CONN_TIMEOUT");
    unsetenv("SR_CONN_INTERVAL");
}

typedef struct {
    locus_client *c;
    const char *key;
    int ok;
} thr_arg;

static void *thread_errors(void *p) {
    thr_arg *a = p;
    float w[1];
    size_t d[1] = {1};
    a->ok = 1;
    for (int i = 0; i < 200; i++) {
        if (locus_unpack_tensor(a->c, a->key, w, d, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_ERR_KEY ||
            strstr(locus_last_error(), a->key) == NULL)
            a->ok = 0;
        usleep(100);
        if (strstr(locus_last_error(), a->key) == NULL || locus_last_status() != LOCUS_ERR_KEY)
            a->ok = 0;
    }
    return NULL;
}

static void test_thread_errors(void) {
    thr_arg a = {client(), "missing-in-thread-A", 0}, b = {client(), "missing-in-thread-B", 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, thread_errors, &a);
    pthread_create(&tb, NULL, thread_errors, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.ok && b.ok);
    locus_client_destroy(a.c);
    locus_client_destroy(b.c);
}

static void test_auth(void) {
    lt_server s;
    /* the fixture's readiness PING needs no password, so the password is set once the server is up */
    REQUIRE(lt_server_start(&s, NULL) == 0);
    redisContext *k = lt_connect(&s);
    freeReplyObject(lt_cmdf(k, "CONFIG SET requirepass s3cret"));
    redisFree(k);
    char a[64];
    snprintf(a, sizeof a, "127.0.0.1:%d", s.port);
    locus_options opt;
    locus_options_init(&opt);
    opt.address = a;
    opt.conn_timeout_s = 1;
    setenv("LOCUS_DB_PASSWORD", "s3cret", 1);
    locus_client *c = NULL;
    OK(locus_client_create(&opt, &c));
    int32_t v[1] = {5};
    size_t d[1] = {1};
    OK(locus_put_tensor(c, "auth", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    locus_client_destroy(c);
    setenv("LOCUS_DB_PASSWORD", "wrong", 1);
    c = NULL;
    CHECK(locus_client_create(&opt, &c) == LOCUS_ERR_DATABASE && c == NULL);
    CHECK(strstr(locus_last_error(), "AUTH") != NULL);
    unsetenv("LOCUS_DB_PASSWORD");
    lt_server_stop(&s, false);
}

/* Connections killed by the server, and the server stopped and started again (same Unix socket) while a
 * client keeps working: the client reconnects and retries within SR_CMD_TIMEOUT. The server is restarted
 * from the main thread (the fixture ties a server's life to the thread that forked it); the client works
 * in a second thread. */
typedef struct {
    locus_client *c;
    locus_status st;
    double took;
} put_arg;

static void *put_during_restart(void *p) {
    put_arg *a = p;
    int32_t v[3] = {1, 2, 3};
    size_t d[1] = {3};
    double t0 = lt_now();
    a->st = locus_put_tensor(a->c, "r2", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS);
    a->took = lt_now() - t0;
    return NULL;
}

static void restart_server(void) {
    static char dir[256]; /* lt_server_start resets srv, dir included */
    snprintf(dir, sizeof dir, "%s", srv.dir);
    REQUIRE(start_server_with_socket(&srv, dir) == 0 && strcmp(srv.sock, sock_path) == 0);
}

static void test_resilience(void) {
    setenv("SR_CMD_TIMEOUT", "30", 1);
    setenv("SR_CMD_INTERVAL", "100", 1);
    locus_client *tcp = client();
    int32_t v[3] = {1, 2, 3}, w[3];
    size_t d[1] = {3};
    OK(locus_put_tensor(tcp, "r", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    redisContext *raw = lt_connect(&srv);
    freeReplyObject(lt_cmdf(raw, "CLIENT KILL TYPE normal SKIPME yes"));
    redisFree(raw);
    OK(locus_unpack_tensor(tcp, "r", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(w[2] == 3);
    locus_client_destroy(tcp);

    setenv("SSDB", unix_ssdb, 1);
    locus_client *c = client();
    OK(locus_put_tensor(c, "r", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    REQUIRE(lt_server_stop(&srv, true) == 0);
    put_arg pa = {c, LOCUS_ERR_INVALID, 0};
    pthread_t t;
    pthread_create(&t, NULL, put_during_restart, &pa);
    usleep(800000);
    restart_server();
    pthread_join(t, NULL);
    OK(pa.st); /* it waited for the restart */
    CHECK(pa.took > 0.5);
    printf("put across a restart took %.2f s\n", pa.took);
    double t0;
    OK(locus_unpack_tensor(c, "r2", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(w[0] == 1);
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", srv.port);
    /* an error reply that is not transient comes back at once, not after SR_CMD_TIMEOUT */
    redisContext *r2 = lt_connect(&srv);
    freeReplyObject(lt_cmdf(r2, "SET notatensor x"));
    redisFree(r2);
    t0 = lt_now();
    CHECK(locus_unpack_tensor(c, "notatensor", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) ==
          LOCUS_ERR_DATABASE);
    CHECK(lt_now() - t0 < 1.0);
    /* a server that stays away: the command gives up after SR_CMD_TIMEOUT with a clear message */
    setenv("SR_CMD_TIMEOUT", "1", 1);
    locus_client *c2 = client();
    lt_server_stop(&srv, true);
    t0 = lt_now();
    CHECK(locus_put_tensor(c2, "r3", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_TIMEOUT);
    CHECK(lt_now() - t0 < 3.0 && strstr(locus_last_error(), sock_path) != NULL);
    printf("server gone: %s\n", locus_last_error());
    locus_client_destroy(c2);
    locus_client_destroy(c);
    lt_rmtree(srv.dir);
    unsetenv("SR_CMD_TIMEOUT");
    unsetenv("SR_CMD_INTERVAL");
}

int main(void) {
    REQUIRE(start_server_with_socket(&srv, NULL) == 0);
    snprintf(sock_path, sizeof sock_path, "%s", srv.sock);
    snprintf(unix_ssdb, sizeof unix_ssdb, "unix://%s", sock_path);
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", srv.port);
    unsetenv("SR_DB_TYPE");
    unsetenv("SSKEYIN");
    unsetenv("SSKEYOUT");
    const char *transports[2] = {ssdb, unix_ssdb};
    for (int i = 0; i < 2; i++) {
        setenv("SSDB", transports[i], 1);
        locus_client *c = client();
        CHECK(!locus_client_is_cluster(c));
        printf("transport %s\n", locus_client_address(c));
        test_types_and_layouts(c);
        test_tensor_ops(c);
        test_datasets(c);
        test_lists(c);
        redisContext *raw = lt_connect(&srv);
        freeReplyObject(lt_cmdf(raw, "FLUSHALL"));
        redisFree(raw);
        locus_client_destroy(c);
    }
    setenv("SSDB", ssdb, 1);
    test_prefixes();
    test_wrong_address();
    test_thread_errors();
    test_auth();
    test_resilience();
    return lt_report("client_standalone");
}
