/* The HTTP/JSON layer of the live scheduler (docs/sched-serve.md "Transport"), shared by `serve`, `worker`
 * and the job library: a small server (libmicrohttpd, a bounded thread pool) that checks the bearer token,
 * reads at most LH_MAX_BODY bytes of JSON (jansson) and hands (method, path, body) to one handler; and a
 * client call (libcurl) with a timeout and bounded retries. Errors travel as a status and a message. */
#ifndef LOCUS_SCHED_LIVE_HTTP_H
#define LOCUS_SCHED_LIVE_HTTP_H

#include <jansson.h>
#include <stddef.h>

#define LH_MAX_BODY (1 << 20)
#define LH_TOKEN_MAX 256
#define LH_DEFAULT_TIMEOUT_MS 5000
#define LH_RETRIES 3

/* A request: the handler fills *reply (a new JSON object it owns until the layer sends and frees it; a JSON
 * string instead is sent as an HTML page) and returns the HTTP status. A GET may carry the token as
 * `?token=...` instead of the header, so a browser can open a status page. For an error, reply {"error": "..."} (lh_error builds one). body is NULL for a GET
 * or an empty body. Called from the server's threads: the handler does its own locking. */
typedef int (*lh_handler)(void *ud, const char *method, const char *path, const json_t *body, json_t **reply);

typedef struct lh_server lh_server;

/* Listens on bind_addr:port (port 0: any free one; lh_server_port tells which) with `threads` threads
 * (>= 1). token: the bearer token every request must carry (NULL: none checked). NULL with the reason in err
 * when the address cannot be bound. */
lh_server *lh_server_start(const char *bind_addr, int port, const char *token, int threads, lh_handler h,
                           void *ud, char *err, size_t errlen);
int lh_server_port(const lh_server *s);
/* Stops accepting, waits for running handlers, frees. Accepts NULL. */
void lh_server_stop(lh_server *s);

/* {"error": msg} with the status returned, for handlers: `return lh_error(reply, 400, "...", ...)`. */
int lh_error(json_t **reply, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* POST body (may be NULL: {}) to http://host:port/path with the token; *reply (may be NULL if not wanted)
 * receives the parsed JSON reply (caller json_decref's it). Returns the HTTP status, or -1 when no reply
 * came (connection refused or timed out after LH_RETRIES tries, or a reply that is not JSON), with the reason
 * in err. An HTTP error status also writes the reply's "error" text into err. */
int lh_post(const char *host, int port, const char *path, const char *token, const json_t *body, json_t **reply,
            int timeout_ms, char *err, size_t errlen);

/* A client whose connection stays open between calls (HTTP keep-alive), for a caller that sends many
 * requests to one server: a fresh connection per request cost serve's dispatch most of its time. One thread
 * at a time uses a client. */
typedef struct lh_client lh_client;
lh_client *lh_client_new(void); /* NULL when out of memory */
void lh_client_free(lh_client *c); /* accepts NULL */
long lh_client_connects(const lh_client *c); /* connections it has opened so far */
/* lh_post on c's connection (c NULL: as lh_post). */
int lh_client_post(lh_client *c, const char *host, int port, const char *path, const char *token,
                   const json_t *body, json_t **reply, int timeout_ms, char *err, size_t errlen);
/* The same for a GET (no body); c may be NULL. */
int lh_client_get(lh_client *c, const char *host, int port, const char *path, const char *token, json_t **reply,
                  int timeout_ms, char *err, size_t errlen);

/* The token: the first line of path, without its line break; 0, or -1 with "path: reason" in err (missing
 * file, empty first line, longer than LH_TOKEN_MAX - 1). */
int lh_read_token(const char *path, char *token, size_t len, char *err, size_t errlen);

/* "host:port" into its parts (host at most len bytes). 0 or -1 with the reason. */
int lh_parse_addr(const char *addr, char *host, size_t len, int *port, char *err, size_t errlen);

/* Typed field access for handlers: 0 with the value, or -1 with "field 'name': reason" in err. */
int lh_get_int(const json_t *obj, const char *name, long long *out, char *err, size_t errlen);
int lh_get_num(const json_t *obj, const char *name, double *out, char *err, size_t errlen);
int lh_get_str(const json_t *obj, const char *name, const char **out, char *err, size_t errlen);

#endif
