// The ONNX and TF backends of locus_ai: a small C++ shim over OpenCV DNN (Debian's libopencv-dnn-dev 4.6),
// which imports ONNX models and TensorFlow frozen GraphDefs and runs them on CPU. One source, built twice:
// locus_onnx.so with LOCUS_OCV_FORMAT_ONNX and locus_tf.so with LOCUS_OCV_FORMAT_TF. Each exports one lb_ops
// table (backends/backend.h) whose name is the backend it serves, because the loader keeps one file per
// backend name (RedisAI's `ONNX path` / `TF path` load options and AI.CONFIG LOADBACKEND name one file each).
//
// Before OpenCV sees a file, graph_info reads it: the ONNX graph's input and output names (MODELGET META
// and the run's feed/fetch lists), operators outside the standard domain (ONNX-ML's tree ensembles: refused
// by name), and the Identity-of-a-constant nodes torch.onnx.export writes, which OpenCV 4.6 cannot import
// and which are dropped here so users store the file their exporter wrote. It also refuses, with a message,
// the malformed files OpenCV 4.6 does not check itself: a tensor whose data is shorter than its dims (OpenCV
// reads past it) and a node input that nothing gives (OpenCV can follow a null pointer). For TF, the INPUTS
// and OUTPUTS names given at store time are checked against the GraphDef's nodes, as RedisAI's TF backend
// does, and names that are not UTF-8 are refused before OpenCV's libprotobuf logs them.
//
// Layout: OpenCV runs TF graphs in NCHW whatever the graph says. A TF graph whose layout ops say NHWC (TF's
// default) is fed and answered in NHWC as TF would be: 4-D inputs are transposed to NCHW on the way in,
// 4-D outputs back.
//
// A cv::dnn::Net keeps its intermediate blobs inside, so one Net serves one run at a time: each model keeps
// a pool of Nets, imported from the same bytes when more runs than Nets are in flight.
//
// OpenCV cannot stop a forward pass. MODEL_EXECUTION_TIMEOUT is honoured at the run's edges: a run that
// starts after its deadline is not started, and one that ends after it has its outputs dropped and fails
// with the timeout message; the worker is busy meanwhile (the queue reports it wedged past the bound + 1 s).
// ONNX answers with RedisAI's text, which is ONNX Runtime's message for a run stopped by its terminate flag
// (RedisAI replies it as it is, with no "ERR"); TF, which RedisAI never bounds, with the module's own text.
//
// Every entry point catches every C++ exception and turns it into an "ERR ..." message.
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/core/version.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../backend.h"
#include "../shim_util.hpp"
#include "graph_info.h"

#if defined(LOCUS_OCV_FORMAT_ONNX)
#define OCV_BACKEND_NAME "ONNX"
#elif defined(LOCUS_OCV_FORMAT_TF)
#define OCV_BACKEND_NAME "TF"
#else
#error "build with LOCUS_OCV_FORMAT_ONNX or LOCUS_OCV_FORMAT_TF"
#endif

