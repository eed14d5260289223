/* `locus sched status`: a running scheduler's GET /status as tables (status_cmd.c). */
#ifndef LOCUS_SCHED_STATUS_CMD_H
#define LOCUS_SCHED_STATUS_CMD_H

/* argv[0] is "status". Returns the exit status. */
int sched_status_main(int argc, char **argv);

#endif
