/* Model and script objects (see model.h). */
#include "model.h"

#include "../copies.h"
#include "../parsing/args.h"
#include "archive.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void run_stats_add(run_stats *s, long long duration_us, long long samples, bool error) {
    __atomic_add_fetch(&s->duration_us, duration_us, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->samples, samples, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
    if (error)
        __atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
}

void run_stats_reset(run_stats *s) {
    __atomic_store_n(&s->duration_us, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->samples, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->calls, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->errors, 0, __ATOMIC_RELAXED);
}

bool device_normalize(const char *dev, size_t len, char out[16]) {
    if (len < 3 || len > 9)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)toupper((unsigned char)dev[i]);
    out[len] = '\0';
    if (strncmp(out, "CPU", 3) != 0 && strncmp(out, "GPU", 3) != 0)
        return false;
    if (len == 3)
        return true;
    if (out[3] != ':' || len == 4)
        return false;
    for (size_t i = 4; i < len; i++)
        if (!isdigit((unsigned char)out[i]))
            return false;
    return true;
}

static char **dup_names(int n, const char **names, const size_t *lens) {
    return n > 0 ? copy_list((size_t)n, names, lens) : NULL;
}

static void free_names(int n, char **names) {
    free_list(names, (size_t)n);
}

model *model_create(const model_spec *spec, char *blob, size_t bloblen, lc_err *e) {
    /* the backend contract (and the archive check below it) write into a caller's buffer: the carrier's */
    char *err = e->msg;
    size_t errlen = sizeof e->msg;
    if (spec->backend == BACKEND_TORCH && torchscript_archive_check(blob, bloblen, err, errlen) != 0) {
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
    void *h = ops->model_load(spec->device, blob, bloblen, &names, &nin, &nout, err, errlen);
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
    if (ops->model_input_name && nin > 0) {
        m->sig_inputs = RedisModule_Calloc((size_t)nin, sizeof *m->sig_inputs);
        char name[256];
        for (int i = 0; i < nin; i++)
            if (ops->model_input_name(h, i, name, sizeof name) == 0)
                m->sig_inputs[m->nsig_inputs++] = RedisModule_Strdup(name);
    }
    if (ops->model_output_name && nout > 0) {
        m->sig_outputs = RedisModule_Calloc((size_t)nout, sizeof *m->sig_outputs);
        char name[256];
        for (int i = 0; i < nout; i++)
            if (ops->model_output_name(h, i, name, sizeof name) == 0)
                m->sig_outputs[m->nsig_outputs++] = RedisModule_Strdup(name);
    }
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

script *script_create(const char *device, const char *tag, size_t taglen, char *source, int nentry,
                      const char *const *entry_points, lc_err *e) {
    char *err = e->msg;
    size_t errlen = sizeof e->msg;
    int depth = source_max_nesting(source, strlen(source));
    if (depth > SCRIPT_MAX_NESTING) {
        lc_err_set(e, "ERR script nests brackets %d deep; at most %d levels are compiled", depth,
                   SCRIPT_MAX_NESTING);
        RedisModule_Free(source);
        return NULL;
    }
    const lb_ops *ops = backend_get(BACKEND_TORCH, e);
    if (ops == NULL) {
        RedisModule_Free(source);
        return NULL;
    }
    void *h = ops->script_compile(device, source, err, errlen);
    if (h == NULL) {
        RedisModule_Free(source);
        return NULL;
    }
    for (int i = 0; i < nentry; i++) {
        if (ops->script_check_function(h, entry_points[i], 1, err, errlen) != 0) {
            ops->script_free(h);
            RedisModule_Free(source);
            return NULL;
        }
    }
    script *s = RedisModule_Calloc(1, sizeof *s);
    s->refcount = 1;
    s->ops = ops;
    s->handle = h;
    snprintf(s->device, sizeof s->device, "%s", device);
    s->tag = copy_bytes(tag != NULL ? tag : "", tag != NULL ? taglen : 0);
    s->taglen = tag != NULL ? taglen : 0;
    s->source = source;
    s->nentry = nentry;
    s->entry_points = dup_names(nentry, (const char **)entry_points, NULL);
    return s;
}

script *script_retain(script *s) {
    __atomic_add_fetch(&s->refcount, 1, __ATOMIC_RELAXED);
    return s;
}

void script_release(script *s) {
    if (s == NULL || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    s->ops->script_free(s->handle);
    free_names(s->nentry, s->entry_points);
    RedisModule_Free(s->tag);
    RedisModule_Free(s->source);
    RedisModule_Free(s);
}
