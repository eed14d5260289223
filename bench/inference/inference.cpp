// bench/inference: ResNet-50 at batch 1 on CPU through locus_ai against the same forward pass done
// in-process with libtorch, with the same thread count.
//
//   database:   AI.TENSORSET (put) + AI.MODELEXECUTE + AI.TENSORGET BLOB (unpack) over a Unix socket to a
//               redis-server with locus_ai.so loaded (THREADS_PER_QUEUE 1, INTRA_OP_PARALLELISM T)
//   in-process: torch::jit::load + eval + optimize_for_inference, forward() on the same input
//
// Blocks of iterations alternate between the two (OpenMP threads spin a while after work, so the two are
// never interleaved one by one); medians and p99 are reported with their ratio (target <= 1.05).
// Then throughput with C concurrent clients (own connection each) against the model stored with
// BATCHSIZE C and without batching. Uses hiredis directly (liblocus has no model calls yet).
//
// With --device GPU (a CUDA build of the Torch backend and of this program), the model is stored with DEVICE
// GPU and the in-process side moves the input to the GPU and the output back, as the backend does.
//
// With --backend ONNX (built where OpenCV DNN is, beside locus_onnx.so): the ONNX export of ResNet-50
// (bench_resnet50.onnx, tests/models/gen_onnx_tf.py) stored as ONNX, against the same file imported
// in-process with OpenCV DNN as the backend imports it (graph_info's rewrite of the exporter's Identity
// nodes, the OpenCV backend and CPU target, cv::setNumThreads(T)); the ratio is locus_ai over that. A third
// side, the same weights as TorchScript (bench_resnet50.pt) frozen in-process with libtorch, gives the
// ONNX/Torch time ratio. No throughput part: the export has a fixed batch of 1. --torch-side 0 leaves the
// libtorch side out.
//
// Allocator: Debian's redis-server runs on jemalloc, and OpenCV DNN allocates its layer blobs on every
// forward pass; with glibc's malloc the same in-process forward was 1.3-1.5x slower here (42 against 56-65
// ms, 2 threads), which made the database look faster than the reference. So this program is linked with
// jemalloc too where it is installed (LOCUS_BENCH_JEMALLOC), and says which allocator its side used.
//
// usage: inference [--backend TORCH|ONNX] [--iters N] [--threads T] [--clients C] [--device CPU|GPU]
//                  [--model resnet50.pt|.onnx] [--module locus_ai.so] [--csv out.csv]
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/cuda.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#ifdef LOCUS_BENCH_ONNX
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

#include "graph_info.h"
#endif

#undef CHECK // glog's; the test fixture defines its own
extern "C" {
#include "server.h"
}

using clk = std::chrono::steady_clock;

static double ms_since(clk::time_point t0) {
    return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

static double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    size_t i = std::min(v.size() - 1, (size_t)(p * (v.size() - 1) + 0.5));
    return v[i];
}

static std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        fprintf(stderr, "cannot read %s (build the locus_test_resnet50 target)\n", path.c_str());
        exit(1);
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static redisReply *cmd_argv(redisContext *c, std::vector<std::pair<const char *, size_t>> args) {
    std::vector<const char *> a;
    std::vector<size_t> l;
    for (auto &p : args) {
        a.push_back(p.first);
        l.push_back(p.second);
    }
    redisReply *r = (redisReply *)redisCommandArgv(c, (int)a.size(), a.data(), l.data());
    if (r == NULL) {
        fprintf(stderr, "connection lost: %s\n", c->errstr);
        exit(1);
    }
    return r;
}

static std::pair<const char *, size_t> S(const char *s) {
    return {s, strlen(s)};
}

