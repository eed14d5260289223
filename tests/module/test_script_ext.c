/* RedisAI's TorchScript extensions (issue 16 item 7): scripts that call redis.execute, redis.asList and
 * redisAI.model_execute, alone and inside a DAG, with errors from inside reported to the client.
 *
 * The expectations are RedisAI 1.2.7's: its docs/commands.md ("Redis commands in TorchScript") and its
 * tests/flow/test_torchscript_extensions.py (a SET then GET gives an INT64 scalar, LRANGE through asList an
 * INT64 [2, 1] tensor, errors are "Redis command returned an error: ..." with strerror's text for a call
 * Redis refused, "ERR model key is empty" for a missing model). The script functions below are ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_util.h"

static const char *SCRIPT =
    "def set_key(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SET', [keys[0], args[0]])\n"
    "\n"
    "def int_set_get(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SET', keys[0], args[0])\n"
    "    v = redis.execute('GET', keys[0])\n"
    "    redis.execute('DEL', keys[0])\n"
    "    return torch.tensor(int(str(v)))\n"
    "\n"
    "def int_incr(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SET', keys[0], args[0])\n"
    "    v = redis.execute('INCR', keys[0])\n"
    "    return torch.tensor(int(str(v)))\n"
    "\n"
    "def float_get(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SET', keys[0], args[0])\n"
    "    return torch.tensor(float(str(redis.execute('GET', keys[0]))))\n"
    "\n"
    "def push_all(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    for a in args:\n"
    "        redis.execute('RPUSH', keys[0], a)\n"
    "\n"
    "def list_to_tensor(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    vals = redis.asList(redis.execute('LRANGE', keys[0], '0', '-1'))\n"
    "    return torch.cat([torch.tensor(int(str(v))).reshape(1, 1) for v in vals], dim=0)\n"
    "\n"
    "def hash_values(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    cmd = [keys[0]]\n"
    "    for a in args:\n"
    "        cmd.append(a)\n"
    "    redis.execute('HSET', cmd)\n"
    "    vals = redis.asList(redis.execute('HVALS', keys[0]))\n"
    "    return torch.cat([torch.tensor(int(str(v))).reshape(1, 1) for v in vals], dim=0)\n"
    "\n"
    "def missing_is_none(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    return torch.tensor(int(str(redis.execute('GET', keys[0])) == 'None'))\n"
    "\n"
    "def wrong_arity(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SET', keys[0])\n"
    "\n"
    "def read_any(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('GET', keys[0])\n"
    "\n"
    "def not_in_script(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    redis.execute('SHUTDOWN', 'NOSAVE')\n"
    "\n"
    "def run_model(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    return redisAI.model_execute(keys[0], tensors, int(args[0]))\n"
    "\n"
    "def run_model_twice(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    a = redisAI.model_execute(keys[0], tensors, 1)[0]\n"
    "    b = redisAI.model_execute(keys[0], tensors, 1)[0]\n"
    "    return a + b\n"
    "\n"
    "def model_of_key(tensors: List[Tensor], keys: List[str], args: List[str]):\n"
    "    x = torch.ones(2, 4)\n"
    "    return redisAI.model_execute(keys[0], [x], 1)[0]\n";

static const char *FUNCS[] = {"set_key",       "int_set_get",     "int_incr",    "float_get",     "push_all",
                              "list_to_tensor", "hash_values",     "missing_is_none", "wrong_arity", "read_any",
                              "not_in_script", "run_model",       "run_model_twice", "model_of_key"};
#define NFUNCS ((int)(sizeof FUNCS / sizeof FUNCS[0]))

/* An argument list and its length, for the expect_* helpers. */
#define ARGV(...) (const char *[]){__VA_ARGS__}, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))

static redisReply *cmdv(redisContext *c, const char **argv, int argc) {
    return lt_cmd(c, argc, argv, NULL);
}

static int expect_ok(redisContext *c, const char **argv, int argc) {
    redisReply *r = cmdv(c, argv, argc);
    int ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0;
    if (!ok)
        fprintf(stderr, "%s %s: %s\n", argv[0], argc > 2 ? argv[2] : "", r->type == REDIS_REPLY_ERROR ? r->str : "?");
    freeReplyObject(r);
    return ok;
}

