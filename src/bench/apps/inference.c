/* The inference scaling application (C): one liblocus client per MPI rank runs ResNet-50 on an image it just
 * produced, as a simulation rank would. The model and the pre-processing script are stored by one rank
 * (STORE=rank0: world rank 0, for a separate database; STORE=local0: the first rank of each node, for a
 * database on every node), the others poll for them. After a warm-up iteration that is not recorded, each
 * iteration times put_tensor (the 224x224x3 image), run_script (pre_process_3ch), run_model and
 * unpack_tensor (the [1,1000] output), and deletes its keys. In a cluster the keys of one rank carry the hash
 * tag of one shard (locus_colocation_tag), so the script and the model run where their tensors are, with no
 * copies. The last output is checked against the same image through the same script and model run in this
 * process (rank 0 computes it, every rank compares) and a rank fails if they differ by more than TOLERANCE.
 * Rows "rank,function,seconds" go to OUTDIR/rank_<r>_timing.csv: client(), put_tensor, run_script,
 * run_model, unpack_tensor, loop_time, main().
 * With NUM_DEVICES > 1 (GPUs per node) the model and script are stored once per GPU and each rank runs on GPU
 * (local rank mod NUM_DEVICES), through SmartRedis's multi-GPU calls.
 *   locus_bench_inference ITERATIONS OUTDIR MODEL_FILE SCRIPT_FILE DEVICE BATCH_SIZE rank0|local0 TOLERANCE
 *                         [NUM_DEVICES]
 * LOCUS_TORCH_BACKEND names the locus_torch.so the reference loads. */
#include <locus/locus.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inference_ref.h"

#define MODEL_KEY "resnet_model"
#define SCRIPT_KEY "resnet_script"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int rank;

