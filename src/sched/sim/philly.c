/* Philly cluster_job_log loader: placeholder. */
#include <stdio.h>

#include "workload.h"

int sched_philly_load(sched_trace *t, const char *path, bool multigpu, bool philly_arrival, char *err,
                      size_t errlen)
{
    (void)t, (void)multigpu, (void)philly_arrival;
    snprintf(err, errlen, "%s: Philly traces are not supported yet", path);
    return -1;
}