namespace {

using namespace locus_ocv;
using lb_shim::past_deadline;
using lb_shim::set_err;

constexpr bool kOnnx = OCV_BACKEND_NAME[0] == 'O';
const char *const kWho =
    kOnnx ? "the ONNX backend (OpenCV DNN " CV_VERSION ")" : "the TF backend (OpenCV DNN " CV_VERSION ")";

lb_host g_host;

thread_local long long t_deadline_ms = 0; // CLOCK_MONOTONIC ms (lb_shim::monotonic_ms); 0: none

// A run stopped at its deadline: ONNX with RedisAI's text, TF with backend.h's (see the top of the file).
void set_timeout(lb_err *err) {
    if (kOnnx)
        lb_err_set(err, LB_ERR_TIMEOUT, "Exiting due to terminate flag being set to true.");
    else
        lb_shim::set_timeout(err);
}

// OpenCV's import errors name the failing node as "Node [Op@domain]"; say which operator it is.
std::string import_error(const cv::Exception &e) {
    std::string what = e.what();
    size_t at = what.find("Node [");
    if (at != std::string::npos) {
        size_t start = at + 6, end = what.find_first_of("@]", start);
        std::string op = what.substr(start, end == std::string::npos ? std::string::npos : end - start);
        bool unknown = what.find("Can't create layer") != std::string::npos;
        return std::string("ONNX operator ") + op +
               (unknown ? " is not supported by " : " could not be imported by ") + kWho + ": " + what;
    }
    return std::string(kOnnx ? "ONNX" : "TF") + " model could not be imported by OpenCV DNN: " + what;
}

struct OcvModel {
    std::string bytes;                        // what OpenCV imports (ONNX: after the rewrite)
    std::vector<std::string> inputs, outputs; // feed and fetch names, in the module's order
    std::vector<std::string> fetch;           // OpenCV layer names for outputs (TF: fused nodes' layers)
    bool nhwc = false;                        // TF: feed and answer 4-D tensors as NHWC
    std::mutex lock;                          // guards idle
    std::vector<std::unique_ptr<cv::dnn::Net>> idle; // Nets not running now
};

std::unique_ptr<cv::dnn::Net> import(const std::string &bytes) {
    auto net =
        std::make_unique<cv::dnn::Net>(kOnnx ? cv::dnn::readNetFromONNX(bytes.data(), bytes.size())
                                             : cv::dnn::readNetFromTensorflow(bytes.data(), bytes.size()));
    net->setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net->setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

// names (AI.MODELSET's, which RedisAI ignores for ONNX) play no part: the graph names its inputs and outputs.
bool load_onnx(OcvModel *m, const void *blob, size_t len, lb_err *err) {
    OnnxGraph g;
    switch (onnx_parse(blob, len, &g)) {
    case OnnxParse::not_protobuf:
        lb_err_set(err, LB_ERR_FAILED, "ERR the blob is not an ONNX model (not a protobuf ModelProto)");
        return false;
    case OnnxParse::no_graph:
        lb_err_set(err, LB_ERR_FAILED, "ERR No graph was found in the protobuf.");
        return false;
    case OnnxParse::invalid:
        lb_err_set(err, LB_ERR_FAILED, "ERR %s", g.problem.c_str());
        return false;
    case OnnxParse::ok:
        break;
    }
    for (const OnnxNode &n : g.nodes)
        if (!n.domain.empty() && n.domain != "ai.onnx") {
            lb_err_set(err, LB_ERR_FAILED,
                       "ERR ONNX operator %s (domain %s, node '%s') is not supported by %s", n.op.c_str(),
                       n.domain.c_str(), n.name.c_str(), kWho);
            return false;
        }
    if (g.inputs.empty() || g.outputs.empty()) {
        lb_err_set(err, LB_ERR_FAILED, "ERR the ONNX graph has %s",
                   g.inputs.empty() ? "no inputs" : "no outputs");
        return false;
    }
    if (onnx_drop_constant_identities(blob, len, g, &m->bytes) < 0) {
        lb_err_set(err, LB_ERR_FAILED, "ERR the blob is not an ONNX model (not a protobuf ModelProto)");
        return false;
    }
    m->inputs = g.inputs;
    m->outputs = g.outputs;
    m->fetch = g.outputs; // OpenCV names a node's layer after its first output
    return true;
}

std::string base_name(const std::string &input) { // "^ctrl" and "node:1" -> the node
    std::string s = input[0] == '^' ? input.substr(1) : input;
    size_t colon = s.rfind(':');
    return colon != std::string::npos ? s.substr(0, colon) : s;
}

// names[0..n) are all nodes of the graph (have), else false with err set (what: "Input" or "Output").
bool check_nodes(const std::set<std::string> &have, const char *const *names, int n, const char *what,
                 lb_err *err) {
    for (int i = 0; i < n; i++)
        if (!have.count(names[i])) {
            lb_err_set(err, LB_ERR_FAILED, "ERR %s node named \"%s\" not found in TF graph", what, names[i]);
            return false;
        }
    return true;
}

bool load_tf(OcvModel *m, const void *blob, size_t len, const lb_names *names, lb_err *err) {
    // RedisAI requires both lists for TF (the parser refuses AI.MODELSTORE without them; RDB records and
    // AI.MODELSET reach here)
    if (names->ninputs == 0 || names->noutputs == 0) {
        lb_err_set(err, LB_ERR_FAILED,
                   "ERR Insufficient arguments, INPUTS and OUTPUTS not specified for TF model");
        return false;
    }
    std::vector<TfNode> nodes;
    if (!tf_parse(blob, len, &nodes)) {
        lb_err_set(err, LB_ERR_FAILED, "ERR Invalid GraphDef");
        return false;
    }
    std::set<std::string> have;
    for (const TfNode &n : nodes) {
        have.insert(n.name);
        if (n.data_format == "NHWC")
            m->nhwc = true;
        else if (n.data_format.empty() &&
                 (n.op == "Conv2D" || n.op == "MaxPool" || n.op == "AvgPool" || n.op == "BiasAdd" ||
                  n.op == "FusedBatchNorm" || n.op == "FusedBatchNormV3" || n.op == "DepthwiseConv2dNative"))
            m->nhwc = true; // TF's default layout
    }
    if (!check_nodes(have, names->inputs, names->ninputs, "Input", err) ||
        !check_nodes(have, names->outputs, names->noutputs, "Output", err))
        return false;
    m->bytes.assign((const char *)blob, len);
    m->inputs.assign(names->inputs, names->inputs + names->ninputs);
    m->outputs.assign(names->outputs, names->outputs + names->noutputs);
    return true;
}

// TF: OpenCV fuses some nodes into the layer of their first input (a bias Add into its MatMul or Conv2D, an
// Identity away), so a requested node may have no layer of its own: fetch the layer it was fused into.
void resolve_fetch(OcvModel *m, const cv::dnn::Net &net, const void *blob, size_t len) {
    std::vector<cv::String> layers = net.getLayerNames();
    std::set<std::string> have(layers.begin(), layers.end());
    std::vector<TfNode> nodes;
    tf_parse(blob, len, &nodes);
    for (const std::string &out : m->outputs) {
        std::string cur = out;
        for (int step = 0; step < 64 && !have.count(cur); step++) {
            auto it =
                std::find_if(nodes.begin(), nodes.end(), [&](const TfNode &n) { return n.name == cur; });
            if (it == nodes.end() || it->inputs.empty())
                break;
            cur = base_name(it->inputs[0]);
        }
        m->fetch.push_back(have.count(cur) ? cur : out);
    }
}

void permute4(const float *src, float *dst, const int *s, bool to_nchw) {
    // s: the source shape; NHWC -> NCHW when to_nchw, else NCHW -> NHWC
    int n = s[0], a = s[1], b = s[2], c = s[3];
    for (int i = 0; i < n; i++)
        for (int x = 0; x < a; x++)
            for (int y = 0; y < b; y++)
                for (int z = 0; z < c; z++) {
                    size_t from = (((size_t)i * a + x) * b + y) * c + z;
                    size_t to =
                        to_nchw ? (((size_t)i * c + z) * a + x) * b + y  // [n][h=x][w=y][c=z] -> [n][c][h][w]
                                : (((size_t)i * b + y) * c + z) * a + x; // [n][c=x][h=y][w=z] -> [n][h][w][c]
                    dst[to] = src[from];
                }
}

cv::Mat to_mat(const lb_tensor &t, bool nhwc, int i) {
    if (t.dtype != LB_DTYPE_FLOAT) {
        throw std::runtime_error(std::string(kWho) + " takes FLOAT tensors only; input " + std::to_string(i) +
                                 " is " + lb_shim::type_name(t.dtype));
    }
    if (t.ndims < 1)
        throw std::runtime_error("input " + std::to_string(i) + " has no dimensions");
    std::vector<int> sz;
    for (int d = 0; d < t.ndims; d++) {
        if (t.shape[d] > INT32_MAX)
            throw std::runtime_error("input " + std::to_string(i) + " is too large for OpenCV");
        sz.push_back((int)t.shape[d]);
    }
    if (nhwc && t.ndims == 4) {
        int nchw[4] = {sz[0], sz[3], sz[1], sz[2]};
        cv::Mat m(4, nchw, CV_32F);
        permute4((const float *)t.data, (float *)m.data, sz.data(), true);
        return m;
    }
    // a copy: never the stored bytes themselves (OpenCV may work in place on its input blobs)
    return cv::Mat((int)sz.size(), sz.data(), CV_32F, t.data).clone();
}

void from_mat(const cv::Mat &src, bool nhwc, lb_tensor *out) {
    cv::Mat m = src.isContinuous() ? src : src.clone();
    static const struct {
        int depth, code;
    } kDepths[] = {{CV_32F, LB_DTYPE_FLOAT}, {CV_64F, LB_DTYPE_DOUBLE}, {CV_8S, LB_DTYPE_INT8},
                   {CV_16S, LB_DTYPE_INT16}, {CV_32S, LB_DTYPE_INT32},  {CV_8U, LB_DTYPE_UINT8},
                   {CV_16U, LB_DTYPE_UINT16}};
    int code = -1;
    for (const auto &d : kDepths)
        if (d.depth == m.depth())
            code = d.code;
    if (code < 0 || m.channels() != 1)
        throw std::runtime_error("an output has an OpenCV type with no tensor type");
    if (m.dims > LB_MAX_DIMS)
        throw std::runtime_error("an output has too many dimensions");
    out->dtype = code;
    out->ndims = m.dims;
    for (int d = 0; d < m.dims; d++)
        out->shape[d] = m.size[d];
    out->nbytes = m.total() * m.elemSize();
    out->data = lb_shim::alloc_data(g_host, out->nbytes);
    if (nhwc && m.dims == 4 && code == LB_DTYPE_FLOAT) {
        int s[4] = {m.size[0], m.size[1], m.size[2], m.size[3]};
        permute4((const float *)m.data, (float *)out->data, s, false);
        int64_t nhwc_shape[4] = {s[0], s[2], s[3], s[1]};
        memcpy(out->shape, nhwc_shape, sizeof nhwc_shape);
    } else if (out->nbytes > 0) {
        memcpy(out->data, m.data, out->nbytes);
    }
}

// OpenCV's thread pool (TBB here) is process-wide: set once at init, and on each worker thread once in case
// the build's pool is per thread (OpenMP).
void ensure_threads() {
    lb_shim::set_threads_once(g_host, cv::setNumThreads);
}

extern "C" {

static int ob_init(const lb_host *host, lb_err *err) {
    g_host = *host;
    try {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); // its errors reach the reply
        if (host->intra_op_threads > 0)
            cv::setNumThreads(host->intra_op_threads);
    } catch (const std::exception &e) {
        set_err(err, e.what());
        return 1;
    }
    return 0;
}

static void *ob_model_load(const char *device, const void *blob, size_t len, const lb_names *names,
                           int *ninputs, int *noutputs, lb_err *err) {
    if (!lb_shim::check_cpu_device(device, kWho, err))
        return nullptr;
    try {
        ensure_threads();
        auto m = std::make_unique<OcvModel>();
        if (!(kOnnx ? load_onnx(m.get(), blob, len, err) : load_tf(m.get(), blob, len, names, err)))
            return nullptr;
        std::unique_ptr<cv::dnn::Net> net;
        try {
            net = import(m->bytes);
        } catch (const cv::Exception &e) {
            set_err(err, import_error(e));
            return nullptr;
        }
        if (net->empty()) {
            set_err(err, std::string("OpenCV DNN imported an empty network from the ") + OCV_BACKEND_NAME +
                             " blob");
            return nullptr;
        }
        if (!kOnnx)
            resolve_fetch(m.get(), *net, blob, len);
        m->idle.push_back(std::move(net));
        *ninputs = (int)m->inputs.size();
        *noutputs = (int)m->outputs.size();
        return m.release();
    } catch (const std::exception &e) { // cv::Exception is one
        set_err(err, e.what());
    }
    return nullptr;
}

static void ob_model_free(void *model) {
    delete static_cast<OcvModel *>(model);
}

static int ob_model_run(void *model, const lb_tensor *in, int nin, lb_tensor *out, int nout, lb_err *err) {
    auto *m = static_cast<OcvModel *>(model);
    if (!lb_shim::check_counts(m->inputs.size(), m->outputs.size(), nin, nout, err))
        return 1;
    if (past_deadline(t_deadline_ms)) {
        set_timeout(err);
        return 1;
    }
    std::unique_ptr<cv::dnn::Net> net;
    int done = 0;
    try {
        ensure_threads();
        {
            std::lock_guard<std::mutex> g(m->lock);
            if (!m->idle.empty()) {
                net = std::move(m->idle.back());
                m->idle.pop_back();
            }
        }
        if (!net)
            net = import(m->bytes);
        for (int i = 0; i < nin; i++)
            net->setInput(to_mat(in[i], m->nhwc, i), m->inputs[i]);
        std::vector<cv::Mat> res;
        std::vector<cv::String> fetch(m->fetch.begin(), m->fetch.end());
        net->forward(res, fetch);
        if ((int)res.size() != nout)
            throw std::runtime_error("OpenCV gave " + std::to_string(res.size()) + " outputs for " +
                                     std::to_string(nout));
        const bool late = past_deadline(t_deadline_ms);
        if (late)
            set_timeout(err);
        else
            for (; done < nout; done++)
                from_mat(res[done], m->nhwc, &out[done]);
        {
            std::lock_guard<std::mutex> g(m->lock); // a late pass leaves its Net sound: kept for the next run
            m->idle.push_back(std::move(net));
        }
        if (!late)
            return 0;
        return 1;
    } catch (const std::exception &e) { // cv::Exception is one
        set_err(err, e.what());
    }
    lb_shim::free_outputs(g_host, out, done);
    return 1; // a Net whose run failed is dropped (a later run imports a fresh one) rather than trusted
}

static void ob_set_deadline(long long deadline_ms) {
    t_deadline_ms = deadline_ms;
}

static int ob_model_input_name(void *model, int i, char *buf, size_t len) {
    return lb_shim::name_at(static_cast<OcvModel *>(model)->inputs, i, buf, len);
}

static int ob_model_output_name(void *model, int i, char *buf, size_t len) {
    return lb_shim::name_at(static_cast<OcvModel *>(model)->outputs, i, buf, len);
}

} // extern "C"

} // namespace

extern "C" __attribute__((visibility("default"))) const lb_ops locus_backend_ops = {
    LB_API_VERSION,
    OCV_BACKEND_NAME,
    "OpenCV DNN " CV_VERSION,
    ob_init,
    ob_model_load,
    ob_model_free,
    ob_model_run,
    nullptr, // no scripts
    nullptr,
    nullptr,
    nullptr,
    ob_set_deadline,
    ob_model_input_name,
    ob_model_output_name,
};
