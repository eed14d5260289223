/* libFuzzer target: the run command parsers (AI.MODELEXECUTE, AI.MODELRUN, AI.SCRIPTEXECUTE, AI.SCRIPTRUN,
 * AI.DAGEXECUTE[_RO], AI.DAGRUN[_RO]) through run_parse_only and run_key_positions, against a stand-in
 * keyspace holding a tensor "t", models "m" (signature unknown) and "m2" (2 inputs, 1 output) and a script
 * "s" whose backend knows the functions "f" and "g". The first byte picks the command; the rest, split at
 * newlines, are its arguments.
 * A parser returns 0 or an error reply, never crashes, overreads or leaks (the runs it builds are freed), and
 * every key position reported is an argument of the command. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/model_cmds.h"
#include "fake_io.h"
#include "model/model.h"
#include "model/model_type.h"
#include "script/script.h"
#include "script/script_type.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"
#include "tensor/tensor_type.h"

#define MAX_ARGS 64

/* RedisModuleString stand-in: the bytes of one argument. */
struct RedisModuleString {
    const char *p;
    size_t len;
};

typedef struct entry {
    const char *name;
    RedisModuleType **type;
    void *value;
} entry;

static entry keyspace[4];
static int nkeys;
static entry empty_key;
static int fake_type_ids[3];

static const char *f_ptrlen(const RedisModuleString *s, size_t *len) {
    if (len)
        *len = s->len;
    return s->p;
}

static RedisModuleKey *f_open(RedisModuleCtx *ctx, RedisModuleString *name, int mode) {
    (void)ctx, (void)mode;
    for (int i = 0; i < nkeys; i++)
        if (strlen(keyspace[i].name) == name->len && memcmp(keyspace[i].name, name->p, name->len) == 0)
            return (RedisModuleKey *)&keyspace[i];
    return (RedisModuleKey *)&empty_key;
}

/* strings the parsers keep (PERSIST keys): real copies, freed with the run */
static RedisModuleString *f_create(RedisModuleCtx *ctx, const char *p, size_t len) {
    (void)ctx;
    RedisModuleString *s = malloc(sizeof *s + len + 1);
    char *copy = (char *)(s + 1);
    memcpy(copy, p, len);
    copy[len] = '\0';
    s->p = copy;
    s->len = len;
    return s;
}
static void f_free_string(RedisModuleCtx *ctx, RedisModuleString *s) {
    (void)ctx;
    free(s);
}

/* CONFIG GET proto-max-bulk-len: no answer, so the parser uses its default limit */
static RedisModuleCallReply *f_call(RedisModuleCtx *ctx, const char *cmd, const char *fmt, ...) {
    (void)ctx, (void)cmd, (void)fmt;
    return NULL;
}

static void f_close(RedisModuleKey *k) { (void)k; }
static int f_keytype(RedisModuleKey *k) {
    return ((entry *)k)->type ? REDISMODULE_KEYTYPE_MODULE : REDISMODULE_KEYTYPE_EMPTY;
}
static RedisModuleType *f_gettype(RedisModuleKey *k) { return ((entry *)k)->type ? *((entry *)k)->type : NULL; }
static void *f_getvalue(RedisModuleKey *k) { return ((entry *)k)->value; }

static int check_fn(void *script, const char *fn, int entry_point, lb_err *err) {
    (void)script, (void)entry_point;
    if (!strcmp(fn, "f") || !strcmp(fn, "g"))
        return 0;
    lb_err_set(err, LB_ERR_FAILED, "ERR function %s not found", fn);
    return -1;
}

static lb_ops fake_ops;

static void setup(void) {
    fake_api_install();
    RedisModule_StringPtrLen = f_ptrlen;
    RedisModule_OpenKey = f_open;
    RedisModule_CloseKey = f_close;
    RedisModule_KeyType = f_keytype;
    RedisModule_ModuleTypeGetType = f_gettype;
    RedisModule_ModuleTypeGetValue = f_getvalue;
    RedisModule_CreateString = f_create;
    RedisModule_FreeString = f_free_string;
    RedisModule_Call = f_call;
    TensorType = (RedisModuleType *)&fake_type_ids[0];
    ModelType = (RedisModuleType *)&fake_type_ids[1];
    ScriptType = (RedisModuleType *)&fake_type_ids[2];
    fake_ops.script_check_function = check_fn;
    int64_t dims[2] = {2, 4};
    tensor *t = tensor_new(dtype_by_name("FLOAT", 5), 2, dims, 8, 32, true);
    static model m = {.refcount = 1, .ninputs = -1, .noutputs = -1, .device = "CPU"};
    static model m2 = {.refcount = 1, .ninputs = 2, .noutputs = 1, .batchsize = 4, .device = "CPU"};
    static script s = {.refcount = 1, .device = "CPU"};
    m.ops = m2.ops = s.ops = &fake_ops;
    keyspace[nkeys++] = (entry){"t", &TensorType, t};
    keyspace[nkeys++] = (entry){"m", &ModelType, &m};
    keyspace[nkeys++] = (entry){"m2", &ModelType, &m2};
    keyspace[nkeys++] = (entry){"s", &ScriptType, &s};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1)
        return 0;
    static const char *const names[] = {"AI.MODELEXECUTE", "AI.MODELRUN", "AI.SCRIPTEXECUTE", "AI.SCRIPTRUN",
                                        "AI.DAGEXECUTE", "AI.DAGEXECUTE_RO", "AI.DAGRUN", "AI.DAGRUN_RO"};
    run_command kind = (run_command)(data[0] % 8);
    RedisModuleString args[MAX_ARGS], *argv[MAX_ARGS];
    int argc = 0;
    args[argc].p = names[kind];
    args[argc].len = strlen(names[kind]);
    argc++;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end && argc < MAX_ARGS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        args[argc].p = p; /* not NUL-terminated: parsers must use the length */
        args[argc].len = (size_t)(e - p);
        argc++;
        if (!nl)
            break;
        p = nl + 1;
    }
    for (int i = 0; i < argc; i++)
        argv[i] = &args[i];
    lc_err err;
    run_parse_only(NULL, kind, argv, argc, &err);
    /* the key positions the server is told: each an argument of the command, at most one per argument */
    arg_view views[MAX_ARGS];
    int pos[MAX_ARGS];
    for (int i = 0; i < argc; i++)
        views[i] = (arg_view){args[i].p, args[i].len};
    int n = run_key_positions(kind, argc, views, pos);
    if (n < 0 || n > argc)
        abort();
    for (int i = 0; i < n; i++)
        if (pos[i] < 1 || pos[i] >= argc)
            abort();
    return 0;
}
