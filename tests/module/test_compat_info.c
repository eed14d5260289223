/* RedisAI 1.2.7 compatibility (issue 16 item 5) for AI.INFO and INFO MODULES. Each reply is compared whole
 * with what RedisAI gives. Where its facts come from:
 *
 * AI.INFO <key> [RESETSTAT]: RedisAI's src/redisai.c RedisAI_Info_RedisCommand (more than 3 arguments is
 * wrong arity; the key's run info is looked up first, "ERR cannot find run info for key"; RESETSTAT answers
 * OK; else 18 entries: key, type, backend, device, tag, duration, samples, calls, errors, samples -1 for a
 * script) and its docs/commands.md (AI.INFO; errors in parsing a command are not counted);
 * tests/flow/tests_pytorch.py test_pytorch_modelinfo and test_pytorch_scriptinfo (after each run duration has
 * grown, calls and samples count it; RESETSTAT zeroes all but a script's -1); the RAI_SafeAddDataPoint calls
 * of its run replies (a run, alone or as a DAG op, adds one call, and one error when it failed).
 *
 * INFO MODULES: tests/flow/includes.py get_info_section (the sections ai_versions, ai_git,
 * ai_load_time_configs, ai_backends_info, ai_cpu, in that order, first after "# Modules"); tests_common.py
 * test_info_command (their fields, in order); tests_pytorch.py test_torch_info (ai_Torch_version only once a
 * Torch model is stored) and test_parallelism (the load-time values); src/redisai.c RAI_moduleInfoFunc (the
 * main thread's cpu fields, a queue_<device>_bthread_n<i>_used_cpu_total per worker thread).
 *
 * Where locus answers otherwise the case says so and names locus's reply as its own; no RedisAI text is made
 * up. MODEL_EXECUTION_TIMEOUT in INFO and AI.INFO QUEUES are checked in test_model_cmds.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"
#include "model_util.h"
#include "server.h"

static char *linear, *script_src;
static size_t linear_len, script_len;

/* ---- INFO MODULES, parsed: its sections in order, each with its fields in order ---- */

enum { MAX_SECTIONS = 16, MAX_FIELDS = 64 };

typedef struct {
    char name[64];
    int nfields;
    char key[MAX_FIELDS][96];
    char value[MAX_FIELDS][96];
} info_section;

typedef struct {
    int n;
    info_section s[MAX_SECTIONS];
} info_modules;

