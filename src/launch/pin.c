/* CPU sets through hwloc: the CPUs this process was given (respecting the cpuset of a Slurm job or of
 * mpirun), lists of them, and binding. Never assumes CPUs 0..N-1 are ours. */
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"

int allowed_cpus(int *cpus, int max) {
    hwloc_topology_t topo;
    hwloc_topology_init(&topo);
    hwloc_topology_load(topo);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int n = 0;
    if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) != 0)
        hwloc_bitmap_copy(set, hwloc_topology_get_allowed_cpuset(topo));
    int id;
    hwloc_bitmap_foreach_begin(id, set) {
        if (n < max)
            cpus[n++] = id;
    }
    hwloc_bitmap_foreach_end();
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(topo);
    return n;
}

void cpulist_format(const int *cpus, int from, int count, char *out, size_t n) {
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%d", i ? "," : "", cpus[from + i]);
    }
}

int pin_to_cpulist(const char *cpulist) {
    if (cpulist == NULL || cpulist[0] == '\0')
        return 0;
    hwloc_topology_t topo;
    hwloc_topology_init(&topo);
    hwloc_topology_load(topo);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int rc = hwloc_bitmap_list_sscanf(set, cpulist) == 0 ? hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) : -1;
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(topo);
    return rc == 0 ? 0 : -1;
}