// put + run + unpack one image; out must hold 1000 floats
static void db_infer(redisContext *c, const char *model, const char *in, const char *out, const float *img,
                     float *res) {
    redisReply *r = cmd_argv(c, {S("AI.TENSORSET"),
                                 S(in),
                                 S("FLOAT"),
                                 S("1"),
                                 S("3"),
                                 S("224"),
                                 S("224"),
                                 S("BLOB"),
                                 {(const char *)img, 3 * 224 * 224 * 4}});
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "TENSORSET: %s\n", r->str);
        exit(1);
    }
    freeReplyObject(r);
    r = cmd_argv(c,
                 {S("AI.MODELEXECUTE"), S(model), S("INPUTS"), S("1"), S(in), S("OUTPUTS"), S("1"), S(out)});
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "MODELEXECUTE: %s\n", r->str);
        exit(1);
    }
    freeReplyObject(r);
    r = cmd_argv(c, {S("AI.TENSORGET"), S(out), S("BLOB")});
    if (r->type != REDIS_REPLY_STRING || r->len != 4000) {
        fprintf(stderr, "TENSORGET: unexpected reply\n");
        exit(1);
    }
    memcpy(res, r->str, 4000);
    freeReplyObject(r);
}

#ifdef LOCUS_BENCH_ONNX
// The ONNX file imported as locus_onnx.so imports it: the exporter's Identity-of-a-constant nodes dropped
// (OpenCV 4.6 cannot import them), OpenCV's own backend on the CPU. Names: the graph's one input and output.
static cv::dnn::Net ocv_import(const std::string &blob, std::string *in, std::string *out) {
    locus_ocv::OnnxGraph g;
    std::string bytes;
    if (locus_ocv::onnx_parse(blob.data(), blob.size(), &g) != locus_ocv::OnnxParse::ok ||
        g.inputs.size() != 1 || g.outputs.size() != 1 ||
        locus_ocv::onnx_drop_constant_identities(blob.data(), blob.size(), g, &bytes) < 0) {
        fprintf(stderr, "the ONNX file is not a model with one input and one output\n");
        exit(1);
    }
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    *in = g.inputs[0];
    *out = g.outputs[0];
    return net;
}

