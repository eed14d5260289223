/* Models as stored under keys: the backend handle plus everything needed to describe, persist and re-create
 * them (the original blob), and their run statistics (AI.INFO). Scripts, their sibling, are in script/.
 *
 * Reference-counted: a key holds one reference and every queued or running execution holds one, so
 * AI.MODELDEL or an overwrite during a run is safe. The last release frees the backend handle; it may happen
 * on any thread (nothing in it touches Redis strings). */
#ifndef LOCUS_MODULE_MODEL_H
#define LOCUS_MODULE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../backends/loader.h"
#include "../err.h"
#include "../redismodule_api.h"
#include "../run/stats.h"

typedef struct model {
    int refcount; /* atomic */
    backend_id backend;
    const lb_ops *ops;
    void *handle;             /* the backend's model */
    char device[16];          /* upper case: CPU, GPU, GPU:1 */
    char *tag;                /* binary-safe, taglen bytes */
    size_t taglen;
    long long batchsize, minbatchsize, minbatchtimeout;
    int ninputs, noutputs;    /* from INPUTS/OUTPUTS when given, else from the model's signature (-1: unknown) */
    int ninput_names, noutput_names;
    char **input_names, **output_names;
    int nsig_inputs;          /* the inputs the backend's signature names (MODELGET META without INPUTS) */
    char **sig_inputs;
    int nsig_outputs;         /* the outputs the backend names (ONNX: the graph's; MODELGET META without OUTPUTS) */
    char **sig_outputs;
    char *blob;               /* the serialized model as stored */
    size_t bloblen;
    run_stats stats;
} model;

/* Everything a model is made from (parsed command or RDB record). Strings are borrowed. */
typedef struct model_spec {
    backend_id backend;
    const char *device;
    const char *tag;
    size_t taglen;
    long long batchsize, minbatchsize, minbatchtimeout;
    int ninput_names, noutput_names;
    const char **input_names, **output_names; /* NUL-terminated */
    size_t *input_lens, *output_lens;
} model_spec;

/* Build a model: loads the backend if needed and hands the blob to it. Takes ownership of `blob` (from
 * RedisModule_Alloc) whatever the outcome. NULL with the "ERR ..." reply recorded in err on failure (a
 * backend's message whole: the carrier is as large as the backend contract's error buffers). */
model *model_create(const model_spec *spec, char *blob, size_t bloblen, lc_err *err);
model *model_retain(model *m);
void model_release(model *m);

#endif
