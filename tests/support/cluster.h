/* Test fixture: a Redis Cluster of N primaries (no replicas) on 127.0.0.1, each a server from server.h with
 * --cluster-enabled, slots split evenly with CLUSTER ADDSLOTSRANGE, joined with CLUSTER MEET, and ready when
 * every node reports cluster_state:ok and knows every other node. Stopped (and its dirs removed) with
 * lt_cluster_stop; the servers die with the test process anyway. */
#ifndef LOCUS_TEST_CLUSTER_H
#define LOCUS_TEST_CLUSTER_H

#include "server.h"

#define LT_CLUSTER_MAX 8

typedef struct lt_cluster {
    int n;
    lt_server node[LT_CLUSTER_MAX];
    char ssdb[LT_CLUSTER_MAX * 24]; /* "127.0.0.1:p1,127.0.0.1:p2,..." */
} lt_cluster;

/* Start n (1..8) nodes and form the cluster (up to 30 s). 0, or -1 with the reason on stderr. */
int lt_cluster_start(lt_cluster *c, int n);
/* Stops every node; 0, or -1 when any of them did not stop cleanly (see lt_server_stop). */
int lt_cluster_stop(lt_cluster *c);
/* Index of the node that owns slot, by the cluster's own CLUSTER SLOTS; -1 if unknown. */
int lt_cluster_slot_owner(lt_cluster *c, int slot);
/* Move one slot (and its keys) from node `from` to node `to` with SETSLOT IMPORTING/MIGRATING, MIGRATE in
 * batches of `batch` keys with `pause_us` between batches (so clients see the migration), then SETSLOT NODE
 * on every node. 0 or -1. */
int lt_cluster_migrate_slot(lt_cluster *c, int slot, int from, int to, int batch, int pause_us);

#endif
