/* `locus sched worker`: the entry point of the sub-command (sched_cli.c's table). */
#ifndef LOCUS_SCHED_LIVE_WORKER_CMD_H
#define LOCUS_SCHED_LIVE_WORKER_CMD_H

/* argv[0] is "worker". Returns the exit status: 0 stopped as asked, 1 failure, 2 usage. */
int sched_worker_main(int argc, char **argv);

#endif
