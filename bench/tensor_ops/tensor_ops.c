/* bench/tensor_ops: what does storing data as a tensor cost compared with a plain Redis string?
 *
 * Against one redis-server with locus_ai.so loaded (started here on a free loopback port), N client
 * processes run, for each value size, a timed loop of AI.TENSORSET key UINT8 n BLOB <bytes> and one of
 * AI.TENSORGET key BLOB, and the same loops with SET and GET of the same bytes. Plain and tensor phases
 * alternate for several rounds so that drift on a shared machine hits both; the reported figure is the
 * median round. Output: a table (ops/s, GB/s, p50/p99 latency, ratio tensor/plain) and optionally CSV.
 *
 *   tensor_ops [--sizes 1024,65536,1048576,4194304] [--clients 1,4] [--seconds 1.0] [--rounds 5]
 *              [--csv FILE] [--module PATH]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define MAX_LIST 16
#define MAX_ROUNDS 64

typedef struct bench_config {
    size_t sizes[MAX_LIST];
    int nsizes;
    int clients[MAX_LIST];
    int nclients;
    double seconds;
    int rounds;
    const char *csv;
    const char *module;
} bench_config;

typedef enum { OP_PLAIN_SET, OP_PLAIN_GET, OP_TENSOR_SET, OP_TENSOR_GET } op_kind;
static const char *op_names[] = {"SET", "GET", "AI.TENSORSET", "AI.TENSORGET"};

typedef struct phase_result {
    double ops_per_s;
    double p50_us, p99_us;
    double cpu_us_per_op; /* the server's CPU time (user + system, all its threads) per operation */
} phase_result;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p) {
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* One client's loop; writes "ops p50 p99" to fd. Keys are per client so clients never contend on a key. */
static int cpu_count(cpu_set_t *set) {
    CPU_ZERO(set);
    sched_getaffinity(0, sizeof *set, set);
    return CPU_COUNT(set);
}

/* Pin `pid` (0 = this process) to the n-th allowed CPU (n taken modulo the count). */
static void pin_to_nth(pid_t pid, int n) {
    cpu_set_t all, one;
    int count = cpu_count(&all);
    if (count < 2)
        return;
    int want = n % count, seen = 0;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all) && seen++ == want) {
            CPU_SET(c, &one);
            break;
        }
    sched_setaffinity(pid, sizeof one, &one);
}

static bool g_pin = true;

/* The server has CPU slot 0. Clients get a CPU each (slots 1..clients) when enough are allowed; otherwise they
 * share slot 1, so that they never take the server's CPU. */
static bool clients_own_cpus(int clients) {
    cpu_set_t all;
    return cpu_count(&all) >= clients + 1;
}

static void client_loop(int port, op_kind op, size_t size, double seconds, int id, int clients, int start_fd,
                        int out_fd) {
    if (g_pin)
        pin_to_nth(0, clients_own_cpus(clients) ? 1 + id : 1);
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err) {
        fprintf(stderr, "client %d: connect failed\n", id);
        _exit(1);
    }
    char *val = malloc(size);
    for (size_t i = 0; i < size; i++)
        val[i] = (char)(i * 31 + id);
    char key[32], dim[32];
    snprintf(key, sizeof key, "bench:%d:%s", id, op <= OP_PLAIN_GET ? "s" : "t");
    snprintf(dim, sizeof dim, "%zu", size);
    const char *set_plain[] = {"SET", key, val};
    size_t set_plain_len[] = {3, strlen(key), size};
    const char *set_tensor[] = {"AI.TENSORSET", key, "UINT8", dim, "BLOB", val};
    size_t set_tensor_len[] = {12, strlen(key), 5, strlen(dim), 4, size};
    const char *get_plain[] = {"GET", key};
    size_t get_plain_len[] = {3, strlen(key)};
    const char *get_tensor[] = {"AI.TENSORGET", key, "BLOB"};
    size_t get_tensor_len[] = {12, strlen(key), 4};

    /* GET phases read a value stored beforehand. */
    if (op == OP_PLAIN_GET)
        freeReplyObject(redisCommandArgv(c, 3, set_plain, set_plain_len));
    if (op == OP_TENSOR_GET)
        freeReplyObject(redisCommandArgv(c, 6, set_tensor, set_tensor_len));

    char go;
    if (read(start_fd, &go, 1) != 1)
        _exit(1);
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        redisReply *r;
        switch (op) {
        case OP_PLAIN_SET: r = redisCommandArgv(c, 3, set_plain, set_plain_len); break;
        case OP_PLAIN_GET: r = redisCommandArgv(c, 2, get_plain, get_plain_len); break;
        case OP_TENSOR_SET: r = redisCommandArgv(c, 6, set_tensor, set_tensor_len); break;
        default: r = redisCommandArgv(c, 3, get_tensor, get_tensor_len); break;
        }
        double t1 = now_s();
        if (r == NULL || r->type == REDIS_REPLY_ERROR ||
            ((op == OP_PLAIN_GET || op == OP_TENSOR_GET) && (r->type != REDIS_REPLY_STRING || r->len != size))) {
            fprintf(stderr, "client %d: %s failed: %s\n", id, op_names[op], r ? r->str : c->errstr);
            _exit(1);
        }
        freeReplyObject(r);
        if (n < cap)
            lat[n] = (t1 - t) * 1e6;
        n++;
        t = t1;
    }
    double elapsed = t - t0;
    size_t kept = n < cap ? n : cap;
    char line[128];
    int len = snprintf(line, sizeof line, "%.3f %.2f %.2f %zu\n", (double)n / elapsed, percentile(lat, kept, 0.5),
                       percentile(lat, kept, 0.99), n);
    if (write(out_fd, line, (size_t)len) != len)
        _exit(1);
    redisFree(c);
    _exit(0);
}