/* The error of a command contains `want`. */
static int expect_error_with(redisContext *c, const char *want, const char **argv, int argc) {
    redisReply *r = cmdv(c, argv, argc);
    int ok = r->type == REDIS_REPLY_ERROR && strstr(r->str, want) != NULL;
    if (!ok)
        fprintf(stderr, "expected an error with \"%s\", got %s\n", want,
                r->type == REDIS_REPLY_ERROR ? r->str : "no error");
    freeReplyObject(r);
    return ok;
}

/* AI.TENSORGET key META VALUES: dtype, the shape, and the integer values. */
static int expect_int_tensor(redisContext *c, const char *key, const char *dtype, int ndims, const long long *shape,
                             int n, const long long *values) {
    redisReply *r = lt_cmdf(c, "AI.TENSORGET %s META VALUES", key);
    int ok = r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, dtype) == 0 &&
             r->element[3]->type == REDIS_REPLY_ARRAY && (int)r->element[3]->elements == ndims &&
             r->element[5]->type == REDIS_REPLY_ARRAY && (int)r->element[5]->elements == n;
    for (int i = 0; ok && i < ndims; i++)
        ok = r->element[3]->element[i]->integer == shape[i];
    for (int i = 0; ok && i < n; i++)
        ok = r->element[5]->element[i]->integer == values[i];
    if (!ok)
        fprintf(stderr, "tensor %s is not the %s tensor expected\n", key, dtype);
    freeReplyObject(r);
    return ok;
}

static int get_equals(redisContext *c, const char *key, const char *want) {
    redisReply *r = lt_cmdf(c, "GET %s", key);
    int ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0;
    freeReplyObject(r);
    return ok;
}

/* Two FLOAT tensors hold the same bytes (a model run through the script and the same run as a command). */
static int same_blob(redisContext *c, const char *a, const char *b, float scale) {
    redisReply *x = lt_cmdf(c, "AI.TENSORGET %s BLOB", a), *y = lt_cmdf(c, "AI.TENSORGET %s BLOB", b);
    int ok = x->type == REDIS_REPLY_STRING && y->type == REDIS_REPLY_STRING && x->len == y->len && x->len > 0;
    for (size_t i = 0; ok && i < x->len / 4; i++)
        ok = fabsf(((float *)x->str)[i] - scale * ((float *)y->str)[i]) <= 1e-5f * (1 + fabsf(((float *)x->str)[i]));
    if (!ok)
        fprintf(stderr, "%s is not %g x %s\n", a, scale, b);
    freeReplyObject(x);
    freeReplyObject(y);
    return ok;
}

static void store_script(redisContext *c) {
    const char *argv[8 + sizeof FUNCS / sizeof FUNCS[0]];
    int n = 0;
    argv[n++] = "AI.SCRIPTSTORE";
    argv[n++] = "ext";
    argv[n++] = "CPU";
    argv[n++] = "ENTRY_POINTS";
    char count[8];
    snprintf(count, sizeof count, "%d", NFUNCS - 1);
    argv[n++] = count;
    for (int i = 0; i < NFUNCS - 1; i++)
        argv[n++] = FUNCS[i];
    argv[n++] = "SOURCE";
    argv[n++] = SCRIPT;
    REQUIRE(expect_ok(c, argv, n));
}

