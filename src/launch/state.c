/* Database state as JSON in <dir>/locus-db.json (jansson). Written to a temporary file and renamed, with
 * mode 0600 because it holds the password. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"

int state_save(const db_state *s) {
    json_t *shards = json_array();
    for (int i = 0; i < s->nshards; i++) {
        const shard_state *h = &s->shards[i];
        json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:I, s:s, s:s, s:s}", "host", h->host, "bind", h->bind,
                              "port", h->port, "unix_socket", h->unix_socket, "pid", (json_int_t)h->pid,
                              "dir", h->dir, "log", h->log, "conf", h->conf);
        if (h->replica) /* absent for primaries, so older state files read the same */
            json_object_set_new(o, "replica_of", json_integer(h->primary));
        json_array_append_new(shards, o);
    }
    json_t *root = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:i, s:o}", "version", 1, "launcher",
                             s->launcher, "status", s->status, "password", s->password, "jobid", s->jobid,
                             "cluster", s->cluster, "replicas", s->replicas, "shards", shards);
    char path[600], tmp[620];
    snprintf(path, sizeof path, "%s/%s", s->dir, DB_STATE_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = -1;
    if (fd >= 0 && json_dumpfd(root, fd, JSON_INDENT(2)) == 0 && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
        rc = 0;
    if (fd >= 0)
        close(fd);
    json_decref(root);
    if (rc != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "locus db: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void copy_str(char *dst, size_t n, json_t *obj, const char *key) {
    const char *v = json_string_value(json_object_get(obj, key));
    snprintf(dst, n, "%s", v ? v : "");
}

static int load(const char *dir, db_state *s, bool quiet);

int state_load(const char *dir, db_state *s) {
    return load(dir, s, false);
}

bool state_load_quiet_running(const char *dir, db_state *s) {
    return load(dir, s, true) == 0 && strcmp(s->status, "running") == 0;
}

static int load(const char *dir, db_state *s, bool quiet) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, DB_STATE_FILE);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (root == NULL) {
        if (quiet)
            return -1;
        if (access(path, F_OK) != 0)
            fprintf(stderr, "locus db: no database state in %s (was 'locus db start --dir %s' run?)\n", dir, dir);
        else
            fprintf(stderr, "locus db: %s:%d: %s\n", path, err.line, err.text);
        return -1;
    }
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    copy_str(s->launcher, sizeof s->launcher, root, "launcher");
    copy_str(s->status, sizeof s->status, root, "status");
    copy_str(s->password, sizeof s->password, root, "password");
    copy_str(s->jobid, sizeof s->jobid, root, "jobid");
    s->cluster = json_is_true(json_object_get(root, "cluster"));
    s->replicas = (int)json_integer_value(json_object_get(root, "replicas"));
    json_t *shards = json_object_get(root, "shards");
    if (!json_is_array(shards) || json_array_size(shards) > DB_MAX_SHARDS) {
        if (!quiet)
            fprintf(stderr, "locus db: %s: 'shards' is missing or not a list of at most %d\n", path, DB_MAX_SHARDS);
        json_decref(root);
        return -1;
    }
    s->nshards = (int)json_array_size(shards);
    for (int i = 0; i < s->nshards; i++) {
        json_t *h = json_array_get(shards, (size_t)i);
        shard_state *d = &s->shards[i];
        copy_str(d->host, sizeof d->host, h, "host");
        copy_str(d->bind, sizeof d->bind, h, "bind");
        copy_str(d->unix_socket, sizeof d->unix_socket, h, "unix_socket");
        copy_str(d->dir, sizeof d->dir, h, "dir");
        copy_str(d->log, sizeof d->log, h, "log");
        copy_str(d->conf, sizeof d->conf, h, "conf");
        d->port = (int)json_integer_value(json_object_get(h, "port"));
        d->pid = (long)json_integer_value(json_object_get(h, "pid"));
        json_int_t of = json_integer_value(json_object_get(h, "replica_of")); /* 0 when absent */
        d->replica = json_object_get(h, "replica_of") != NULL && of >= 0 && of < s->nshards;
        d->primary = d->replica ? (int)of : 0;
        snprintf(d->role, sizeof d->role, "%s", d->replica ? "replica" : "primary");
    }
    json_decref(root);
    return 0;
}