/* The server's CPU seconds so far (INFO cpu: used_cpu_sys + used_cpu_user). */
static double server_cpu_s(redisContext *ctl) {
    redisReply *r = redisCommand(ctl, "INFO cpu");
    double sys = 0, user = 0;
    const char *p;
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        if ((p = strstr(r->str, "used_cpu_sys:")) != NULL)
            sys = atof(p + strlen("used_cpu_sys:"));
        if ((p = strstr(r->str, "used_cpu_user:")) != NULL)
            user = atof(p + strlen("used_cpu_user:"));
    }
    freeReplyObject(r);
    return sys + user;
}

/* Run `clients` processes of one phase together; aggregate ops/s, average their percentiles, and divide the
 * server's CPU time over the phase by the operations done. */
static phase_result run_phase(int port, redisContext *ctl, op_kind op, size_t size, int clients, double seconds) {
    int start[2], out[2];
    if (pipe(start) != 0 || pipe(out) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pids[MAX_LIST * 8];
    for (int i = 0; i < clients; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(start[1]);
            close(out[0]);
            client_loop(port, op, size, seconds, i, clients, start[0], out[1]);
        }
    }
    close(start[0]);
    close(out[1]);
    usleep(50000); /* let every client connect and prepare */
    double cpu0 = server_cpu_s(ctl);
    char go[64] = {0};
    if (write(start[1], go, (size_t)clients) != clients)
        perror("write");
    phase_result res = {0};
    FILE *f = fdopen(out[0], "r");
    double ops, p50, p99, total = 0;
    size_t n;
    int got = 0;
    while (fscanf(f, "%lf %lf %lf %zu", &ops, &p50, &p99, &n) == 4) {
        res.ops_per_s += ops;
        res.p50_us += p50 / clients;
        res.p99_us += p99 / clients;
        total += (double)n;
        got++;
    }
    fclose(f);
    close(start[1]);
    for (int i = 0; i < clients; i++)
        waitpid(pids[i], NULL, 0);
    res.cpu_us_per_op = total > 0 ? (server_cpu_s(ctl) - cpu0) * 1e6 / total : 0;
    if (got != clients) {
        fprintf(stderr, "tensor_ops: %d of %d clients failed in %s\n", clients - got, clients, op_names[op]);
        exit(1);
    }
    return res;
}

static int parse_list(const char *s, size_t *out, int max) {
    int n = 0;
    char *copy = strdup(s);
    for (char *tok = strtok(copy, ","); tok && n < max; tok = strtok(NULL, ",")) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(tok, &end, 10);
        if (*end != '\0' || errno || v == 0) {
            fprintf(stderr, "tensor_ops: '%s' is not a positive integer\n", tok);
            exit(2);
        }
        out[n++] = v;
    }
    free(copy);
    return n;
}

