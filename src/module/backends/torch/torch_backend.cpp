// The Torch backend of locus_ai: a small C++ shim over libtorch, built as its own shared object
// (locus_torch.so) and loaded by the module with dlopen. It exports one symbol, the lb_ops table of
// backends/backend.h; nothing else is visible.
//
// Models are TorchScript archives. On CPU they are frozen and passed through optimize_for_inference when
// loaded (oneDNN layouts, folded batch norms: about 10x faster than the plain module with Debian's
// reference BLAS). Scripts are TorchScript source compiled into a CompilationUnit.
//
// Every entry point catches every C++ exception and turns it into an "ERR ..." message: nothing thrown here
// may cross into the C module.
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/api/include/torch/cuda.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/jit.h>
#include <torch/library.h>
#include <torch/script.h>
#include <torch/version.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <pthread.h>
#include <vector>

#include "../backend.h"
#include "../shim_util.hpp"

namespace {

lb_host g_host;

// backend.h's lb_dtype, indexed by code; UINT16 has no libtorch type, nor has STRING.
const struct {
    int code;
    c10::ScalarType type;
    bool supported;
} kTypes[] = {
    {LB_DTYPE_FLOAT, c10::ScalarType::Float, true}, {LB_DTYPE_DOUBLE, c10::ScalarType::Double, true},
    {LB_DTYPE_INT8, c10::ScalarType::Char, true},   {LB_DTYPE_INT16, c10::ScalarType::Short, true},
    {LB_DTYPE_INT32, c10::ScalarType::Int, true},   {LB_DTYPE_INT64, c10::ScalarType::Long, true},
    {LB_DTYPE_UINT8, c10::ScalarType::Byte, true},  {LB_DTYPE_UINT16, c10::ScalarType::Short, false},
    {LB_DTYPE_BOOL, c10::ScalarType::Bool, true},   {LB_DTYPE_STRING, c10::ScalarType::Byte, false},
};

// MODEL_EXECUTION_TIMEOUT. libtorch has no way to cancel a run, and exceptions thrown by RecordFunction
// observers are caught and logged by libtorch itself; a dispatcher fallback is the one place a run can be
// stopped between operations. While a deadline is set, the calling thread includes the dispatch key
// TESTING_ONLY_GenericMode (a mode key no kernel of libtorch's uses), whose boxed fallback checks the clock
// and throws once the deadline has passed, else redispatches below itself. Every tensor operation passes
// through it; TorchScript's own integer and control-flow instructions do not (a loop of those cannot be
// stopped, and its worker is reported wedged by the queue).
constexpr c10::DispatchKey kDeadlineKey = c10::DispatchKey::TESTING_ONLY_GenericMode;
thread_local long long t_deadline_ms = 0; // CLOCK_MONOTONIC ms (lb_shim::monotonic_ms); 0: none
thread_local bool t_deadline_hit = false;

void deadline_fallback(const c10::OperatorHandle &op, c10::DispatchKeySet ks, torch::jit::Stack *stack) {
    if (lb_shim::past_deadline(t_deadline_ms)) {
        t_deadline_hit = true;
        throw std::runtime_error("MODEL_EXECUTION_TIMEOUT");
    }
    op.redispatchBoxed(ks.remove(kDeadlineKey), stack);
}

void set_err(lb_err *err, const std::string &msg) {
    if (t_deadline_hit) { // whatever libtorch wrapped the stop in, the reason is the deadline
        t_deadline_hit = false;
        lb_shim::set_timeout(err);
        return;
    }
    // As RedisAI's set_err: the whole message on one line, trailing spaces kept (unlike lb_shim::set_err).
    lb_err_set(err, LB_ERR_FAILED, "ERR %s", lb_shim::one_line(msg).c_str());
}

// What a libtorch call threw, for set_err: a c10::Error without the C++ backtrace libtorch appends to what().
std::string reason(const std::exception &e) {
    const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
    return c10_error ? c10_error->what_without_backtrace() : e.what();
}

bool parse_device(const char *device, c10::Device *out, lb_err *err) {
    if (strncmp(device, "CPU", 3) == 0) {
        *out = c10::Device(c10::kCPU);
        return true;
    }
    if (strncmp(device, "GPU", 3) == 0) {
        if (!torch::cuda::is_available()) {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR device %s requested but this Torch backend has no CUDA support (CPU-only "
                       "libtorch) or no GPU is visible",
                       device);
            return false;
        }
        int idx = device[3] == ':' ? atoi(device + 4) : 0, count = (int)torch::cuda::device_count();
        if (idx < 0 || idx >= count) {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR device %s requested but only %d GPU%s visible (GPU:0 .. GPU:%d)", device, count,
                       count == 1 ? " is" : "s are", count - 1);
            return false;
        }
        *out = c10::Device(c10::kCUDA, (c10::DeviceIndex)idx);
        return true;
    }
    lb_err_set(err, LB_ERR_FAILED, "ERR Invalid DEVICE");
    return false;
}

