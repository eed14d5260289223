/* Shared helpers of the liblocus integration tests. */
#ifndef LOCUS_TEST_CLIENT_COMMON_H
#define LOCUS_TEST_CLIENT_COMMON_H

#include "locus/locus.h"
#include "server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OK(expr)                                                                                             \
    do {                                                                                                     \
        locus_status _s = (expr);                                                                            \
        lt_checks++;                                                                                         \
        if (_s != LOCUS_OK) {                                                                                \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #expr, locus_status_name(_s),       \
                    locus_last_error());                                                                     \
            lt_failures++;                                                                                   \
        }                                                                                                    \
    } while (0)

/* Start `s` listening on a free loopback port and on its Unix socket s->sock (mode 700, in its data directory);
 * `dir` reuses a data directory (a restart: the same socket path), NULL makes a new one. Returns
 * lt_server_start's result. */
static inline int start_server_with_socket(lt_server *s, const char *dir) {
    lt_server_opts o = {0};
    o.dir = dir;
    o.unix_socket = true;
    return lt_server_start(s, &o);
}

/* A client configured from the environment (SSDB, SR_*, SSKEY*); the test stops when there is none. */
static inline locus_client *client(void) {
    locus_client *c = NULL;
    OK(locus_client_create_from_env(NULL, &c));
    REQUIRE(c != NULL);
    return c;
}

static inline double lt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const locus_dtype all_types[] = {LOCUS_DTYPE_DOUBLE, LOCUS_DTYPE_FLOAT, LOCUS_DTYPE_INT8,
                                        LOCUS_DTYPE_INT16,  LOCUS_DTYPE_INT32, LOCUS_DTYPE_INT64,
                                        LOCUS_DTYPE_UINT8,  LOCUS_DTYPE_UINT16, LOCUS_DTYPE_BOOL};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

/* Fill n elements of type t with a pattern that differs per element (mod the type's range). */
static inline void fill_pattern(void *p, locus_dtype t, size_t n, int seed) {
    for (size_t i = 0; i < n; i++) {
        long v = (long)(i * 7 + (size_t)seed);
        switch (t) {
        case LOCUS_DTYPE_DOUBLE: ((double *)p)[i] = v * 0.25 - 3; break;
        case LOCUS_DTYPE_FLOAT: ((float *)p)[i] = (float)(v * 0.5 - 1); break;
        case LOCUS_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)(v % 250 - 120); break;
        case LOCUS_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)(v - 300); break;
        case LOCUS_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)(v * 1000 - 7); break;
        case LOCUS_DTYPE_INT64: ((int64_t *)p)[i] = (int64_t)v * 100000000000LL - 5; break;
        case LOCUS_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
        case LOCUS_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)(v * 3); break;
        case LOCUS_DTYPE_BOOL: ((uint8_t *)p)[i] = (uint8_t)(v & 1); break;
        default: break;
        }
    }
}

#endif
