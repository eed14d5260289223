/* The live scheduler's HTTP server (see http.h): libmicrohttpd with a bounded thread pool, the bearer token
 * checked, at most LH_MAX_BODY bytes of JSON read and parsed, then one handler. */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lh_server {
    struct MHD_Daemon *d;
    lh_handler h;
    void *ud;
    char token[LH_TOKEN_MAX];
    bool check_token;
    int port;
};

/* One request's body as it arrives. */
typedef struct req {
    char *buf;
    size_t n, cap;
    bool too_large;
} req;

/* The reply: a JSON object as JSON; a JSON string as an HTML page (a status page for a browser). */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body) {
    bool html = json_is_string(body);
    char *text = html ? strdup(json_string_value(body)) : body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL)
        text = strdup("{}");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", html ? "text/html; charset=utf-8" : "application/json");
    if (html)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The token check in constant time for equal lengths (a token is not a secret worth timing attacks here,
 * but comparing all bytes costs nothing). */
static bool token_ok(const lh_server *s, const char *auth, const char *query_token) {
    if (!s->check_token)
        return true;
    const char *t;
    if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
        t = auth + 7;
    else if (query_token != NULL) /* ?token=...: a browser opening a status page */
        t = query_token;
    else
        return false;
    size_t a = strlen(t), b = strlen(s->token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned char)t[i] ^ (unsigned char)s->token[i];
    return diff == 0;
}

/* POST /v1/batch {"requests": [{"path": "/v1/...", "body": {...}}, ...]}: each request handed to the handler
 * in order, as if it had come alone, and {"replies": [{"status": N, "body": {...}}, ...]} in the same order.
 * One connection round trip for a machine's share of a round instead of one per job. A batch inside a batch
 * is refused (that item's status is 400); a malformed batch is refused whole, before any request runs. */
static int batch(lh_server *s, const json_t *body, json_t **reply) {
    json_t *reqs = json_object_get(body, "requests");
    if (!json_is_array(reqs))
        return lh_error(reply, 400, "field 'requests': %s", reqs == NULL ? "missing" : "not an array");
    if (json_object_size(body) != 1)
        return lh_error(reply, 400, "a batch has one field, 'requests'");
    size_t i;
    json_t *q;
    json_array_foreach(reqs, i, q) {
        json_t *p = json_object_get(q, "path"), *b = json_object_get(q, "body");
        if (!json_is_object(q) || !json_is_string(p) || (b != NULL && !json_is_object(b)) ||
            json_object_size(q) != (b != NULL ? 2u : 1u))
            return lh_error(reply, 400, "requests[%zu]: not {\"path\": \"/v1/...\", \"body\": {...}}", i);
    }
    json_t *out = json_array();
    json_array_foreach(reqs, i, q) {
        const char *path = json_string_value(json_object_get(q, "path"));
        json_t *b = json_object_get(q, "body"), *r = NULL;
        int st = strcmp(path, "/v1/batch") == 0 ? lh_error(&r, 400, "a batch inside a batch")
                                                : s->h(s->ud, "POST", path, b, &r);
        json_array_append_new(out, json_pack("{s:i,s:o}", "status", st, "body", r != NULL ? r : json_object()));
    }
    *reply = json_pack("{s:o}", "replies", out);
    return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    lh_server *s = cls;
    req *r = *con_cls;
    if (r == NULL) { /* the headers: set up the body */
        r = calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size > 0) { /* a chunk of the body */
        if (!r->too_large && r->n + *upload_size > LH_MAX_BODY)
            r->too_large = true;
        if (!r->too_large) {
            if (r->n + *upload_size + 1 > r->cap) {
                size_t cap = (r->n + *upload_size + 1) * 2;
                char *b = realloc(r->buf, cap);
                if (b == NULL)
                    return MHD_NO;
                r->buf = b;
                r->cap = cap;
            }
            memcpy(r->buf + r->n, upload, *upload_size);
            r->n += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    json_t *reply = NULL;
    int status;
    if (!token_ok(s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
                  strcmp(method, "GET") == 0 ? MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token")
                                             : NULL)) {
        status = lh_error(&reply, 401, "missing or wrong token (Authorization: Bearer <token of the token file>)");
    } else if (r->too_large) {
        status = lh_error(&reply, 413, "request body over %d bytes", LH_MAX_BODY);
    } else if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
        status = lh_error(&reply, 405, "method %s not allowed (POST or GET)", method);
    } else {
        json_t *body = NULL;
        status = 0;
        if (r->n > 0) {
            json_error_t je;
            body = json_loadb(r->buf, r->n, JSON_REJECT_DUPLICATES, &je);
            if (body == NULL)
                status = lh_error(&reply, 400, "malformed JSON at line %d, column %d: %s", je.line, je.column,
                                  je.text);
            else if (!json_is_object(body))
                status = lh_error(&reply, 400, "the body must be a JSON object");
        }
        if (status == 0 && strcmp(url, "/v1/batch") == 0)
            status = strcmp(method, "POST") == 0 ? batch(s, body, &reply)
                                                 : lh_error(&reply, 405, "/v1/batch is a POST");
        else if (status == 0)
            status = s->h(s->ud, method, url, body, &reply);
        json_decref(body);
    }
    enum MHD_Result rc = send_json(conn, status, reply);
    json_decref(reply);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    req *r = *con_cls;
    if (r != NULL) {
        free(r->buf);
        free(r);
        *con_cls = NULL;
    }
}

lh_server *lh_server_start(const char *bind_addr, int port, const char *token, int threads, lh_handler h,
                           void *ud, char *err, size_t errlen) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "'%s' is not an IPv4 address to listen on", bind_addr);
        return NULL;
    }
    lh_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->h = h;
    s->ud = ud;
    if (token != NULL) {
        snprintf(s->token, sizeof s->token, "%s", token);
        s->check_token = true;
    }
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
                            (unsigned)(threads > 0 ? threads : 1), MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)1024, MHD_OPTION_END);
    if (s->d == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", bind_addr, port,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : port;
    return s;
}

int lh_server_port(const lh_server *s) {
    return s->port;
}

void lh_server_stop(lh_server *s) {
    if (s == NULL)
        return;
    MHD_stop_daemon(s->d);
    free(s);
}

