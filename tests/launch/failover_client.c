/* A liblocus client that writes and reads tensors without pause while the test kills a node, and then checks
 * that every write the library acknowledged is there with its value.
 *
 *   failover_client PREFIX SECONDS ELEMENTS LOG [ACKED]
 *   failover_client --check PREFIX ELEMENTS ACKED
 *
 * Configured by the environment `locus db env` prints. For SECONDS it puts tensor PREFIX:<n> (ELEMENTS int64
 * values derived from n; one new key per write, so a write that failed cannot hide an acknowledged one) and
 * unpacks the latest acknowledged one. Every failed operation goes to LOG as
 *   fail <op> <key> <start> <end> <message>
 * with wall-clock seconds (the test compares them with the time of its kill), and every stretch of more
 * than half a second without an acknowledged write as
 *   gap <last ack before> <first ack after>
 * Then every acknowledged key is unpacked: missing ones are "lost", different ones "wrong". The last line on
 * stdout is the summary
 *   acked=N put_failed=N get_ok=N get_failed=N mismatched=N lost=N wrong=N
 * and ACKED, when given, receives the acknowledged numbers as ranges ("first last" per line), which --check
 * reads back later (after a restart of the database) to print
 *   checked=N lost=N wrong=N
 * Exit 0 when the run happened (the test judges the numbers), 1 when the client could not start. */
#include <locus/locus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(int64_t *v, size_t n, long seq) {
    for (size_t j = 0; j < n; j++)
        v[j] = seq * 1000003 + (int64_t)j;
}

/* 0: the key holds seq's values; 1: it holds something else; -1: the read failed. */
static int check_key(locus_client *c, const char *key, long seq, int64_t *buf, int64_t *want, size_t n) {
    size_t dims[1] = {n};
    if (locus_unpack_tensor(c, key, buf, dims, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
        return -1;
    fill(want, n, seq);
    return memcmp(buf, want, n * sizeof *buf) == 0 ? 0 : 1;
}

/* Every key of the ranges in the file at path holds its values: prints checked=, lost=, wrong=. */
static int check_acked(const char *prefix, size_t n, const char *path) {
    FILE *f = fopen(path, "r");
    locus_client *c;
    if (!f || locus_client_create_from_env(NULL, &c) != LOCUS_OK) {
        fprintf(stderr, "failover_client: %s: %s\n", path, f ? locus_last_error() : "cannot read");
        return 1;
    }
    int64_t *buf = malloc(n * sizeof *buf), *want = malloc(n * sizeof *want);
    long first, last, checked = 0, lost = 0, wrong = 0;
    char key[128];
    while (buf && want && fscanf(f, "%ld %ld", &first, &last) == 2) {
        for (long k = first; k <= last; k++, checked++) {
            snprintf(key, sizeof key, "%s:%ld", prefix, k);
            int got = check_key(c, key, k, buf, want, n);
            if (got != 0 && lost + wrong < 5)
                fprintf(stderr, "%s %s %s\n", got > 0 ? "wrong" : "lost", key, got > 0 ? "" : locus_last_error());
            got > 0 ? wrong++ : got < 0 ? lost++ : 0;
        }
    }
    printf("checked=%ld lost=%ld wrong=%ld\n", checked, lost, wrong);
    fclose(f);
    free(buf), free(want);
    locus_client_destroy(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--check") == 0)
        return check_acked(argv[2], (size_t)atol(argv[3]), argv[4]);
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: failover_client PREFIX SECONDS ELEMENTS LOG [ACKED]\n"
                        "       failover_client --check PREFIX ELEMENTS ACKED\n");
        return 2;
    }
    const char *prefix = argv[1];
    double seconds = atof(argv[2]);
    size_t n = (size_t)atol(argv[3]);
    FILE *log = fopen(argv[4], "w");
    if (!log || n == 0 || seconds <= 0) {
        fprintf(stderr, "failover_client: bad arguments or cannot write %s\n", argv[4]);
        return 2;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    locus_client *c;
    if (locus_client_create_from_env(NULL, &c) != LOCUS_OK) {
        fprintf(stderr, "failover_client: %s\n", locus_last_error());
        return 1;
    }
    int64_t *v = malloc(n * sizeof *v), *buf = malloc(n * sizeof *buf), *want = malloc(n * sizeof *want);
    size_t cap = 1 << 16;
    unsigned char *acked = calloc(cap, 1);
    if (!v || !buf || !want || !acked)
        return 1;
    long seq = 0, last_acked = -1, nacked = 0, put_failed = 0, get_ok = 0, get_failed = 0, mismatched = 0;
    double end = wall_s() + seconds, last_ack_t = wall_s();
    char key[128];
    while (wall_s() < end) {
        seq++;
        if ((size_t)seq >= cap) {
            unsigned char *more = realloc(acked, cap * 2);
            if (!more)
                return 1;
            memset(more + cap, 0, cap);
            acked = more, cap *= 2;
        }
        snprintf(key, sizeof key, "%s:%ld", prefix, seq);
        fill(v, n, seq);
        size_t dims[1] = {n};
        double t0 = wall_s();
        locus_status st = locus_put_tensor(c, key, v, dims, 1, LOCUS_DTYPE_INT64, LOCUS_LAYOUT_CONTIGUOUS);
        double t1 = wall_s();
        if (st == LOCUS_OK) {
            acked[seq] = 1, nacked++, last_acked = seq;
            if (t1 - last_ack_t > 0.5)
                fprintf(log, "gap %.3f %.3f\n", last_ack_t, t1);
            last_ack_t = t1;
        } else {
            put_failed++;
            fprintf(log, "fail put %s %.3f %.3f %s\n", key, t0, t1, locus_last_error());
        }
        if (last_acked < 0)
            continue;
        snprintf(key, sizeof key, "%s:%ld", prefix, last_acked);
        t0 = wall_s();
        int got = check_key(c, key, last_acked, buf, want, n);
        t1 = wall_s();
        if (got == 0)
            get_ok++;
        else if (got > 0)
            mismatched++, fprintf(log, "mismatch get %s %.3f %.3f\n", key, t0, t1);
        else
            get_failed++, fprintf(log, "fail get %s %.3f %.3f %s\n", key, t0, t1, locus_last_error());
    }
    long lost = 0, wrong = 0;
    for (long k = 1; k <= seq; k++) {
        if (!acked[k])
            continue;
        snprintf(key, sizeof key, "%s:%ld", prefix, k);
        int got = check_key(c, key, k, buf, want, n);
        if (got != 0) {
            fprintf(log, "%s %s %s\n", got > 0 ? "wrong" : "lost", key, got > 0 ? "" : locus_last_error());
            got > 0 ? wrong++ : lost++;
        }
    }
    FILE *out = argc == 6 ? fopen(argv[5], "w") : NULL;
    for (long k = 1; out && k <= seq; k++) {
        if (!acked[k] || acked[k - 1])
            continue;
        long last = k;
        while (last < seq && acked[last + 1])
            last++;
        fprintf(out, "%ld %ld\n", k, last);
    }
    if (out)
        fclose(out);
    printf("acked=%ld put_failed=%ld get_ok=%ld get_failed=%ld mismatched=%ld lost=%ld wrong=%ld\n", nacked,
           put_failed, get_ok, get_failed, mismatched, lost, wrong);
    fclose(log);
    free(v), free(buf), free(want), free(acked);
    locus_client_destroy(c);
    return 0;
}
