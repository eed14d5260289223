/* Reading a cluster configuration file (see cluster_ini.c). */
#ifndef LOCUS_SCHED_CLUSTER_INI_H
#define LOCUS_SCHED_CLUSTER_INI_H

#include <stddef.h>

#include "../core/core.h"

/* Parses an INI file ([CLUSTER] keys, all integers; [SCHEDULER] with Synergy's policy and lease_time, checked
 * and ignored). Keys missing from the file take the per-key defaults of the spec (8 GPUs, 24 CPUs, 500 GB,
 * 300 MB/s, 40 Gbps, 1 rack, 4 servers). Duplicate keys, unknown keys or sections, NUL bytes and sizes over
 * the core's limits are errors. Returns 0, or -1 with "file:line: reason" (or "file: reason") in err. */
int sched_cluster_cfg_load(sched_cluster_cfg *cfg, const char *path, char *err, size_t errlen);

#endif
