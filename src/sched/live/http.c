/* The live scheduler's HTTP/JSON layer (see http.h). */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int lh_error(json_t **reply, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *reply = json_pack("{s:s}", "error", msg);
    return status;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body) {
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL)
        text = strdup("{}");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The token check in constant time for equal lengths (a token is not a secret worth timing attacks here,
 * but comparing all bytes costs nothing). */
static bool token_ok(const lh_server *s, const char *auth) {
    if (!s->check_token)
        return true;
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    size_t a = strlen(t), b = strlen(s->token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned char)t[i] ^ (unsigned char)s->token[i];
    return diff == 0;
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
    if (!token_ok(s, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))) {
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
        if (status == 0)
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

/* ---- client ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_setup(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sink {
    char *buf;
    size_t n;
    bool too_large;
} sink;

static size_t on_data(char *p, size_t size, size_t nm, void *ud) {
    sink *k = ud;
    size_t n = size * nm;
    if (k->n + n > LH_MAX_BODY) {
        k->too_large = true;
        return 0;
    }
    char *b = realloc(k->buf, k->n + n + 1);
    if (b == NULL)
        return 0;
    memcpy(b + k->n, p, n);
    k->buf = b;
    k->n += n;
    return n;
}

int lh_post(const char *host, int port, const char *path, const char *token, const json_t *body, json_t **reply,
            int timeout_ms, char *err, size_t errlen) {
    pthread_once(&curl_once, curl_setup);
    if (reply != NULL)
        *reply = NULL;
    char url[512], auth[LH_TOKEN_MAX + 32];
    snprintf(url, sizeof url, "http://%s:%d%s", host, port, path);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : strdup("{}");
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (token != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hdr = curl_slist_append(hdr, auth);
    }
    int status = -1;
    for (int attempt = 0; attempt < LH_RETRIES && status < 0; attempt++) {
        CURL *c = curl_easy_init();
        if (c == NULL) {
            snprintf(err, errlen, "curl_easy_init failed");
            break;
        }
        sink k = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : LH_DEFAULT_TIMEOUT_MS));
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
        if (rc == CURLE_OK) {
            json_error_t je;
            json_t *j = k.n > 0 ? json_loadb(k.buf, k.n, 0, &je) : json_object();
            if (j == NULL) {
                snprintf(err, errlen, "%s: reply %ld is not JSON", url, code);
            } else {
                status = (int)code;
                if (status >= 400) {
                    const char *e = json_string_value(json_object_get(j, "error"));
                    snprintf(err, errlen, "%s: %d %s", url, status, e != NULL ? e : "");
                }
                if (reply != NULL)
                    *reply = j;
                else
                    json_decref(j);
            }
            free(k.buf);
            break; /* a reply came: never send the request twice */
        }
        free(k.buf);
        snprintf(err, errlen, "%s: %s", url, k.too_large ? "reply over 1 MiB" : curl_easy_strerror(rc));
        if (rc != CURLE_COULDNT_CONNECT)
            break; /* a timeout may have reached the server: not retried */
        usleep(100 * 1000 * (unsigned)(attempt + 1));
    }
    curl_slist_free_all(hdr);
    free(text);
    return status;
}

int lh_read_token(const char *path, char *token, size_t len, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open the token file: %s", path, strerror(errno));
        return -1;
    }
    char line[LH_TOKEN_MAX + 2];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    size_t n = got ? strcspn(line, "\r\n") : 0;
    if (n == 0) {
        snprintf(err, errlen, "%s: the first line (the token) is empty", path);
        return -1;
    }
    if (n >= LH_TOKEN_MAX || n >= len || (line[n] != '\n' && line[n] != '\r' && line[n] != '\0')) {
        snprintf(err, errlen, "%s: the token is longer than %d bytes", path, LH_TOKEN_MAX - 1);
        return -1;
    }
    memcpy(token, line, n);
    token[n] = '\0';
    return 0;
}

int lh_parse_addr(const char *addr, char *host, size_t len, int *port, char *err, size_t errlen) {
    const char *colon = strrchr(addr, ':');
    char *end;
    long p = colon != NULL ? strtol(colon + 1, &end, 10) : -1;
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= len || *end != '\0' || p < 1 || p > 65535) {
        snprintf(err, errlen, "'%s' is not HOST:PORT (a port 1-65535)", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (int)p;
    return 0;
}

int lh_get_int(const json_t *obj, const char *name, long long *out, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, name);
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "field '%s': %s", name, v == NULL ? "missing" : "not an integer");
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int lh_get_num(const json_t *obj, const char *name, double *out, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, name);
    if (!json_is_number(v)) {
        snprintf(err, errlen, "field '%s': %s", name, v == NULL ? "missing" : "not a number");
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int lh_get_str(const json_t *obj, const char *name, const char **out, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, name);
    if (!json_is_string(v)) {
        snprintf(err, errlen, "field '%s': %s", name, v == NULL ? "missing" : "not a string");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}
