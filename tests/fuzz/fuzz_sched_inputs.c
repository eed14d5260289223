/* libFuzzer target: the scheduler's input loaders (cluster INI, replay trace, Philly cluster_job_log JSON) on
 * arbitrary files. Each must accept the file or refuse it with a message, never crash or overread; the first
 * byte picks the loader. The bytes go through a memory file so the loaders read a real path. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/cluster_ini.h"
#include "core/core.h"
#include "sim/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("locus-fuzz-input", 0);
        if (fd < 0)
            return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
        return 0;
    char err[512];
    int which = data[0] % 4;
    if (which == 0) {
        sched_cluster_cfg cfg;
        sched_cluster_cfg_load(&cfg, path, err, sizeof err);
    } else if (which == 1) {
        sched_trace t;
        if (sched_trace_load(&t, path, 128, err, sizeof err) == 0)
            sched_trace_free(&t);
    } else {
        sched_trace t;
        if (sched_philly_load(&t, path, which == 3, data[0] & 4, err, sizeof err) == 0) {
            sched_trace_sort_by_arrival(&t);
            sched_trace_free(&t);
        }
    }
    return 0;
}