// libtorch's intra-op pool size is per thread for OpenMP builds: set it on each worker thread once.
void ensure_threads() {
    lb_shim::set_threads_once(g_host, at::set_num_threads);
}

// Whether libtorch has a type for the lb_dtype code.
bool has_type(int code) {
    return code >= 0 && code < (int)(sizeof kTypes / sizeof kTypes[0]) && kTypes[code].supported;
}

// The lb_dtype code of a libtorch type, or -1.
int code_of(c10::ScalarType type) {
    int code = -1;
    for (const auto &k : kTypes)
        if (k.supported && k.type == type)
            code = k.code;
    return code;
}

at::Tensor to_torch(const lb_tensor &t, const c10::Device &dev) {
    if (!has_type(t.dtype))
        throw std::runtime_error("tensor type not supported by the Torch backend");
    std::vector<int64_t> shape(t.shape, t.shape + t.ndims);
    auto opts = torch::TensorOptions().dtype(kTypes[t.dtype].type);
    at::Tensor x = torch::from_blob(t.data, shape, opts);
    /* never the stored bytes themselves: a model or script that changes an input in place (add_) would change
     * the key and every COPY of it in memory, while AOF replay and replicas keep the old value */
    return dev.is_cpu() ? x.clone() : x.to(dev);
}

void from_torch(const at::Tensor &src, lb_tensor *out) {
    at::Tensor t = src.is_mkldnn() ? src.to_dense() : src;
    t = t.to(c10::kCPU).contiguous();
    int code = code_of(t.scalar_type());
    if (code < 0)
        throw std::runtime_error(std::string("output type ") + c10::toString(t.scalar_type()) +
                                 " has no tensor type");
    if (t.dim() > LB_MAX_DIMS)
        throw std::runtime_error("output has too many dimensions");
    out->dtype = code;
    out->ndims = (int)t.dim();
    for (int i = 0; i < out->ndims; i++)
        out->shape[i] = t.size(i);
    out->nbytes = t.numel() * t.element_size();
    out->data = lb_shim::alloc_data(g_host, out->nbytes);
    if (out->nbytes > 0)
        memcpy(out->data, t.data_ptr(), out->nbytes);
}

// Flatten a result (tensor, tuple or list of tensors) into out[0..nout); frees partial outputs on error.
void collect_outputs(const c10::IValue &res, lb_tensor *out, int nout) {
    std::vector<at::Tensor> ts;
    if (res.isNone() && nout == 0) // a script that only calls Redis (redis.execute) and returns nothing
        return;
    if (res.isTensor()) {
        ts.push_back(res.toTensor());
    } else if (res.isTuple()) {
        for (const auto &e : res.toTupleRef().elements()) {
            if (!e.isTensor())
                throw std::runtime_error("result holds something other than tensors");
            ts.push_back(e.toTensor());
        }
    } else if (res.isTensorList()) {
        for (const at::Tensor &e : res.toTensorVector())
            ts.push_back(e);
    } else {
        throw std::runtime_error("result is not a tensor, a tuple or a list of tensors");
    }
    if ((int)ts.size() != nout) {
        std::ostringstream m;
        m << "the result has " << ts.size() << " tensors but " << nout << " outputs were given";
        throw std::runtime_error(m.str());
    }
    int done = 0;
    try {
        for (; done < nout; done++)
            from_torch(ts[done], &out[done]);
    } catch (...) {
        lb_shim::free_outputs(g_host, out, done);
        throw;
    }
}

