/* Run queues: one per device (CPU, GPU, GPU:1, ...), each served by THREADS_PER_QUEUE worker threads
 * created with the queue (lazily, the first time a device is used).
 *
 * A worker takes the oldest run that is ready. A run of a model stored with BATCHSIZE takes along the
 * queued runs it is compatible with (same model, same input types and shapes past dim 0) up to BATCHSIZE
 * samples; with MINBATCHSIZE it is ready once that many samples are queued, or once it waited
 * MINBATCHTIMEOUT ms (QUEUE_DEFAULT_MINBATCH_WAIT_MS when none was given, so no run waits forever), or
 * when its own TIMEOUT has passed (it is then answered TIMEDOUT). A timekeeper thread per queue answers
 * TIMEDOUT the runs that waited past their TIMEOUT even while every worker is busy.
 *
 * A worker whose batch has run longer than MODEL_EXECUTION_TIMEOUT + QUEUE_WEDGED_GRACE_MS (QUEUE_WEDGED_MS
 * when no MODEL_EXECUTION_TIMEOUT is set) is wedged: the backend could not stop it (a TorchScript loop with
 * no tensor operation). The timekeeper logs it once, AI.INFO without a key shows it, and when every worker
 * of a queue is wedged while runs wait, it starts a replacement worker (at most THREADS_PER_QUEUE of them, so
 * a queue never has more than twice its threads); the spare one leaves once a wedged run returns.
 *
 * The queue depends on nothing above it: a run (run/) is a queue_item to it, batched, executed and described
 * through the queue_ops the run code hands over with each item. */
#ifndef LOCUS_MODULE_QUEUE_H
#define LOCUS_MODULE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "../err.h"

#define QUEUE_DEFAULT_MINBATCH_WAIT_MS 1000
#define QUEUE_WEDGED_GRACE_MS 1000
#define QUEUE_WEDGED_MS 60000

/* What the queue holds: the owner (run/) embeds an item in its own struct and hands the queue, with it, the
 * operations the queue calls back through, so the queue knows nothing above it. */
typedef struct queue_item {
    struct queue_item *prev, *next;
    const struct queue_ops *ops;
    long long enqueued_ms; /* queue_now_ms at queue_submit */
    long long timeout_ms;  /* the run's TIMEOUT (answered TIMEDOUT past it); 0: none */
} queue_item;

/* How an item may be batched: up to `size` samples, ready once `min_size` are queued (0: at once) or after
 * `min_wait_ms` (0: QUEUE_DEFAULT_MINBATCH_WAIT_MS). */
typedef struct queue_batching {
    long long size, min_size, min_wait_ms;
} queue_batching;

typedef struct queue_ops {
    /* False when `it` runs alone; else true with how it batches in *b. */
    bool (*batching)(const queue_item *it, queue_batching *b);
    /* The samples (dim 0) a batchable item adds to a batch. */
    long long (*samples)(const queue_item *it);
    /* True when `other` can join a batch led by `lead` (both batchable, of the same ops). */
    bool (*compatible)(const queue_item *lead, const queue_item *other);
    /* Execute a batch of n items (n > 1 only for compatible ones) on a worker thread; the items past their
     * timeout_ms are dropped there, undone (the timekeeper passes only those). Returns how many of them the
     * backend stopped at MODEL_EXECUTION_TIMEOUT (counted in deadline_stops). */
    int (*execute)(queue_item **items, int n);
    /* Hand the n executed items back to their owners (each may be freed from then on). Called once the queue
     * has counted the batch, so a client that reads the counters after its reply sees its own run. */
    void (*complete)(queue_item **items, int n);
    /* What a worker runs, for AI.INFO ("model <key>"); "" when nothing says. */
    const char *(*describe)(const queue_item *it);
} queue_ops;

/* The clock the queue keeps time by (CLOCK_MONOTONIC, ms): enqueued_ms and timeouts are on it. */
long long queue_now_ms(void);

typedef struct queue_worker_info {
    bool busy, wedged;
    long long running_ms; /* of its current batch; 0 when idle */
    long long cpu_ns;     /* CPU time of the thread so far; -1 when it cannot be read */
    char what[96];        /* "model <key>", "script <key>", "DAG: ..." when busy */
} queue_worker_info;

typedef struct queue_info {
    char device[16];
    int configured, nworkers, wedged;
    long long queued, replacements;
    long long deadline_stops; /* runs the backend stopped at MODEL_EXECUTION_TIMEOUT, since the start */
    long long batches, batched_runs; /* executions that served more than one run, and those runs */
    queue_worker_info *workers; /* nworkers of them */
} queue_info;

/* A queue's counters by name, in the order AI.INFO QUEUES and INFO MODULES list them: queued, wedged,
 * replacements, deadline_stops, batches, batched_runs. */
#define QUEUE_NCOUNTERS 6
typedef struct queue_counter {
    const char *name;
    long long value;
} queue_counter;

void queue_counters(const queue_info *q, queue_counter out[QUEUE_NCOUNTERS]);

/* A consistent copy of every queue's state (main thread), in *out (free with queue_snapshot_free); returns
 * the number of queues. */
int queue_snapshot(queue_info **out);
void queue_snapshot_free(queue_info *qs, int n);

/* Append `it` to the queue of `device` (main thread), to be executed through `ops` (which outlives it); sets
 * it->enqueued_ms. 0, or -1 with the "ERR ..." message in err. */
int queue_submit(const char *device, queue_item *it, const queue_ops *ops, lc_err *err);

/* Create the queue of `device` and start its workers now (main thread), as RedisAI does for CPU at load, so
 * INFO shows its threads from the start. 0, or -1 with the "ERR ..." message in err. */
int queue_open(const char *device, lc_err *err);

/* Number of runs waiting on a device's queue (for AI.INFO-like introspection and tests); 0 if none. */
long long queue_length(const char *device);

#endif