static void fail(const char *what) {
    fprintf(stderr, "rank %d: %s failed: %s\n", rank, what, locus_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void wait_for_script(locus_client *c) {
    for (int i = 0; i < 600; i++) {
        bool ex = false;
        if (locus_script_exists(c, SCRIPT_KEY, &ex) != LOCUS_OK)
            fail("script_exists");
        if (ex)
            return;
        usleep(100000);
    }
    fprintf(stderr, "rank %d: the script '%s' never appeared in the database (60 s)\n", rank, SCRIPT_KEY);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

int main(int argc, char **argv) {
    double t_main = now();
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 9 && argc != 10) {
        if (rank == 0)
            fprintf(stderr, "usage: %s ITERATIONS OUTDIR MODEL_FILE SCRIPT_FILE DEVICE BATCH_SIZE rank0|local0 "
                            "TOLERANCE [NUM_DEVICES]\n", argv[0]);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    long iterations = atol(argv[1]);
    const char *outdir = argv[2], *model_file = argv[3], *script_file = argv[4], *device = argv[5];
    int batch = atoi(argv[6]);
    double tolerance = atof(argv[8]);
    int ndev = argc == 10 ? atoi(argv[9]) : 1;
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    int local;
    MPI_Comm_rank(node, &local);
    bool stores = strcmp(argv[7], "local0") == 0 ? local == 0 : rank == 0;

    double t0 = now();
    locus_client *c;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK)
        fail("client()");
    double t_client = now() - t0;

    if (stores) {
        locus_model_options o;
        locus_model_options_init(&o);
        o.device = device;
        o.batch_size = batch > 1 ? batch : 0;
        if (ndev > 1) {
            if (locus_set_model_from_file_multigpu(c, MODEL_KEY, model_file, &o, 0, ndev) != LOCUS_OK)
                fail("set_model_from_file_multigpu");
            if (locus_set_script_from_file_multigpu(c, SCRIPT_KEY, script_file, 0, ndev) != LOCUS_OK)
                fail("set_script_from_file_multigpu");
        } else {
            if (locus_set_model_from_file(c, MODEL_KEY, model_file, &o) != LOCUS_OK)
                fail("set_model_from_file");
            if (locus_set_script_from_file(c, SCRIPT_KEY, device, script_file) != LOCUS_OK)
                fail("set_script_from_file");
        }
    }
    bool exists = false;
    if (locus_poll_model(c, MODEL_KEY, 100, 600, &exists) != LOCUS_OK || !exists) {
        fprintf(stderr, "rank %d: the model '%s' never appeared in the database (60 s): %s\n", rank, MODEL_KEY,
                locus_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    wait_for_script(c);

    char near[32], tag[32];
    snprintf(near, sizeof near, "rank_%d", rank);
    if (locus_colocation_tag(c, near, tag, sizeof tag) != LOCUS_OK)
        fail("colocation_tag");
    float *image = malloc((size_t)BENCH_IMAGE_H * BENCH_IMAGE_W * BENCH_IMAGE_C * sizeof(float));
    float out[BENCH_CLASSES], ref[BENCH_CLASSES];
    bench_make_image(image, 0);
    size_t img_dims[3] = {BENCH_IMAGE_H, BENCH_IMAGE_W, BENCH_IMAGE_C}, out_dims[2] = {1, BENCH_CLASSES};
    double *t = calloc((size_t)(iterations + 1) * 4, sizeof *t);
    MPI_Barrier(MPI_COMM_WORLD);

    double t_loop = 0;
    for (long it = -1; it < iterations; it++) { /* it = -1: the warm-up, not recorded */
        if (it == 0)
            t_loop = now();
        char in_key[96], pre_key[96], out_key[96];
        snprintf(in_key, sizeof in_key, "%simage_%d_%ld", tag, rank, it);
        snprintf(pre_key, sizeof pre_key, "%spre_%d_%ld", tag, rank, it);
        snprintf(out_key, sizeof out_key, "%sout_%d_%ld", tag, rank, it);
        const char *in[1] = {in_key}, *pre[1] = {pre_key}, *res[1] = {out_key};
        double a = now();
        if (locus_put_tensor(c, in_key, image, img_dims, 3, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            fail("put_tensor");
        double b = now();
        if ((ndev > 1 ? locus_run_script_multigpu(c, SCRIPT_KEY, "pre_process_3ch", in, 1, pre, 1, local, 0, ndev)
                      : locus_run_script(c, SCRIPT_KEY, "pre_process_3ch", in, 1, pre, 1)) != LOCUS_OK)
            fail("run_script");
        double d = now();
        if ((ndev > 1 ? locus_run_model_multigpu(c, MODEL_KEY, pre, 1, res, 1, local, 0, ndev)
                      : locus_run_model(c, MODEL_KEY, pre, 1, res, 1)) != LOCUS_OK)
            fail("run_model");
        double e = now();
        if (locus_unpack_tensor(c, out_key, out, out_dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            fail("unpack_tensor");
        double f = now();
        if (locus_delete_tensor(c, in_key) != LOCUS_OK || locus_delete_tensor(c, pre_key) != LOCUS_OK ||
            locus_delete_tensor(c, out_key) != LOCUS_OK)
            fail("delete_tensor");
        if (it >= 0) {
            double *r = &t[it * 4];
            r[0] = b - a, r[1] = d - b, r[2] = e - d, r[3] = f - e;
        }
    }
    t_loop = iterations > 0 ? now() - t_loop : 0;
    MPI_Barrier(MPI_COMM_WORLD);

    /* the numbers are right: the last output against the in-process reference */
    int ok = 1;
    char err[512] = "";
    if (rank == 0) {
        const char *backend = getenv("LOCUS_TORCH_BACKEND");
        ok = backend && bench_reference(backend, model_file, script_file, ref, err, sizeof err) == 0;
        if (!ok)
            fprintf(stderr, "rank 0: no in-process reference: %s\n", backend ? err : "LOCUS_TORCH_BACKEND is not set");
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Bcast(ref, BENCH_CLASSES, MPI_FLOAT, 0, MPI_COMM_WORLD);
    double diff = bench_max_diff(out, ref, BENCH_CLASSES);
    if (diff > tolerance) {
        fprintf(stderr, "rank %d: the model's output differs from the in-process reference by %g (tolerance %g)\n",
                rank, diff, tolerance);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/rank_%d_timing.csv", outdir, rank);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        perror(path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    static const char *const names[4] = {"put_tensor", "run_script", "run_model", "unpack_tensor"};
    fprintf(fp, "%d,client(),%.9f\n", rank, t_client);
    for (int k = 0; k < 4; k++)
        for (long it = 0; it < iterations; it++)
            fprintf(fp, "%d,%s,%.9f\n", rank, names[k], t[it * 4 + k]);
    fprintf(fp, "%d,loop_time,%.9f\n", rank, t_loop);
    locus_client_destroy(c);
    free(t);
    free(image);
    MPI_Comm_free(&node);
    MPI_Finalize();
    fprintf(fp, "%d,main(),%.9f\n", rank, now() - t_main);
    fclose(fp);
    return 0;
}