// RedisAI's TorchScript extensions (its commands.md): in a script, `redis.execute(cmd, args...)` runs a
// Redis command and gives its reply (None, str, int, or a list of those), `redis.asList(v)` makes a reply a
// list, and `redisAI.model_execute(key, inputs, n)` runs a stored model. They are operators in the `redis`
// and `redisAI` namespaces, which the script compiler resolves as it resolves `torch` (ScriptResolver).
// They call back into the module through g_host on the worker thread that runs the script.

// A message from the host without its "ERR " (set_err adds one to whatever a run throws).
std::string host_message(const char *err) {
    return strncmp(err, "ERR ", 4) == 0 ? std::string(err + 4) : std::string(err);
}

c10::IValue to_ivalue(const lb_value &v) {
    switch (v.kind) {
    case LB_VALUE_STRING:
        return c10::IValue(std::string(v.str, v.len));
    case LB_VALUE_INTEGER:
        return c10::IValue((int64_t)v.integer);
    case LB_VALUE_ARRAY: {
        c10::impl::GenericList list(c10::AnyType::get());
        list.reserve(v.nelements);
        for (size_t i = 0; i < v.nelements; i++)
            list.push_back(to_ivalue(v.elements[i]));
        return c10::IValue(list);
    }
    case LB_VALUE_ERROR:
        throw std::runtime_error("Redis command returned an error: " + std::string(v.str, v.len));
    default:
        return c10::IValue();
    }
}

c10::IValue redis_execute(std::string command, std::vector<std::string> args) {
    if (g_host.redis_call == nullptr)
        throw std::runtime_error("redis.execute is available only in locus_ai");
    std::vector<const char *> argv{command.c_str()};
    std::vector<size_t> lens{command.size()};
    for (const std::string &a : args) {
        argv.push_back(a.c_str());
        lens.push_back(a.size());
    }
    lb_value *reply = nullptr;
    lb_err err;
    if (g_host.redis_call(argv.data(), lens.data(), (int)argv.size(), &reply, &err) != 0)
        throw std::runtime_error(host_message(err.msg));
    std::unique_ptr<lb_value, void (*)(lb_value *)> hold(reply, g_host.value_free);
    return to_ivalue(*reply);
}

c10::impl::GenericList redis_as_list(c10::IValue v) {
    if (!v.isList())
        throw std::runtime_error("redis.asList: the value is not a list (a Redis array reply)");
    return v.toList();
}

std::vector<at::Tensor> redisai_model_execute(std::string key, std::vector<at::Tensor> inputs,
                                              int64_t num_outputs) {
    if (g_host.model_execute == nullptr)
        throw std::runtime_error("redisAI.model_execute is available only in locus_ai");
    if (num_outputs < 0 || num_outputs > 1024)
        throw std::runtime_error("redisAI.model_execute: invalid number of outputs");
    std::vector<at::Tensor> dense; // CPU, contiguous: what lb_tensor describes
    std::vector<lb_tensor> in(inputs.size());
    for (size_t i = 0; i < inputs.size(); i++) {
        at::Tensor t = inputs[i].to(c10::kCPU).contiguous();
        if (t.dim() > LB_MAX_DIMS)
            throw std::runtime_error("redisAI.model_execute: an input has too many dimensions");
        int code = code_of(t.scalar_type());
        if (code < 0)
            throw std::runtime_error(std::string("redisAI.model_execute: input type ") +
                                     c10::toString(t.scalar_type()) + " has no tensor type");
        in[i].dtype = code;
        in[i].ndims = (int)t.dim();
        for (int d = 0; d < in[i].ndims; d++)
            in[i].shape[d] = t.size(d);
        in[i].data = t.data_ptr();
        in[i].nbytes = t.numel() * t.element_size();
        dense.push_back(t);
    }
    std::vector<lb_tensor> out((size_t)num_outputs + 1);
    lb_err err;
    if (g_host.model_execute(key.data(), key.size(), in.data(), (int)in.size(), out.data(), (int)num_outputs,
                             &err) != 0)
        throw std::runtime_error(err.msg); // with its "ERR ", as RedisAI reports it (clients match on it)
    std::vector<at::Tensor> res;
    for (int64_t i = 0; i < num_outputs; i++) {
        const lb_tensor &o = out[(size_t)i];
        if (!has_type(o.dtype)) {
            for (int64_t j = i; j < num_outputs; j++)
                g_host.free(out[(size_t)j].data);
            throw std::runtime_error("redisAI.model_execute: the model gave a type Torch does not have");
        }
        std::vector<int64_t> shape(o.shape, o.shape + o.ndims);
        void (*release)(void *) = g_host.free;
        res.push_back(torch::from_blob(o.data, shape, [release](void *p) { release(p); },
                                       torch::TensorOptions().dtype(kTypes[o.dtype].type)));
    }
    return res;
}

