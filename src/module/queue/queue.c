/* Per-device run queues and their worker threads (see queue.h). */
#include "queue.h"

#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config.h"
#include "../redismodule_api.h"

#define MAX_QUEUES 64

struct run_queue;

/* One worker thread. Its fields are the queue's (under its lock). */
typedef struct worker {
    struct run_queue *q;
    long long busy_since; /* queue_now_ms when its current batch began; 0 when idle */
    char what[96];        /* the batch's first item (queue_ops.describe) */
    bool reported;        /* its wedged run was logged */
    queue_item **batch;   /* the batch it runs (here, not on its stack: a fork child, which has no threads,
                             still reaches it through the queue) */
    int cap;
    pthread_t thread;
} worker;

typedef struct run_queue {
    char device[16];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queue_item *head, *tail;
    long long length;
    int configured;    /* THREADS_PER_QUEUE */
    int nworkers, cap; /* live workers; at most cap = 2 x configured (replacements for wedged ones) */
    worker **workers;
    long long replacements;
    long long deadline_stops;
    long long batches, batched_runs;
    pthread_t timekeeper;
} run_queue;

static run_queue *queues[MAX_QUEUES];
static int nqueues;

long long queue_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool timed_out(const queue_item *r, long long now) {
    return r->timeout_ms > 0 && now - r->enqueued_ms > r->timeout_ms;
}

static bool batch_compatible(const queue_item *lead, const queue_item *o) {
    return o->ops == lead->ops && lead->ops->compatible(lead, o);
}

static void unlink_run(run_queue *q, queue_item *r) {
    if (r->prev)
        r->prev->next = r->next;
    else
        q->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        q->tail = r->prev;
    r->prev = r->next = NULL;
    q->length--;
}

/* Samples queued that could join r's batch (r included), capped at the batch size. */
static long long compatible_samples(run_queue *q, queue_item *r, const queue_batching *b) {
    long long n = r->ops->samples(r);
    for (queue_item *o = q->head; o != NULL && n < b->size; o = o->next)
        if (o != r && batch_compatible(r, o) && n + o->ops->samples(o) <= b->size)
            n += o->ops->samples(o);
    return n;
}

/* The next ready run, or NULL with *wake_ms set to when to look again (0: nothing pending). Lock held. */
static queue_item *pick_ready(run_queue *q, long long now, long long *wake_ms) {
    *wake_ms = 0;
    for (queue_item *r = q->head; r != NULL; r = r->next) {
        if (timed_out(r, now))
            return r;
        queue_batching b;
        if (!r->ops->batching(r, &b) || b.min_size <= 0)
            return r;
        if (compatible_samples(q, r, &b) >= b.min_size)
            return r;
        long long bound = b.min_wait_ms > 0 ? b.min_wait_ms : QUEUE_DEFAULT_MINBATCH_WAIT_MS;
        if (now - r->enqueued_ms >= bound)
            return r;
        long long w = r->enqueued_ms + bound;
        if (r->timeout_ms > 0 && r->enqueued_ms + r->timeout_ms + 1 < w)
            w = r->enqueued_ms + r->timeout_ms + 1;
        if (*wake_ms == 0 || w < *wake_ms)
            *wake_ms = w;
    }
    return NULL;
}

/* How long one batch may hold a worker before it counts as wedged: MODEL_EXECUTION_TIMEOUT and a grace
 * (the backend stops a run at its next tensor operation past it), else QUEUE_WEDGED_MS. */
static long long wedged_after_ms(void) {
    return g_config.model_execution_timeout > 0 ? g_config.model_execution_timeout + QUEUE_WEDGED_GRACE_MS
                                                : QUEUE_WEDGED_MS;
}

/* Workers that are idle or whose batch is still within the bound (lock held). */
static int healthy_workers(const run_queue *q, long long now) {
    long long bound = wedged_after_ms();
    int n = 0;
    for (int i = 0; i < q->nworkers; i++)
        n += q->workers[i]->busy_since == 0 || now - q->workers[i]->busy_since <= bound;
    return n;
}

