// What the C++ backend shims (torch/, opencv/, armnn/) share: the clock and the text and code of a run
// stopped at its deadline (backend.h's set_deadline), the one-line "ERR ..." messages every entry point
// records, and the small checks and copies of the ops a CPU-only shim implements alike (device, input and
// output counts, names, output buffers).
//
// Header-only, and every definition has internal linkage (an unnamed namespace inside lb_shim): each shim is
// a shared object of its own, so each gets its own copy and no symbol of these is shared or exported. A
// shim's own state (its lb_host, its deadline) stays in the shim; these take it as an argument.
#ifndef LOCUS_MODULE_BACKENDS_SHIM_UTIL_HPP
#define LOCUS_MODULE_BACKENDS_SHIM_UTIL_HPP

#include <cstdio>
#include <cstring>
#include <string>
#include <time.h>
#include <vector>

#include "backend.h"

namespace lb_shim {
namespace {

// CLOCK_MONOTONIC milliseconds, as the module's queue_now_ms (the clock of set_deadline's bound).
inline long long monotonic_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Whether a bound set with set_deadline (deadline_ms; 0: none) has passed.
inline bool past_deadline(long long deadline_ms) {
    return deadline_ms > 0 && monotonic_ms() >= deadline_ms;
}

// The reason backend.h gives a run stopped at its deadline; set_timeout records it with its "ERR ".
constexpr const char kTimeoutText[] = "MODEL_EXECUTION_TIMEOUT: the run was stopped at its deadline";

inline void set_timeout(lb_err *err) {
    lb_err_set(err, LB_ERR_TIMEOUT, "ERR %s", kTimeoutText);
}

// msg with its line breaks turned into spaces: a reply is one line.
inline std::string one_line(const std::string &msg) {
    std::string one = msg;
    for (char &ch : one)
        if (ch == '\n' || ch == '\r')
            ch = ' ';
    return one;
}

// Record msg as a failure (LB_ERR_FAILED): on one line, without trailing spaces, with its "ERR ".
inline void set_err(lb_err *err, const std::string &msg) {
    std::string one = one_line(msg);
    while (!one.empty() && one.back() == ' ')
        one.pop_back();
    lb_err_set(err, LB_ERR_FAILED, "ERR %s", one.c_str());
}

// An lb_dtype's name, as the module spells it ("?" for a code that is none).
inline const char *type_name(int dtype) {
    static const char *const kNames[] = {"FLOAT", "DOUBLE", "INT8",   "INT16", "INT32",
                                         "INT64", "UINT8",  "UINT16", "BOOL",  "STRING"};
    return dtype >= 0 && dtype <= LB_DTYPE_STRING ? kNames[dtype] : "?";
}

// For a backend that runs on CPU only: true for "CPU" and "CPU:n", else false with err set (who: the backend,
// as its messages name it).
inline bool check_cpu_device(const char *device, const char *who, lb_err *err) {
    if (strcmp(device, "CPU") == 0 || strncmp(device, "CPU:", 4) == 0)
        return true;
    lb_err_set(err, LB_ERR_FAILED, "ERR device %s requested but %s runs on CPU only", device, who);
    return false;
}

// model_run's counts against the model's: true when they agree, else false with err set.
inline bool check_counts(size_t ninputs, size_t noutputs, int nin, int nout, lb_err *err) {
    if (nin == (int)ninputs && nout == (int)noutputs)
        return true;
    lb_err_set(err, LB_ERR_FAILED, "ERR Expected %zu inputs and %zu outputs but got %d and %d", ninputs,
               noutputs, nin, nout);
    return false;
}

// model_input_name / model_output_name from a model's list of names: names[i] into buf; 0, or -1 when there
// is no name i.
inline int name_at(const std::vector<std::string> &names, int i, char *buf, size_t len) {
    if (i < 0 || i >= (int)names.size())
        return -1;
    snprintf(buf, len, "%s", names[(size_t)i].c_str());
    return 0;
}

// An output's data from the host: at least one byte, so that an empty tensor has data too. Owned by the
// caller of model_run.
inline void *alloc_data(const lb_host &host, size_t nbytes) {
    return host.alloc(nbytes > 0 ? nbytes : 1);
}

// Give back the data of out[0..n), the outputs a failing run had already filled.
inline void free_outputs(const lb_host &host, lb_tensor *out, int n) {
    for (int i = 0; i < n; i++)
        host.free(out[i].data);
}

// Gives the runtime (set: its setter) the host's intra-op thread count, once on each calling thread, for
// runtimes whose pool size may be per thread (OpenMP). The flag is per thread, not per setter: a shim passes
// only one.
inline void set_threads_once(const lb_host &host, void (*set)(int)) {
    static thread_local bool done = false;
    if (!done) {
        if (host.intra_op_threads > 0)
            set(host.intra_op_threads);
        done = true;
    }
}

} // namespace
} // namespace lb_shim

#endif
