/* A simulation step's worth of liblocus: connect from the environment (SSDB=host:port), put a field,
 * read it back into our own buffer, publish a dataset and append it to a list a consumer can poll.
 *   cc put_get.c $(pkg-config --cflags --libs locus) && SSDB=127.0.0.1:6379 ./a.out */
#include <locus/locus.h>
#include <stdio.h>

#define TRY(call)                                                                                            \
    do {                                                                                                     \
        if ((call) != LOCUS_OK) {                                                                            \
            fprintf(stderr, "%s failed: %s\n", #call, locus_last_error());                                  \
            return 1;                                                                                        \
        }                                                                                                    \
    } while (0)

int main(void) {
    locus_client *c;
    TRY(locus_client_create_from_env(NULL, &c));
    printf("liblocus %s, %s database at %s\n", locus_version(), locus_client_is_cluster(c) ? "clustered" : "standalone",
           locus_client_address(c));

    double field[4][8], back[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            field[i][j] = i + j / 10.0;
    size_t dims[2] = {4, 8};
    TRY(locus_put_tensor(c, "example:field", field, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    TRY(locus_unpack_tensor(c, "example:field", back, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    printf("field[3][7] = %g\n", back[3][7]);

    locus_dataset *d;
    TRY(locus_dataset_create("example:step1", &d));
    TRY(locus_dataset_add_tensor(d, "field", field, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS));
    int64_t step = 1;
    TRY(locus_dataset_add_meta_scalar(d, "step", &step, LOCUS_META_INT64));
    TRY(locus_put_dataset(c, d));
    TRY(locus_append_to_list(c, "example:steps", d));
    locus_dataset_destroy(d);
    size_t n;
    TRY(locus_get_list_length(c, "example:steps", &n));
    printf("list example:steps holds %zu dataset(s)\n", n);
    locus_client_destroy(c);
    return 0;
}