static void test_commands(redisContext *c) {
    /* SET through a list argument (RedisAI's test_set_key) */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "set_key", "KEYS", "1", "x", "ARGS", "1", "1")));
    CHECK(get_equals(c, "x", "1"));

    /* SET, GET, DEL: an INT64 scalar (test_int_set_get); INCR's integer reply (test_int_set_incr) */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "int_set_get", "KEYS", "1", "x", "ARGS", "1", "41",
                                        "OUTPUTS", "1", "y")));
    CHECK(expect_int_tensor(c, "y", "INT64", 0, NULL, 1, (long long[]){41}));
    redisReply *r = lt_cmdf(c, "EXISTS x");
    CHECK(r->integer == 0); /* the script's DEL ran */
    freeReplyObject(r);
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "int_incr", "KEYS", "1", "x", "ARGS", "1", "1",
                                        "OUTPUTS", "1", "y")));
    CHECK(expect_int_tensor(c, "y", "INT64", 0, NULL, 1, (long long[]){2}));

    /* a float read back from a string (test_float_set_get) */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "float_get", "KEYS", "1", "f", "ARGS", "1", "1.5",
                                        "OUTPUTS", "1", "y")));
    r = lt_cmdf(c, "AI.TENSORGET y META VALUES");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 6 && strcmp(r->element[1]->str, "FLOAT") == 0 &&
          r->element[3]->elements == 0 && r->element[5]->elements == 1 && atof(r->element[5]->element[0]->str) == 1.5);
    freeReplyObject(r);

    /* a script with no outputs that only writes (test_str_list), then LRANGE through asList (test_int_list) */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "push_all", "KEYS", "1", "l", "ARGS", "2", "1",
                                        "2")));
    r = lt_cmdf(c, "LRANGE l 0 -1");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[0]->str, "1") == 0 &&
          strcmp(r->element[1]->str, "2") == 0);
    freeReplyObject(r);
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "list_to_tensor", "KEYS", "1", "l", "OUTPUTS",
                                        "1", "y")));
    CHECK(expect_int_tensor(c, "y", "INT64", 2, (long long[]){2, 1}, 2, (long long[]){1, 2}));

    /* HSET with the arguments built as a list, HVALS back (test_hash) */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "hash_values", "KEYS", "1", "h", "ARGS", "4",
                                        "field1", "1", "field2", "2", "OUTPUTS", "1", "y")));
    CHECK(expect_int_tensor(c, "y", "INT64", 2, (long long[]){2, 1}, 2, (long long[]){1, 2}));

    /* a nil reply is None */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "missing_is_none", "KEYS", "1", "nokey",
                                        "OUTPUTS", "1", "y")));
    CHECK(expect_int_tensor(c, "y", "INT64", 0, NULL, 1, (long long[]){1}));

    /* errors from inside: a call Redis refuses (RedisAI: "... error: Invalid argument"), an error reply
     * (WRONGTYPE), a command no script may run (SHUTDOWN: the server stays up) */
    CHECK(expect_error_with(c, "Redis command returned an error: Invalid argument",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "wrong_arity", "KEYS", "1", "x")));
    CHECK(expect_error_with(c, "Redis command returned an error: WRONGTYPE Operation against a key holding the "
                               "wrong kind of value",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "read_any", "KEYS", "1", "h")));
    CHECK(expect_error_with(c, "SHUTDOWN: not allowed from a script",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "not_in_script", "KEYS", "1", "x")));
    r = lt_cmdf(c, "PING");
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
}

