/* The worker's CPUs in NUMA order (see worker_numa.h). */
#include "worker_numa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cpu_key {
    int node, thread, pos, cpu;
} cpu_key;

static int by_key(const void *a, const void *b)
{
    const cpu_key *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

int wk_numa_order(hwloc_topology_t topo, const int *cpus, int n, int *out)
{
    int nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    if (nodes < 0) nodes = 0;
    cpu_key *k = malloc((size_t)(n > 0 ? n : 1) * sizeof *k);
    char *seen = calloc((size_t)nodes + 1, 1);
    if (k == NULL || seen == NULL) {
        memcpy(out, cpus, (size_t)n * sizeof *out);
        free(k), free(seen);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        k[i] = (cpu_key){.node = nodes, .thread = 0, .pos = i, .cpu = cpus[i]};
        hwloc_obj_t pu = cpus[i] >= 0 ? hwloc_get_pu_obj_by_os_index(topo, (unsigned)cpus[i]) : NULL;
        if (pu == NULL) continue;
        for (int d = 0; d < nodes; d++) {
            hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)d);
            if (node && hwloc_bitmap_isset(node->cpuset, (unsigned)cpus[i])) {
                k[i].node = d;
                break;
            }
        }
        if (pu->parent && pu->parent->type == HWLOC_OBJ_CORE) k[i].thread = (int)pu->sibling_rank;
    }
    qsort(k, (size_t)n, sizeof *k, by_key);
    int used = 0;
    for (int i = 0; i < n; i++) {
        out[i] = k[i].cpu;
        if (k[i].node < nodes && !seen[k[i].node]) seen[k[i].node] = 1, used++;
    }
    free(k);
    free(seen);
    return used;
}

int wk_numa_order_here(const int *cpus, int n, int *out, char *err, size_t errlen)
{
    hwloc_topology_t t;
    memcpy(out, cpus, (size_t)n * sizeof *out);
    if (hwloc_topology_init(&t) != 0) {
        snprintf(err, errlen, "hwloc_topology_init failed");
        return -1;
    }
    if (hwloc_topology_load(t) != 0) {
        snprintf(err, errlen, "hwloc cannot load this machine's topology");
        hwloc_topology_destroy(t);
        return -1;
    }
    int nodes = wk_numa_order(t, cpus, n, out);
    hwloc_topology_destroy(t);
    return nodes;
}
