/* bench/client_ops: liblocus put_tensor + unpack_tensor per iteration against a raw hiredis SET + GET loop
 * of the same bytes on the same server, alternating rounds so both see the same machine state.
 *
 * For each transport (TCP, Unix socket), process count (1, 4) and size (1 KiB, 64 KiB, 1 MiB) it runs
 * --rounds rounds; in a round every process runs the liblocus phase, then (after a barrier) the hiredis phase.
 * Rate = iterations of all processes / slowest process's time. The ratio is liblocus rate / hiredis rate, the
 * median over rounds; target >= 0.9. Then, one process: put of a 1 MiB real64 array in Fortran layout against
 * the same put in C layout (target <= 1.3x the time). Output: a table on stdout and CSV with --csv FILE.
 *
 * The server is a throwaway redis-server with locus_ai.so (tests/support fixture), or --ssdb ADDR and
 * --unix PATH of a running one. */
#include "locus/locus.h"
#include "server.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct bench_cfg {
    int rounds;
    double min_phase_s; /* iterations are chosen so a phase lasts about this long */
    const char *csv;
    const char *ssdb, *unix_path;
    int fortran_only; /* --fortran-only: just the layout comparison */
} bench_cfg;

typedef struct shared {
    pthread_barrier_t bar;
    double t[2][32][64]; /* phase (0 liblocus, 1 hiredis), round, process: seconds */
} shared;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static redisContext *raw_connect(const char *addr) {
    struct timeval tv = {5, 0};
    if (strncmp(addr, "unix://", 7) == 0)
        return redisConnectUnixWithTimeout(addr + 7, tv);
    char host[256];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    *colon = 0;
    return redisConnectWithTimeout(host, atoi(colon + 1), tv);
}

