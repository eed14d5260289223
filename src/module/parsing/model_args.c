/* Pure parsers of AI.MODELSTORE/SET and AI.SCRIPTSTORE/SET (see model_args.h). */
#include "model_args.h"

#include <string.h>

#include "../backends/loader.h"

static bool nonneg(arg_view a, long long *out) {
    int64_t v;
    if (!arg_to_int64(a, &v) || v < 0)
        return false;
    *out = v;
    return true;
}

const char *parse_modelstore(int argc, const arg_view *v, bool deprecated, const char **names, size_t *lens,
                             model_store_args *out, lc_err *err) {
    memset(out, 0, sizeof *out);
    model_spec *spec = &out->spec;
    /* AI.MODELSET key backend device is parsed (RedisAI: argc < 4 only is an arity error) */
    if (argc < (deprecated ? 4 : 6))
        return lc_err_set(err, "ERR wrong number of arguments for '%s' command",
                          deprecated ? "AI.MODELSET" : "AI.MODELSTORE");
    int bk = backend_by_name(v[2].ptr, v[2].len);
    if (bk < 0)
        return lc_err_put(err, "ERR unsupported backend");
    spec->backend = (backend_id)bk;
    if (!device_normalize(v[3].ptr, v[3].len, out->device))
        return lc_err_put(err, "ERR Invalid DEVICE");
    spec->device = out->device;
    int i = 4;
    if (i < argc && arg_is(v[i], "TAG")) {
        if (i + 1 >= argc)
            return lc_err_put(err, "ERR Insufficient arguments, missing model BLOB");
        spec->tag = v[i + 1].ptr;
        spec->taglen = v[i + 1].len;
        i += 2;
    }
    if (i < argc && arg_is(v[i], "BATCHSIZE")) {
        if (i + 1 >= argc || !nonneg(v[i + 1], &spec->batchsize))
            return lc_err_put(err, "ERR Invalid argument for BATCHSIZE");
        i += 2;
    }
    if (i < argc && arg_is(v[i], "MINBATCHSIZE")) {
        if (spec->batchsize == 0)
            return lc_err_put(err, "ERR MINBATCHSIZE specified without BATCHSIZE");
        if (i + 1 >= argc || !nonneg(v[i + 1], &spec->minbatchsize))
            return lc_err_put(err, "ERR Invalid argument for MINBATCHSIZE");
        i += 2;
    }
    if (i < argc && arg_is(v[i], "MINBATCHTIMEOUT")) {
        /* AI.MODELSTORE checks MINBATCHSIZE only; the deprecated AI.MODELSET both (RedisAI 1.2.7) */
        if (deprecated && spec->batchsize == 0)
            return lc_err_put(err, "ERR MINBATCHTIMEOUT specified without BATCHSIZE");
        if (spec->minbatchsize == 0)
            return lc_err_put(err, "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE");
        if (i + 1 >= argc || !nonneg(v[i + 1], &spec->minbatchtimeout))
            return lc_err_put(err, "ERR Invalid argument for MINBATCHTIMEOUT");
        i += 2;
    }
    if (spec->minbatchsize > spec->batchsize && spec->batchsize > 0)
        return lc_err_put(err, "ERR MINBATCHSIZE is larger than BATCHSIZE");
    /* RedisAI 1.2.7: INPUTS and OUTPUTS belong to TF models; AI.MODELSTORE refuses INPUTS for the others */
    if (!deprecated && spec->backend != BACKEND_TF && i < argc && arg_is(v[i], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS argument should not be specified for this backend");
    /* RedisAI 1.2.7's texts for TF's names: AI.MODELSTORE (redisai.c) wants INPUTS n .. OUTPUTS n .. right here;
     * AI.MODELSET (deprecated.c) wants something before BLOB, and that to start with INPUTS */
    const bool tf = spec->backend == BACKEND_TF;
    if (tf && !deprecated && i >= argc)
        return lc_err_put(err, "ERR Insufficient arguments, missing model BLOB");
    if (tf && !deprecated && !arg_is(v[i], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS not specified for TF");
    if (tf && deprecated && (i >= argc || arg_is(v[i], "BLOB")))
        return lc_err_put(err, "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model");
    if (tf && deprecated && !arg_is(v[i], "INPUTS"))
        return lc_err_put(err, "ERR INPUTS not specified for TF model");
    int nnames = 0;
    for (int which = 0; which < 2; which++) {
        const char *kw = which == 0 ? "INPUTS" : "OUTPUTS";
        if (tf && !deprecated && which == 1 && (i >= argc || !arg_is(v[i], kw)))
            return lc_err_put(err, "ERR OUTPUTS not specified for TF");
        if (i >= argc || !arg_is(v[i], kw) || (!deprecated && !tf))
            continue;
        i++;
        int first = nnames, count = 0;
        if (!deprecated) {
            int64_t n;
            if (i >= argc || !arg_to_int64(v[i], &n) || n <= 0)
                return lc_err_set(err, "ERR Invalid argument for %s_count", which == 0 ? "input" : "output");
            i++;
            if (n > argc - i)
                return lc_err_set(err, "ERR number of model %s does not match the number of given arguments",
                                  which == 0 ? "inputs" : "outputs");
            count = (int)n;
        } else {
            while (i + count < argc && !arg_is(v[i + count], "BLOB") && !(which == 0 && arg_is(v[i + count], "OUTPUTS")))
                count++;
        }
        for (int k = 0; k < count; k++) {
            names[nnames] = v[i + k].ptr;
            lens[nnames++] = v[i + k].len;
        }
        i += count;
        if (which == 0) {
            spec->ninput_names = count;
            spec->input_names = names + first;
            spec->input_lens = lens + first;
        } else {
            spec->noutput_names = count;
            spec->output_names = names + first;
            spec->output_lens = lens + first;
        }
    }
    if (i >= argc || !arg_is(v[i], "BLOB") || i + 1 >= argc) {
        /* RedisAI: after TF's OUTPUTS names, the end of the command is not the missing BLOB but a wrong one */
        if ((i < argc && !arg_is(v[i], "BLOB")) || (tf && !deprecated && i >= argc))
            return lc_err_put(err, "ERR Invalid argument, expected BLOB");
        return lc_err_put(err, "ERR Insufficient arguments, missing model BLOB");
    }
    out->blob_pos = i + 1;
    return NULL;
}

const char *parse_scriptstore(int argc, const arg_view *v, bool deprecated, script_store_args *out, lc_err *err) {
    memset(out, 0, sizeof *out);
    if (argc < (deprecated ? 5 : 6))
        return lc_err_set(err, "ERR wrong number of arguments for '%s' command",
                          deprecated ? "AI.SCRIPTSET" : "AI.SCRIPTSTORE");
    int i = 3;
    if (!device_normalize(v[2].ptr, v[2].len, out->device))
        return lc_err_put(err, "ERR Invalid DEVICE");
    if (i < argc && arg_is(v[i], "TAG") && i + 1 < argc) {
        out->tag = v[i + 1];
        i += 2;
    }
    if (!deprecated) {
        int64_t n;
        if (i >= argc || !arg_is(v[i], "ENTRY_POINTS"))
            return lc_err_put(err, "ERR Insufficient arguments, missing script entry points");
        i++;
        if (i >= argc || !arg_to_int64(v[i], &n) || n <= 0)
            return lc_err_put(err, "ERR Non numeric entry points number provided to AI.SCRIPTSTORE command");
        i++;
        if (n > argc - i - 1)
            return lc_err_put(err, "ERR Insufficient arguments, missing script entry points");
        out->first_entry = i;
        out->nentry = (int)n;
        i += (int)n;
    }
    if (i >= argc || !arg_is(v[i], "SOURCE"))
        return lc_err_put(err, deprecated ? "ERR Insufficient arguments, missing script SOURCE"
                                          : "ERR Insufficient arguments, missing script entry points");
    if (i + 2 != argc)
        return lc_err_put(err, i + 1 >= argc ? "ERR Insufficient arguments, missing script SOURCE"
                                             : "ERR too many arguments after SOURCE");
    out->source_pos = i + 1;
    return NULL;
}

const char *parse_get(int argc, const arg_view *v, bool script, get_args *out, lc_err *err) {
    const char *payload = script ? "SOURCE" : "BLOB";
    out->meta = out->payload = false;
    for (int i = 2; i < argc; i++) {
        if (arg_is(v[i], "META"))
            out->meta = true;
        else if (arg_is(v[i], payload))
            out->payload = true;
        else
            return lc_err_set(err, "ERR unrecognized parameter (expected META and/or %s)", payload);
    }
    if (!out->meta && !out->payload)
        out->meta = out->payload = true;
    return NULL;
}

bool parse_info_reset(int argc, const arg_view *v) {
    return argc == 3 && arg_is(v[2], "RESETSTAT");
}
