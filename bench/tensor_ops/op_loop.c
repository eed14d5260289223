/* tensor_ops_loop: one client doing N identical operations, for bench/tensor_ops/server_instructions.sh.
 *
 *   tensor_ops_loop PORT OP SIZE N     OP: set | get | tset | tget (SET/GET or AI.TENSORSET/AI.TENSORGET BLOB)
 *
 * The value (SIZE bytes, UINT8 for tensors) is stored once before the loop, so that every counted SET
 * overwrites an existing key and every GET finds one. Exits 1 on the first error reply. */
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: tensor_ops_loop PORT set|get|tset|tget SIZE N\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[4]);
    const char *op = argv[2];
    size_t size = strtoul(argv[3], NULL, 10);
    if (strcmp(op, "set") != 0 && strcmp(op, "get") != 0 && strcmp(op, "tset") != 0 && strcmp(op, "tget") != 0) {
        fprintf(stderr, "tensor_ops_loop: unknown operation '%s'\n", op);
        return 2;
    }
    redisContext *c = redisConnect("127.0.0.1", port);
    if (c == NULL || c->err) {
        fprintf(stderr, "tensor_ops_loop: cannot connect to port %d\n", port);
        return 1;
    }
    char *val = malloc(size ? size : 1), dim[32];
    for (size_t i = 0; i < size; i++)
        val[i] = (char)(i * 31);
    snprintf(dim, sizeof dim, "%zu", size);
    const char *set[] = {"SET", "k", val}, *tset[] = {"AI.TENSORSET", "t", "UINT8", dim, "BLOB", val};
    const char *get[] = {"GET", "k"}, *tget[] = {"AI.TENSORGET", "t", "BLOB"};
    size_t setl[] = {3, 1, size}, tsetl[] = {12, 1, 5, strlen(dim), 4, size}, getl[] = {3, 1}, tgetl[] = {12, 1, 4};
    bool tensor = op[0] == 't', is_set = strstr(op, "set") != NULL;
    for (int i = -1; i < n; i++) {
        redisReply *r;
        if (i < 0 || is_set) /* the first store, then every counted SET */
            r = tensor ? redisCommandArgv(c, 6, tset, tsetl) : redisCommandArgv(c, 3, set, setl);
        else
            r = tensor ? redisCommandArgv(c, 3, tget, tgetl) : redisCommandArgv(c, 2, get, getl);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "tensor_ops_loop: %s failed: %s\n", op, r ? r->str : c->errstr);
            return 1;
        }
        freeReplyObject(r);
    }
    free(val);
    redisFree(c);
    return 0;
}
