/* Limits on tensors, one name each: what a command may create is what the RDB loader accepts, so no accepted
 * value can make the server refuse its own save file at the next start. */
#ifndef LOCUS_MODULE_TENSOR_LIMITS_H
#define LOCUS_MODULE_TENSOR_LIMITS_H

/* Dimensions of one tensor (AI.TENSORSET, DAG TENSORSET, the RDB decoder; backends allow fewer). */
#define TENSOR_MAX_DIMS 4096

#endif
