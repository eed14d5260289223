/* The application of the co-location test: an MPI program that finds the database through SSDB and
 * LOCUS_DB_PASSWORD, writes and reads a key per rank, and records what the test checks: its own CPU
 * affinity, the database's pid and affinity, the socket's path and mode.
 *   colo_app OUTDIR ok|fail|hang */
#include <hiredis/hiredis.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void cpus_of(long pid, char *out, size_t n) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    snprintf(out, n, "?");
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
            sscanf(line + 18, "%s", out);
    if (f)
        fclose(f);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const char *ssdb = getenv("SSDB"), *pw = getenv("LOCUS_DB_PASSWORD");
    if (argc < 3 || ssdb == NULL) {
        fprintf(stderr, "colo_app: usage colo_app OUTDIR MODE, with SSDB set\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    redisContext *c = strncmp(ssdb, "unix://", 7) == 0 ? redisConnectUnix(ssdb + 7) : NULL;
    if (c == NULL) {
        char host[256];
        snprintf(host, sizeof host, "%s", ssdb);
        char *colon = strrchr(host, ':');
        *colon = '\0';
        c = redisConnect(host, atoi(colon + 1));
    }
    if (c == NULL || c->err) {
        fprintf(stderr, "colo_app: cannot connect to %s\n", ssdb);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (pw)
        freeReplyObject(redisCommand(c, "AUTH %s", pw));
    redisReply *r = redisCommand(c, "SET rank:%d hello-%d", rank, rank);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    MPI_Barrier(MPI_COMM_WORLD);
    r = redisCommand(c, "GET rank:%d", 1 - rank < 0 ? 0 : 1 - rank); /* read the other rank's key */
    char want[32];
    snprintf(want, sizeof want, "hello-%d", 1 - rank < 0 ? 0 : 1 - rank);
    ok = ok && r && r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0;
    freeReplyObject(r);
    r = redisCommand(c, "INFO server");
    long dbpid = 0;
    const char *p = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "process_id:") : NULL;
    if (p)
        dbpid = atol(p + 11);
    freeReplyObject(r);
    char mine[256], theirs[256];
    cpus_of((long)getpid(), mine, sizeof mine);
    cpus_of(dbpid, theirs, sizeof theirs);
    struct stat st = {0};
    const char *sock = strncmp(ssdb, "unix://", 7) == 0 ? ssdb + 7 : "";
    if (*sock)
        stat(sock, &st);
    char path[512];
    snprintf(path, sizeof path, "%s/rank%d.txt", argv[1], rank);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s %ld %s %s %s %o\n", ok ? "ok" : "bad", dbpid, mine, theirs, *sock ? sock : "-", st.st_mode & 0777);
    fclose(f);
    redisFree(c);
    if (strcmp(argv[2], "fail") == 0)
        MPI_Abort(MPI_COMM_WORLD, 3);
    if (strcmp(argv[2], "hang") == 0)
        sleep(600);
    MPI_Finalize();
    return 0;
}
