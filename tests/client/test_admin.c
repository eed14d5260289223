/* SmartRedis's administration calls and logging through liblocus (issue 14 item 3), against a real standalone
 * server and a 3-shard Redis Cluster on loopback:
 *   - flush_db empties the node named; save writes its RDB; config_set / config_get round-trip a parameter;
 *     get_db_node_info has INFO's sections; get_db_cluster_info answers for a cluster node and refuses a
 *     standalone database; a bad or unreachable address is an error naming it;
 *   - SR_LOG_FILE / SR_LOG_LEVEL: the client's creation, each command (debug) and each error go to the file
 *     as "<name>@HH-MM-SS:<message>"; an unknown level or an unwritable file fails client creation naming it
 *     (in child processes: logging is configured once per process). */
#include "cluster.h"
#include "common.h"

#include <sys/wait.h>
#include <unistd.h>

static lt_server srv;
static char ssdb[64], logfile[300];

/* Runs fn in a child process with SR_LOG_LEVEL / SR_LOG_FILE set; returns its exit status. */
static int in_child(const char *level, const char *file, int (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (level)
            setenv("SR_LOG_LEVEL", level, 1);
        if (file)
            setenv("SR_LOG_FILE", file, 1);
        _exit(fn());
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static int create_fails_naming(const char *what) {
    locus_client *c = NULL;
    locus_status s = locus_client_create_from_env(NULL, &c);
    int ok = s == LOCUS_ERR_PARAMETER && strstr(locus_last_error(), what) != NULL && c == NULL;
    if (!ok)
        fprintf(stderr, "  create: %s %s\n", locus_status_name(s), locus_last_error());
    locus_client_destroy(c);
    return ok ? 0 : 1;
}

static int bad_level(void) { return create_fails_naming("SR_LOG_LEVEL 'loud'"); }
static int bad_file(void) { return create_fails_naming("SR_LOG_FILE '/nonexistent-dir/x.log'"); }

/* Debug logging of a client's life: creation, a command, an error; then the file is checked by the parent. */
static int logged_session(void) {
    locus_options o;
    locus_options_init(&o);
    o.logger_name = "sim-rank-0";
    locus_client *c = NULL;
    if (locus_client_create(&o, &c) != LOCUS_OK)
        return 1;
    float v[2] = {1, 2};
    size_t dims[1] = {2};
    if (locus_put_tensor(c, "logged", v, dims, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) != LOCUS_OK)
        return 2;
    if (locus_unpack_tensor(c, "no-such-tensor", v, dims, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS) == LOCUS_OK)
        return 3;
    locus_client_destroy(c);
    return 0;
}

static int file_has(const char *path, const char *text) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    fclose(f);
    if (!found)
        fprintf(stderr, "  %s has no line with '%s'\n", path, text);
    return found;
}

static void test_logging(void) {
    CHECK(in_child("loud", NULL, bad_level) == 0);
    CHECK(in_child("info", "/nonexistent-dir/x.log", bad_file) == 0);
    unlink(logfile);
    CHECK(in_child("DEBUG", logfile, logged_session) == 0);
    char want[200];
    snprintf(want, sizeof want, "New client created: standalone database at %s", ssdb);
    CHECK(file_has(logfile, want));
    CHECK(file_has(logfile, "sim-rank-0@"));
    CHECK(file_has(logfile, "AI.TENSORSET logged ->"));
    CHECK(file_has(logfile, "ERROR: "));
    CHECK(file_has(logfile, "no-such-tensor"));
    CHECK(file_has(logfile, "Client destroyed"));
    /* the line format: name@HH-MM-SS:message */
    FILE *f = fopen(logfile, "r");
    char line[2048];
    int shaped = f && fgets(line, sizeof line, f) && strncmp(line, "sim-rank-0@", 11) == 0 && line[13] == '-' &&
                 line[16] == '-' && line[19] == ':';
    if (f)
        fclose(f);
    CHECK(shaped);
    unlink(logfile);
    /* quiet: nothing written */
    CHECK(in_child("quiet", logfile, logged_session) == 0);
    CHECK(access(logfile, F_OK) != 0);
}

static void test_admin_standalone(locus_client *c) {
    float v[2] = {1, 2};
    size_t dims[1] = {2};
    OK(locus_put_tensor(c, "before_flush", v, dims, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    OK(locus_save(c, ssdb));
    locus_info *info = NULL;
    OK(locus_get_db_node_info(c, ssdb, &info));
    CHECK(locus_info_get(info, "Server", "redis_version") != NULL);
    CHECK(locus_info_get(info, "Memory", "used_memory") != NULL);
    const char *changes = locus_info_get(info, "Persistence", "rdb_changes_since_last_save");
    CHECK(changes && strcmp(changes, "0") == 0); /* save wrote everything */
    CHECK(locus_info_count(info) > 50);
    const char *sec, *key, *val;
    OK(locus_info_entry(info, 0, &sec, &key, &val));
    CHECK(strcmp(sec, "Server") == 0);
    CHECK(locus_info_entry(info, locus_info_count(info), &sec, &key, &val) == LOCUS_ERR_PARAMETER);
    locus_info_destroy(info);

    OK(locus_flush_db(c, ssdb));
    bool exists = true;
    OK(locus_tensor_exists(c, "before_flush", &exists));
    CHECK(!exists);

    OK(locus_config_set(c, "maxmemory-policy", "allkeys-lru", ssdb));
    OK(locus_config_get(c, "maxmemory-p*", ssdb, &info));
    const char *pol = locus_info_get(info, NULL, "maxmemory-policy");
    CHECK(pol && strcmp(pol, "allkeys-lru") == 0 && locus_info_count(info) == 1);
    locus_info_destroy(info);
    OK(locus_config_set(c, "maxmemory-policy", "noeviction", ssdb));
    CHECK(locus_config_set(c, "no-such-parameter", "1", ssdb) == LOCUS_ERR_DATABASE ||
          locus_last_status() != LOCUS_OK);
    CHECK(strstr(locus_last_error(), "config_set") != NULL);

    info = (locus_info *)1;
    CHECK(locus_get_db_cluster_info(c, ssdb, &info) == LOCUS_ERR_RUNTIME);
    CHECK(strstr(locus_last_error(), "not a cluster") != NULL);
    CHECK(locus_flush_db(c, "127.0.0.1") != LOCUS_OK); /* no port */
    CHECK(locus_flush_db(c, "127.0.0.1:1") == LOCUS_ERR_DATABASE && strstr(locus_last_error(), "127.0.0.1:1"));
}

static void test_admin_cluster(void) {
    lt_cluster cl;
    REQUIRE(lt_cluster_start(&cl, 3) == 0);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", cl.node[1].port);
    setenv("SSDB", addr, 1);
    locus_client *c = client();
    CHECK(locus_client_is_cluster(c));
    locus_info *info = NULL;
    OK(locus_get_db_cluster_info(c, addr, &info));
    const char *state = locus_info_get(info, "", "cluster_state");
    CHECK(state && strcmp(state, "ok") == 0);
    const char *known = locus_info_get(info, "", "cluster_known_nodes");
    CHECK(known && atoi(known) == 3);
    locus_info_destroy(info);
    /* flush_db reaches the named node only */
    float v[1] = {3};
    size_t dims[1] = {1};
    for (int i = 0; i < 200; i++) {
        char n[32];
        snprintf(n, sizeof n, "spread%d", i);
        OK(locus_put_tensor(c, n, v, dims, 1, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    }
    OK(locus_flush_db(c, addr));
    int left = 0;
    for (int i = 0; i < 200; i++) {
        char n[32];
        bool ex = false;
        snprintf(n, sizeof n, "spread%d", i);
        OK(locus_tensor_exists(c, n, &ex));
        left += ex;
    }
    CHECK(left > 0 && left < 200); /* the other two shards kept theirs */
    fprintf(stderr, "  flush_db on one of 3 shards: %d of 200 tensors left\n", left);
    locus_client_destroy(c);
    lt_cluster_stop(&cl);
}

int main(void) {
    REQUIRE(lt_server_start(&srv, NULL) == 0);
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", srv.port);
    snprintf(logfile, sizeof logfile, "%s/client.log", srv.dir);
    setenv("SSDB", ssdb, 1);
    unsetenv("SR_DB_TYPE");
    unsetenv("SR_LOG_FILE");
    unsetenv("SR_LOG_LEVEL");
    test_logging();
    locus_client *c = client();
    test_admin_standalone(c);
    locus_client_destroy(c);
    CHECK(lt_server_stop(&srv, false) == 0);
    test_admin_cluster();
    return lt_report("client_admin");
}