// Names a script may use besides its own: torch (aten), and RedisAI's two extension namespaces.
struct ScriptResolver : public torch::jit::Resolver {
    std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string &name, torch::jit::GraphFunction &fn,
                                                           const torch::jit::SourceRange &loc) override {
        if (name == "torch")
            return std::make_shared<torch::jit::BuiltinModule>("aten");
        if (name == "redis" || name == "redisAI")
            return std::make_shared<torch::jit::BuiltinModule>(name);
        return nullptr;
    }
    c10::TypePtr resolveType(const std::string &name, const torch::jit::SourceRange &loc) override {
        return nullptr;
    }
};

struct TorchModel {
    torch::jit::Module module;
    c10::Device device{c10::kCPU};
};

struct TorchScript {
    std::shared_ptr<torch::jit::CompilationUnit> cu;
    c10::Device device{c10::kCPU};
};

int count_outputs(const c10::FunctionSchema &schema) {
    if (schema.returns().size() != 1)
        return (int)schema.returns().size();
    const auto &t = schema.returns()[0].type();
    if (t->kind() == c10::TypeKind::TupleType)
        return (int)t->containedTypes().size();
    if (t->kind() == c10::TypeKind::TensorType)
        return 1;
    return -1;
}

// Loading and compiling run on a short-lived thread with a large stack: the TorchScript parser and compiler
// and the unpickler recurse once per nesting level of what they read, and Redis's main thread has 8 MiB at
// most (a script of 10,000 nested parentheses overflowed it). The stack is reserved, not committed. When no
// such thread can be started, fn runs on the caller's.
constexpr size_t kLoaderStack = size_t(256) << 20;

template <class F> static void on_loader_thread(F &fn) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        fn();
        return;
    }
    pthread_attr_setstacksize(&attr, kLoaderStack);
    pthread_t t;
    int rc = pthread_create(
        &t, &attr, [](void *p) -> void * {
            (*static_cast<F *>(p))();
            return nullptr;
        },
        &fn);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        fn();
    else
        pthread_join(t, nullptr);
}

