/* Runs: building, executing (worker threads), replying and persisting (main thread). See run.h. */
#include "run.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config.h"
#include "../keyspace.h"
#include "../parsing/args.h"
#include "../queue/queue.h"
#include "../tensor/tensor_reply.h"
#include "../tensor/tensor_type.h"

run_ctx *run_ctx_new(bool dag) {
    run_ctx *rc = RedisModule_Calloc(1, sizeof *rc);
    rc->dag = dag;
    return rc;
}

static void free_strs(int n, char **v) {
    for (int i = 0; i < n; i++)
        RedisModule_Free(v[i]);
    RedisModule_Free(v);
}

void run_ctx_free(run_ctx *rc) {
    if (rc == NULL)
        return;
    for (int i = 0; i < rc->nops; i++) {
        dag_op *op = &rc->ops[i];
        model_release(op->m);
        script_release(op->s);
        RedisModule_Free(op->fn);
        RedisModule_Free(op->in);
        RedisModule_Free(op->out);
        free_strs(op->nkeys, op->keys);
        free_strs(op->nargs, op->args);
        tensor_release(op->set_tensor);
    }
    RedisModule_Free(rc->ops);
    for (int i = 0; i < rc->nslots; i++) {
        tensor_release(rc->slots[i]);
        RedisModule_Free(rc->slot_names[i]);
    }
    RedisModule_Free(rc->slots);
    RedisModule_Free(rc->slot_names);
    for (int i = 0; i < rc->npersist; i++)
        RedisModule_FreeString(NULL, rc->persist_keys[i]);
    RedisModule_Free(rc->persist_keys);
    RedisModule_Free(rc->persist_slot);
    RedisModule_Free(rc);
}

