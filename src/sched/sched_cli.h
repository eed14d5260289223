/* Entry point of `locus sched`: dispatches argv[1] ("simulate"; later "serve", "worker") through the
 * sub-command table in sched_cli.c. */
#ifndef LOCUS_SCHED_CLI_H
#define LOCUS_SCHED_CLI_H

/* argv[0] is "sched", argv[1] the sub-command. Returns the process exit status (0 ok, 1 failure, 2 usage). */
__attribute__((visibility("default"))) int locus_sched_main(int argc, char **argv);

#endif
