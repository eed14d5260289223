/* Helpers shared by the RedisAI compatibility tests (test_compat_*.c): a command written as one string and
 * split on spaces, and checks that its reply is exactly an error text or a status. Each check is a CHECK at
 * the caller's line, and a mismatch prints the command, the reply wanted and the reply got. */
#ifndef LOCUS_TEST_COMPAT_UTIL_H
#define LOCUS_TEST_COMPAT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define CU_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* An argument spelled `token` in a command string stands for these bytes (a model blob, say). */
typedef struct cu_blob {
    const char *token;
    const char *data;
    size_t len;
} cu_blob;

/* Run `cmd` split on spaces; "\x01" stands for an empty argument and an argument equal to blob->token for
 * blob's bytes (blob may be NULL). At most 64 arguments. Never NULL; the caller frees the reply. */
static inline redisReply *cu_run_split(redisContext *c, const char *cmd, const cu_blob *blob) {
    char *copy = strdup(cmd);
    const char *argv[64];
    size_t lens[64];
    int n = 0;
    for (char *tok = strtok(copy, " "); tok != NULL && n < 64; tok = strtok(NULL, " "), n++) {
        if (blob != NULL && strcmp(tok, blob->token) == 0) {
            argv[n] = blob->data;
            lens[n] = blob->len;
        } else {
            argv[n] = tok[0] == '\x01' ? "" : tok;
            lens[n] = strlen(argv[n]);
        }
    }
    redisReply *r = lt_cmd(c, n, argv, lens);
    free(copy);
    return r;
}

/* 1 when the reply to `cmd` is the error `want`, whole; else prints both and returns 0. */
static inline int cu_error_is(redisContext *c, const cu_blob *blob, const char *cmd, const char *want) {
    redisReply *r = cu_run_split(c, cmd, blob);
    int ok = r->type == REDIS_REPLY_ERROR && strcmp(r->str, want) == 0;
    if (!ok)
        fprintf(stderr, "  '%.200s':\n    want '%s'\n    got  '%s'\n", cmd, want,
                r->type == REDIS_REPLY_ERROR ? r->str : "(not an error)");
    freeReplyObject(r);
    return ok;
}

/* 1 when the reply to `cmd` is the status `want`; else prints what came and returns 0. */
static inline int cu_status_is(redisContext *c, const char *cmd, const char *want) {
    redisReply *r = cu_run_split(c, cmd, NULL);
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, want) == 0;
    if (!ok)
        fprintf(stderr, "  '%.200s': want %s, got %s\n", cmd, want,
                r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ? r->str
                                                                              : "(another reply type)");
    freeReplyObject(r);
    return ok;
}

#define EXPECT_ERROR(c, cmd, want) CHECK(cu_error_is((c), NULL, (cmd), (want)))
#define EXPECT_ERROR_BLOB(c, blob, cmd, want) CHECK(cu_error_is((c), (blob), (cmd), (want)))
#define EXPECT_STATUS(c, cmd, want) CHECK(cu_status_is((c), (cmd), (want)))

#endif
