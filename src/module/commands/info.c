/* INFO MODULES for locus_ai: RedisAI 1.2's sections (ai_versions, ai_git, ai_load_time_configs,
 * ai_backends_info, ai_cpu, with its field names), then ai_queues, the state of every run queue and worker
 * (a wedged worker shows here as in AI.INFO QUEUES). Redis prefixes sections and fields with "ai_". */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "info.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../backends/loader.h"
#include "../config.h"
#include "../queue/queue.h"
#include "../tensor/tensor_type.h"
#include "locus/locus_version.h"

#ifndef LOCUS_GIT_SHA
#define LOCUS_GIT_SHA "unknown"
#endif

/* The RedisAI release whose interface locus_ai implements (reported as RedisAI_version, for clients that
 * check it); locus's own version is locus_ai_version. */
#define REDISAI_COMPAT_VERSION "1.2.7"

static void add_time(RedisModuleInfoCtx *ctx, const char *field, struct timeval tv) {
    char v[48];
    snprintf(v, sizeof v, "%ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    RedisModule_InfoAddFieldCString(ctx, field, v);
}

static void info_func(RedisModuleInfoCtx *ctx, int for_crash_report) {
    (void)for_crash_report;
    char v[64];
    RedisModule_InfoAddSection(ctx, "versions");
    RedisModule_InfoAddFieldCString(ctx, "RedisAI_version", REDISAI_COMPAT_VERSION);
    RedisModule_InfoAddFieldCString(ctx, "low_level_API_version", "1");
    snprintf(v, sizeof v, "%d", TENSOR_ENCVER_CURRENT);
    RedisModule_InfoAddFieldCString(ctx, "rdb_version", v);
    RedisModule_InfoAddFieldCString(ctx, "locus_ai_version", LOCUS_VERSION_STRING);

    RedisModule_InfoAddSection(ctx, "git");
    RedisModule_InfoAddFieldCString(ctx, "git_sha", LOCUS_GIT_SHA);

    RedisModule_InfoAddSection(ctx, "load_time_configs");
    RedisModule_InfoAddFieldLongLong(ctx, "threads_per_queue", g_config.threads_per_queue);
    RedisModule_InfoAddFieldLongLong(ctx, "inter_op_parallelism", g_config.inter_op_parallelism);
    RedisModule_InfoAddFieldLongLong(ctx, "intra_op_parallelism", g_config.intra_op_parallelism);
    RedisModule_InfoAddFieldLongLong(ctx, "model_execution_timeout", g_config.model_execution_timeout);
    RedisModule_InfoAddFieldLongLong(ctx, "backend_memory_limit", g_config.backend_memory_limit);
    RedisModule_InfoAddFieldLongLong(ctx, "model_chunk_size", g_config.model_chunk_size);

    /* backend_loaded waits for a background preload; a crash report must not wait */
    RedisModule_InfoAddSection(ctx, "backends_info");
    static const char *const fields[BACKEND_COUNT] = {"TensorFlow_version", "TensorFlowLite_version",
                                                      "Torch_version", "onnxruntime_version"};
    for (int b = 0; b < BACKEND_COUNT && !for_crash_report; b++) {
        const lb_ops *ops = backend_loaded((backend_id)b);
        if (ops)
            RedisModule_InfoAddFieldCString(ctx, fields[b], ops->version);
    }

    struct rusage self, children, main_thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &main_thread); /* INFO runs on the main thread */
    RedisModule_InfoAddSection(ctx, "cpu");
    add_time(ctx, "self_used_cpu_sys", self.ru_stime);
    add_time(ctx, "self_used_cpu_user", self.ru_utime);
    add_time(ctx, "children_used_cpu_sys", children.ru_stime);
    add_time(ctx, "children_used_cpu_user", children.ru_utime);
    add_time(ctx, "main_thread_used_cpu_sys", main_thread.ru_stime);
    add_time(ctx, "main_thread_used_cpu_user", main_thread.ru_utime);
    queue_info *qs;
    int n = for_crash_report ? 0 : queue_snapshot(&qs);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < qs[i].nworkers; k++) {
            char field[96];
            snprintf(field, sizeof field, "queue_%s_bthread_n%d_used_cpu_total", qs[i].device, k + 1);
            if (qs[i].workers[k].cpu_ns >= 0)
                snprintf(v, sizeof v, "%lld.%06lld", qs[i].workers[k].cpu_ns / 1000000000LL,
                         qs[i].workers[k].cpu_ns % 1000000000LL / 1000);
            else
                snprintf(v, sizeof v, "N/A");
            RedisModule_InfoAddFieldCString(ctx, field, v);
        }

    RedisModule_InfoAddSection(ctx, "queues");
    for (int i = 0; i < n; i++) {
        char field[96];
        const queue_info *q = &qs[i];
        snprintf(field, sizeof field, "queue_%s_workers", q->device);
        RedisModule_InfoAddFieldLongLong(ctx, field, q->nworkers);
        queue_counter counters[QUEUE_NCOUNTERS];
        queue_counters(q, counters);
        for (int k = 0; k < QUEUE_NCOUNTERS; k++) {
            snprintf(field, sizeof field, "queue_%s_%s", q->device, counters[k].name);
            RedisModule_InfoAddFieldLongLong(ctx, field, counters[k].value);
        }
    }
    if (n > 0)
        queue_snapshot_free(qs, n);
}

void info_register(RedisModuleCtx *ctx) {
    if (RedisModule_RegisterInfoFunc && RedisModule_InfoAddSection && RedisModule_InfoAddFieldCString &&
        RedisModule_InfoAddFieldLongLong)
        RedisModule_RegisterInfoFunc(ctx, info_func);
}