static void remove_worker(run_queue *q, worker *w) {
    for (int i = 0; i < q->nworkers; i++)
        if (q->workers[i] == w) {
            q->workers[i] = q->workers[--q->nworkers];
            break;
        }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    run_queue *q = w->q;
    pthread_mutex_lock(&q->mu);
    w->cap = 16;
    w->batch = RedisModule_Alloc((size_t)w->cap * sizeof *w->batch);
    for (;;) {
        long long wake;
        queue_item *r = pick_ready(q, queue_now_ms(), &wake);
        if (r == NULL) {
            if (wake == 0) {
                pthread_cond_wait(&q->cv, &q->mu);
            } else {
                /* queue_now_ms is CLOCK_MONOTONIC; the condition variable uses the same clock */
                struct timespec ts = {.tv_sec = wake / 1000, .tv_nsec = (wake % 1000) * 1000000};
                pthread_cond_timedwait(&q->cv, &q->mu, &ts);
            }
            continue;
        }
        int n = 0;
        w->batch[n++] = r;
        queue_batching b;
        bool batches = r->ops->batching(r, &b);
        long long samples = batches ? r->ops->samples(r) : 0;
        queue_item *o = r->next;
        unlink_run(q, r);
        while (batches && o != NULL && samples < b.size) {
            queue_item *next = o->next;
            if (batch_compatible(r, o) && samples + o->ops->samples(o) <= b.size) {
                if (n == w->cap) {
                    w->cap *= 2;
                    w->batch = RedisModule_Realloc(w->batch, (size_t)w->cap * sizeof *w->batch);
                }
                samples += o->ops->samples(o);
                unlink_run(q, o);
                w->batch[n++] = o;
            }
            o = next;
        }
        w->busy_since = queue_now_ms();
        const char *what = r->ops->describe(r);
        snprintf(w->what, sizeof w->what, "%s", what[0] ? what : "run");
        pthread_mutex_unlock(&q->mu);
        const queue_ops *ops = r->ops; /* r may be freed once completed */
        int stopped = ops->execute(w->batch, n);
        pthread_mutex_lock(&q->mu);
        q->deadline_stops += stopped;
        if (n > 1) {
            q->batches++;
            q->batched_runs += n;
        }
        pthread_mutex_unlock(&q->mu);
        ops->complete(w->batch, n);
        pthread_mutex_lock(&q->mu);
        if (w->reported)
            RedisModule_Log(NULL, "warning", "locus_ai: a %s worker came back from %s after %lld ms", q->device,
                            w->what, queue_now_ms() - w->busy_since);
        w->busy_since = 0;
        w->reported = false;
        if (healthy_workers(q, queue_now_ms()) > q->configured) { /* a wedged one came back: a spare goes */
            remove_worker(q, w);
            pthread_mutex_unlock(&q->mu);
            RedisModule_Free(w->batch);
            RedisModule_Free(w);
            return NULL;
        }
    }
    return NULL;
}

/* A new detached worker for q (lock held). 0, or the pthread_create error. */
static int start_worker(run_queue *q) {
    if (q->nworkers == q->cap)
        return EAGAIN;
    worker *w = RedisModule_Calloc(1, sizeof *w);
    w->q = q;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&w->thread, &at, worker_main, w);
    pthread_attr_destroy(&at);
    if (e != 0) {
        RedisModule_Free(w);
        return e;
    }
    q->workers[q->nworkers++] = w;
    return 0;
}

/* Logs each newly wedged worker once and, when every worker is wedged while runs wait, starts a replacement
 * (up to cap), so one run that never ends cannot stop the queue. Lock held. Returns when to look again
 * (0: no worker is busy). */
