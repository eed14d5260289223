/* The data-aggregation scaling application, two roles in one program.
 *
 *   producer (MPI, one client per rank): for each iteration, build a dataset of TPD float tensors of
 *     TENSOR_BYTES each, put it and append it to the list "aggregation_list_<it>"; then wait until the
 *     consumer has taken that list before producing the next one.
 *   consumer (one process, THREADS threads with a client each): for each iteration, poll the list until it
 *     holds PRODUCERS datasets, fetch them all (the list split across the threads), check them, and mark
 *     the list consumed.
 *
 * Both write OUTDIR/rank_<r>_timing.csv ("rank,function,seconds"); the consumer writes as rank PRODUCERS.
 *   locus_bench_aggregation producer|consumer ITERATIONS TENSOR_BYTES TPD THREADS PRODUCERS OUTDIR */
#include <locus/locus.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long iterations, bytes, tpd, threads, producers;
static const char *outdir;
static const char *session; /* the session directory's name: keys of one session never meet another's */

#define DIE(what)                                                                                            \
    do {                                                                                                     \
        fprintf(stderr, "aggregation: %s failed: %s\n", what, locus_last_error());                           \
        exit(1);                                                                                             \
    } while (0)

static int producer(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    locus_client *c;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK)
        DIE("client()");
    size_t n = (size_t)bytes / sizeof(float), dims[2] = {1, n};
    float *data = malloc(n * sizeof *data);
    double *t_put = calloc((size_t)iterations, sizeof(double)), *t_append = calloc((size_t)iterations, sizeof(double));
    for (long it = 0; it < iterations; it++) {
        char list[512], name[512], tname[32];
        snprintf(list, sizeof list, "%s.aggregation_list_%ld", session, it);
        snprintf(name, sizeof name, "%s.aggregation_%ld_rank_%d", session, it, rank);
        locus_dataset *d;
        if (locus_dataset_create(name, &d) != LOCUS_OK)
            DIE("dataset_create");
        for (long k = 0; k < tpd; k++) {
            for (size_t i = 0; i < n; i++)
                data[i] = (float)(rank + it + k);
            snprintf(tname, sizeof tname, "tensor_%ld", k);
            if (locus_dataset_add_tensor(d, tname, data, dims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
                DIE("add_tensor");
        }
        double a = now();
        if (locus_put_dataset(c, d) != LOCUS_OK)
            DIE("put_dataset");
        double b = now();
        if (locus_append_to_list(c, list, d) != LOCUS_OK)
            DIE("append_to_list");
        t_put[it] = b - a;
        t_append[it] = now() - b;
        locus_dataset_destroy(d);
        /* The next list waits until this one is consumed. */
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            char flag[512];
            snprintf(flag, sizeof flag, "%s.aggregation_consumed_%ld", session, it);
            bool done = false;
            if (locus_poll_tensor(c, flag, 5, 120000, &done) != LOCUS_OK || !done)
                DIE("waiting for the consumer");
            locus_delete_tensor(c, flag);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        locus_delete_dataset(c, name);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/rank_%d_timing.csv", outdir, rank);
    FILE *f = fopen(path, "w");
    for (long it = 0; f && it < iterations; it++)
        fprintf(f, "%d,put_dataset,%.9f\n", rank, t_put[it]);
    for (long it = 0; f && it < iterations; it++)
        fprintf(f, "%d,append_to_list,%.9f\n", rank, t_append[it]);
    if (f)
        fclose(f);
    locus_client_destroy(c);
    MPI_Finalize();
    return f ? 0 : 1;
}

typedef struct fetch_job {
    locus_client *c;
    const char *list;
    long start, end; /* inclusive range of the list */
    size_t got;
    int bad;
} fetch_job;

static void *fetch(void *arg) {
    fetch_job *j = arg;
    locus_dataset **ds = NULL;
    size_t n = 0;
    if (j->start > j->end)
        return NULL;
    if (locus_get_dataset_list_range(j->c, j->list, j->start, j->end, &ds, &n) != LOCUS_OK) {
        fprintf(stderr, "aggregation consumer: get range failed: %s\n", locus_last_error());
        j->bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (locus_dataset_tensor_count(ds[i]) != (size_t)tpd)
            j->bad = 1;
    j->got = n;
    locus_free_datasets(ds, n);
    return NULL;
}

static int consumer(void) {
    fetch_job *jobs = calloc((size_t)threads, sizeof *jobs);
    for (long t = 0; t < threads; t++)
        if (locus_client_create_from_env(NULL, &jobs[t].c) != LOCUS_OK)
            DIE("client()");
    double *t_poll = calloc((size_t)iterations, sizeof(double)), *t_get = calloc((size_t)iterations, sizeof(double));
    for (long it = 0; it < iterations; it++) {
        char list[512];
        snprintf(list, sizeof list, "%s.aggregation_list_%ld", session, it);
        double a = now();
        bool ready = false;
        if (locus_poll_list_length(jobs[0].c, list, (size_t)producers, LOCUS_CMP_EQ, 1, 600000, &ready) != LOCUS_OK ||
            !ready)
            DIE("poll_list_length");
        double b = now();
        pthread_t tid[256];
        long per = (producers + threads - 1) / threads;
        for (long t = 0; t < threads && t < 256; t++) {
            jobs[t].list = list;
            jobs[t].start = t * per;
            jobs[t].end = (t + 1) * per - 1 < producers - 1 ? (t + 1) * per - 1 : producers - 1;
            jobs[t].got = 0;
            pthread_create(&tid[t], NULL, fetch, &jobs[t]);
        }
        size_t got = 0;
        for (long t = 0; t < threads && t < 256; t++) {
            pthread_join(tid[t], NULL);
            got += jobs[t].got;
            if (jobs[t].bad)
                DIE("dataset check");
        }
        t_poll[it] = b - a;
        t_get[it] = now() - b;
        locus_delete_list(jobs[0].c, list); /* the database holds one iteration's data at a time */
        if (got != (size_t)producers) {
            fprintf(stderr, "aggregation consumer: list %s gave %zu datasets, expected %ld\n", list, got, producers);
            return 1;
        }
        char flag[512];
        snprintf(flag, sizeof flag, "%s.aggregation_consumed_%ld", session, it);
        size_t one = 1;
        float x = 1;
        if (locus_put_tensor(jobs[0].c, flag, &x, &one, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
            DIE("marking the list consumed");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/rank_%ld_timing.csv", outdir, producers);
    FILE *f = fopen(path, "w");
    for (long it = 0; f && it < iterations; it++)
        fprintf(f, "%ld,poll_list,%.9f\n", producers, t_poll[it]);
    for (long it = 0; f && it < iterations; it++)
        fprintf(f, "%ld,get_list,%.9f\n", producers, t_get[it]);
    if (f)
        fclose(f);
    for (long t = 0; t < threads; t++)
        locus_client_destroy(jobs[t].c);
    return f ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s producer|consumer ITERATIONS TENSOR_BYTES TPD THREADS PRODUCERS OUTDIR\n", argv[0]);
        return 2;
    }
    iterations = atol(argv[2]);
    bytes = atol(argv[3]);
    tpd = atol(argv[4]);
    threads = atol(argv[5]);
    producers = atol(argv[6]);
    outdir = argv[7];
    session = strrchr(outdir, '/') ? strrchr(outdir, '/') + 1 : outdir;
    if (!strcmp(argv[1], "producer"))
        return producer(argc, argv);
    if (!strcmp(argv[1], "consumer"))
        return consumer();
    fprintf(stderr, "%s: unknown role '%s'\n", argv[0], argv[1]);
    return 2;
}
