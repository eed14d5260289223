/* The live scheduler's HTTP/JSON layer against itself on loopback: a request with the token reaches the
 * handler and its reply comes back; no token or a wrong one is 401; malformed JSON, a body that is not an
 * object and one over 1 MiB are refused with 400/413 naming the problem, before any handler runs; a closed
 * port is an error naming the URL after the retries; token files and addresses are checked. A client keeps
 * one connection for many calls; /v1/batch runs its requests in order and answers each, and a malformed batch
 * runs none. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "live/http.h"

static int handled;

static int echo(void *ud, const char *method, const char *path, const json_t *body, json_t **reply)
{
    (void)ud;
    handled++;
    if (strcmp(path, "/v1/echo") != 0) return lh_error(reply, 404, "no such path %s", path);
    long long n;
    char err[128];
    if (lh_get_int(body, "n", &n, err, sizeof err)) return lh_error(reply, 400, "%s", err);
    *reply = json_pack("{s:s,s:I}", "method", method, "twice", n * 2);
    return 200;
}

/* A raw POST of `text` (bypassing lh_post, which only sends valid JSON); returns the status, the reply in buf. */
static size_t keep(char *p, size_t s, size_t n, void *ud)
{
    strncat(ud, p, s * n < 500 ? s * n : 500);
    return s * n;
}