static long long check_workers(run_queue *q, long long now) {
    long long bound = wedged_after_ms(), next = 0;
    int healthy = 0;
    for (int i = 0; i < q->nworkers; i++) {
        worker *w = q->workers[i];
        if (w->busy_since == 0) {
            healthy++;
            continue;
        }
        if (now - w->busy_since <= bound) {
            healthy++;
            long long at = w->busy_since + bound + 1;
            if (next == 0 || at < next)
                next = at;
            continue;
        }
        if (!w->reported) {
            w->reported = true;
            RedisModule_Log(NULL, "warning", "locus_ai: a %s worker is wedged: %s has run for %lld ms (past %lld ms); "
                                             "see AI.INFO", q->device, w->what, now - w->busy_since, bound);
        }
        if (next == 0 || now + 1000 < next)
            next = now + 1000; /* keep watching: it may come back, or the queue may need a replacement */
    }
    if (healthy == 0 && q->head != NULL) {
        int e = start_worker(q);
        if (e == 0) {
            q->replacements++;
            RedisModule_Log(NULL, "warning", "locus_ai: every %s worker is wedged; started a replacement (%d of at "
                                             "most %d workers)", q->device, q->nworkers, q->cap);
        }
    }
    return next;
}

/* The timekeeper of a queue: answers TIMEDOUT the runs that waited past their TIMEOUT even when every worker
 * is busy (a script that never ends holds its worker for ever; without this, the runs behind it got no
 * reply at all). It never runs work: queue_ops.execute drops items past their timeout before doing any. */
static void *timekeeper_main(void *arg) {
    run_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        long long now = queue_now_ms(), wake = 0;
        queue_item *expired = NULL;
        int n = 0;
        for (queue_item *r = q->head, *next; r != NULL; r = next) {
            next = r->next;
            if (r->timeout_ms <= 0)
                continue;
            if (timed_out(r, now)) {
                unlink_run(q, r);
                r->next = expired;
                expired = r;
                n++;
            } else if (wake == 0 || r->enqueued_ms + r->timeout_ms + 1 < wake) {
                wake = r->enqueued_ms + r->timeout_ms + 1;
            }
        }
        long long watch = check_workers(q, now);
        if (watch != 0 && (wake == 0 || watch < wake))
            wake = watch;
        if (n > 0) {
            pthread_mutex_unlock(&q->mu);
            queue_item *stack[16];
            queue_item **batch = n <= 16 ? stack : RedisModule_Alloc((size_t)n * sizeof *batch);
            int k = 0;
            for (queue_item *r = expired; r != NULL; r = r->next)
                batch[k++] = r;
            for (int i = 0; i < k; i++)
                batch[i]->next = NULL;
            /* one call per item: items of different owners never share a batch; dropped undone, none stopped */
            for (int i = 0; i < k; i++) {
                const queue_ops *ops = batch[i]->ops;
                (void)ops->execute(&batch[i], 1);
                ops->complete(&batch[i], 1);
            }
            if (batch != stack)
                RedisModule_Free(batch);
            pthread_mutex_lock(&q->mu);
            continue;
        }
        if (wake == 0) {
            pthread_cond_wait(&q->cv, &q->mu);
        } else {
            struct timespec ts = {.tv_sec = wake / 1000, .tv_nsec = (wake % 1000) * 1000000};
            pthread_cond_timedwait(&q->cv, &q->mu, &ts);
        }
    }
    return NULL;
}

static run_queue *queue_get(const char *device, lc_err *err) {
    /* CPU:n are all the one CPU queue */
    char name[16];
    snprintf(name, sizeof name, "%s", strncmp(device, "CPU", 3) == 0 ? "CPU" : device);
    for (int i = 0; i < nqueues; i++)
        if (strcmp(queues[i]->device, name) == 0)
            return queues[i];
    if (nqueues == MAX_QUEUES) {
        lc_err_put(err, "ERR too many devices");
        return NULL;
    }
    run_queue *q = RedisModule_Calloc(1, sizeof *q);
    snprintf(q->device, sizeof q->device, "%s", name);
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    q->configured = (int)(g_config.threads_per_queue > 0 ? g_config.threads_per_queue : 1);
    q->cap = 2 * q->configured;
    q->workers = RedisModule_Calloc((size_t)q->cap, sizeof *q->workers);
    pthread_mutex_lock(&q->mu);
    for (int i = 0; i < q->configured; i++) {
        int e = start_worker(q);
        if (e != 0) { /* keep the workers that started; a queue with none cannot serve */
            if (i == 0) {
                pthread_mutex_unlock(&q->mu);
                lc_err_set(err, "ERR cannot start a worker thread for %s: %s", name, strerror(e));
                RedisModule_Free(q->workers);
                RedisModule_Free(q);
                return NULL;
            }
            break;
        }
    }
    pthread_mutex_unlock(&q->mu);
    int e = pthread_create(&q->timekeeper, NULL, timekeeper_main, q);
    if (e != 0) /* the workers still serve; only runs stuck behind busy workers would wait */
        RedisModule_Log(NULL, "warning", "locus_ai: no timekeeper thread for %s: %s", name, strerror(e));
    queues[nqueues++] = q;
    return q;
}

