/* `locus sched serve`: the live scheduler (serve.c, docs/sched-serve.md). */
#ifndef LOCUS_SCHED_SERVE_H
#define LOCUS_SCHED_SERVE_H

/* argv[0] is "serve". Returns the exit status. */
int sched_serve_main(int argc, char **argv);

#endif
