/* liblocus against a real 3-shard Redis Cluster on loopback: type detection, tensors on every shard, copies
 * and renames across slots, datasets and lists spread over shards, and a slot migrated (SETSLOT
 * MIGRATING/IMPORTING + MIGRATE in small batches) while a second thread keeps writing and reading keys of
 * that slot: no call may fail and every value read must be the one written. */
#include "cluster.h"
#include "common.h"

#include <pthread.h>
#include <unistd.h>

static lt_cluster cl;

static void test_tensors(locus_client *c) {
    /* 60 keys: every type on all shards (checked by asking the cluster where they landed) */
    int shards_used[LT_CLUSTER_MAX] = {0};
    redisContext *raw = lt_connect(&cl.node[0]);
    for (int i = 0; i < 60; i++) {
        locus_dtype t = all_types[i % N_TYPES];
        size_t es = locus_dtype_size(t), dims[2] = {4, 6}, n = 24;
        char name[32], buf[24 * 8], out[24 * 8];
        snprintf(name, sizeof name, "ct%d", i);
        fill_pattern(buf, t, n, i);
        OK(locus_put_tensor(c, name, buf, dims, 2, t, LOCUS_LAYOUT_CONTIGUOUS));
        OK(locus_unpack_tensor(c, name, out, dims, 2, t, LOCUS_LAYOUT_CONTIGUOUS));
        CHECK(memcmp(buf, out, n * es) == 0);
        OK(locus_unpack_tensor(c, name, out, dims, 2, t, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
        CHECK(memcmp(out + es, buf + 6 * es, es) == 0); /* (1,0) */
        locus_tensor *g = NULL;
        OK(locus_get_tensor(c, name, LOCUS_LAYOUT_NESTED, &g));
        CHECK(g && memcmp(((char **)g->data)[3], buf + 18 * es, 6 * es) == 0);
        locus_free(g);
        redisReply *r = lt_cmdf(raw, "CLUSTER KEYSLOT %s", name);
        int owner = lt_cluster_slot_owner(&cl, (int)r->integer);
        freeReplyObject(r);
        if (owner >= 0)
            shards_used[owner] = 1;
    }
    CHECK(shards_used[0] && shards_used[1] && shards_used[2]);
    redisFree(raw);
    /* copy and rename across slots (DUMP/RESTORE) and within one slot (COPY/RENAME) */
    int32_t v[3] = {9, 8, 7}, w[3];
    size_t d[1] = {3};
    OK(locus_put_tensor(c, "src", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_copy_tensor(c, "src", "far-away-copy"));
    OK(locus_unpack_tensor(c, "far-away-copy", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(w[2] == 7);
    OK(locus_rename_tensor(c, "far-away-copy", "moved-elsewhere"));
    bool ex;
    OK(locus_tensor_exists(c, "far-away-copy", &ex));
    CHECK(!ex);
    OK(locus_tensor_exists(c, "moved-elsewhere", &ex));
    CHECK(ex);
    OK(locus_put_tensor(c, "{tag}a", v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_copy_tensor(c, "{tag}a", "{tag}b"));
    OK(locus_rename_tensor(c, "{tag}b", "{tag}c"));
    OK(locus_unpack_tensor(c, "{tag}c", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    CHECK(w[0] == 9);
    OK(locus_delete_tensor(c, "moved-elsewhere"));
    CHECK(locus_delete_tensor(c, "moved-elsewhere") == LOCUS_ERR_KEY);
    CHECK(locus_unpack_tensor(c, "nothing", w, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_ERR_KEY);
    /* big tensors on several shards */
    size_t bd[1] = {1 << 18};
    float *b = malloc(bd[0] * 4), *b2 = malloc(bd[0] * 4);
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof name, "big%d", k);
        for (size_t i = 0; i < bd[0]; i++)
            b[i] = (float)(i + (size_t)k);
        OK(locus_put_tensor(c, name, b, bd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
        OK(locus_unpack_tensor(c, name, b2, bd, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
        CHECK(memcmp(b, b2, bd[0] * 4) == 0);
    }
    free(b), free(b2);
}

static void test_datasets_lists(locus_client *c) {
    for (int i = 0; i < 24; i++) {
        char name[16];
        snprintf(name, sizeof name, "cds%d", i);
        locus_dataset *d;
        OK(locus_dataset_create(name, &d));
        double x[2][2] = {{i, i + 0.5}, {-i, 1}};
        size_t dims[2] = {2, 2};
        OK(locus_dataset_add_tensor(d, "x", x, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
        OK(locus_dataset_add_tensor(d, "y", x, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS));
        uint64_t id = (uint64_t)i * 1000;
        OK(locus_dataset_add_meta_scalar(d, "id", &id, LOCUS_META_UINT64));
        OK(locus_dataset_add_meta_string(d, "name", name));
        OK(locus_put_dataset(c, d));
        OK(locus_append_to_list(c, "clist", d));
        locus_dataset_destroy(d);
    }
    locus_dataset **all;
    size_t n;
    OK(locus_get_datasets_from_list(c, "clist", &all, &n));
    CHECK(n == 24);
    for (size_t i = 0; i < n; i++) {
        const void *vals;
        OK(locus_dataset_get_meta_scalars(all[i], "id", &vals, NULL, NULL));
        CHECK(*(const uint64_t *)vals == i * 1000);
        double y[4];
        size_t dims[2] = {2, 2};
        OK(locus_dataset_unpack_tensor(all[i], "y", y, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
        CHECK(y[1] == -(double)i && y[2] == (double)i + 0.5);
    }
    locus_free_datasets(all, n);
    OK(locus_get_dataset_list_range(c, "clist", 10, 12, &all, &n));
    CHECK(n == 3 && strcmp(locus_dataset_name(all[2]), "cds12") == 0);
    locus_free_datasets(all, n);
    bool ok;
    OK(locus_poll_list_length(c, "clist", 24, LOCUS_CMP_EQ, 5, 2, &ok));
    CHECK(ok);
    OK(locus_copy_list(c, "clist", "clist-copy-on-another-slot"));
    OK(locus_rename_list(c, "clist-copy-on-another-slot", "clist3"));
    size_t len;
    OK(locus_get_list_length(c, "clist3", &len));
    CHECK(len == 24);
    OK(locus_copy_dataset(c, "cds3", "cds3-copy"));
    OK(locus_rename_dataset(c, "cds3-copy", "cds3-renamed"));
    locus_dataset *g;
    OK(locus_get_dataset(c, "cds3-renamed", &g));
    const char *s;
    OK(locus_dataset_get_meta_string(g, "name", 0, &s, NULL, NULL));
    CHECK(strcmp(s, "cds3") == 0);
    locus_dataset_destroy(g);
    bool ex;
    OK(locus_dataset_exists(c, "cds3-copy", &ex));
    CHECK(!ex);
    OK(locus_delete_dataset(c, "cds3-renamed"));
    OK(locus_delete_list(c, "clist3"));
}

/* ---- migration under load ---- */

typedef struct {
    volatile int stop;
    int errors, ops, mismatches;
    char first_error[512];
} load_state;

static void *load(void *p) {
    load_state *ls = p;
    locus_client *c = NULL;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK) {
        ls->errors++;
        return NULL;
    }
    int64_t v[64], w[64];
    size_t d[1] = {64};
    for (int it = 0; !ls->stop || it < 50; it++) {
        char name[32];
        snprintf(name, sizeof name, "{mig}k%d", it % 200);
        for (int i = 0; i < 64; i++)
            v[i] = (int64_t)it * 1000 + i;
        locus_status st = locus_put_tensor(c, name, v, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS);
        if (st == LOCUS_OK)
            st = locus_unpack_tensor(c, name, w, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS);
        if (st == LOCUS_OK && memcmp(v, w, sizeof v) != 0)
            ls->mismatches++;
        if (st == LOCUS_OK && it % 10 == 0) { /* a dataset of the same slot: {mig}.meta, {mig}.t */
            locus_dataset *ds;
            locus_dataset_create("mig", &ds);
            locus_dataset_add_tensor(ds, "t", v, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS);
            locus_dataset_add_meta_scalar(ds, "it", &v[0], LOCUS_META_INT64);
            st = locus_put_dataset(c, ds);
            locus_dataset_destroy(ds);
            if (st == LOCUS_OK) {
                st = locus_get_dataset(c, "mig", &ds);
                const void *vals = NULL;
                if (st == LOCUS_OK && (locus_dataset_get_meta_scalars(ds, "it", &vals, NULL, NULL) != LOCUS_OK ||
                                       *(const int64_t *)vals != v[0]))
                    ls->mismatches++;
                locus_dataset_destroy(ds);
            }
        }
        if (st != LOCUS_OK) {
            if (ls->errors++ == 0)
                snprintf(ls->first_error, sizeof ls->first_error, "%s", locus_last_error());
        }
        ls->ops++;
    }
    locus_client_destroy(c);
    return NULL;
}

static void test_migration(void) {
    locus_client *c = client();
    int64_t v[64] = {0};
    size_t d[1] = {64};
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "{mig}k%d", i);
        OK(locus_put_tensor(c, name, v, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS));
    }
    redisContext *raw = lt_connect(&cl.node[0]);
    redisReply *r = lt_cmdf(raw, "CLUSTER KEYSLOT {mig}");
    int slot = (int)r->integer;
    freeReplyObject(r);
    redisFree(raw);
    int from = lt_cluster_slot_owner(&cl, slot), to = (from + 1) % cl.n;
    load_state ls = {0};
    pthread_t t;
    pthread_create(&t, NULL, load, &ls);
    usleep(100000);
    int ops_before = ls.ops;
    CHECK(lt_cluster_migrate_slot(&cl, slot, from, to, 5, 20000) == 0);
    int ops_during = ls.ops - ops_before;
    usleep(200000);
    /* and back again, so MOVED is followed in both directions */
    CHECK(lt_cluster_migrate_slot(&cl, slot, to, from, 5, 20000) == 0);
    ls.stop = 1;
    pthread_join(t, NULL);
    printf("migration: %d ops (%d during the first move), %d errors, %d mismatches%s%s\n", ls.ops, ops_during,
           ls.errors, ls.mismatches, ls.errors ? "; first: " : "", ls.first_error);
    CHECK(ls.errors == 0 && ls.mismatches == 0 && ops_during > 0);
    CHECK(lt_cluster_slot_owner(&cl, slot) == from);
    /* the pre-existing client, whose map is now stale, still works */
    int64_t w[64];
    OK(locus_unpack_tensor(c, "{mig}k199", w, d, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS));
    locus_client_destroy(c);
}

int main(void) {
    REQUIRE(lt_cluster_start(&cl, 3) == 0);
    unsetenv("SR_DB_TYPE");
    unsetenv("SSKEYIN");
    unsetenv("SSKEYOUT");
    setenv("SSDB", cl.ssdb, 1);
    setenv("SR_CMD_INTERVAL", "50", 1);
    setenv("SR_CMD_TIMEOUT", "20", 1);
    locus_client *c = client();
    CHECK(locus_client_is_cluster(c));
    printf("cluster %s, client seeded from %s\n", cl.ssdb, locus_client_address(c));
    test_tensors(c);
    test_datasets_lists(c);
    locus_client_destroy(c);
    /* SR_DB_TYPE given explicitly, one seed only */
    setenv("SR_DB_TYPE", "Clustered", 1);
    char one[32];
    snprintf(one, sizeof one, "127.0.0.1:%d", cl.node[2].port);
    setenv("SSDB", one, 1);
    c = client();
    CHECK(locus_client_is_cluster(c));
    int32_t v[1] = {1};
    size_t d[1] = {1};
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "seed%d", i);
        OK(locus_put_tensor(c, name, v, d, 1, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS));
    }
    locus_client_destroy(c);
    setenv("SSDB", cl.ssdb, 1);
    unsetenv("SR_DB_TYPE");
    test_migration();
    lt_cluster_stop(&cl);
    return lt_report("client_cluster");
}