// --backend ONNX: locus_ai's ONNX backend against OpenCV DNN in-process (the reference of the ratio) and
// libtorch in-process on the same weights (the ONNX/Torch ratio). Blocks of each side in turn.
static int onnx_bench(const std::string &module, const std::string &onnx_path, int iters, int threads,
                      const std::string &csv, bool with_torch) {
    const std::string pt_path = std::string(LOCUS_TEST_MODELS) + "/bench_resnet50.pt";
    std::string onnx = slurp(onnx_path), pt = with_torch ? slurp(pt_path) : std::string();
    std::vector<float> img(3 * 224 * 224);
    for (size_t i = 0; i < img.size(); i++)
        img[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;

    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    cv::setNumThreads(threads);
    std::string in_name, out_name;
    cv::dnn::Net net = ocv_import(onnx, &in_name, &out_name);
    const int nchw[4] = {1, 3, 224, 224};
    cv::Mat x(4, nchw, CV_32F, img.data());
    std::vector<float> ref(1000), got(1000), tref(1000);
    auto ocv = [&]() {
        net.setInput(x, in_name);
        cv::Mat y = net.forward(out_name);
        if (y.total() != 1000 || y.type() != CV_32F) {
            fprintf(stderr, "OpenCV: the output is not 1000 floats\n");
            exit(1);
        }
        memcpy(ref.data(), y.ptr<float>(), 4000);
    };
    torch::jit::Module mod;
    if (with_torch) {
        at::set_num_threads(threads);
        std::istringstream is(pt);
        mod = torch::jit::load(is);
        mod.eval();
        mod = torch::jit::optimize_for_inference(mod);
    }
    at::Tensor tx = torch::from_blob(img.data(), {1, 3, 224, 224});
    auto torch_inproc = [&]() {
        if (!with_torch)
            return;
        torch::NoGradGuard ng;
        c10::InferenceMode im;
        at::Tensor y = mod.forward({tx}).toTensor().contiguous();
        memcpy(tref.data(), y.data_ptr(), 4000);
    };

    char margs[200];
    snprintf(margs, sizeof margs, "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM %d INTER_OP_PARALLELISM 1",
             threads);
    lt_server s;
    lt_server_opts o = {};
    o.module = module.c_str();
    o.module_args = margs;
    o.no_valgrind = true;
    o.unix_socket = true;
    if (lt_server_start(&s, &o) != 0)
        return 1;
    redisContext *c = lt_connect_unix(&s);
    redisReply *r = cmd_argv(
        c, {S("AI.MODELSTORE"), S("resnet"), S("ONNX"), S("CPU"), S("BLOB"), {onnx.data(), onnx.size()}});
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "MODELSTORE: %s\n", r->str);
        return 1;
    }
    freeReplyObject(r);
    for (int i = 0; i < 3; i++) {
        ocv();
        torch_inproc();
        db_infer(c, "resnet", "img", "out", img.data(), got.data());
    }
    float diff_db = 0, diff_torch = 0;
    for (int i = 0; i < 1000; i++) {
        diff_db = std::max(diff_db, std::fabs(ref[i] - got[i]));
        diff_torch = std::max(diff_torch, std::fabs(ref[i] - tref[i]));
    }
    std::vector<double> t_ocv, t_db, t_torch;
    const int block = 5;
    for (int done = 0; done < iters; done += block) {
        int n = std::min(block, iters - done);
        for (int side = 0; side < (with_torch ? 3 : 2); side++) {
            usleep(300000); // the previous side's worker threads stop spinning
            for (int i = 0; i < n; i++) {
                auto t0 = clk::now();
                if (side == 0)
                    ocv();
                else if (side == 1)
                    db_infer(c, "resnet", "img", "out", img.data(), got.data());
                else
                    torch_inproc();
                (side == 0 ? t_ocv : side == 1 ? t_db : t_torch).push_back(ms_since(t0));
            }
        }
    }
    if (!with_torch)
        t_torch.push_back(NAN);
    double m_ocv = pct(t_ocv, 0.5), m_db = pct(t_db, 0.5), m_torch = pct(t_torch, 0.5);
    printf("resnet50 (ONNX export, random weights) batch 1 on CPU, %d threads, %d iterations\n", threads,
           iters);
#ifdef LOCUS_BENCH_JEMALLOC
    printf("  (in-process allocator: jemalloc, as redis-server's)\n");
#else
    printf("  (in-process allocator: glibc malloc; redis-server's is jemalloc: the ratio is flattered, see "
           "the source)\n");
#endif
    printf("  (max |db - in-process OpenCV| = %.2g, max |OpenCV - libtorch| = %.2g)\n", diff_db, diff_torch);
    printf("  in-process OpenCV DNN    p50 %8.2f ms  p99 %8.2f ms\n", m_ocv, pct(t_ocv, 0.99));
    printf("  locus_ai put+run+unpack  p50 %8.2f ms  p99 %8.2f ms  (backend ONNX)\n", m_db, pct(t_db, 0.99));
    printf("  in-process libtorch      p50 %8.2f ms  p99 %8.2f ms  (same weights, frozen)\n", m_torch,
           pct(t_torch, 0.99));
    printf("  ratio (p50) %.3f  (target <= 1.05)\n", m_db / m_ocv);
    printf("  ONNX/Torch time ratio (p50, in-process) %.2f; locus_ai ONNX over in-process libtorch %.2f\n",
           m_ocv / m_torch, m_db / m_torch);
    if (!csv.empty()) {
        FILE *f = fopen(csv.c_str(), "w");
        if (f) {
            fprintf(f, "backend,threads,iters,inproc_p50_ms,db_p50_ms,ratio,torch_p50_ms,onnx_over_torch\n");
            fprintf(f, "ONNX,%d,%d,%.3f,%.3f,%.4f,%.3f,%.4f\n", threads, iters, m_ocv, m_db, m_db / m_ocv,
                    m_torch, m_ocv / m_torch);
            fclose(f);
        }
    }
    redisFree(c);
    lt_server_stop(&s, false);
    return 0;
}
#endif

