// The TFLITE backend of locus_ai: a small C++ shim over Debian's Arm NN 20.08 (libarmnn, its TfLiteParser,
// and the portable CpuRef backend, a dynamic backend in libarmnn-cpuref-backend22). It exports one lb_ops
// table (backends/backend.h) named TFLITE, built as locus_tflite.so.
//
// Store: the blob is read and checked by tflite_graph (bounds, indices, options tables, constants, and the
// operators Arm NN has) before Arm NN's parser sees it, because that parser crashes on some malformed files
// it accepts. Then parse, optimise for CpuRef, load into the one Arm NN runtime of the process.
//
// Shapes: a TFLite file fixes its input shapes, batch included (RedisAI's TFLite backend resizes the inputs;
// Arm NN 20.08 cannot). Inputs whose dim 0 is k times the model's, all other dims equal, are run as k
// consecutive passes of the model over slices of dim 0, and each output is the k results stacked along its
// dim 0. That is what a batch of k (the module's BATCHSIZE, or a client's own rows) means for a model whose
// samples are independent along dim 0, which is the premise of batching.
//
// Threads: a loaded Arm NN network keeps its input and output bindings per network, so one network serves one
// run at a time; each model keeps a pool of loaded networks, parsed again from the stored bytes when more
// runs than networks are in flight. CpuRef is single-threaded: INTRA_OP_PARALLELISM has no effect here.
//
// Arm NN cannot stop a pass. MODEL_EXECUTION_TIMEOUT is honoured at the run's edges and between the passes
// of a batch: a run past its deadline stops there and fails with the timeout message.
//
// Every entry point catches every C++ exception and turns it into an "ERR ..." message.
#include <armnn/ArmNN.hpp>
#include <armnn/BackendRegistry.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "../backend.h"
#include "../shim_util.hpp"
#include "tflite_graph.h"

#ifndef LOCUS_ARMNN_RELEASE
#define LOCUS_ARMNN_RELEASE ARMNN_VERSION
#endif

namespace {

using lb_shim::past_deadline;
using lb_shim::set_err;

#define ARMNN_BACKEND_VERSION "Arm NN " LOCUS_ARMNN_RELEASE " (CpuRef)"
const char *const kWho = "the TFLITE backend (Arm NN " LOCUS_ARMNN_RELEASE ", CpuRef)";

lb_host g_host;
armnn::IRuntime *g_runtime = nullptr; // one for the process, made at init, never destroyed (models use it)

thread_local long long t_deadline_ms = 0; // CLOCK_MONOTONIC ms (lb_shim::monotonic_ms); 0: none

// The tensor type that carries each Arm NN data type's elements; FLOAT16 and BFLOAT16 have none.
const struct {
    armnn::DataType type;
    int code;
} kTypes[] = {
    {armnn::DataType::Float32, LB_DTYPE_FLOAT},  {armnn::DataType::Signed32, LB_DTYPE_INT32},
    {armnn::DataType::QAsymmU8, LB_DTYPE_UINT8}, {armnn::DataType::QAsymmS8, LB_DTYPE_INT8},
    {armnn::DataType::QSymmS8, LB_DTYPE_INT8},   {armnn::DataType::QSymmS16, LB_DTYPE_INT16},
    {armnn::DataType::Boolean, LB_DTYPE_BOOL},
};

// An Arm NN data type's tensor type (kTypes), or -1.
int lb_type_of(armnn::DataType t) {
    for (const auto &k : kTypes)
        if (k.type == t)
            return k.code;
    return -1;
}

std::string shape_text(const int64_t *d, int n) {
    std::string s = "[";
    for (int i = 0; i < n; i++)
        s += (i ? "," : "") + std::to_string(d[i]);
    return s + "]";
}

std::string shape_text(const armnn::TensorShape &s) {
    int64_t d[armnn::MaxNumOfTensorDimensions];
    unsigned n = s.GetNumDimensions();
    for (unsigned i = 0; i < n; i++)
        d[i] = s[i];
    return shape_text(d, (int)n);
}

// One loaded copy of a model's network.
struct Net {
    armnn::NetworkId id = 0;
    std::vector<armnn::BindingPointInfo> in, out;
};

struct TfliteModel {
    std::vector<uint8_t> bytes;               // as stored: every Net is parsed from them
    std::vector<std::string> inputs, outputs; // the graph's tensor names, in its order
    std::vector<armnn::TensorInfo> in_info, out_info;
    std::mutex lock;         // guards idle and all
    std::vector<Net *> idle; // loaded, not running now
    std::vector<std::unique_ptr<Net>> all;