int queue_open(const char *device, lc_err *err) {
    return queue_get(device, err) != NULL ? 0 : -1;
}

int queue_submit(const char *device, queue_item *it, const queue_ops *ops, lc_err *err) {
    it->ops = ops;
    it->enqueued_ms = queue_now_ms();
    run_queue *q = queue_get(device, err);
    if (q == NULL)
        return -1;
    pthread_mutex_lock(&q->mu);
    it->next = NULL;
    it->prev = q->tail;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->length++;
    /* every worker re-evaluates: a new run may complete someone's MINBATCHSIZE */
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void queue_counters(const queue_info *q, queue_counter out[QUEUE_NCOUNTERS]) {
    const queue_counter c[QUEUE_NCOUNTERS] = {{"queued", q->queued},
                                              {"wedged", q->wedged},
                                              {"replacements", q->replacements},
                                              {"deadline_stops", q->deadline_stops},
                                              {"batches", q->batches},
                                              {"batched_runs", q->batched_runs}};
    memcpy(out, c, sizeof c);
}

int queue_snapshot(queue_info **out) {
    int n = nqueues; /* queues are only added, by the main thread, which is the caller */
    queue_info *qs = RedisModule_Calloc((size_t)n + 1, sizeof *qs);
    long long now = queue_now_ms(), bound = wedged_after_ms();
    for (int i = 0; i < n; i++) {
        run_queue *q = queues[i];
        queue_info *o = &qs[i];
        pthread_mutex_lock(&q->mu);
        snprintf(o->device, sizeof o->device, "%s", q->device);
        o->configured = q->configured;
        o->queued = q->length;
        o->replacements = q->replacements;
        o->deadline_stops = q->deadline_stops;
        o->batches = q->batches;
        o->batched_runs = q->batched_runs;
        o->nworkers = q->nworkers;
        o->workers = RedisModule_Calloc((size_t)q->nworkers + 1, sizeof *o->workers);
        for (int k = 0; k < q->nworkers; k++) {
            const worker *w = q->workers[k];
            queue_worker_info *wi = &o->workers[k];
            wi->running_ms = w->busy_since ? now - w->busy_since : 0;
            wi->busy = w->busy_since != 0;
            wi->wedged = wi->busy && wi->running_ms > bound;
            o->wedged += wi->wedged;
            snprintf(wi->what, sizeof wi->what, "%s", wi->busy ? w->what : "");
            clockid_t cid;
            struct timespec ts;
            wi->cpu_ns = pthread_getcpuclockid(w->thread, &cid) == 0 && clock_gettime(cid, &ts) == 0
                             ? (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec
                             : -1;
        }
        pthread_mutex_unlock(&q->mu);
    }
    *out = qs;
    return n;
}

void queue_snapshot_free(queue_info *qs, int n) {
    for (int i = 0; qs != NULL && i < n; i++)
        RedisModule_Free(qs[i].workers);
    RedisModule_Free(qs);
}

long long queue_length(const char *device) {
    for (int i = 0; i < nqueues; i++)
        if (strcmp(queues[i]->device, device) == 0) {
            pthread_mutex_lock(&queues[i]->mu);
            long long n = queues[i]->length;
            pthread_mutex_unlock(&queues[i]->mu);
            return n;
        }
    return 0;
}