int main(int argc, char **argv) {
    int iters = 30, threads = 2, clients = 4, with_torch = 1;
    std::string model_path = std::string(LOCUS_TEST_MODELS) + "/resnet50.pt", csv, device = "CPU";
    std::string module = LOCUS_DEFAULT_MODULE, backend = "TORCH";
    bool model_given = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--iters")
            iters = atoi(argv[i + 1]);
        else if (k == "--threads")
            threads = atoi(argv[i + 1]);
        else if (k == "--clients")
            clients = atoi(argv[i + 1]);
        else if (k == "--model") {
            model_path = argv[i + 1];
            model_given = true;
        } else if (k == "--backend")
            backend = argv[i + 1];
        else if (k == "--torch-side")
            with_torch = atoi(argv[i + 1]);
        else if (k == "--csv")
            csv = argv[i + 1];
        else if (k == "--device")
            device = argv[i + 1];
        else if (k == "--module")
            module = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (device != "CPU" && device != "GPU") {
        fprintf(stderr, "--device must be CPU or GPU, not %s\n", device.c_str());
        return 2;
    }
    if (backend == "ONNX") {
#ifdef LOCUS_BENCH_ONNX
        if (device != "CPU") {
            fprintf(stderr, "--backend ONNX runs on CPU only (OpenCV DNN)\n");
            return 2;
        }
        return onnx_bench(module,
                          model_given ? model_path : std::string(LOCUS_TEST_MODELS) + "/bench_resnet50.onnx",
                          iters, threads, csv, with_torch != 0);
#else
        fprintf(stderr, "--backend ONNX: this build has no ONNX backend (libopencv-dnn-dev was not found)\n");
        return 2;
#endif
    }
    if (backend != "TORCH") {
        fprintf(stderr, "--backend must be TORCH or ONNX, not %s\n", backend.c_str());
        return 2;
    }
    const bool gpu = device == "GPU";
    if (gpu && !torch::cuda::is_available()) {
        fprintf(stderr, "--device GPU: this libtorch has no CUDA support or no GPU is visible\n");
        return 2;
    }
    const c10::Device dev = gpu ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    std::string blob = slurp(model_path);
    std::vector<float> img(3 * 224 * 224);
    for (size_t i = 0; i < img.size(); i++)
        img[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;

    // in-process reference
    at::set_num_threads(threads);
    std::istringstream is(blob);
    torch::jit::Module mod = torch::jit::load(is, dev);
    mod.eval();
    if (!gpu) // as the backend does: frozen and optimized on CPU only
        mod = torch::jit::optimize_for_inference(mod);
    at::Tensor x = torch::from_blob(img.data(), {1, 3, 224, 224});
    std::vector<float> ref(1000), got(1000);
    auto inproc = [&]() {
        torch::NoGradGuard ng;
        c10::InferenceMode im;
        at::Tensor y = mod.forward({gpu ? x.to(dev) : x}).toTensor().to(c10::kCPU).contiguous();
        memcpy(ref.data(), y.data_ptr(), 4000);
    };

    // the database, over a Unix socket
    char margs[200];
    snprintf(margs, sizeof margs, "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM %d INTER_OP_PARALLELISM 1",
             threads);
    lt_server s;
    lt_server_opts o = {};
    o.module = module.c_str();
    o.module_args = margs;
    o.no_valgrind = true;
    o.unix_socket = true;
    if (lt_server_start(&s, &o) != 0)
        return 1;
    redisContext *c = lt_connect_unix(&s);
    redisReply *r = cmd_argv(c, {S("AI.MODELSTORE"),
                                 S("resnet"),
                                 S("TORCH"),
                                 S(device.c_str()),
                                 S("BLOB"),
                                 {blob.data(), blob.size()}});
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "MODELSTORE: %s\n", r->str);
        return 1;
    }
    freeReplyObject(r);

    for (int i = 0; i < 3; i++) {
        inproc();
        db_infer(c, "resnet", "img", "out", img.data(), got.data());
    }
    float maxdiff = 0;
    for (int i = 0; i < 1000; i++)
        maxdiff = std::max(maxdiff, std::fabs(ref[i] - got[i]));

    std::vector<double> t_in, t_db;
    const int block = 5;
    for (int done = 0; done < iters; done += block) {
        int n = std::min(block, iters - done);
        usleep(300000);
        for (int i = 0; i < n; i++) {
            auto t0 = clk::now();
            inproc();
            t_in.push_back(ms_since(t0));
        }
        usleep(300000); /* let the other side's OpenMP threads stop spinning */
        for (int i = 0; i < n; i++) {
            auto t0 = clk::now();
            db_infer(c, "resnet", "img", "out", img.data(), got.data());
            t_db.push_back(ms_since(t0));
        }
    }
    double m_in = pct(t_in, 0.5), m_db = pct(t_db, 0.5);
    printf("resnet50 batch 1 on %s, %d threads, %d iterations (max |db - in-process| = %.2g)\n",
           device.c_str(), threads, iters, maxdiff);
    printf("  in-process libtorch      p50 %8.2f ms  p99 %8.2f ms\n", m_in, pct(t_in, 0.99));
    printf("  locus_ai put+run+unpack  p50 %8.2f ms  p99 %8.2f ms\n", m_db, pct(t_db, 0.99));
    printf("  ratio (p50) %.3f  (target <= 1.05)\n", m_db / m_in);

    // throughput: C clients, batching vs none
    double tput[2];
    for (int batching = 0; batching < 2; batching++) {
        const char *name = batching ? "resnet_b" : "resnet";
        if (batching) {
            std::string bs = std::to_string(clients);
            r = cmd_argv(c, {S("AI.MODELSTORE"),
                             S(name),
                             S("TORCH"),
                             S(device.c_str()),
                             S("BATCHSIZE"),
                             S(bs.c_str()),
                             S("BLOB"),
                             {blob.data(), blob.size()}});
            freeReplyObject(r);
        }
        int per = std::max(4, iters / 2);
        std::vector<std::thread> th;
        auto t0 = clk::now();
        for (int k = 0; k < clients; k++)
            th.emplace_back([&, k]() {
                redisContext *cc = lt_connect_unix(&s);
                std::vector<float> res(1000);
                std::string in = "img" + std::to_string(k), out = "out" + std::to_string(k);
                for (int i = 0; i < per + 1; i++)
                    db_infer(cc, name, in.c_str(), out.c_str(), img.data(), res.data());
                redisFree(cc);
            });
        for (auto &t : th)
            t.join();
        tput[batching] = clients * (per + 1) / (ms_since(t0) / 1000.0);
        r = cmd_argv(c, {S("AI.INFO"), S(name)});
        long long calls = r->type == REDIS_REPLY_ARRAY && r->elements == 18 ? r->element[15]->integer : -1;
        long long samples = r->type == REDIS_REPLY_ARRAY && r->elements == 18 ? r->element[13]->integer : -1;
        freeReplyObject(r);
        std::string label = batching ? "BATCHSIZE " + std::to_string(clients) + ":" : "no batching:";
        printf("  %d clients, %-13s %7.2f images/s  (AI.INFO: %lld samples in %lld executions)\n", clients,
               label.c_str(), tput[batching], samples, calls);
    }
    printf("  batching speed-up %.2fx\n", tput[1] / tput[0]);
    if (!csv.empty()) {
        FILE *f = fopen(csv.c_str(), "w");
        if (f) {
            fprintf(f, "threads,iters,inproc_p50_ms,db_p50_ms,ratio,clients,tput_nobatch,tput_batch\n");
            fprintf(f, "%d,%d,%.3f,%.3f,%.4f,%d,%.3f,%.3f\n", threads, iters, m_in, m_db, m_db / m_in,
                    clients, tput[0], tput[1]);
            fclose(f);
        }
    }
    redisFree(c);
    lt_server_stop(&s, false);
    return 0;
}
