/* Run queues: one per device (CPU, GPU, GPU:1, ...), each served by THREADS_PER_QUEUE worker threads
 * created with the queue (lazily, the first time a device is used).
 *
 * A worker takes the oldest run that is ready. A run of a model stored with BATCHSIZE takes along the
 * queued runs it is compatible with (same model, same input types and shapes past dim 0) up to BATCHSIZE
 * samples; with MINBATCHSIZE it is ready once that many samples are queued, or once it waited
 * MINBATCHTIMEOUT ms (QUEUE_DEFAULT_MINBATCH_WAIT_MS when none was given, so no run waits forever), or
 * when its own TIMEOUT has passed (it is then answered TIMEDOUT). A timekeeper thread per queue answers
 * TIMEDOUT the runs that waited past their TIMEOUT even while every worker is busy. */
#ifndef LOCUS_MODULE_QUEUE_H
#define LOCUS_MODULE_QUEUE_H

#include <stddef.h>

#include "../dag/run.h"

#define QUEUE_DEFAULT_MINBATCH_WAIT_MS 1000

/* Append rc to the queue of `device` (main thread). 0, or -1 with an "ERR ..." message. */
int queue_submit(const char *device, run_ctx *rc, char *err, size_t errlen);

/* Number of runs waiting on a device's queue (for AI.INFO-like introspection and tests); 0 if none. */
long long queue_length(const char *device);

#endif