/* One worker process: rounds x (liblocus phase, hiredis phase). */
static void worker(int id, const char *addr, size_t bytes, long iters, int rounds, shared *sh) {
    locus_options o;
    locus_options_init(&o);
    o.address = addr;
    locus_client *c;
    if (locus_client_create(&o, &c) != LOCUS_OK) {
        fprintf(stderr, "worker %d: %s\n", id, locus_last_error());
        _exit(1);
    }
    redisContext *r = raw_connect(addr);
    if (!r || r->err) {
        fprintf(stderr, "worker %d: hiredis connect failed\n", id);
        _exit(1);
    }
    char *buf = malloc(bytes), *out = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        buf[i] = (char)(i * 31 + (size_t)id);
    size_t dims[1] = {bytes};
    char key[64], rkey[64];
    snprintf(key, sizeof key, "bench:locus:%d", id);
    snprintf(rkey, sizeof rkey, "bench:raw:%d", id);
    for (int round = 0; round < rounds; round++) {
        pthread_barrier_wait(&sh->bar);
        double t0 = now_s();
        for (long i = 0; i < iters; i++) {
            if (locus_put_tensor(c, key, buf, dims, 1, LOCUS_DTYPE_UINT8, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK ||
                locus_unpack_tensor(c, key, out, dims, 1, LOCUS_DTYPE_UINT8, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK) {
                fprintf(stderr, "worker %d: %s\n", id, locus_last_error());
                _exit(1);
            }
        }
        sh->t[0][round][id] = now_s() - t0;
        pthread_barrier_wait(&sh->bar);
        t0 = now_s();
        for (long i = 0; i < iters; i++) {
            redisReply *a = redisCommand(r, "SET %s %b", rkey, buf, bytes);
            redisReply *b = a ? redisCommand(r, "GET %s", rkey) : NULL;
            if (!a || !b || b->len != bytes) {
                fprintf(stderr, "worker %d: hiredis failed\n", id);
                _exit(1);
            }
            freeReplyObject(a);
            freeReplyObject(b);
        }
        sh->t[1][round][id] = now_s() - t0;
    }
    if (memcmp(buf, out, bytes) != 0) {
        fprintf(stderr, "worker %d: data mismatch\n", id);
        _exit(1);
    }
    locus_client_destroy(c);
    redisFree(r);
    free(buf), free(out);
    _exit(0);
}

/* Iterations for about min_phase_s per phase, from a short single-process probe. */
static long pick_iters(const char *addr, size_t bytes, double min_phase_s) {
    locus_options o;
    locus_options_init(&o);
    o.address = addr;
    locus_client *c;
    if (locus_client_create(&o, &c) != LOCUS_OK)
        return 100;
    char *buf = calloc(1, bytes);
    size_t dims[1] = {bytes};
    long n = 0;
    double t0 = now_s();
    while (now_s() - t0 < 0.1) {
        locus_put_tensor(c, "bench:probe", buf, dims, 1, LOCUS_DTYPE_UINT8, LOCUS_LAYOUT_CONTIGUOUS);
        locus_unpack_tensor(c, "bench:probe", buf, dims, 1, LOCUS_DTYPE_UINT8, LOCUS_LAYOUT_CONTIGUOUS);
        n++;
    }
    double per = (now_s() - t0) / (double)n;
    locus_client_destroy(c);
    free(buf);
    long it = (long)(min_phase_s / per);
    return it < 10 ? 10 : it;
}

typedef struct point {
    const char *transport;
    int procs;
    size_t bytes;
    double locus_rate, raw_rate, ratio, ratio_min;
} point;

static int run_point(const char *addr, size_t bytes, int procs, const bench_cfg *cfg, point *p) {
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    pthread_barrierattr_t ba;
    pthread_barrierattr_init(&ba);
    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&sh->bar, &ba, (unsigned)procs);
    long iters = pick_iters(addr, bytes, cfg->min_phase_s);
    pid_t pids[64];
    for (int i = 0; i < procs; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            worker(i, addr, bytes, iters, cfg->rounds, sh);
    }
    int ok = 1;
    for (int i = 0; i < procs; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    double ratios[32], lr[32], rr[32];
    for (int r = 0; r < cfg->rounds; r++) {
        double tl = 0, tr = 0;
        for (int i = 0; i < procs; i++) {
            tl = sh->t[0][r][i] > tl ? sh->t[0][r][i] : tl;
            tr = sh->t[1][r][i] > tr ? sh->t[1][r][i] : tr;
        }
        lr[r] = (double)iters * procs / tl;
        rr[r] = (double)iters * procs / tr;
        ratios[r] = lr[r] / rr[r];
    }
    qsort(ratios, (size_t)cfg->rounds, sizeof(double), cmp_d);
    qsort(lr, (size_t)cfg->rounds, sizeof(double), cmp_d);
    qsort(rr, (size_t)cfg->rounds, sizeof(double), cmp_d);
    p->bytes = bytes;
    p->procs = procs;
    p->ratio = ratios[cfg->rounds / 2];
    p->ratio_min = ratios[0];
    p->locus_rate = lr[cfg->rounds / 2];
    p->raw_rate = rr[cfg->rounds / 2];
    pthread_barrier_destroy(&sh->bar);
    munmap(sh, sizeof *sh);
    return ok ? 0 : -1;
}

/* Fortran-layout put against C-layout put of the same 1 MiB real64 array (128 x 1024), one process. */
static int fortran_put(const char *addr, int rounds, double *ratio, double *c_ms, double *f_ms) {
    locus_options o;
    locus_options_init(&o);
    o.address = addr;
    locus_client *c;
    if (locus_client_create(&o, &c) != LOCUS_OK)
        return -1;
    size_t dims[2] = {128, 1024}, n = 128 * 1024;
    double *a = malloc(n * 8);
    for (size_t i = 0; i < n; i++)
        a[i] = (double)i;
    int iters = 200;
    double rc[32], rf[32], tc[32], tf[32];
    /* C and Fortran puts alternate one by one, so drifts of the machine hit both alike */
    for (int r = 0; r < rounds; r++) {
        double sc = 0, sf = 0;
        for (int i = 0; i < iters; i++) {
            double t0 = now_s();
            if (locus_put_tensor(c, "bench:c", a, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
                return -1;
            double t1 = now_s();
            if (locus_put_tensor(c, "bench:f", a, dims, 2, LOCUS_DTYPE_DOUBLE, LOCUS_LAYOUT_FORTRAN_CONTIGUOUS) !=
                LOCUS_OK)
                return -1;
            sc += t1 - t0;
            sf += now_s() - t1;
        }
        tc[r] = sc / iters;
        tf[r] = sf / iters;
        rc[r] = tf[r] / tc[r];
        rf[r] = 0;
    }
    (void)rf;
    qsort(rc, (size_t)rounds, sizeof(double), cmp_d);
    qsort(tc, (size_t)rounds, sizeof(double), cmp_d);
    qsort(tf, (size_t)rounds, sizeof(double), cmp_d);
    *ratio = rc[rounds / 2];
    *c_ms = tc[rounds / 2] * 1e3;
    *f_ms = tf[rounds / 2] * 1e3;
    free(a);
    locus_client_destroy(c);
    return 0;
}

int main(int argc, char **argv) {
    bench_cfg cfg = {.rounds = 5, .min_phase_s = 0.4};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            cfg.rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--phase") && i + 1 < argc)
            cfg.min_phase_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            cfg.csv = argv[++i];
        else if (!strcmp(argv[i], "--ssdb") && i + 1 < argc)
            cfg.ssdb = argv[++i];
        else if (!strcmp(argv[i], "--unix") && i + 1 < argc)
            cfg.unix_path = argv[++i];
        else if (!strcmp(argv[i], "--fortran-only"))
            cfg.fortran_only = 1;
        else {
            fprintf(stderr, "usage: %s [--rounds N (1-31)] [--phase SECONDS] [--csv FILE] "
                            "[--ssdb HOST:PORT --unix PATH] [--fortran-only]\n", argv[0]);
            return 2;
        }
    }
    if (cfg.rounds < 1 || cfg.rounds > 31)
        cfg.rounds = 5;
    lt_server srv;
    char tcp[64], uaddr[400];
    int own = !cfg.ssdb;
    if (own) {
        lt_server_opts o = {0};
        o.module = getenv("LOCUS_MODULE_PATH") ? NULL : LOCUS_BENCH_MODULE;
        o.unix_socket = true;
        o.no_valgrind = true;
        if (lt_server_start(&srv, &o) != 0)
            return 1;
        snprintf(tcp, sizeof tcp, "127.0.0.1:%d", srv.port);
        snprintf(uaddr, sizeof uaddr, "unix://%s", srv.sock);
    } else {
        snprintf(tcp, sizeof tcp, "%s", cfg.ssdb);
        snprintf(uaddr, sizeof uaddr, "unix://%s", cfg.unix_path ? cfg.unix_path : "");
    }
    FILE *csv = cfg.csv ? fopen(cfg.csv, "w") : NULL;
    if (csv)
        fprintf(csv, "transport,procs,bytes,locus_iter_per_s,hiredis_iter_per_s,ratio_median,ratio_min\n");
    printf("liblocus put+unpack vs hiredis SET+GET, same bytes, same server; median of %d rounds\n", cfg.rounds);
    printf("%-9s %5s %9s %14s %14s %8s %8s\n", "transport", "procs", "bytes", "locus it/s", "hiredis it/s",
           "ratio", "min");
    const char *tnames[2] = {"tcp", "unix"};
    const char *addrs[2] = {tcp, uaddr};
    size_t sizes[3] = {1024, 64 * 1024, 1024 * 1024};
    int procs[2] = {1, 4}, fails = 0;
    double worst = 1e9;
    for (int t = 0; t < 2 && !cfg.fortran_only; t++) {
        if (t == 1 && !own && !cfg.unix_path)
            continue;
        for (int pi = 0; pi < 2; pi++)
            for (int si = 0; si < 3; si++) {
                point p = {.transport = tnames[t]};
                if (run_point(addrs[t], sizes[si], procs[pi], &cfg, &p) != 0) {
                    fprintf(stderr, "point %s/%d/%zu failed\n", tnames[t], procs[pi], sizes[si]);
                    fails++;
                    continue;
                }
                worst = p.ratio < worst ? p.ratio : worst;
                printf("%-9s %5d %9zu %14.0f %14.0f %8.3f %8.3f\n", p.transport, p.procs, p.bytes, p.locus_rate,
                       p.raw_rate, p.ratio, p.ratio_min);
                fflush(stdout);
                if (csv)
                    fprintf(csv, "%s,%d,%zu,%.1f,%.1f,%.4f,%.4f\n", p.transport, p.procs, p.bytes, p.locus_rate,
                            p.raw_rate, p.ratio, p.ratio_min);
            }
    }
    double fr, cms, fms;
    if (fortran_put(tcp, cfg.rounds, &fr, &cms, &fms) == 0) {
        printf("put of 1 MiB real64 (128x1024): C layout %.3f ms, Fortran layout %.3f ms, ratio %.3f (target <= 1.3)\n",
               cms, fms, fr);
        if (csv)
            fprintf(csv, "fortran_put,1,1048576,%.4f,%.4f,%.4f,\n", fms, cms, fr);
    } else {
        fails++;
    }
    if (!cfg.fortran_only)
        printf("worst median ratio %.3f (target >= 0.9)\n", worst);
    if (csv)
        fclose(csv);
    if (own)
        lt_server_stop(&srv, false);
    return fails ? 1 : 0;
}