static void usage(FILE *f) {
    fprintf(f, "usage: tensor_ops [--sizes LIST] [--clients LIST] [--seconds S] [--rounds N] [--csv FILE]"
               " [--module PATH]\n"
               "  --sizes    value sizes in bytes (default 1024,65536,1048576,4194304)\n"
               "  --clients  client process counts (default 1,4)\n"
               "  --seconds  length of each timed phase (default 1.0)\n"
               "  --rounds   plain/tensor alternations, 1 .. 64; the round with the median ratio is reported,\n"
               "             with the lowest and highest ratio of all rounds (default 5)\n"
               "  --csv      also write the table as CSV\n"
               "  --module   locus_ai.so (default: $LOCUS_MODULE_PATH or the build tree's)\n"
               "  --no-pin   do not pin the server to the first CPU and the clients to the others\n");
}

int main(int argc, char **argv) {
    bench_config cfg = {.sizes = {1024, 65536, 1048576, 4194304}, .nsizes = 4, .clients = {1, 4}, .nclients = 2,
                        .seconds = 1.0, .rounds = 5, .module = getenv("LOCUS_MODULE_PATH")};
    if (cfg.module == NULL)
        cfg.module = LOCUS_DEFAULT_MODULE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--no-pin") == 0) {
            g_pin = false;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "tensor_ops: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(a, "--sizes") == 0) {
            cfg.nsizes = parse_list(v, cfg.sizes, MAX_LIST);
        } else if (strcmp(a, "--clients") == 0) {
            size_t tmp[MAX_LIST];
            cfg.nclients = parse_list(v, tmp, MAX_LIST);
            for (int k = 0; k < cfg.nclients; k++)
                cfg.clients[k] = tmp[k] > 64 ? 64 : (int)tmp[k];
        } else if (strcmp(a, "--seconds") == 0) {
            cfg.seconds = atof(v);
        } else if (strcmp(a, "--rounds") == 0) {
            cfg.rounds = atoi(v);
            if (cfg.rounds < 1 || cfg.rounds > MAX_ROUNDS) {
                fprintf(stderr, "tensor_ops: --rounds must be 1 .. %d, not '%s'\n", MAX_ROUNDS, v);
                return 2;
            }
        } else if (strcmp(a, "--csv") == 0) {
            cfg.csv = v;
        } else if (strcmp(a, "--module") == 0) {
            cfg.module = v;
        } else {
            fprintf(stderr, "tensor_ops: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }

    lt_server s;
    lt_server_opts o = {.module = cfg.module, .no_valgrind = true};
    if (lt_server_start(&s, &o) != 0)
        return 1;
    if (g_pin)
        pin_to_nth(s.pid, 0);
    if (g_pin) {
        cpu_set_t all;
        printf("# placement (%d CPUs allowed): server on CPU slot 0; each client on its own CPU (slots 1..N) "
               "where N+1 CPUs are allowed, else all clients on slot 1\n", cpu_count(&all));
    } else {
        printf("# placement: not pinned\n");
    }
    redisContext *ctl = redisConnect("127.0.0.1", s.port);
    if (ctl == NULL || ctl->err) {
        fprintf(stderr, "tensor_ops: cannot connect to the server on port %d\n", s.port);
        lt_server_stop(&s, false);
        return 1;
    }
    FILE *csv = cfg.csv ? fopen(cfg.csv, "w") : NULL;
    if (csv)
        fprintf(csv, "op,size,clients,plain_ops_s,tensor_ops_s,plain_gb_s,tensor_gb_s,plain_p50_us,tensor_p50_us,"
                     "plain_p99_us,tensor_p99_us,ratio,ratio_lo,ratio_hi,plain_cpu_us_op,tensor_cpu_us_op,"
                     "cpu_ratio\n");
    printf("# ratio: tensor op/s over plain op/s (the target); cpu ratio: the server's CPU time per plain operation "
           "over that per tensor operation (below 1: the tensor command costs the server more)\n");
    printf("%-4s %9s %7s %11s %11s %8s %8s %10s %10s %6s %13s %12s %6s\n", "op", "size", "clients", "plain op/s",
           "tensor op/s", "plain GB/s", "tens GB/s", "p50 us p/t", "p99 us p/t", "ratio", "rounds lo-hi",
           "cpu us/op p/t", "cpu ratio");
    double worst = 1e9, worst_cpu = 1e9;
    for (int si = 0; si < cfg.nsizes; si++) {
        for (int ci = 0; ci < cfg.nclients; ci++) {
            for (int get = 0; get <= 1; get++) {
                op_kind plain_op = get ? OP_PLAIN_GET : OP_PLAIN_SET, tensor_op = get ? OP_TENSOR_GET : OP_TENSOR_SET;
                phase_result pr[MAX_ROUNDS], tr[MAX_ROUNDS];
                double ratios[MAX_ROUNDS], cpu_ratios[MAX_ROUNDS];
                int R = cfg.rounds;
                for (int r = 0; r < R; r++) {
                    /* which side goes first alternates, so that an order effect cancels in the median */
                    if (r % 2 == 0) {
                        pr[r] = run_phase(s.port, ctl, plain_op, cfg.sizes[si], cfg.clients[ci], cfg.seconds);
                        tr[r] = run_phase(s.port, ctl, tensor_op, cfg.sizes[si], cfg.clients[ci], cfg.seconds);
                    } else {
                        tr[r] = run_phase(s.port, ctl, tensor_op, cfg.sizes[si], cfg.clients[ci], cfg.seconds);
                        pr[r] = run_phase(s.port, ctl, plain_op, cfg.sizes[si], cfg.clients[ci], cfg.seconds);
                    }
                    ratios[r] = tr[r].ops_per_s / pr[r].ops_per_s;
                    cpu_ratios[r] = tr[r].cpu_us_per_op > 0 ? pr[r].cpu_us_per_op / tr[r].cpu_us_per_op : 0;
                }
                double cpu_sorted[MAX_ROUNDS];
                memcpy(cpu_sorted, cpu_ratios, sizeof(double) * R);
                qsort(cpu_sorted, R, sizeof(double), cmp_double);
                double cpu_ratio = cpu_sorted[R / 2];
                /* Report the round with the median ratio, so the table's figures belong together. */
                double sorted[MAX_ROUNDS];
                memcpy(sorted, ratios, sizeof(double) * R);
                qsort(sorted, R, sizeof(double), cmp_double);
                int m = 0;
                for (int r = 0; r < R; r++)
                    if (ratios[r] == sorted[R / 2])
                        m = r;
                double size_gb = (double)cfg.sizes[si] / 1e9;
                printf("%-4s %9zu %7d %11.0f %11.0f %8.3f %8.3f %5.0f/%-5.0f %5.0f/%-5.0f %6.3f %6.3f-%-6.3f "
                       "%6.1f/%-6.1f %6.3f\n",
                       get ? "get" : "set", cfg.sizes[si], cfg.clients[ci], pr[m].ops_per_s, tr[m].ops_per_s,
                       pr[m].ops_per_s * size_gb, tr[m].ops_per_s * size_gb, pr[m].p50_us, tr[m].p50_us, pr[m].p99_us,
                       tr[m].p99_us, ratios[m], sorted[0], sorted[R - 1], pr[m].cpu_us_per_op, tr[m].cpu_us_per_op,
                       cpu_ratio);
                fflush(stdout);
                if (csv)
                    fprintf(csv, "%s,%zu,%d,%.0f,%.0f,%.4f,%.4f,%.1f,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.2f,%.2f,%.4f\n",
                            get ? "get" : "set", cfg.sizes[si], cfg.clients[ci], pr[m].ops_per_s, tr[m].ops_per_s,
                            pr[m].ops_per_s * size_gb, tr[m].ops_per_s * size_gb, pr[m].p50_us, tr[m].p50_us,
                            pr[m].p99_us, tr[m].p99_us, ratios[m], sorted[0], sorted[R - 1], pr[m].cpu_us_per_op,
                            tr[m].cpu_us_per_op, cpu_ratio);
                if (ratios[m] < worst)
                    worst = ratios[m];
                if (cpu_ratio < worst_cpu)
                    worst_cpu = cpu_ratio;
            }
        }
    }
    printf("worst ratio tensor/plain: %.3f (target >= 0.95); worst server CPU ratio: %.3f\n", worst, worst_cpu);
    if (csv)
        fclose(csv);
    redisFree(ctl);
    lt_server_stop(&s, false);
    return 0;
}
