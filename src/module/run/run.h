/* A run: what one blocked client asked to execute. AI.MODELEXECUTE and AI.SCRIPTEXECUTE are runs of one op
 * whose inputs were loaded from the keyspace and whose outputs are persisted; AI.DAGEXECUTE is a run of
 * several ops over a private tensor table (slots).
 *
 * Life cycle: built and filled on the main thread (commands/run_cmds.c), handed to the run queue of its device
 * (queue/) as a queue item with this file's queue_ops, executed on a worker thread through them (several
 * compatible runs at once when the model batches), then replied to, persisted and freed on the main thread. Tensors, models
 * and scripts are retained while a run holds them, so keys may change or vanish meanwhile. */
#ifndef LOCUS_MODULE_RUN_RUN_H
#define LOCUS_MODULE_RUN_RUN_H

#include <stdbool.h>

#include "../err.h"
#include "../model/model.h"
#include "../queue/queue.h"
#include "../redismodule_api.h"
#include "../script/script.h"
#include "../tensor/tensor.h"

typedef enum { OP_TENSORSET, OP_TENSORGET, OP_MODEL, OP_SCRIPT } op_kind;

typedef struct dag_op {
    op_kind kind;
    model *m;
    script *s;
    char *fn;
    int nin, nout;
    int *in, *out;      /* slot indexes */
    int variadic_from;  /* scripts: first input passed in the variadic list, or -1 */
    int nkeys, nargs;
    char **keys, **args;
    unsigned get_fmt;   /* TENSORGET */
    tensor *set_tensor; /* TENSORSET */
} dag_op;

typedef struct run_ctx {
    queue_item qi;               /* the run queue's part: links, enqueue time, TIMEOUT (qi.timeout_ms) */
    RedisModuleBlockedClient *bc;
    bool dag;                    /* reply with one entry per op */
    int nops, capops;
    dag_op *ops;
    int nslots, capslots;
    tensor **slots;
    char **slot_names;
    int npersist;
    int *persist_slot;
    RedisModuleString **persist_keys;
    bool timed_out, failed;
    int failed_op;               /* DAG: the op that failed (the reply has one entry per op, as RedisAI's) */
    lc_err err;                  /* why the run failed */
    char what[96]; /* "model <key>", "script <key>", "DAG: model <key>": what a busy worker runs (AI.INFO) */
} run_ctx;

run_ctx *run_ctx_new(bool dag);
/* Free everything (main thread: releases tensors). NULL accepted. */
void run_ctx_free(run_ctx *rc);
dag_op *run_ctx_add_op(run_ctx *rc, op_kind kind);
/* A new slot named `name` (a later version shadows earlier ones); its index. */
int run_ctx_new_slot(run_ctx *rc, const char *name, size_t len);
/* The latest slot with that name, or -1. */
int run_ctx_find_slot(const run_ctx *rc, const char *name, size_t len);
void run_ctx_add_persist(run_ctx *rc, int slot, RedisModuleString *key);

/* Block the client and queue the run on its device. On failure replies with the error and frees rc. */
int run_dispatch(RedisModuleCtx *ctx, run_ctx *rc);

#endif
