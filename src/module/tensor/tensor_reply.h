/* AI.TENSORGET's reply for a tensor, written once for the command and for a DAG's TENSORGET op: the flat map
 * of RedisAI 1.2 (dtype, TYPE, shape, [d..], blob|values, ..) or the bare blob or values. Main thread. */
#ifndef LOCUS_MODULE_TENSOR_REPLY_H
#define LOCUS_MODULE_TENSOR_REPLY_H

#include "../parsing/args.h"
#include "../redismodule_api.h"
#include "tensor.h"

/* Reply AI.TENSORGET's answer for t in the format parse_tensorget gave (TENSOR_GET_META, _BLOB, _VALUES). */
void reply_tensor(RedisModuleCtx *ctx, const tensor *t, unsigned fmt);

#endif
