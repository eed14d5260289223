/* The run commands' keys in a real Redis Cluster (3 primaries on loopback, the module on each): the module
 * reports them to the server (getkeys-api) as RedisAI 1.2.7 does, so the cluster itself routes and checks
 * them. Sent to a shard that does not own them, AI.DAGEXECUTE's ROUTING / LOAD / PERSIST keys, a model run's
 * model and tensors and a script run's KEYS get MOVED to the owner; keys of two slots get CROSSSLOT; on the
 * owner the run works. A DAG that names no key is refused with RedisAI's text. COMMAND GETKEYS lists the
 * keys of each command form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "model_util.h"

static lt_cluster cl;
static redisContext *node[3];

static int slot_of(const char *key) {
    redisReply *r = lt_cmdf(node[0], "CLUSTER KEYSLOT %s", key);
    int slot = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    freeReplyObject(r);
    return slot;
}

/* The reply to `cmd` on node i (split at spaces) is an error starting with `prefix`. */
static int error_starts(int i, const char *cmd, const char *prefix) {
    redisReply *r = lt_cmdf(node[i], cmd);
    int ok = r->type == REDIS_REPLY_ERROR && strncmp(r->str, prefix, strlen(prefix)) == 0;
    if (!ok)
        fprintf(stderr, "node %d, %s:\n  expected an error starting \"%s\", got type %d \"%s\"\n", i, cmd, prefix,
                r->type, r->str ? r->str : "");
    freeReplyObject(r);
    return ok;
}

/* The reply is MOVED to the owner of key's slot: "MOVED <slot> 127.0.0.1:<port>". */
static int moved_to_owner(int i, const char *cmd, const char *key) {
    int slot = slot_of(key), owner = lt_cluster_slot_owner(&cl, slot);
    char want[64];
    snprintf(want, sizeof want, "MOVED %d 127.0.0.1:%d", slot, cl.node[owner].port);
    return error_starts(i, cmd, want);
}

static int status_is(redisReply *r, const char *want) {
    int ok = (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) && strcmp(r->str, want) == 0;
    if (!ok)
        fprintf(stderr, "expected %s, got type %d \"%s\"\n", want, r->type, r->str ? r->str : "");
    freeReplyObject(r);
    return ok;
}

/* COMMAND GETKEYS of `cmd`: the keys, joined by spaces ("" for none or an error). */
static const char *getkeys(const char *cmd) {
    static char out[512];
    char line[512];
    snprintf(line, sizeof line, "COMMAND GETKEYS %s", cmd);
    redisReply *r = lt_cmdf(node[0], line);
    out[0] = '\0';
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", k ? " " : "", r->element[k]->str);
    freeReplyObject(r);
    return out;
}

#define CHECK_KEYS(cmd, want)                                                                                \
    do {                                                                                                     \
        const char *got_ = getkeys(cmd);                                                                     \
        CHECK(strcmp(got_, (want)) == 0);                                                                    \
        if (strcmp(got_, (want)) != 0)                                                                       \
            fprintf(stderr, "  GETKEYS %s: \"%s\", expected \"%s\"\n", cmd, got_, want);                     \
    } while (0)