extern "C" {

static int tb_init(const lb_host *host, lb_err *err) {
    g_host = *host;
    try {
        if (host->inter_op_threads > 0)
            at::set_num_interop_threads(host->inter_op_threads);
        if (host->intra_op_threads > 0)
            at::set_num_threads(host->intra_op_threads);
    } catch (const std::exception &e) {
        set_err(err, reason(e));
        return 1;
    }
    return 0;
}

static void *model_load(const char *device, const void *blob, size_t len, int *ninputs, int *noutputs,
                        lb_err *err) {
    ensure_threads();
    c10::Device dev(c10::kCPU);
    if (!parse_device(device, &dev, err))
        return nullptr;
    try {
        std::string bytes((const char *)blob, len);
        std::istringstream in(bytes);
        auto m = std::make_unique<TorchModel>();
        m->device = dev;
        torch::jit::Module mod = torch::jit::load(in, dev);
        mod.eval();
        if (dev.is_cpu()) {
            // freeze + oneDNN; a module that cannot be frozen (e.g. one without a forward) runs as loaded.
            try {
                mod = torch::jit::optimize_for_inference(mod);
            } catch (const std::exception &) {
            }
        }
        m->module = mod;
        auto method = m->module.find_method("forward");
        if (!method) {
            lb_err_set(err, LB_ERR_FAILED, "ERR the model has no forward method");
            return nullptr;
        }
        const auto &schema = method->function().getSchema();
        *ninputs = (int)schema.arguments().size() - 1; // self
        *noutputs = count_outputs(schema);
        return m.release();
    } catch (const std::exception &e) {
        set_err(err, reason(e));
    }
    return nullptr;
}

// Loading (freezing and optimize_for_inference run OpenMP regions) happens on a short-lived thread of its
// own. Run on the caller's thread (Redis's main thread), it would leave an OpenMP team behind that never
// works again but still counts: libgomp then sees more threads than CPUs and switches every team to
// throttled spinning, so the workers that run models sleep and wake between parallel regions (ResNet-50 at
// batch 1 with 2 threads: 59 ms instead of 48 ms). When the loading thread ends, its team goes with it.
static void *tb_model_load(const char *device, const void *blob, size_t len, const lb_names *names,
                           int *ninputs, int *noutputs, lb_err *err) {
    void *model = nullptr;
    auto load = [&] { model = model_load(device, blob, len, ninputs, noutputs, err); };
    on_loader_thread(load);
    return model;
}

static void tb_model_free(void *model) {
    delete static_cast<TorchModel *>(model);
}

static int tb_model_run(void *model, const lb_tensor *in, int nin, lb_tensor *out, int nout, lb_err *err) {
    ensure_threads();
    auto *m = static_cast<TorchModel *>(model);
    try {
        torch::NoGradGuard no_grad;
        c10::InferenceMode guard;
        std::vector<c10::IValue> inputs;
        inputs.reserve(nin);
        for (int i = 0; i < nin; i++)
            inputs.emplace_back(to_torch(in[i], m->device));
        c10::IValue res = m->module.forward(inputs);
        collect_outputs(res, out, nout);
        return 0;
    } catch (const std::exception &e) {
        set_err(err, reason(e));
    }
    return 1;
}

static void *tb_script_compile(const char *device, const char *source, lb_err *err) {
    c10::Device dev(c10::kCPU);
    if (!parse_device(device, &dev, err))
        return nullptr;
    TorchScript *out = nullptr;
    auto compile = [&] {
        try {
            auto s = std::make_unique<TorchScript>();
            s->device = dev;
            s->cu = std::make_shared<torch::jit::CompilationUnit>();
            // The lexer needs a line break to close the last block; redis-cli "$(cat f.py)" strips it.
            std::string text(source);
            if (text.empty() || text.back() != '\n')
                text.push_back('\n');
            s->cu->define(c10::nullopt, text, std::make_shared<ScriptResolver>(), nullptr);
            out = s.release();
        } catch (const std::exception &e) {
            set_err(err, reason(e));
        }
    };
    on_loader_thread(compile);
    return out;
}

static void tb_script_free(void *script) {
    delete static_cast<TorchScript *>(script);
}

bool is_entry_signature(const c10::FunctionSchema &schema) {
    const auto &a = schema.arguments();
    if (a.size() != 3)
        return false;
    auto list_of = [](const c10::TypePtr &t, c10::TypeKind k) {
        return t->kind() == c10::TypeKind::ListType && t->containedTypes()[0]->kind() == k;
    };
    return list_of(a[0].type(), c10::TypeKind::TensorType) && list_of(a[1].type(), c10::TypeKind::StringType) &&
           list_of(a[2].type(), c10::TypeKind::StringType);
}

static int tb_script_check_function(void *script, const char *fn, int entry_point, lb_err *err) {
    auto *s = static_cast<TorchScript *>(script);
    try {
        if (!s->cu->find_function(fn)) {
            lb_err_set(err, LB_ERR_FAILED, "ERR Function %s does not exist in the given script.", fn);
            return 1;
        }
        if (!entry_point)
            return 0;
        const auto &schema = s->cu->get_function(fn).getSchema();
        if (schema.arguments().size() != 3) {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR Wrong number of inputs in function %s. Expected 3 but was %zu", fn,
                       schema.arguments().size());
            return 1;
        }
        if (!is_entry_signature(schema)) {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR Wrong inputs type in function %s. Expected signature similar to: def %s(tensors: "
                       "List[Tensor], keys: List[str], args: List[str])",
                       fn, fn);
            return 1;
        }
        return 0;
    } catch (const std::exception &e) {
        set_err(err, reason(e));
        return 1;
    }
}

