/* A liblocus client configured only by the environment `locus db env` prints (SSDB, SR_DB_TYPE,
 * LOCUS_DB_PASSWORD).
 *   env_client rw      put and unpack tensors on many keys (every shard of a cluster), a dataset round trip,
 *                      and SR_DB_TYPE as the client sees it; exit 0 when all is right
 *   env_client noauth  the same settings without the password: the client must be refused (exit 0 when it is,
 *                      with the library's message on stderr) */
#include <locus/locus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "env_client: %s: %s\n", what, locus_last_error());
    return 1;
}

static int read_write(void) {
    locus_client *c;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK)
        return fail("client from the environment");
    const char *type = getenv("SR_DB_TYPE");
    if (locus_client_is_cluster(c) != (type && !strcmp(type, "Clustered"))) {
        fprintf(stderr, "env_client: SR_DB_TYPE=%s but the client sees a %s\n", type ? type : "(unset)",
                locus_client_is_cluster(c) ? "cluster" : "standalone database");
        return 1;
    }
    for (int k = 0; k < 32; k++) { /* 32 keys land on every shard of a small cluster */
        char key[32];
        snprintf(key, sizeof key, "env_client_%d", k);
        double v[3] = {k, k + 0.5, -k}, back[3];
        size_t dims[1] = {3};
        if (locus_put_tensor(c, key, v, dims, 1, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            return fail("put_tensor");
        if (locus_unpack_tensor(c, key, back, dims, 1, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            return fail("unpack_tensor");
        if (memcmp(v, back, sizeof v)) {
            fprintf(stderr, "env_client: %s came back different\n", key);
            return 1;
        }
    }
    locus_dataset *d, *g;
    int32_t x[4] = {1, 2, 3, 4};
    size_t dims[2] = {2, 2};
    if (locus_dataset_create("env_client_ds", &d) != LOCUS_OK ||
        locus_dataset_add_tensor(d, "x", x, dims, 2, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK ||
        locus_put_dataset(c, d) != LOCUS_OK)
        return fail("put_dataset");
    int32_t y[4] = {0};
    if (locus_get_dataset(c, "env_client_ds", &g) != LOCUS_OK ||
        locus_dataset_unpack_tensor(g, "x", y, dims, 2, LOCUS_DTYPE_INT32, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
        return fail("get_dataset");
    if (memcmp(x, y, sizeof x)) {
        fprintf(stderr, "env_client: the dataset's tensor came back different\n");
        return 1;
    }
    locus_dataset_destroy(d);
    locus_dataset_destroy(g);
    locus_client_destroy(c);
    return 0;
}

static int refused_without_password(void) {
    unsetenv("LOCUS_DB_PASSWORD");
    unsetenv("REDISCLI_AUTH");
    setenv("SR_CONN_TIMEOUT", "200", 1); /* fail fast: a refusal is not a transient error anyway */
    locus_client *c = NULL;
    locus_status st = locus_client_create_from_env(NULL, &c);
    if (st == LOCUS_OK) {
        float v = 1;
        size_t one = 1;
        st = locus_put_tensor(c, "env_client_noauth", &v, &one, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS);
        locus_client_destroy(c);
    }
    if (st == LOCUS_OK) {
        fprintf(stderr, "env_client: a client without the password could write\n");
        return 1;
    }
    fprintf(stderr, "env_client: refused as expected: %s\n", locus_last_error());
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "rw"))
        return read_write();
    if (argc == 2 && !strcmp(argv[1], "noauth"))
        return refused_without_password();
    fprintf(stderr, "usage: env_client rw|noauth\n");
    return 2;
}
