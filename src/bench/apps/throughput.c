/* The throughput scaling application: one liblocus client per MPI rank. After a warm-up, each iteration
 * puts a {1, n} float tensor under the rank's own key and unpacks it back, timing both calls. Each rank
 * writes OUTDIR/rank_<r>_timing.csv with rows "rank,function,seconds" and checks that what came back is
 * what it sent.
 *   locus_bench_throughput ITERATIONS TENSOR_BYTES OUTDIR */
#include <locus/locus.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(int rank, const char *what) {
    fprintf(stderr, "rank %d: %s failed: %s\n", rank, what, locus_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    double t_main = now();
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 4) {
        if (rank == 0)
            fprintf(stderr, "usage: %s ITERATIONS TENSOR_BYTES OUTDIR\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    long iterations = atol(argv[1]), bytes = atol(argv[2]);
    size_t n = (size_t)bytes / sizeof(float);
    size_t dims[2] = {1, n};
    float *out = malloc(n * sizeof *out), *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(rank * 1000 + (long)(i % 997));
    char key[64];
    snprintf(key, sizeof key, "throughput_rank_%d", rank);

    double t0 = now();
    locus_client *c;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK)
        fail(rank, "client()");
    double t_client = now() - t0;

    /* Warm-up: connections, buffers and the key exist before timing starts. */
    if (locus_put_tensor(c, key, out, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
        fail(rank, "put_tensor");
    if (locus_unpack_tensor(c, key, in, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
        fail(rank, "unpack_tensor");
    MPI_Barrier(MPI_COMM_WORLD);

    double *put = malloc((size_t)iterations * sizeof *put), *unpack = malloc((size_t)iterations * sizeof *unpack);
    double t_loop = now();
    for (long it = 0; it < iterations; it++) {
        out[0] = (float)it; /* each iteration sends different bytes */
        double a = now();
        if (locus_put_tensor(c, key, out, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            fail(rank, "put_tensor");
        double b = now();
        if (locus_unpack_tensor(c, key, in, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            fail(rank, "unpack_tensor");
        double e = now();
        put[it] = b - a;
        unpack[it] = e - b;
        if (in[0] != (float)it || in[n - 1] != out[n - 1])
            fail(rank, "data check");
    }
    t_loop = now() - t_loop;
    MPI_Barrier(MPI_COMM_WORLD);

    char path[4096];
    snprintf(path, sizeof path, "%s/rank_%d_timing.csv", argv[3], rank);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    fprintf(f, "%d,client(),%.9f\n", rank, t_client);
    for (long it = 0; it < iterations; it++)
        fprintf(f, "%d,put_tensor,%.9f\n", rank, put[it]);
    for (long it = 0; it < iterations; it++)
        fprintf(f, "%d,unpack_tensor,%.9f\n", rank, unpack[it]);
    fprintf(f, "%d,loop_time,%.9f\n%d,main(),%.9f\n", rank, t_loop, rank, now() - t_main);
    fclose(f);
    locus_delete_tensor(c, key);
    locus_client_destroy(c);
    free(put);
    free(unpack);
    free(in);
    free(out);
    MPI_Finalize();
    return 0;
}