static long raw_post(int port, const char *token, const char *text, size_t len, char *buf)
{
    char url[128], auth[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/echo", port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    buf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    long code = -1;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

int main(void)
{
    char err[512];
    lh_server *s = lh_server_start("127.0.0.1", 0, "s3cret", 2, echo, NULL, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int port = lh_server_port(s);
    CHECK(port > 0);

    json_t *body = json_pack("{s:i}", "n", 21), *reply = NULL;
    CHECK(lh_post("127.0.0.1", port, "/v1/echo", "s3cret", body, &reply, 2000, err, sizeof err) == 200);
    CHECK(reply && json_integer_value(json_object_get(reply, "twice")) == 42);
    json_decref(reply);

    handled = 0;
    CHECK(lh_post("127.0.0.1", port, "/v1/echo", "wrong", body, &reply, 2000, err, sizeof err) == 401);
    CHECK(strstr(err, "token") != NULL);
    json_decref(reply);
    CHECK(lh_post("127.0.0.1", port, "/v1/echo", NULL, body, NULL, 2000, err, sizeof err) == 401);
    CHECK(handled == 0); /* no handler ran for a request without the token */

    char buf[600];
    CHECK(raw_post(port, "s3cret", "{\"n\": ", 6, buf) == 400 && strstr(buf, "malformed JSON"));
    CHECK(raw_post(port, "s3cret", "[1, 2]", 6, buf) == 400 && strstr(buf, "JSON object"));
    CHECK(raw_post(port, "s3cret", "{\"n\": 1, \"n\": 2}", 16, buf) == 400); /* duplicate keys refused */
    size_t big = LH_MAX_BODY + 10;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{', huge[big - 1] = '}';
    CHECK(raw_post(port, "s3cret", huge, big, buf) == 413);
    free(huge);
    CHECK(handled == 0);
    CHECK(lh_post("127.0.0.1", port, "/v1/echo", "s3cret", json_pack("{s:s}", "n", "x"), NULL, 2000, err,
                  sizeof err) == 400);
    CHECK(strstr(err, "field 'n': not an integer") != NULL);
    CHECK(lh_post("127.0.0.1", port, "/v1/nothing", "s3cret", body, NULL, 2000, err, sizeof err) == 404);

    /* one connection for many calls */
    lh_client *c = lh_client_new();
    CHECK(c != NULL);
    for (int i = 0; i < 20; i++)
        CHECK(lh_client_post(c, "127.0.0.1", port, "/v1/echo", "s3cret", body, NULL, 2000, err, sizeof err) == 200);
    CHECK(lh_client_post(c, "127.0.0.1", port, "/v1/nothing", "s3cret", body, NULL, 2000, err, sizeof err) == 404);
    CHECK(lh_client_connects(c) == 1);

    /* a batch: each request answered in order, as if alone */
    handled = 0;
    json_t *batch = json_pack("{s:[{s:s,s:{s:i}},{s:s,s:{}},{s:s,s:{s:s}},{s:s,s:{s:[]}},{s:s,s:{s:i}}]}",
                              "requests", "path", "/v1/echo", "body", "n", 1, "path", "/v1/nothing", "body",
                              "path", "/v1/echo", "body", "n", "x", "path", "/v1/batch", "body", "requests",
                              "path", "/v1/echo", "body", "n", 5);
    CHECK(lh_client_post(c, "127.0.0.1", port, "/v1/batch", "s3cret", batch, &reply, 2000, err, sizeof err) == 200);
    json_t *rs = json_object_get(reply, "replies");
    CHECK(json_array_size(rs) == 5);
    int want[] = {200, 404, 400, 400, 200};
    for (size_t i = 0; i < 5; i++)
        CHECK(json_integer_value(json_object_get(json_array_get(rs, i), "status")) == want[i]);
    CHECK(json_integer_value(json_object_get(json_object_get(json_array_get(rs, 0), "body"), "twice")) == 2);
    CHECK(json_integer_value(json_object_get(json_object_get(json_array_get(rs, 4), "body"), "twice")) == 10);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(json_array_get(rs, 3), "body"), "error")),
                 "inside a batch") != NULL);
    CHECK(handled == 4); /* the nested batch reached no handler */
    json_decref(reply);
    json_decref(batch);
    /* malformed batches run nothing */
    handled = 0;
    const char *bad[] = {"{}", "{\"requests\": 3}", "{\"requests\": [{\"body\": {}}]}",
                         "{\"requests\": [{\"path\": \"/v1/echo\", \"body\": 1}]}",
                         "{\"requests\": [{\"path\": \"/v1/echo\", \"x\": 1}]}",
                         "{\"requests\": [], \"more\": 1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        CHECK(lh_client_post(c, "127.0.0.1", port, "/v1/batch", "s3cret", b, NULL, 2000, err, sizeof err) == 400);
        json_decref(b);
    }
    CHECK(handled == 0);
    CHECK(lh_client_connects(c) == 1);
    lh_client_free(c);
    lh_server_stop(s);

    /* nothing listens any more: -1 and the URL named, after the retries */
    CHECK(lh_post("127.0.0.1", port, "/v1/echo", "s3cret", body, NULL, 500, err, sizeof err) == -1);
    CHECK(strstr(err, "/v1/echo") != NULL);
    json_decref(body);

    /* token files and addresses */
    char path[] = "/tmp/locus-token-XXXXXX", tok[LH_TOKEN_MAX];
    int fd = mkstemp(path);
    CHECK(write(fd, "abc\nrest\n", 9) == 9);
    close(fd);
    CHECK(lh_read_token(path, tok, sizeof tok, err, sizeof err) == 0 && strcmp(tok, "abc") == 0);
    FILE *f = fopen(path, "w");
    fputs("\n", f);
    fclose(f);
    CHECK(lh_read_token(path, tok, sizeof tok, err, sizeof err) == -1 && strstr(err, "empty"));
    unlink(path);
    CHECK(lh_read_token(path, tok, sizeof tok, err, sizeof err) == -1 && strstr(err, path));
    char host[64];
    int p;
    CHECK(lh_parse_addr("10.0.0.1:7000", host, sizeof host, &p, err, sizeof err) == 0 && p == 7000 &&
          strcmp(host, "10.0.0.1") == 0);
    CHECK(lh_parse_addr("10.0.0.1", host, sizeof host, &p, err, sizeof err) == -1);
    CHECK(lh_parse_addr("h:99999", host, sizeof host, &p, err, sizeof err) == -1);
    CHECK(lh_server_start("not-an-ip", 0, NULL, 1, echo, NULL, err, sizeof err) == NULL && strstr(err, "not-an-ip"));
    if (!check_failures) printf("sched_http: all checks passed\n");
    return check_failed();
}
