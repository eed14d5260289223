/* Test fixture: throwaway redis-server processes with the module loaded.
 *
 * Each server binds 127.0.0.1 on a free port, lives in its own temp directory, and is killed when the test
 * ends however it ends: normal exit (atexit), a failed check (abort), a signal, or the test process being
 * killed outright (the child asks the kernel for SIGKILL when its parent dies).
 *
 * LOCUS_TEST_VALGRIND=1 runs every server under valgrind; lt_server_stop() then reports valgrind errors
 * and leaks whose stack passes through the module as a failure. */
#ifndef LOCUS_TEST_SERVER_H
#define LOCUS_TEST_SERVER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <sys/types.h>

#define LT_MAX_EXTRA 32

typedef struct lt_server_opts {
    const char *module;        /* path of locus_ai.so; NULL = $LOCUS_MODULE_PATH; "" = no module */
    const char *module_args;   /* space-separated load arguments, or NULL */
    const char *dir;           /* reuse this data dir (restart tests); NULL = make a new temp dir */
    const char *extra[LT_MAX_EXTRA]; /* more redis-server arguments, NULL-terminated */
    bool no_valgrind;          /* never wrap this one in valgrind */
    bool unix_socket;          /* also listen on the Unix socket <dir>/redis.sock (lt_server.sock), mode 700 */
} lt_server_opts;

typedef struct lt_server {
    pid_t pid;
    int port;
    char dir[256];
    char log[300];
    char vglog[300];
    char sock[300];  /* the Unix socket's path with opts.unix_socket, else "" */
    bool own_dir;
    bool valgrind;
} lt_server;

/* Start a server and wait until it answers PING (up to 20 s, 120 s under valgrind). Returns 0, or -1 with
 * the reason and the server log tail on stderr. */
int lt_server_start(lt_server *s, const lt_server_opts *o);

/* Stop it (SHUTDOWN NOSAVE semantics: SIGTERM, then SIGKILL after a grace period). Returns 0, or -1 when
 * the server did not exit cleanly by itself (it had to be killed, died of a signal, exited non-zero, or
 * wrote a crash report to its log: before the stop or during it), or valgrind or a sanitizer found errors
 * or module leaks; the reason and the log tail go to stderr, and the data dir is kept. Keeps the data dir
 * when keep_dir is true (for restarts). */
int lt_server_stop(lt_server *s, bool keep_dir);

/* A connection to the server, or abort with a message. Caller frees with redisFree. */
redisContext *lt_connect(const lt_server *s);
/* The same over its Unix socket (a server started with opts.unix_socket). */
redisContext *lt_connect_unix(const lt_server *s);

/* A free TCP port on 127.0.0.1 (bound and released; a tiny race is accepted). */
int lt_free_port(void);

/* Remove a directory tree created by the fixture. */
void lt_rmtree(const char *dir);

/* ---- checks ---- */
extern int lt_failures, lt_checks;
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        lt_checks++;                                                                                         \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                         \
            lt_failures++;                                                                                   \
        }                                                                                                    \
    } while (0)
#define REQUIRE(cond)                                                                                        \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);                       \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

/* Wait until the server's AOF rewrite (BGREWRITEAOF) is neither running nor scheduled: 0, or -1 after 30 s. */
int lt_wait_aof_rewrite(redisContext *c);

/* Run a command (argv form, binary safe); never NULL (aborts on a lost connection). */
redisReply *lt_cmd(redisContext *c, int argc, const char **argv, const size_t *lens);
/* printf-style command through redisCommand; never NULL. */
redisReply *lt_cmdf(redisContext *c, const char *fmt, ...);

/* Print "name: N passed, M failed" (checks) and return the exit status for main. */
int lt_report(const char *name);

#endif
