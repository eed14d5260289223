/* The live scheduler's HTTP/JSON layer (see http.h): the client call, token and address parsing, the
 * handlers' field access. The server is http_server.c, a library of its own so that what only calls out
 * (the job library) does not load libmicrohttpd. */
#define _GNU_SOURCE
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lh_error(json_t **reply, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *reply = json_pack("{s:s}", "error", msg);
    return status;
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

struct lh_client {
    CURL *c;
    long connects; /* connections opened so far */
};

lh_client *lh_client_new(void) {
    pthread_once(&curl_once, curl_setup);
    lh_client *k = calloc(1, sizeof *k);
    if (k != NULL && (k->c = curl_easy_init()) == NULL) {
        free(k);
        k = NULL;
    }
    return k;
}

void lh_client_free(lh_client *k) {
    if (k == NULL)
        return;
    curl_easy_cleanup(k->c);
    free(k);
}

long lh_client_connects(const lh_client *c) {
    return c != NULL ? c->connects : 0;
}

static int request(lh_client *conn, bool get, const char *host, int port, const char *path, const char *token,
                   const json_t *body, json_t **reply, int timeout_ms, char *err, size_t errlen) {
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
        /* A caller's handle keeps its connection open between calls (curl opens a new one when the server
         * closed it); without one, a handle for this call alone. */
        CURL *c = conn != NULL ? conn->c : curl_easy_init();
        if (c == NULL) {
            snprintf(err, errlen, "curl_easy_init failed");
            break;
        }
        sink k = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        if (get)
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        else
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
        long opened = 0;
        if (conn != NULL && curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK)
            conn->connects += opened;
        /* the handle must not keep pointers into this call's header list and body */
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
        if (conn == NULL)
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

int lh_client_post(lh_client *c, const char *host, int port, const char *path, const char *token,
                   const json_t *body, json_t **reply, int timeout_ms, char *err, size_t errlen) {
    return request(c, false, host, port, path, token, body, reply, timeout_ms, err, errlen);
}

int lh_client_get(lh_client *c, const char *host, int port, const char *path, const char *token, json_t **reply,
                  int timeout_ms, char *err, size_t errlen) {
    return request(c, true, host, port, path, token, NULL, reply, timeout_ms, err, errlen);
}

int lh_post(const char *host, int port, const char *path, const char *token, const json_t *body, json_t **reply,
            int timeout_ms, char *err, size_t errlen) {
    return request(NULL, false, host, port, path, token, body, reply, timeout_ms, err, errlen);
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
