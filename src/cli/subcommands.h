/* Entry points of the sub-commands, each implemented by its part. argv[0] is the sub-command's name;
 * the return value is the process exit status. */
#ifndef LOCUS_CLI_SUBCOMMANDS_H
#define LOCUS_CLI_SUBCOMMANDS_H

int locus_db_main(int argc, char **argv);
int locus_run_main(int argc, char **argv);
int locus_bench_main(int argc, char **argv);
int locus_sched_main(int argc, char **argv);

#endif