dag_op *run_ctx_add_op(run_ctx *rc, op_kind kind) {
    if (rc->nops == rc->capops) {
        rc->capops = rc->capops ? 2 * rc->capops : 4;
        rc->ops = RedisModule_Realloc(rc->ops, (size_t)rc->capops * sizeof *rc->ops);
    }
    dag_op *op = &rc->ops[rc->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->variadic_from = -1;
    return op;
}

int run_ctx_new_slot(run_ctx *rc, const char *name, size_t len) {
    if (rc->nslots == rc->capslots) {
        rc->capslots = rc->capslots ? 2 * rc->capslots : 8;
        rc->slots = RedisModule_Realloc(rc->slots, (size_t)rc->capslots * sizeof *rc->slots);
        rc->slot_names = RedisModule_Realloc(rc->slot_names, (size_t)rc->capslots * sizeof *rc->slot_names);
    }
    char *n = RedisModule_Alloc(len + 1);
    memcpy(n, name, len);
    n[len] = '\0';
    rc->slots[rc->nslots] = NULL;
    rc->slot_names[rc->nslots] = n;
    return rc->nslots++;
}

int run_ctx_find_slot(const run_ctx *rc, const char *name, size_t len) {
    for (int i = rc->nslots - 1; i >= 0; i--)
        if (strlen(rc->slot_names[i]) == len && memcmp(rc->slot_names[i], name, len) == 0)
            return i;
    return -1;
}

void run_ctx_add_persist(run_ctx *rc, int slot, RedisModuleString *key) {
    rc->persist_slot = RedisModule_Realloc(rc->persist_slot, (size_t)(rc->npersist + 1) * sizeof(int));
    rc->persist_keys =
        RedisModule_Realloc(rc->persist_keys, (size_t)(rc->npersist + 1) * sizeof(RedisModuleString *));
    rc->persist_slot[rc->npersist] = slot;
    size_t n;
    const char *p = RedisModule_StringPtrLen(key, &n);
    rc->persist_keys[rc->npersist] = RedisModule_CreateString(NULL, p, n);
    rc->npersist++;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *run_device(const run_ctx *rc) {
    for (int i = 0; i < rc->nops; i++) {
        if (rc->ops[i].m != NULL)
            return rc->ops[i].m->device;
        if (rc->ops[i].s != NULL)
            return rc->ops[i].s->device;
    }
    return "CPU";
}

/* ---- batching ---- */

/* The model when rc is a single model op that may be batched with others, else NULL. */
static model *run_batch_model(const run_ctx *rc) {
    if (rc->dag || rc->nops != 1 || rc->ops[0].kind != OP_MODEL || rc->ops[0].m->batchsize <= 0)
        return NULL;
    const dag_op *op = &rc->ops[0];
    for (int i = 0; i < op->nin; i++) {
        const tensor *t = rc->slots[op->in[i]];
        if (t->ndims < 1)
            return NULL;
    }
    return op->m;
}

/* Samples (dim 0 of the first input) of a batchable run. */
static long long run_batch_samples(const run_ctx *rc) {
    return rc->slots[rc->ops[0].in[0]]->shape[0];
}

/* True when b can join a batch led by a (same model, input types and shapes past dim 0). */
static bool run_batch_compatible(const run_ctx *a, const run_ctx *b) {
    model *m = run_batch_model(a);
    if (m == NULL || run_batch_model(b) != m)
        return false;
    const dag_op *oa = &a->ops[0], *ob = &b->ops[0];
    if (oa->nin != ob->nin || oa->nout != ob->nout)
        return false;
    for (int i = 0; i < oa->nin; i++) {
        const tensor *ta = a->slots[oa->in[i]], *tb = b->slots[ob->in[i]];
        if (ta->dtype != tb->dtype || ta->ndims != tb->ndims)
            return false;
        for (int d = 1; d < ta->ndims; d++)
            if (ta->shape[d] != tb->shape[d])
                return false;
        if (i > 0 && ta->shape[0] != a->slots[oa->in[0]]->shape[0])
            return false;
        if (i > 0 && tb->shape[0] != b->slots[ob->in[0]]->shape[0])
            return false;
    }
    return true;
}

/* ---- execution ---- */

/* Describe t for the backend. Misaligned data (a held Redis string) is copied into *copy. */
static void to_lb(const tensor *t, lb_tensor *out, char **copy) {
    out->dtype = t->dtype->code;
    out->ndims = t->ndims;
    for (int i = 0; i < t->ndims && i < LB_MAX_DIMS; i++)
        out->shape[i] = t->shape[i];
    out->nbytes = t->nbytes;
    *copy = NULL;
    if (tensor_is_aligned(t, t->dtype->size)) {
        out->data = tensor_data(t);
    } else {
        *copy = RedisModule_Alloc(t->nbytes > 0 ? t->nbytes : 1);
        memcpy(*copy, tensor_data(t), t->nbytes);
        out->data = *copy;
    }
}

/* A tensor from a backend output; takes the data buffer. NULL (with err) when it cannot be stored. */
static tensor *from_lb(lb_tensor *o, lc_err *err) {
    const dtype_info *dt = dtype_by_code((uint64_t)o->dtype);
    size_t len = 1;
    for (int i = 0; i < o->ndims; i++) {
        if (o->shape[i] <= 0)
            dt = NULL;
        else
            len *= (size_t)o->shape[i];
    }
    if (dt == NULL || len * dt->size != o->nbytes) {
        lc_err_put(err, "ERR the backend returned a tensor that cannot be stored (empty or unknown type)");
        RedisModule_Free(o->data);
        return NULL;
    }
    return tensor_adopt_buffer(dt, o->ndims, o->shape, len, o->nbytes, o->data);
}

static int check_tensor_dims(const tensor *t, lc_err *err) {
    if (t->ndims > LB_MAX_DIMS) {
        lc_err_set(err, "ERR tensors of more than %d dimensions cannot be passed to a backend", LB_MAX_DIMS);
        return -1;
    }
    return 0;
}

/* MODEL_EXECUTION_TIMEOUT: bounds the backend calls this thread makes until run_bound_end (model and script
 * runs alike: either can hold a worker). */
static void run_bound_begin(const lb_ops *ops) {
    if (g_config.model_execution_timeout > 0 && ops->set_deadline)
        ops->set_deadline(queue_now_ms() + g_config.model_execution_timeout);
}

static void run_bound_end(const lb_ops *ops) {
    if (g_config.model_execution_timeout > 0 && ops->set_deadline)
        ops->set_deadline(0);
}

static int exec_op(run_ctx *rc, dag_op *op) {
    if (op->kind == OP_TENSORSET) {
        rc->slots[op->out[0]] = tensor_retain(op->set_tensor);
        return 0;
    }
    if (op->kind == OP_TENSORGET)
        return 0;
    lb_tensor *in = RedisModule_Calloc((size_t)op->nin + 1, sizeof *in);
    lb_tensor *out = RedisModule_Calloc((size_t)op->nout + 1, sizeof *out);
    char **copies = RedisModule_Calloc((size_t)op->nin + 1, sizeof *copies);
    int rcode = 0;
    for (int i = 0; i < op->nin && rcode == 0; i++) {
        const tensor *t = rc->slots[op->in[i]];
        rcode = check_tensor_dims(t, &rc->err);
        if (rcode == 0)
            to_lb(t, &in[i], &copies[i]);
    }
    if (rcode == 0) {
        long long t0 = now_us();
        const lb_ops *ops = op->kind == OP_MODEL ? op->m->ops : op->s->ops;
        run_bound_begin(ops);
        if (op->kind == OP_MODEL) {
            rcode = op->m->ops->model_run(op->m->handle, in, op->nin, out, op->nout, &rc->err);
            run_stats_add(&op->m->stats, now_us() - t0, run_stats_samples(out, op->nout), rcode != 0);
        } else {
            rcode = op->s->ops->script_run(op->s->handle, op->fn, in, op->nin, op->variadic_from,
                                           (const char *const *)op->keys, op->nkeys,
                                           (const char *const *)op->args, op->nargs, out, op->nout, &rc->err);
            run_stats_add(&op->s->stats, now_us() - t0, 0, rcode != 0);
        }
        run_bound_end(ops);
    }
    if (rcode == 0) {
        for (int i = 0; i < op->nout; i++) {
            tensor *t = rcode == 0 ? from_lb(&out[i], &rc->err) : NULL;
            if (t == NULL) {
                if (rcode == 0)
                    rcode = -1;
                else
                    RedisModule_Free(out[i].data);
                continue;
            }
            tensor_release(rc->slots[op->out[i]]); /* a slot is written once; defensive */
            rc->slots[op->out[i]] = t;
        }
    }
    for (int i = 0; i < op->nin; i++)
        RedisModule_Free(copies[i]);
    RedisModule_Free(copies);
    RedisModule_Free(in);
    RedisModule_Free(out);
    return rcode;
}

static bool past_timeout(const run_ctx *rc) {
    return rc->qi.timeout_ms > 0 && queue_now_ms() - rc->qi.enqueued_ms > rc->qi.timeout_ms;
}

static void exec_one(run_ctx *rc) {
    for (int i = 0; i < rc->nops; i++) {
        if (past_timeout(rc)) {
            rc->timed_out = true;
            return;
        }
        if (exec_op(rc, &rc->ops[i]) != 0) {
            rc->failed = true;
            rc->failed_op = i;
            return;
        }
    }
}

/* Several single-op runs of one model: inputs concatenated along dim 0, one backend call, outputs split
 * back in the same proportions. */
static void exec_batched(run_ctx **runs, int n) {
    dag_op *op0 = &runs[0]->ops[0];
    model *m = op0->m;
    int nin = op0->nin, nout = op0->nout;
    lb_tensor *in = RedisModule_Calloc((size_t)nin + 1, sizeof *in);
    lb_tensor *out = RedisModule_Calloc((size_t)nout + 1, sizeof *out);
    long long total = 0;
    for (int r = 0; r < n; r++)
        total += run_batch_samples(runs[r]);
    lc_err err;
    lc_err_clear(&err);
    int rcode = 0;
    for (int i = 0; i < nin; i++) {
        const tensor *t0 = runs[0]->slots[op0->in[i]];
        if (check_tensor_dims(t0, &err) != 0) {
            rcode = -1;
            break;
        }
        size_t row = t0->nbytes / (size_t)t0->shape[0];
        char *buf = RedisModule_Alloc(row * (size_t)total + 1);
        size_t off = 0;
        for (int r = 0; r < n; r++) {
            const tensor *t = runs[r]->slots[runs[r]->ops[0].in[i]];
            memcpy(buf + off, tensor_data(t), t->nbytes);
            off += t->nbytes;
        }
        in[i].dtype = t0->dtype->code;
        in[i].ndims = t0->ndims;
        memcpy(in[i].shape, t0->shape, (size_t)t0->ndims * sizeof(int64_t));
        in[i].shape[0] = total;
        in[i].data = buf;
        in[i].nbytes = off;
    }
    long long took = 0;
    if (rcode == 0) {
        long long t0 = now_us();
        run_bound_begin(m->ops);
        rcode = m->ops->model_run(m->handle, in, nin, out, nout, &err);
        run_bound_end(m->ops);
        took = now_us() - t0;
    }
    for (int i = 0; i < nout && rcode == 0; i++)
        if (out[i].ndims < 1 || out[i].shape[0] != total) {
            lc_err_put(&err, "ERR Model did not generate the expected batch size");
            rcode = -1;
        }
    if (rcode == 0) {
        for (int i = 0; i < nout; i++) {
            const dtype_info *dt = dtype_by_code((uint64_t)out[i].dtype);
            size_t row = out[i].nbytes / (size_t)total;
            size_t off = 0;
            for (int r = 0; r < n; r++) {
                int64_t shape[LB_MAX_DIMS];
                memcpy(shape, out[i].shape, sizeof shape);
                shape[0] = run_batch_samples(runs[r]);
                size_t nbytes = row * (size_t)shape[0];
                size_t len = dt != NULL && dt->size > 0 ? nbytes / dt->size : 0;
                if (dt == NULL || len == 0) {
                    runs[r]->failed = true;
                    lc_err_put(&runs[r]->err, "ERR the backend returned an empty or unknown tensor");
                    continue;
                }
                tensor *t = tensor_new(dt, out[i].ndims, shape, len, nbytes, false);
                memcpy(t->data, (char *)out[i].data + off, nbytes);
                off += nbytes;
                runs[r]->slots[runs[r]->ops[0].out[i]] = t;
            }
            RedisModule_Free(out[i].data);
        }
    } else {
        for (int r = 0; r < n; r++) {
            runs[r]->failed = true;
            runs[r]->err = err; /* the code too: a stop at the deadline counts for each run */
        }
    }
    /* each run counts as a call of its own, with the batch's duration (RedisAI) */
    for (int r = 0; r < n; r++)
        run_stats_add(&m->stats, took, run_batch_samples(runs[r]), runs[r]->failed);
    for (int i = 0; i < nin; i++)
        RedisModule_Free(in[i].data);
    RedisModule_Free(in);
    RedisModule_Free(out);
}

/* Execute n runs (n > 1 only for compatible batchable runs). Returns how many the backend stopped at
 * MODEL_EXECUTION_TIMEOUT (its lb_err code says so). */
static int run_execute_batch(run_ctx **runs, int n) {
    /* Runs that waited past their TIMEOUT are dropped before any work. */
    run_ctx *stack[16];
    run_ctx **live = n <= 16 ? stack : RedisModule_Alloc((size_t)n * sizeof *live);
    int nlive = 0;
    for (int r = 0; r < n; r++) {
        if (past_timeout(runs[r]))
            runs[r]->timed_out = true;
        else
            live[nlive++] = runs[r];
    }
    if (nlive == 1)
        exec_one(live[0]);
    else if (nlive > 1)
        exec_batched(live, nlive);
    if (live != stack)
        RedisModule_Free(live);
    int stopped = 0;
    for (int r = 0; r < n; r++)
        stopped += runs[r]->failed && runs[r]->err.code == LB_ERR_TIMEOUT;
    return stopped;
}

/* ---- reply (main thread) ---- */

static int persist_outputs(RedisModuleCtx *ctx, run_ctx *rc) {
    for (int i = 0; i < rc->npersist; i++) {
        tensor *t = rc->slots[rc->persist_slot[i]];
        if (t == NULL)
            continue;
        RedisModuleKey *key =
            open_typed_or_reply(ctx, rc->persist_keys[i], REDISMODULE_READ | REDISMODULE_WRITE, TensorType, NULL);
        if (key == NULL)
            return -1;
        RedisModule_ModuleTypeSetValue(key, TensorType, tensor_retain(t));
        RedisModule_CloseKey(key);
        tensor_emit_tensorset(ctx, NULL, rc->persist_keys[i], t);
    }
    return 0;
}

static int run_reply(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    run_ctx *rc = RedisModule_GetBlockedClientPrivateData(ctx);
    if (rc->timed_out)
        return RedisModule_ReplyWithSimpleString(ctx, "TIMEDOUT");
    if (rc->failed && rc->dag) {
        /* As RedisAI: one entry per op, the ops before the failure as usual, its error, NA for the ops not
         * run; nothing is persisted */
        RedisModule_ReplyWithArray(ctx, rc->nops);
        for (int i = 0; i < rc->nops; i++) {
            dag_op *op = &rc->ops[i];
            if (i == rc->failed_op)
                RedisModule_ReplyWithError(ctx, lc_err_is_set(&rc->err) ? rc->err.msg : "ERR run failed");
            else if (i > rc->failed_op)
                RedisModule_ReplyWithSimpleString(ctx, "NA");
            else if (op->kind == OP_TENSORGET)
                reply_tensor(ctx, rc->slots[op->in[0]], op->get_fmt);
            else
                RedisModule_ReplyWithSimpleString(ctx, "OK");
        }
        return REDISMODULE_OK;
    }
    if (rc->failed)
        return RedisModule_ReplyWithError(ctx, lc_err_is_set(&rc->err) ? rc->err.msg : "ERR run failed");
    if (persist_outputs(ctx, rc) != 0)
        return REDISMODULE_OK;
    if (!rc->dag)
        return RedisModule_ReplyWithSimpleString(ctx, "OK");
    RedisModule_ReplyWithArray(ctx, rc->nops);
    for (int i = 0; i < rc->nops; i++) {
        dag_op *op = &rc->ops[i];
        if (op->kind == OP_TENSORGET)
            reply_tensor(ctx, rc->slots[op->in[0]], op->get_fmt);
        else
            RedisModule_ReplyWithSimpleString(ctx, "OK");
    }
    return REDISMODULE_OK;
}

static void run_free_privdata(RedisModuleCtx *ctx, void *privdata) {
    (void)ctx;
    run_ctx_free(privdata);
}

/* ---- the queue's view of a run (queue_ops) ---- */

static run_ctx *run_of(const queue_item *it) {
    return (run_ctx *)((char *)it - offsetof(run_ctx, qi));
}

static bool q_batching(const queue_item *it, queue_batching *b) {
    const model *m = run_batch_model(run_of(it));
    if (m == NULL)
        return false;
    b->size = m->batchsize;
    b->min_size = m->minbatchsize;
    b->min_wait_ms = m->minbatchtimeout;
    return true;
}

static long long q_samples(const queue_item *it) {
    return run_batch_samples(run_of(it));
}

static bool q_compatible(const queue_item *lead, const queue_item *other) {
    return run_batch_compatible(run_of(lead), run_of(other));
}

static int q_execute(queue_item **items, int n) {
    run_ctx *stack[16];
    run_ctx **runs = n <= 16 ? stack : RedisModule_Alloc((size_t)n * sizeof *runs);
    for (int i = 0; i < n; i++)
        runs[i] = run_of(items[i]);
    int stopped = run_execute_batch(runs, n);
    if (runs != stack)
        RedisModule_Free(runs);
    return stopped;
}

/* The runs go back to the main thread, which replies and may free them from then on. */
static void q_complete(queue_item **items, int n) {
    for (int i = 0; i < n; i++) {
        run_ctx *rc = run_of(items[i]);
        RedisModule_UnblockClient(rc->bc, rc);
    }
}

static const char *q_describe(const queue_item *it) {
    return run_of(it)->what;
}

static const queue_ops run_queue_ops = {q_batching, q_samples, q_compatible, q_execute, q_complete, q_describe};

int run_dispatch(RedisModuleCtx *ctx, run_ctx *rc) {
    int flags = RedisModule_GetContextFlags(ctx);
    if (flags & (REDISMODULE_CTX_FLAGS_MULTI | REDISMODULE_CTX_FLAGS_LUA | REDISMODULE_CTX_FLAGS_DENY_BLOCKING)) {
        run_ctx_free(rc);
        return RedisModule_ReplyWithError(ctx, "ERR Cannot run RedisAI command within a transaction or a LUA script");
    }
    rc->bc = RedisModule_BlockClient(ctx, run_reply, NULL, run_free_privdata, 0);
    if (queue_submit(run_device(rc), &rc->qi, &run_queue_ops, &rc->err) != 0) {
        rc->failed = true;
        RedisModule_UnblockClient(rc->bc, rc);
    }
    return REDISMODULE_OK;
}