    ~TfliteModel() {
        for (auto &n : all)
            g_runtime->UnloadNetwork(n->id);
    }
};

// Parse, optimise for CpuRef and load one network from m's bytes. Throws on failure, with the reason.
std::unique_ptr<Net> load_net(const TfliteModel &m) {
    armnnTfLiteParser::ITfLiteParserPtr parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr network = parser->CreateNetworkFromBinary(m.bytes);
    auto net = std::make_unique<Net>();
    for (const std::string &name : m.inputs)
        net->in.push_back(parser->GetNetworkInputBindingInfo(0, name));
    for (const std::string &name : m.outputs)
        net->out.push_back(parser->GetNetworkOutputBindingInfo(0, name));
    std::vector<std::string> messages;
    armnn::IOptimizedNetworkPtr opt =
        armnn::Optimize(*network, {armnn::Compute::CpuRef}, g_runtime->GetDeviceSpec(),
                        armnn::OptimizerOptions(), armnn::Optional<std::vector<std::string> &>(messages));
    if (!opt) { // Arm NN's LoadNetwork would dereference it
        std::string why;
        for (const std::string &msg : messages)
            why += (why.empty() ? "" : "; ") + msg;
        throw std::runtime_error("Arm NN could not place the model on CpuRef: " +
                                 (why.empty() ? "no reason given" : why));
    }
    std::string why;
    if (g_runtime->LoadNetwork(net->id, std::move(opt), why) != armnn::Status::Success)
        throw std::runtime_error("Arm NN could not load the model: " + why);
    return net;
}

Net *acquire(TfliteModel *m) {
    {
        std::lock_guard<std::mutex> g(m->lock);
        if (!m->idle.empty()) {
            Net *n = m->idle.back();
            m->idle.pop_back();
            return n;
        }
    }
    std::unique_ptr<Net> fresh = load_net(*m);
    Net *n = fresh.get();
    std::lock_guard<std::mutex> g(m->lock);
    m->all.push_back(std::move(fresh));
    return n;
}

void release(TfliteModel *m, Net *n) {
    std::lock_guard<std::mutex> g(m->lock);
    m->idle.push_back(n);
}

// How many passes the inputs make (their dim 0 over the model's), or -1 with a message.
long long passes_for(const TfliteModel &m, const lb_tensor *in, int nin, std::string *why) {
    long long k = -1;
    for (int i = 0; i < nin; i++) {
        const lb_tensor &t = in[i];
        const armnn::TensorInfo &info = m.in_info[(size_t)i];
        const armnn::TensorShape &s = info.GetShape();
        int want = lb_type_of(info.GetDataType());
        std::string who = "input " + std::to_string(i) + " ('" + m.inputs[(size_t)i] + "')";
        if (t.dtype != want) {
            *why = who + " is " + lb_shim::type_name(t.dtype) + " but the model takes " +
                   lb_shim::type_name(want);
            return -1;
        }
        unsigned rank = s.GetNumDimensions();
        bool same_rest = t.ndims == (int)rank && rank >= 1;
        for (unsigned d = 1; same_rest && d < rank; d++)
            same_rest = t.shape[d] == (int64_t)s[d];
        long long ki =
            same_rest && s[0] > 0 && t.shape[0] > 0 && t.shape[0] % s[0] == 0 ? t.shape[0] / s[0] : -1;
        if (rank == 0 && t.ndims == 0)
            ki = 1;
        if (ki < 0 || (k >= 0 && ki != k)) {
            *why = who + " has shape " + shape_text(t.shape, t.ndims) + " but the model takes " +
                   shape_text(s) +
                   (rank >= 1 ? " (dim 0 may be a multiple of " + std::to_string(s[0]) +
                                    ", the same for every input, to run that many batches)"
                              : "");
            return -1;
        }
        k = ki;
    }
    return k < 0 ? 1 : k;
}

// Pass `pass` of a batch: t[0..n)'s slices of dim 0 the size the model takes, each bound to its layer (Bound:
// armnn::ConstTensor for inputs, armnn::Tensor for outputs).
template <class Bound>
std::vector<std::pair<armnn::LayerBindingId, Bound>>
bind_slices(const std::vector<armnn::BindingPointInfo> &bindings, const lb_tensor *t, int n, long long pass) {
    std::vector<std::pair<armnn::LayerBindingId, Bound>> bound;
    for (int i = 0; i < n; i++) {
        const armnn::BindingPointInfo &b = bindings[(size_t)i];
        char *base = (char *)t[i].data + b.second.GetNumBytes() * (size_t)pass;
        bound.emplace_back(b.first, Bound(b.second, base));
    }
    return bound;
}

// The k passes of a run over slices of dim 0 (passes_for), into outputs already allocated. "" or the reason.
std::string run_passes(Net *net, long long k, const lb_tensor *in, int nin, lb_tensor *out, int nout) {
    for (long long pass = 0; pass < k; pass++) {
        if (pass > 0 && past_deadline(t_deadline_ms))
            return lb_shim::kTimeoutText;
        armnn::InputTensors inputs = bind_slices<armnn::ConstTensor>(net->in, in, nin, pass);
        armnn::OutputTensors outputs = bind_slices<armnn::Tensor>(net->out, out, nout, pass);
        if (g_runtime->EnqueueWorkload(net->id, inputs, outputs) != armnn::Status::Success)
            throw std::runtime_error("Arm NN failed to run the model");
    }
    return past_deadline(t_deadline_ms) ? lb_shim::kTimeoutText : "";
}

// The tensor infos of a network's bindings. One whose Arm NN type has no tensor type sets *why, naming it
// (what: "input" or "output"; names: the graph's names, in the bindings' order).
std::vector<armnn::TensorInfo> infos_of(const std::vector<armnn::BindingPointInfo> &bindings,
                                        const std::vector<std::string> &names, const char *what,
                                        std::string *why) {
    std::vector<armnn::TensorInfo> infos;
    for (size_t i = 0; i < bindings.size(); i++) {
        infos.push_back(bindings[i].second);
        if (lb_type_of(bindings[i].second.GetDataType()) < 0)
            *why = std::string(what) + " '" + names[i] +
                   "' has an Arm NN type with no tensor type (FLOAT16 or BFLOAT16)";
    }
    return infos;
}

extern "C" {

static int ab_init(const lb_host *host, lb_err *err) {
    g_host = *host;
    try {
        armnn::ConfigureLogging(false, false, armnn::LogSeverity::Fatal); // its errors reach the reply
        if (g_runtime == nullptr)
            g_runtime = armnn::IRuntime::CreateRaw(armnn::IRuntime::CreationOptions());
        armnn::BackendIdSet have = armnn::BackendRegistryInstance().GetBackendIds();
        if (have.find(armnn::BackendId("CpuRef")) == have.end()) {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR %s found no CpuRef backend in Arm NN (it is a dynamic backend: install "
                       "libarmnn-cpuref-backend22); backends registered: %s",
                       kWho, armnn::BackendRegistryInstance().GetBackendIdsAsString().c_str());
            armnn::IRuntime::Destroy(g_runtime);
            g_runtime = nullptr;
            return 1;
        }
    } catch (const std::exception &e) {
        set_err(err, std::string("Arm NN did not start: ") + e.what());
        return 1;
    }
    return 0;
}

// names (AI.MODELSET's; AI.MODELSTORE refuses INPUTS for TFLITE, as RedisAI) play no part: the graph names
// its inputs and outputs.
static void *ab_model_load(const char *device, const void *blob, size_t len, const lb_names *names,
                           int *ninputs, int *noutputs, lb_err *err) {
    (void)names;
    if (!lb_shim::check_cpu_device(device, kWho, err))
        return nullptr;
    try {
        locus_tfl::Model graph;
        std::string why = locus_tfl::parse(blob, len, &graph);
        if (!why.empty()) {
            set_err(err, "Failed to load model from buffer: the blob is not a TensorFlow Lite model (" + why +
                             ")");
            return nullptr;
        }
        why = locus_tfl::check_for_armnn(graph, blob, len);
        const std::string unsupported = "is not supported";
        if (why.size() > unsupported.size() &&
            why.compare(why.size() - unsupported.size(), unsupported.size(), unsupported) == 0) {
            set_err(err, why + " by " + kWho);
            return nullptr;
        }
        if (!why.empty()) {
            set_err(err, "Failed to load model from buffer: " + why + " (" + kWho + ")");
            return nullptr;
        }
        auto m = std::make_unique<TfliteModel>();
        m->bytes.assign((const uint8_t *)blob, (const uint8_t *)blob + len);
        const locus_tfl::Subgraph &g = graph.subgraphs[0];
        for (int32_t i : g.inputs)
            m->inputs.push_back(g.tensors[(size_t)i].name);
        for (int32_t i : g.outputs)
            m->outputs.push_back(g.tensors[(size_t)i].name);
        std::unique_ptr<Net> net;
        try {
            net = load_net(*m);
        } catch (const std::exception &e) {
            set_err(err, std::string("Failed to load model from buffer: ") + e.what());
            return nullptr;
        }
        m->in_info = infos_of(net->in, m->inputs, "input", &why);
        m->out_info = infos_of(net->out, m->outputs, "output", &why);
        Net *first = net.get();
        m->all.push_back(std::move(net));
        if (!why.empty()) {
            set_err(err, why + " (" + kWho + ")");
            return nullptr; // m unloads its network
        }
        m->idle.push_back(first);
        *ninputs = (int)m->inputs.size();
        *noutputs = (int)m->outputs.size();
        return m.release();
    } catch (const std::exception &e) {
        set_err(err, std::string("Failed to load model from buffer: ") + e.what());
    }
    return nullptr;
}

static void ab_model_free(void *model) {
    try {
        delete static_cast<TfliteModel *>(model);
    } catch (...) {
        // Arm NN failing to unload a network leaves it loaded; nothing else can be done here
    }
}

static int ab_model_run(void *model, const lb_tensor *in, int nin, lb_tensor *out, int nout, lb_err *err) {
    auto *m = static_cast<TfliteModel *>(model);
    if (!lb_shim::check_counts(m->inputs.size(), m->outputs.size(), nin, nout, err))
        return 1;
    if (past_deadline(t_deadline_ms)) {
        lb_shim::set_timeout(err);
        return 1;
    }
    int made = 0;
    std::string why;
    try {
        long long k = passes_for(*m, in, nin, &why);
        for (int o = 0; o < nout && k > 0; o++) {
            const armnn::TensorInfo &info = m->out_info[(size_t)o];
            const armnn::TensorShape &s = info.GetShape();
            if (k > 1 && s.GetNumDimensions() == 0) {
                why = "output '" + m->outputs[(size_t)o] +
                      "' is a scalar, so inputs must have the model's shapes";
                break;
            }
            lb_tensor &t = out[o];
            t.dtype = lb_type_of(info.GetDataType());
            t.ndims = (int)s.GetNumDimensions();
            for (int d = 0; d < t.ndims; d++)
                t.shape[d] = s[(unsigned)d];
            if (t.ndims > 0)
                t.shape[0] *= k;
            t.nbytes = (size_t)info.GetNumBytes() * (size_t)k;
            t.data = lb_shim::alloc_data(g_host, t.nbytes);
            made++;
        }
        if (why.empty()) {
            Net *net = acquire(m);
            // a pass that throws keeps its network out of the pool
            why = run_passes(net, k, in, nin, out, nout);
            release(m, net);
        }
    } catch (const std::exception &e) {
        why = e.what();
    }
    if (why.empty())
        return 0;
    if (why == lb_shim::kTimeoutText)
        lb_shim::set_timeout(err); /* LB_ERR_TIMEOUT: the module counts the stop */
    else
        set_err(err, why);
    lb_shim::free_outputs(g_host, out, made);
    return 1;
}

static void ab_set_deadline(long long deadline_ms) {
    t_deadline_ms = deadline_ms;
}

static int ab_model_input_name(void *model, int i, char *buf, size_t len) {
    return lb_shim::name_at(static_cast<TfliteModel *>(model)->inputs, i, buf, len);
}

static int ab_model_output_name(void *model, int i, char *buf, size_t len) {
    return lb_shim::name_at(static_cast<TfliteModel *>(model)->outputs, i, buf, len);
}

} // extern "C"

} // namespace

extern "C" __attribute__((visibility("default"))) const lb_ops locus_backend_ops = {
    LB_API_VERSION,
    "TFLITE",
    ARMNN_BACKEND_VERSION,
    ab_init,
    ab_model_load,
    ab_model_free,
    ab_model_run,
    nullptr, // no scripts
    nullptr,
    nullptr,
    nullptr,
    ab_set_deadline,
    ab_model_input_name,
    ab_model_output_name,
};
