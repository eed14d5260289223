/* NUMA-aware CPU choice for the worker (docs/sched-serve.md, `numa` in /v1/run): the CPUs the worker may use,
 * ordered node by node with hwloc, so that the consecutive CPU ids the scheduler gives a job land on one NUMA
 * node before the next. */
#ifndef LOCUS_SCHED_LIVE_WORKER_NUMA_H
#define LOCUS_SCHED_LIVE_WORKER_NUMA_H

#include <hwloc.h>

/* cpus (n OS CPU ids) reordered into out (n entries): by NUMA node (hwloc's logical order of the nodes, a CPU
 * going with the first node whose cpuset has it), within a node the first hardware thread of every core before
 * the second ones, ties in the order given; CPUs the topology does not have go last. Pure given the topology
 * (a synthetic one in the tests). Returns how many nodes the CPUs are on. */
int wk_numa_order(hwloc_topology_t topo, const int *cpus, int n, int *out);

/* The same with this machine's topology. Returns the node count, or -1 with the reason in err when hwloc cannot
 * load it (out is then cpus as given). */
int wk_numa_order_here(const int *cpus, int n, int *out, char *err, size_t errlen);

#endif
