/* Per-device run queues and their worker threads (see queue.h). */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config.h"

#define MAX_QUEUES 64

typedef struct run_queue {
    char device[16];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    run_ctx *head, *tail;
    long long length;
    int nthreads;
    pthread_t *threads;
    pthread_t timekeeper;
} run_queue;

static run_queue *queues[MAX_QUEUES];
static int nqueues;

static void unlink_run(run_queue *q, run_ctx *r) {
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
static long long compatible_samples(run_queue *q, run_ctx *r, model *m) {
    long long n = run_batch_samples(r);
    for (run_ctx *o = q->head; o != NULL && n < m->batchsize; o = o->next)
        if (o != r && run_batch_compatible(r, o) && n + run_batch_samples(o) <= m->batchsize)
            n += run_batch_samples(o);
    return n;
}

/* The next ready run, or NULL with *wake_ms set to when to look again (0: nothing pending). Lock held. */
static run_ctx *pick_ready(run_queue *q, long long now, long long *wake_ms) {
    *wake_ms = 0;
    for (run_ctx *r = q->head; r != NULL; r = r->next) {
        if (r->timeout_ms > 0 && now - r->enqueued_ms > r->timeout_ms)
            return r;
        model *m = run_batch_model(r);
        if (m == NULL || m->minbatchsize <= 0)
            return r;
        if (compatible_samples(q, r, m) >= m->minbatchsize)
            return r;
        long long bound = m->minbatchtimeout > 0 ? m->minbatchtimeout : QUEUE_DEFAULT_MINBATCH_WAIT_MS;
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

static void *worker_main(void *arg) {
    run_queue *q = arg;
    int cap = 16;
    run_ctx **batch = RedisModule_Alloc((size_t)cap * sizeof *batch);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        long long wake;
        run_ctx *r = pick_ready(q, run_now_ms(), &wake);
        if (r == NULL) {
            if (wake == 0) {
                pthread_cond_wait(&q->cv, &q->mu);
            } else {
                /* run_now_ms is CLOCK_MONOTONIC; the condition variable uses the same clock */
                struct timespec ts = {.tv_sec = wake / 1000, .tv_nsec = (wake % 1000) * 1000000};
                pthread_cond_timedwait(&q->cv, &q->mu, &ts);
            }
            continue;
        }
        int n = 0;
        batch[n++] = r;
        model *m = run_batch_model(r);
        long long samples = m != NULL ? run_batch_samples(r) : 0;
        run_ctx *o = r->next;
        unlink_run(q, r);
        while (m != NULL && o != NULL && samples < m->batchsize) {
            run_ctx *next = o->next;
            if (run_batch_compatible(r, o) && samples + run_batch_samples(o) <= m->batchsize) {
                if (n == cap) {
                    cap *= 2;
                    batch = RedisModule_Realloc(batch, (size_t)cap * sizeof *batch);
                }
                samples += run_batch_samples(o);
                unlink_run(q, o);
                batch[n++] = o;
            }
            o = next;
        }
        pthread_mutex_unlock(&q->mu);
        run_execute_batch(batch, n);
        pthread_mutex_lock(&q->mu);
    }
    return NULL;
}

/* The timekeeper of a queue: answers TIMEDOUT the runs that waited past their TIMEOUT even when every worker
 * is busy (a script that never ends holds its worker for ever; without this, the runs behind it got no
 * reply at all). It never runs work: run_execute_batch drops runs past their TIMEOUT before doing any. */
static void *timekeeper_main(void *arg) {
    run_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        long long now = run_now_ms(), wake = 0;
        run_ctx *expired = NULL;
        int n = 0;
        for (run_ctx *r = q->head, *next; r != NULL; r = next) {
            next = r->next;
            if (r->timeout_ms <= 0)
                continue;
            if (now - r->enqueued_ms > r->timeout_ms) {
                unlink_run(q, r);
                r->next = expired;
                expired = r;
                n++;
            } else if (wake == 0 || r->enqueued_ms + r->timeout_ms + 1 < wake) {
                wake = r->enqueued_ms + r->timeout_ms + 1;
            }
        }
        if (n > 0) {
            pthread_mutex_unlock(&q->mu);
            run_ctx *stack[16];
            run_ctx **batch = n <= 16 ? stack : RedisModule_Alloc((size_t)n * sizeof *batch);
            int k = 0;
            for (run_ctx *r = expired; r != NULL; r = r->next)
                batch[k++] = r;
            for (int i = 0; i < k; i++)
                batch[i]->next = NULL;
            run_execute_batch(batch, k);
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

static run_queue *queue_get(const char *device, char *err, size_t errlen) {
    /* CPU:n are all the one CPU queue */
    char name[16];
    snprintf(name, sizeof name, "%s", strncmp(device, "CPU", 3) == 0 ? "CPU" : device);
    for (int i = 0; i < nqueues; i++)
        if (strcmp(queues[i]->device, name) == 0)
            return queues[i];
    if (nqueues == MAX_QUEUES) {
        snprintf(err, errlen, "ERR too many devices");
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
    q->nthreads = (int)(g_config.threads_per_queue > 0 ? g_config.threads_per_queue : 1);
    q->threads = RedisModule_Calloc((size_t)q->nthreads, sizeof *q->threads);
    for (int i = 0; i < q->nthreads; i++) {
        int e = pthread_create(&q->threads[i], NULL, worker_main, q);
        if (e != 0) {
            /* keep the threads that started; a queue with none cannot serve */
            q->nthreads = i;
            if (i == 0) {
                snprintf(err, errlen, "ERR cannot start a worker thread for %s: %s", name, strerror(e));
                RedisModule_Free(q->threads);
                RedisModule_Free(q);
                return NULL;
            }
            break;
        }
    }
    int e = pthread_create(&q->timekeeper, NULL, timekeeper_main, q);
    if (e != 0) /* the workers still serve; only runs stuck behind busy workers would wait */
        RedisModule_Log(NULL, "warning", "locus_ai: no timekeeper thread for %s: %s", name, strerror(e));
    queues[nqueues++] = q;
    return q;
}

int queue_submit(const char *device, run_ctx *rc, char *err, size_t errlen) {
    run_queue *q = queue_get(device, err, errlen);
    if (q == NULL)
        return -1;
    pthread_mutex_lock(&q->mu);
    rc->next = NULL;
    rc->prev = q->tail;
    if (q->tail)
        q->tail->next = rc;
    else
        q->head = rc;
    q->tail = rc;
    q->length++;
    /* every worker re-evaluates: a new run may complete someone's MINBATCHSIZE */
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
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
