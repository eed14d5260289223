/* Run a program against a throwaway server: start redis-server with the module (tests/support fixture), set
 * SSDB to it, run argv[1..], stop the server, and exit with the program's status. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>


int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s program [args]\n", argv[0]);
        return 2;
    }
    lt_server s;
    if (lt_server_start(&s, NULL) != 0)
        return 1;
    char ssdb[64];
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", s.port);
    setenv("SSDB", ssdb, 1);
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int st = 1;
    waitpid(pid, &st, 0);
    lt_server_stop(&s, false);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