static void test_models(redisContext *c) {
    size_t n;
    char *blob = tm_read("linear.pt", &n);
    redisReply *r = lt_cmdf(c, "AI.MODELSTORE lin TORCH CPU BLOB %b", blob, n);
    REQUIRE(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(blob);
    blob = tm_read("linear_in.bin", &n);
    r = lt_cmdf(c, "AI.TENSORSET xin FLOAT %d 4 BLOB %b", (int)(n / 16), blob, n);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(blob);

    /* the model run through the script gives what AI.MODELEXECUTE gives, and libtorch's own result */
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "run_model", "KEYS", "1", "lin", "INPUTS", "1",
                                        "xin", "ARGS", "1", "1", "OUTPUTS", "1", "y")));
    CHECK(tm_check_output(c, "y", "linear_out.bin", 1e-4f));
    freeReplyObject(lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 xin OUTPUTS 1 ref"));
    CHECK(same_blob(c, "y", "ref", 1.0f));
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "run_model_twice", "KEYS", "1", "lin", "INPUTS",
                                        "1", "xin", "OUTPUTS", "1", "y2")));
    CHECK(same_blob(c, "y2", "ref", 2.0f));

    /* two outputs (twoinout: a+b and a@W) */
    blob = tm_read("twoinout.pt", &n);
    r = lt_cmdf(c, "AI.MODELSTORE two TORCH CPU BLOB %b", blob, n);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(blob);
    char *a = tm_read("twoinout_a.bin", &n);
    size_t nb;
    char *b = tm_read("twoinout_b.bin", &nb);
    r = lt_cmdf(c, "AI.TENSORSET a FLOAT 2 3 BLOB %b", a, n); /* gen_models.py: a, b are [2, 3] */
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = lt_cmdf(c, "AI.TENSORSET b FLOAT 2 3 BLOB %b", b, nb);
    CHECK(r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    free(a);
    free(b);
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "run_model", "KEYS", "1", "two", "INPUTS", "2",
                                        "a", "b", "ARGS", "1", "2", "OUTPUTS", "2", "o1", "o2")));
    CHECK(tm_check_output(c, "o1", "twoinout_out1.bin", 1e-4f));
    CHECK(tm_check_output(c, "o2", "twoinout_out2.bin", 1e-4f));

    /* the model's statistics count the runs made from scripts */
    r = lt_cmdf(c, "AI.INFO lin");
    long long calls = -1;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, "calls") == 0)
            calls = r->element[i + 1]->integer;
    CHECK(calls == 4); /* run_model, run_model_twice (2), AI.MODELEXECUTE */
    freeReplyObject(r);

    /* errors: no model there (RedisAI: "ERR model key is empty"), a key of another type, outputs that do not
     * match what the model gives */
    CHECK(expect_error_with(c, "ERR model key is empty",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "model_of_key", "KEYS", "1", "nomodel",
                                             "OUTPUTS", "1", "y")));
    CHECK(expect_error_with(c, "WRONGTYPE",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "model_of_key", "KEYS", "1", "x", "OUTPUTS",
                                             "1", "y")));
    CHECK(expect_error_with(c, "ERR",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "run_model", "KEYS", "1", "lin", "INPUTS",
                                             "1", "xin", "ARGS", "1", "3", "OUTPUTS", "1", "y")));

    /* in a DAG: the model run from the script, its result read back in the same DAG */
    r = lt_cmdf(c, "AI.DAGEXECUTE ROUTING lin |> AI.SCRIPTEXECUTE ext model_of_key KEYS 1 lin OUTPUTS 1 t "
                   "|> AI.TENSORGET t META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STATUS &&
          r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 4 &&
          r->element[1]->element[3]->elements == 2 && r->element[1]->element[3]->element[1]->integer == 3);
    freeReplyObject(r);
    /* and a Redis write from a script inside a DAG */
    r = lt_cmdf(c, "AI.DAGEXECUTE ROUTING dagkey |> AI.SCRIPTEXECUTE ext set_key KEYS 1 dagkey ARGS 1 7");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    CHECK(get_equals(c, "dagkey", "7"));

    /* AI.MODELDEL while scripts use the model: each run holds the model, nothing breaks */
    freeReplyObject(lt_cmdf(c, "AI.MODELDEL lin"));
    CHECK(expect_error_with(c, "ERR model key is empty",
                            ARGV("AI.SCRIPTEXECUTE", "ext", "model_of_key", "KEYS", "1", "lin",
                                             "OUTPUTS", "1", "y")));
}

/* Writes made by redis.execute reach a replica (they are propagated like the command itself). */
static void test_replication(lt_server *primary, redisContext *c) {
    lt_server replica;
    char addr[64];
    snprintf(addr, sizeof addr, "%d", primary->port);
    lt_server_opts o = {.extra = {"--replicaof", "127.0.0.1", addr, NULL}, .no_valgrind = true};
    REQUIRE(lt_server_start(&replica, &o) == 0);
    redisContext *rc = lt_connect(&replica);
    int synced = 0;
    for (int i = 0; i < 200 && !synced; i++) {
        redisReply *r = lt_cmdf(rc, "INFO replication");
        synced = r->type == REDIS_REPLY_STRING
                     ? strstr(r->str, "master_link_status:up") != NULL
                     : 0;
        freeReplyObject(r);
        if (!synced)
            usleep(50 * 1000);
    }
    REQUIRE(synced);
    CHECK(expect_ok(c, ARGV("AI.SCRIPTEXECUTE", "ext", "set_key", "KEYS", "1", "replicated", "ARGS", "1",
                                        "yes")));
    redisReply *r = lt_cmdf(c, "WAIT 1 5000");
    CHECK(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    CHECK(get_equals(rc, "replicated", "yes"));
    redisFree(rc);
    CHECK(lt_server_stop(&replica, false) == 0);
}

int main(void) {
    lt_server s;
    lt_server_opts o = {.no_valgrind = true};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    store_script(c);
    test_commands(c);
    test_models(c);
    test_replication(&s, c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    return lt_report("module_script_ext");
}
