/* The simulator's event heap: a binary min-heap ordered by (time, kind, insertion sequence), so events at
 * equal times run arrival < job end < lease end < schedule and, within a kind, in the order they were added.
 * Pure data structure, no I/O. */
#ifndef LOCUS_SCHED_EVENT_HEAP_H
#define LOCUS_SCHED_EVENT_HEAP_H

#include <stdint.h>

typedef enum sched_ev_kind {
    EV_ARRIVAL = 1,
    EV_JOB_END = 2,
    EV_LEASE_END = 3,
    EV_SCHEDULE = 4,
} sched_ev_kind;

typedef struct sched_event {
    double time;
    int kind;
    uint64_t seq;
    int job; /* job position for arrival / lease end, -1 otherwise */
} sched_event;

typedef struct sched_event_heap {
    sched_event *a;
    int n, cap;
    uint64_t next_seq;
} sched_event_heap;

/* Adds an event (the heap assigns the sequence number). Returns 0, -1 when out of memory. */
int sched_heap_push(sched_event_heap *h, double time, int kind, int job);
/* Removes the smallest event into *out; returns 0, or -1 when empty. */
int sched_heap_pop(sched_event_heap *h, sched_event *out);
void sched_heap_free(sched_event_heap *h); /* accepts a zeroed heap */

#endif