static int tb_script_run(void *script, const char *fn, const lb_tensor *in, int nin, int variadic_from,
                         const char *const *keys, int nkeys, const char *const *args, int nargs,
                         lb_tensor *out, int nout, lb_err *err) {
    ensure_threads();
    auto *s = static_cast<TorchScript *>(script);
    try {
        torch::NoGradGuard no_grad;
        auto *f = s->cu->find_function(fn);
        if (!f) {
            lb_err_set(err, LB_ERR_FAILED, "ERR Function %s does not exist in the given script.", fn);
            return 1;
        }
        std::vector<c10::IValue> stack;
        if (is_entry_signature(f->getSchema())) {
            std::vector<at::Tensor> ts;
            for (int i = 0; i < nin; i++)
                ts.push_back(to_torch(in[i], s->device));
            c10::List<std::string> k, a;
            for (int i = 0; i < nkeys; i++)
                k.push_back(keys[i]);
            for (int i = 0; i < nargs; i++)
                a.push_back(args[i]);
            stack.emplace_back(ts);
            stack.emplace_back(k);
            stack.emplace_back(a);
        } else {
            int fixed = variadic_from >= 0 ? variadic_from : nin;
            for (int i = 0; i < fixed; i++)
                stack.emplace_back(to_torch(in[i], s->device));
            if (variadic_from >= 0) {
                std::vector<at::Tensor> ts;
                for (int i = variadic_from; i < nin; i++)
                    ts.push_back(to_torch(in[i], s->device));
                stack.emplace_back(ts);
            }
        }
        c10::IValue res = (*f)(stack);
        collect_outputs(res, out, nout);
        return 0;
    } catch (const std::exception &e) {
        set_err(err, reason(e));
    }
    return 1;
}

} // extern "C"

} // namespace

TORCH_LIBRARY_IMPL(_, TESTING_ONLY_GenericMode, m) {
    m.fallback(torch::CppFunction::makeFromBoxedFunction<&deadline_fallback>());
}

TORCH_LIBRARY(redis, m) {
    m.def("execute", &redis_execute);
    m.def("asList", &redis_as_list);
}

TORCH_LIBRARY(redisAI, m) {
    m.def("model_execute", &redisai_model_execute);
}

// The name of forward's argument i (self excluded), as RedisAI's MODELGET META lists a Torch model's inputs.
static int tb_model_input_name(void *model, int i, char *buf, size_t len) {
    try {
        auto *m = static_cast<TorchModel *>(model);
        const auto &args = m->module.get_method("forward").function().getSchema().arguments();
        if (i < 0 || (size_t)i + 1 >= args.size())
            return -1;
        snprintf(buf, len, "%s", args[(size_t)i + 1].name().c_str());
        return 0;
    } catch (...) {
        return -1;
    }
}

static void tb_set_deadline(long long deadline_ms) {
    t_deadline_ms = deadline_ms;
    t_deadline_hit = false;
    c10::impl::tls_set_dispatch_key_included(kDeadlineKey, deadline_ms > 0);
}

extern "C" __attribute__((visibility("default"))) const lb_ops locus_backend_ops = {
    LB_API_VERSION,     "TORCH",        TORCH_VERSION, tb_init,
    tb_model_load,      tb_model_free,  tb_model_run,  tb_script_compile,
    tb_script_free,     tb_script_check_function,      tb_script_run, tb_set_deadline,
    tb_model_input_name, nullptr,
};
