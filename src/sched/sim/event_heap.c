/* Binary min-heap of simulator events keyed by (time, kind, seq); see event_heap.h. */
#include <stdlib.h>

#include "event_heap.h"

static int ev_less(const sched_event *x, const sched_event *y)
{
    if (x->time != y->time) return x->time < y->time;
    if (x->kind != y->kind) return x->kind < y->kind;
    return x->seq < y->seq;
}

int sched_heap_push(sched_event_heap *h, double time, int kind, int job)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 256;
        sched_event *a = realloc(h->a, (size_t)cap * sizeof *a);
        if (!a) return -1;
        h->a = a, h->cap = cap;
    }
    sched_event e = {time, kind, h->next_seq++, job};
    int i = h->n++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!ev_less(&e, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
    return 0;
}

int sched_heap_pop(sched_event_heap *h, sched_event *out)
{
    if (h->n == 0) return -1;
    *out = h->a[0];
    sched_event last = h->a[--h->n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = -1;
        if (l < h->n) m = l;
        if (r < h->n && ev_less(&h->a[r], &h->a[l])) m = r;
        if (m < 0 || !ev_less(&h->a[m], &last)) break;
        h->a[i] = h->a[m];
        i = m;
    }
    if (h->n > 0) h->a[i] = last;
    return 0;
}

void sched_heap_free(sched_event_heap *h)
{
    if (!h) return;
    free(h->a);
    h->a = NULL;
    h->n = h->cap = 0;
}