/* INFO MODULES's sections after "# Modules" (the module list itself is left out). */
static void info_modules_get(redisContext *c, info_modules *im) {
    memset(im, 0, sizeof *im);
    redisReply *r = lt_cmdf(c, "INFO MODULES");
    REQUIRE(r->type == REDIS_REPLY_STRING);
    info_section *cur = NULL;
    for (char *save = NULL, *line = strtok_r(r->str, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (strncmp(line, "# ", 2) == 0) {
            cur = strcmp(line, "# Modules") == 0 || im->n == MAX_SECTIONS ? NULL : &im->s[im->n++];
            if (cur != NULL)
                snprintf(cur->name, sizeof cur->name, "%s", line + 2);
            continue;
        }
        char *colon = strchr(line, ':');
        if (cur == NULL || colon == NULL || cur->nfields == MAX_FIELDS)
            continue;
        *colon = '\0';
        snprintf(cur->key[cur->nfields], sizeof cur->key[0], "%s", line);
        snprintf(cur->value[cur->nfields], sizeof cur->value[0], "%s", colon + 1);
        cur->nfields++;
    }
    freeReplyObject(r);
}

static const info_section *section(const info_modules *im, const char *name) {
    for (int i = 0; i < im->n; i++)
        if (strcmp(im->s[i].name, name) == 0)
            return &im->s[i];
    return NULL;
}

/* The value of field `key` of section `name`; NULL when absent. */
static const char *field(const info_modules *im, const char *name, const char *key) {
    const info_section *s = section(im, name);
    for (int i = 0; s != NULL && i < s->nfields; i++)
        if (strcmp(s->key[i], key) == 0)
            return s->value[i];
    return NULL;
}

/* 1 when section `name`'s first n field names are exactly `keys`, in that order; prints them otherwise. */
static int fields_begin_with(const info_modules *im, const char *name, const char *const *keys, int n) {
    const info_section *s = section(im, name);
    int ok = s != NULL && s->nfields >= n;
    for (int i = 0; ok && i < n; i++)
        ok = strcmp(s->key[i], keys[i]) == 0;
    if (!ok) {
        fprintf(stderr, "  INFO MODULES section %s has:", name);
        for (int i = 0; s != NULL && i < s->nfields; i++)
            fprintf(stderr, " %s", s->key[i]);
        fprintf(stderr, "\n");
    }
    return ok;
}

static int streq(const char *a, const char *b) {
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- AI.INFO <key> ---- */

/* What AI.INFO <key> answers, field by field (tag as a C string). */
typedef struct {
    const char *key, *type, *backend, *device, *tag;
    long long duration, samples, calls, errors;
} run_info;

/* AI.INFO `key` into *ri; 1 when it is RedisAI's 18 entries: the nine names in RedisAI's order, each a bulk
 * string, key, type, backend, device and tag as bulk strings, the counts as integers. The strings point into
 * *reply, which the caller frees. */
static int ai_info(redisContext *c, const char *key, run_info *ri, redisReply **reply) {
    static const char *const names[] = {"key",      "type",    "backend", "device", "tag",
                                        "duration", "samples", "calls",   "errors"};
    redisReply *r = *reply = lt_cmdf(c, "AI.INFO %s", key);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 18) {
        fprintf(stderr, "  AI.INFO %s: not 18 entries (%s)\n", key,
                r->type == REDIS_REPLY_ERROR ? r->str : "");
        return 0;
    }
    for (int i = 0; i < 9; i++) {
        const redisReply *name = r->element[2 * i], *v = r->element[2 * i + 1];
        int want_int = i >= 5;
        if (name->type != REDIS_REPLY_STRING || strcmp(name->str, names[i]) != 0 ||
            v->type != (want_int ? REDIS_REPLY_INTEGER : REDIS_REPLY_STRING)) {
            fprintf(stderr, "  AI.INFO %s: entry %d is not %s\n", key, 2 * i, names[i]);
            return 0;
        }
    }
    *ri = (run_info){r->element[1]->str,      r->element[3]->str,      r->element[5]->str,
                     r->element[7]->str,      r->element[9]->str,      r->element[11]->integer,
                     r->element[13]->integer, r->element[15]->integer, r->element[17]->integer};
    return 1;
}

/* 1 when AI.INFO `key` has these counts (duration not checked when want_duration < 0). */
static int counts_are(redisContext *c, const char *key, long long want_duration, long long samples,
                      long long calls, long long errors) {
    run_info ri;
    redisReply *r;
    int ok = ai_info(c, key, &ri, &r) && (want_duration < 0 || ri.duration == want_duration) &&
             ri.samples == samples && ri.calls == calls && ri.errors == errors;
    if (!ok && r->type == REDIS_REPLY_ARRAY && r->elements == 18)
        fprintf(stderr, "  AI.INFO %s: duration %lld samples %lld calls %lld errors %lld\n", key, ri.duration,
                ri.samples, ri.calls, ri.errors);
    freeReplyObject(r);
    return ok;
}

/* ---- the cases ---- */

/* INFO MODULES before any model: the five sections in RedisAI's order, their fields, the load-time values
 * (this server: THREADS_PER_QUEUE 2 INTER_OP_PARALLELISM 1 INTRA_OP_PARALLELISM 1), no backend yet. */
static void test_info_modules_at_start(redisContext *c) {
    info_modules im;
    info_modules_get(c, &im);
    static const char *const sections[] = {"ai_versions", "ai_git", "ai_load_time_configs",
                                           "ai_backends_info", "ai_cpu"};
    CHECK(im.n >= 5);
    for (int i = 0; i < 5 && i < im.n; i++)
        CHECK(strcmp(im.s[i].name, sections[i]) == 0);
    /* locus's own, after RedisAI's five: ai_queues (the run queues, as AI.INFO QUEUES) */
    CHECK(im.n == 6 && strcmp(im.s[5].name, "ai_queues") == 0);

    /* test_info_command: ai_versions holds these three (locus adds ai_locus_ai_version after them); RedisAI's
     * version and its low-level API version (REDISAI_LLAPI_VERSION 1). ai_rdb_version is locus's own encoding
     * version (10), not RedisAI's. */
    static const char *const versions[] = {"ai_RedisAI_version", "ai_low_level_API_version",
                                           "ai_rdb_version"};
    CHECK(fields_begin_with(&im, "ai_versions", versions, 3));
    CHECK(streq(field(&im, "ai_versions", "ai_RedisAI_version"), "1.2.7"));
    CHECK(streq(field(&im, "ai_versions", "ai_low_level_API_version"), "1"));
    const info_section *v = section(&im, "ai_versions");
    CHECK(v != NULL && v->nfields == 4 && strcmp(v->key[3], "ai_locus_ai_version") == 0);

    static const char *const git[] = {"ai_git_sha"};
    const info_section *g = section(&im, "ai_git");
    CHECK(fields_begin_with(&im, "ai_git", git, 1) && g->nfields == 1 && g->value[0][0] != '\0');

    /* test_info_command: these five, in order (locus adds ai_model_chunk_size after them); test_parallelism:
     * the values given at load */
    static const char *const configs[] = {"ai_threads_per_queue", "ai_inter_op_parallelism",
                                          "ai_intra_op_parallelism", "ai_model_execution_timeout",
                                          "ai_backend_memory_limit"};
    CHECK(fields_begin_with(&im, "ai_load_time_configs", configs, 5));
    CHECK(streq(field(&im, "ai_load_time_configs", "ai_threads_per_queue"), "2"));
    CHECK(streq(field(&im, "ai_load_time_configs", "ai_inter_op_parallelism"), "1"));
    CHECK(streq(field(&im, "ai_load_time_configs", "ai_intra_op_parallelism"), "1"));
    const info_section *lc = section(&im, "ai_load_time_configs");
    CHECK(lc != NULL && lc->nfields == 6 && strcmp(lc->key[5], "ai_model_chunk_size") == 0);

    /* test_torch_info: no ai_Torch_version before a Torch model is stored (BACKEND_PRELOAD 0 keeps locus's
     * background load of libtorch at start, which RedisAI does not have, from loading it) */
    const info_section *b = section(&im, "ai_backends_info");
    CHECK(b != NULL && b->nfields == 0);

    /* test_info_command's minimum cpu fields, then the main thread's, then a line per CPU queue worker from
     * the start: RedisAI makes the CPU queue at load (RAI_moduleInfoFunc, RedisModule_OnLoad) */
    static const char *const cpu[] = {"ai_self_used_cpu_sys",
                                      "ai_self_used_cpu_user",
                                      "ai_children_used_cpu_sys",
                                      "ai_children_used_cpu_user",
                                      "ai_main_thread_used_cpu_sys",
                                      "ai_main_thread_used_cpu_user",
                                      "ai_queue_CPU_bthread_n1_used_cpu_total",
                                      "ai_queue_CPU_bthread_n2_used_cpu_total"};
    CHECK(fields_begin_with(&im, "ai_cpu", cpu, 8));
    const info_section *cs = section(&im, "ai_cpu");
    CHECK(cs != NULL && cs->nfields == 8);
}

/* A model's run info: stored, run alone, deprecated, in a DAG, refused in parsing, failed, reset. */
static void test_model_info(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE lin TORCH CPU TAG v1 BLOB %b", linear, linear_len), "OK"));
    run_info ri;
    redisReply *r;
    /* before any run: the stored key's fields, every count 0 */
    CHECK(ai_info(c, "lin", &ri, &r) && strcmp(ri.key, "lin") == 0 && strcmp(ri.type, "MODEL") == 0 &&
          strcmp(ri.backend, "TORCH") == 0 && strcmp(ri.device, "CPU") == 0 && strcmp(ri.tag, "v1") == 0 &&
          ri.duration == 0 && ri.samples == 0 && ri.calls == 0 && ri.errors == 0);
    freeReplyObject(r);

    /* test_pytorch_modelinfo: after each run duration has grown, samples count the batch (2 here), calls 1 */
    CHECK(tm_set_blob(c, "x", "2 4", "linear_in.bin"));
    long long previous = 0;
    for (int call = 1; call <= 3; call++) {
        CHECK(tm_status(lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 y"), "OK"));
        int ok = ai_info(c, "lin", &ri, &r);
        CHECK(ok && ri.duration > previous && ri.samples == 2 * call && ri.calls == call && ri.errors == 0);
        previous = ok ? ri.duration : previous;
        freeReplyObject(r);
    }
    /* the deprecated AI.MODELRUN and a model op in a DAG are runs too */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELRUN lin INPUTS x OUTPUTS y"), "OK"));
    r = lt_cmdf(
        c, "AI.DAGEXECUTE LOAD 1 x |> AI.MODELEXECUTE lin INPUTS 1 x OUTPUTS 1 d |> AI.TENSORGET d META");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    freeReplyObject(r);
    CHECK(counts_are(c, "lin", -1, 10, 5, 0));
    /* docs/commands.md: errors in parsing a command are not counted */
    EXPECT_ERROR(c, "AI.MODELEXECUTE lin INPUTS 2 x x OUTPUTS 1 y",
                 "ERR Number of keys given as INPUTS here does not match model definition");
    CHECK(counts_are(c, "lin", -1, 10, 5, 0));
    /* a run that fails in the backend is one call and one error, with no duration and no samples
     * (RAI_SafeAddDataPoint(rstats, 0, 1, 1, 0) in RedisAI's run replies) */
    int ok = ai_info(c, "lin", &ri, &r);
    long long duration_before = ri.duration;
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET bad FLOAT 2 5"), "OK"));
    r = lt_cmdf(c, "AI.MODELEXECUTE lin INPUTS 1 bad OUTPUTS 1 y");
    CHECK(r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    CHECK(ok && counts_are(c, "lin", duration_before, 10, 6, 1));

    /* test_pytorch_modelinfo: RESETSTAT answers OK and zeroes every count */
    CHECK(tm_status(lt_cmdf(c, "AI.INFO lin RESETSTAT"), "OK"));
    CHECK(counts_are(c, "lin", 0, 0, 0, 0));

    /* a model stored without TAG: "" (RedisAI_Info_RedisCommand) */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELSTORE untagged TORCH CPU BLOB %b", linear, linear_len), "OK"));
    CHECK(ai_info(c, "untagged", &ri, &r) && ri.tag[0] == '\0' && strcmp(ri.key, "untagged") == 0);
    freeReplyObject(r);
}

/* A script's run info: type SCRIPT, backend TORCH, samples -1 always. */
static void test_script_info(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c,
                            "AI.SCRIPTSTORE scr CPU TAG s1 ENTRY_POINTS 2 pre_process post_process SOURCE %b",
                            script_src, script_len),
                    "OK"));
    run_info ri;
    redisReply *r;
    CHECK(ai_info(c, "scr", &ri, &r) && strcmp(ri.key, "scr") == 0 && strcmp(ri.type, "SCRIPT") == 0 &&
          strcmp(ri.backend, "TORCH") == 0 && strcmp(ri.device, "CPU") == 0 && strcmp(ri.tag, "s1") == 0 &&
          ri.duration == 0 && ri.samples == -1 && ri.calls == 0 && ri.errors == 0);
    freeReplyObject(r);
    /* test_pytorch_scriptinfo: duration grows, samples stay -1, calls count */
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET s_in FLOAT 2 3 VALUES 1 2 3 4 5 6"), "OK"));
    long long previous = 0;
    for (int call = 1; call <= 3; call++) {
        CHECK(tm_status(lt_cmdf(c, "AI.SCRIPTEXECUTE scr pre_process INPUTS 1 s_in OUTPUTS 1 s_out"), "OK"));
        int ok = ai_info(c, "scr", &ri, &r);
        CHECK(ok && ri.duration > previous && ri.samples == -1 && ri.calls == call && ri.errors == 0);
        previous = ok ? ri.duration : previous;
        freeReplyObject(r);
    }
    /* a script op in a DAG is a run; one that fails in TorchScript (argmax(1) of a 1-D tensor) is a call and
     * an error */
    r = lt_cmdf(c, "AI.DAGEXECUTE LOAD 1 s_in |> AI.SCRIPTEXECUTE scr pre_process INPUTS 1 s_in OUTPUTS 1 d");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    CHECK(tm_status(lt_cmdf(c, "AI.TENSORSET flat FLOAT 3 VALUES 1 2 3"), "OK"));
    r = lt_cmdf(c, "AI.SCRIPTEXECUTE scr post_process INPUTS 1 flat OUTPUTS 2 o1 o2");
    CHECK(r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    CHECK(counts_are(c, "scr", -1, -1, 5, 1));
    /* test_pytorch_scriptinfo: after RESETSTAT duration, calls and errors are 0, samples still -1 */
    CHECK(tm_status(lt_cmdf(c, "AI.INFO scr RESETSTAT"), "OK"));
    CHECK(counts_are(c, "scr", 0, -1, 0, 0));
}

/* The keys that have no run info, and the arity. */
static void test_info_errors(redisContext *c) {
    CHECK(tm_status(lt_cmdf(c, "SET strkey hello"), "OK"));
    /* RedisAI_Info_RedisCommand: a missing key, a tensor and a key of another type have no run info, and the
     * lookup comes before RESETSTAT */
    EXPECT_ERROR(c, "AI.INFO nokey", "ERR cannot find run info for key");
    EXPECT_ERROR(c, "AI.INFO x", "ERR cannot find run info for key");
    EXPECT_ERROR(c, "AI.INFO strkey", "ERR cannot find run info for key");
    EXPECT_ERROR(c, "AI.INFO nokey RESETSTAT", "ERR cannot find run info for key");
    /* a deleted model's run info goes with it (the stats entry is removed when the model is freed) */
    CHECK(tm_status(lt_cmdf(c, "AI.MODELDEL untagged"), "OK"));
    EXPECT_ERROR(c, "AI.INFO untagged", "ERR cannot find run info for key");
    /* a third argument other than RESETSTAT is ignored: the run info, as without it */
    redisReply *r = lt_cmdf(c, "AI.INFO lin BOGUS");
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 18 && strcmp(r->element[1]->str, "lin") == 0);
    freeReplyObject(r);
    /* more than key and RESETSTAT: RedisModule_WrongArity */
    EXPECT_ERROR(c, "AI.INFO lin RESETSTAT extra", "ERR wrong number of arguments for 'AI.INFO' command");
}

/* INFO MODULES once a Torch model is stored and run, and AI.INFO without a key. */
static void test_info_modules_after_runs(redisContext *c) {
    info_modules im;
    info_modules_get(c, &im);
    /* test_torch_info: the Torch backend's version, once loaded */
    const char *torch = field(&im, "ai_backends_info", "ai_Torch_version");
    CHECK(torch != NULL && torch[0] != '\0');
    /* test_info_command: the CPU queue's first worker thread; RAI_moduleInfoFunc: one per thread (2 here) */
    CHECK(field(&im, "ai_cpu", "ai_queue_CPU_bthread_n1_used_cpu_total") != NULL);
    CHECK(field(&im, "ai_cpu", "ai_queue_CPU_bthread_n2_used_cpu_total") != NULL);
    CHECK(field(&im, "ai_cpu", "ai_queue_CPU_bthread_n3_used_cpu_total") == NULL);

    /* AI.INFO without a key is locus's: RedisAI 1.2.7 answers it with wrong arity (RedisAI_Info_RedisCommand:
     * fewer than 2 arguments) and gives these facts in INFO MODULES. locus keeps the reply of RedisAI 1.2.0
     * to 1.2.3 (its _RedisAI_Info; tests_onnx.py tests_onnx_info: 6 entries, 8 once a backend is loaded, its
     * name at [6]) with locus's values: its own version and RDB encoding version, as INFO gives them. */
    redisReply *r = lt_cmdf(c, "AI.INFO");
    static const char *const names[] = {"Version", "Low Level API Version", "RDB Encoding version",
                                        "Torch version"};
    const char *values[] = {field(&im, "ai_versions", "ai_locus_ai_version"), "1",
                            field(&im, "ai_versions", "ai_rdb_version"), torch};
    CHECK(r->type == REDIS_REPLY_ARRAY && r->elements == 8);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && r->elements == 8 && i < 4; i++)
        CHECK(r->element[2 * i]->type == REDIS_REPLY_STATUS &&
              strcmp(r->element[2 * i]->str, names[i]) == 0 && streq(r->element[2 * i + 1]->str, values[i]));
    freeReplyObject(r);
}

int main(void) {
    linear = tm_read("linear.pt", &linear_len);
    script_src = tm_read("script.py", &script_len);
    lt_server s;
    lt_server_opts o = {.module_args = "BACKEND_PRELOAD 0 THREADS_PER_QUEUE 2 INTER_OP_PARALLELISM 1 "
                                       "INTRA_OP_PARALLELISM 1"};
    REQUIRE(lt_server_start(&s, &o) == 0);
    redisContext *c = lt_connect(&s);
    test_info_modules_at_start(c);
    test_model_info(c);
    test_script_info(c);
    test_info_errors(c);
    test_info_modules_after_runs(c);
    redisFree(c);
    CHECK(lt_server_stop(&s, false) == 0);
    free(linear);
    free(script_src);
    return lt_report("module_compat_info");
}