int main(void) {
    size_t lin_len;
    char *lin = tm_read("linear.pt", &lin_len);
    REQUIRE(lt_cluster_start(&cl, 3) == 0);
    for (int i = 0; i < 3; i++)
        node[i] = lt_connect(&cl.node[i]);

    /* two hash tags on different shards: {a} on shard `own`, {b} elsewhere; `other` does not own {a} */
    char b_tag[16] = "";
    int own = lt_cluster_slot_owner(&cl, slot_of("{a}")), other = (own + 1) % 3;
    for (int t = 0; t < 1000 && !b_tag[0]; t++) {
        char k[16];
        snprintf(k, sizeof k, "{t%d}", t);
        if (lt_cluster_slot_owner(&cl, slot_of(k)) != own)
            snprintf(b_tag, sizeof b_tag, "t%d", t);
    }
    REQUIRE(own >= 0 && b_tag[0]);
    char cmd[512];

    CHECK(status_is(lt_cmdf(node[own], "AI.TENSORSET {a}x FLOAT 2 4 VALUES 1 2 3 4 5 6 7 8"), "OK"));
    CHECK(status_is(lt_cmd(node[own], 6,
                           (const char *[]){"AI.MODELSTORE", "{a}m", "TORCH", "CPU", "BLOB", lin},
                           (size_t[]){13, 4, 5, 3, 4, lin_len}),
                    "OK"));

    /* the shard that does not own {a} sends each run to the owner */
    CHECK(moved_to_owner(other, "AI.DAGEXECUTE ROUTING {a} |> AI.TENSORSET t FLOAT 1 VALUES 1 |> AI.TENSORGET t VALUES",
                         "{a}"));
    CHECK(moved_to_owner(other, "AI.DAGEXECUTE_RO LOAD 1 {a}x |> AI.TENSORGET {a}x VALUES", "{a}"));
    CHECK(moved_to_owner(other, "AI.DAGEXECUTE PERSIST 1 {a}p |> AI.TENSORSET {a}p FLOAT 1 VALUES 1", "{a}"));
    CHECK(moved_to_owner(other, "AI.DAGRUN LOAD 1 {a}x |> AI.TENSORGET {a}x VALUES", "{a}"));
    CHECK(moved_to_owner(other, "AI.MODELEXECUTE {a}m INPUTS 1 {a}x OUTPUTS 1 {a}y", "{a}"));
    CHECK(moved_to_owner(other, "AI.MODELRUN {a}m INPUTS {a}x OUTPUTS {a}y", "{a}"));
    CHECK(moved_to_owner(other, "AI.SCRIPTEXECUTE {a}s f KEYS 1 {a}k OUTPUTS 1 {a}o", "{a}"));
    /* ... and so does the owner for keys of a slot it does not own */
    char b_key[24];
    snprintf(b_key, sizeof b_key, "{%s}", b_tag);
    snprintf(cmd, sizeof cmd, "AI.DAGEXECUTE ROUTING %s |> AI.TENSORSET t FLOAT 1 VALUES 1", b_key);
    CHECK(moved_to_owner(own, cmd, b_key));

    /* keys of two slots in one run */
    snprintf(cmd, sizeof cmd, "AI.MODELEXECUTE {a}m INPUTS 1 {%s}x OUTPUTS 1 {a}y", b_tag);
    CHECK(error_starts(own, cmd, "CROSSSLOT"));
    snprintf(cmd, sizeof cmd, "AI.DAGEXECUTE LOAD 1 {a}x PERSIST 1 {%s}y |> AI.TENSORGET {a}x VALUES", b_tag);
    CHECK(error_starts(own, cmd, "CROSSSLOT"));
    snprintf(cmd, sizeof cmd, "AI.SCRIPTEXECUTE {a}s f KEYS 2 {a}k {%s}k OUTPUTS 1 {a}o", b_tag);
    CHECK(error_starts(own, cmd, "CROSSSLOT"));
    snprintf(cmd, sizeof cmd, "AI.DAGEXECUTE ROUTING {a} |> AI.MODELEXECUTE {%s}m INPUTS 1 {a}x OUTPUTS 1 {a}y",
             b_tag);
    CHECK(error_starts(own, cmd, "CROSSSLOT"));

    /* a DAG that names no key: nothing says which shard runs it, and RedisAI refuses it */
    CHECK(error_starts(own, "AI.DAGEXECUTE |> AI.TENSORSET t FLOAT 1 VALUES 1 |> AI.TENSORGET t VALUES",
                       "ERR AI.DAGEXECUTE and AI.DAGEXECUTE_RO commands must contain at least one out of ROUTING, "
                       "LOAD, PERSIST keywords"));

    /* on the owner the runs work, and what they persist is there */
    CHECK(status_is(lt_cmdf(node[own], "AI.MODELEXECUTE {a}m INPUTS 1 {a}x OUTPUTS 1 {a}y"), "OK"));
    redisReply *r = lt_cmdf(node[own], "AI.DAGEXECUTE LOAD 1 {a}x PERSIST 1 {a}z |> AI.MODELEXECUTE {a}m INPUTS 1 "
                                       "{a}x OUTPUTS 1 {a}z |> AI.TENSORGET {a}z META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STATUS &&
          strcmp(r->element[0]->str, "OK") == 0 && r->element[1]->type == REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    r = lt_cmdf(node[own], "AI.TENSORGET {a}z META"); /* dtype FLOAT shape [2 3] */
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[3]->type == REDIS_REPLY_ARRAY &&
          r->element[3]->elements == 2 && r->element[3]->element[0]->integer == 2 &&
          r->element[3]->element[1]->integer == 3);
    freeReplyObject(r);
    r = lt_cmdf(node[own], "AI.DAGEXECUTE_RO ROUTING {a} |> AI.TENSORSET t FLOAT 1 VALUES 1 |> AI.TENSORGET t VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);

    /* the keys each command form names */
    CHECK_KEYS("AI.MODELEXECUTE m INPUTS 2 a b OUTPUTS 1 c", "m a b c");
    CHECK_KEYS("AI.MODELRUN m INPUTS a b OUTPUTS c", "m a b c");
    CHECK_KEYS("AI.SCRIPTEXECUTE s f KEYS 1 k INPUTS 1 i ARGS 1 x OUTPUTS 1 o", "s k o");
    CHECK_KEYS("AI.SCRIPTRUN s f INPUTS a $ b OUTPUTS o", "s a b o");
    CHECK_KEYS("AI.DAGEXECUTE LOAD 1 a PERSIST 1 b ROUTING r |> AI.MODELEXECUTE m INPUTS 1 a OUTPUTS 1 b "
               "|> AI.SCRIPTEXECUTE s f INPUTS 1 b OUTPUTS 1 c",
               "a b r m s");
    CHECK_KEYS("AI.DAGRUN LOAD 1 a PERSIST 1 b |> AI.MODELRUN m INPUTS a OUTPUTS b", "a b");
    CHECK_KEYS("AI.TENSORGET t VALUES", "t");

    for (int i = 0; i < 3; i++)
        redisFree(node[i]);
    CHECK(lt_cluster_stop(&cl) == 0);
    free(lin);
    return lt_report("module_cluster_keys");
}
