/* locus-sched: the scheduler commands without the `locus` front end (for tests and benches). */
#include "sched_cli.h"

int main(int argc, char **argv)
{
    argv[0] = "sched";
    return locus_sched_main(argc, argv);
}
