/* +opt: placeholder until the GLPK model lands (see opt model notes in docs/sched-simulate.md). */
#include <stdio.h>

#include "core.h"

int sched_opt_round(sched_round_ctx *ctx)
{
    snprintf(ctx->err, ctx->errlen, "+opt is not implemented yet");
    return -1;
}
