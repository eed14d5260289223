/* A scheduler just big enough to test `locus sched worker` against (tests/sched/test_worker.sh): on a free
 * loopback port it answers POST /v1/worker/register with the next machine id (rounds of 300 s, time scale 2.5)
 * and POST /v1/worker/exit with {}, and appends every request it gets to RECORD as one JSON line
 * {"body": ..., "path": ...} (keys sorted). The port goes to PORT_FILE once it listens (written whole, then
 * renamed). --refuse answers registrations with 403. It exits on SIGTERM/SIGINT, or after 300 s in any case.
 *
 * usage: fake_sched TOKEN_FILE PORT_FILE RECORD [--refuse]
 *        fake_sched --free-port     (prints a loopback port free at this moment) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "live/http.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *record;
static int next_machine;
static int refuse;

static int handle(void *ud, const char *method, const char *path, const json_t *body, json_t **reply)
{
    (void)ud, (void)method;
    json_t *line = json_pack("{s:s,s:O?}", "path", path, "body", (json_t *)body);
    char *text = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
    pthread_mutex_lock(&mu);
    fprintf(record, "%s\n", text);
    fflush(record);
    int machine = next_machine;
    if (strcmp(path, "/v1/worker/register") == 0 && !refuse) next_machine++;
    pthread_mutex_unlock(&mu);
    free(text);
    json_decref(line);
    if (strcmp(path, "/v1/worker/register") == 0) {
        if (refuse) return lh_error(reply, 403, "this worker is not in the conn file");
        *reply = json_pack("{s:i,s:f,s:f}", "machine", machine, "round_duration", 300.0, "time_scale", 2.5);
        return 200;
    }
    if (strcmp(path, "/v1/worker/exit") == 0) {
        *reply = json_object();
        return 200;
    }
    return lh_error(reply, 404, "no such path %s", path);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return 1;
    printf("%d\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--free-port") == 0) return free_port();
    if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "--refuse") != 0)) {
        fprintf(stderr, "usage: fake_sched TOKEN_FILE PORT_FILE RECORD [--refuse] | fake_sched --free-port\n");
        return 2;
    }
    refuse = argc == 5;
    char token[LH_TOKEN_MAX], err[512];
    if (lh_read_token(argv[1], token, sizeof token, err, sizeof err) != 0) {
        fprintf(stderr, "fake_sched: %s\n", err);
        return 1;
    }
    if ((record = fopen(argv[3], "a")) == NULL) {
        perror(argv[3]);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    lh_server *s = lh_server_start("127.0.0.1", 0, token, 2, handle, NULL, err, sizeof err);
    if (s == NULL) {
        fprintf(stderr, "fake_sched: %s\n", err);
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
    FILE *pf = fopen(tmp, "w");
    if (pf == NULL || fprintf(pf, "%d\n", lh_server_port(s)) < 0 || fclose(pf) != 0 || rename(tmp, argv[2]) != 0) {
        perror(argv[2]);
        lh_server_stop(s);
        return 1;
    }
    struct timespec limit = {.tv_sec = 300};
    sigtimedwait(&set, NULL, &limit);
    lh_server_stop(s);
    fclose(record);
    return 0;
}
