/* Model objects (see model.h). */
#include "model.h"

#include "../copies.h"
#include "../parsing/args.h"
#include "archive.h"

#include <stdio.h>
#include <string.h>

static char **dup_names(int n, const char **names, const size_t *lens) {
    return n > 0 ? copy_list((size_t)n, names, lens) : NULL;
}

static void free_names(int n, char **names) {
    free_list(names, (size_t)n);
}

/* The names the backend's signature gives the n inputs or outputs of model h (name_of may be NULL: none),
 * copied into *out; how many it named. */
static int signature_names(void *h, int (*name_of)(void *, int, char *, size_t), int n, char ***out) {
    *out = NULL;
    if (name_of == NULL || n <= 0)
        return 0;
    *out = RedisModule_Calloc((size_t)n, sizeof **out);
    int named = 0;
    char name[256];
    for (int i = 0; i < n; i++)
        if (name_of(h, i, name, sizeof name) == 0)
            (*out)[named++] = RedisModule_Strdup(name);
    return named;
}

model *model_create(const model_spec *spec, char *blob, size_t bloblen, lc_err *e) {
    if (spec->backend == BACKEND_TORCH && torchscript_archive_check(blob, bloblen, e) != 0) {
        RedisModule_Free(blob);
        return NULL;
    }
    const lb_ops *ops = backend_get(spec->backend, e);
    if (ops == NULL) {
        RedisModule_Free(blob);
        return NULL;
    }
    int nin = -1, nout = -1;
    char **in_names = dup_names(spec->ninput_names, spec->input_names, spec->input_lens);
    char **out_names = dup_names(spec->noutput_names, spec->output_names, spec->output_lens);
    lb_names names = {spec->ninput_names, (const char *const *)in_names, spec->noutput_names,
                      (const char *const *)out_names};
    void *h = ops->model_load(spec->device, blob, bloblen, &names, &nin, &nout, e);
    if (h == NULL) {
        free_names(spec->ninput_names, in_names);
        free_names(spec->noutput_names, out_names);
        RedisModule_Free(blob);
        return NULL;
    }
    model *m = RedisModule_Calloc(1, sizeof *m);
    m->refcount = 1;
    m->backend = spec->backend;
    m->ops = ops;
    m->handle = h;
    snprintf(m->device, sizeof m->device, "%s", spec->device);
    m->tag = copy_bytes(spec->tag != NULL ? spec->tag : "", spec->tag != NULL ? spec->taglen : 0);
    m->taglen = spec->tag != NULL ? spec->taglen : 0;
    m->batchsize = spec->batchsize;
    m->minbatchsize = spec->minbatchsize;
    m->minbatchtimeout = spec->minbatchtimeout;
    m->ninput_names = spec->ninput_names;
    m->noutput_names = spec->noutput_names;
    m->input_names = in_names;
    m->output_names = out_names;
    m->ninputs = spec->ninput_names > 0 ? spec->ninput_names : nin;
    m->noutputs = spec->noutput_names > 0 ? spec->noutput_names : nout;
    m->nsig_inputs = signature_names(h, ops->model_input_name, nin, &m->sig_inputs);
    m->nsig_outputs = signature_names(h, ops->model_output_name, nout, &m->sig_outputs);
    m->blob = blob;
    m->bloblen = bloblen;
    return m;
}

model *model_retain(model *m) {
    __atomic_add_fetch(&m->refcount, 1, __ATOMIC_RELAXED);
    return m;
}

void model_release(model *m) {
    if (m == NULL || __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    m->ops->model_free(m->handle);
    free_names(m->ninput_names, m->input_names);
    free_names(m->nsig_inputs, m->sig_inputs);
    free_names(m->nsig_outputs, m->sig_outputs);
    free_names(m->noutput_names, m->output_names);
    RedisModule_Free(m->tag);
    RedisModule_Free(m->blob);
    RedisModule_Free(m);
}
