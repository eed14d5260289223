// bench/inference_suite: the inference tests' iteration through Locus against the same work in-process.
//
//   database:   liblocus put_tensor (the 224x224x3 image), run_script (pre_process_3ch), run_model (ResNet-50),
//               unpack_tensor ([1,1000]) over the Unix socket of a redis-server with locus_ai.so
//               (THREADS_PER_QUEUE 1, INTRA_OP_PARALLELISM T), as one rank of inference_colocated does
//   in-process: the same script function and the same model with libtorch in this process (T threads),
//               from the image in memory to the 1000 scores in memory
//
// Blocks of iterations alternate between the two (OpenMP threads spin a while after work, so the two are never
// interleaved one by one); p50 and p99 of each and their ratio (target on CPU: <= 1.10 at p50). The outputs
// of the two must agree within 1e-4.
//
// usage: inference_suite [--iters N] [--threads T] [--device CPU|GPU] [--models DIR] [--module locus_ai.so]
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/cuda.h>
#include <torch/jit.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#undef CHECK // glog's; the test fixture defines its own
extern "C" {
#include "locus/locus.h"
#include "server.h"
}

using clk = std::chrono::steady_clock;

static double ms_since(clk::time_point t0) {
    return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

static double pct(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    double pos = p * (double)(v.size() - 1);
    size_t lo = (size_t)pos, hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

static std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        fprintf(stderr, "cannot read %s (build the project: the model is traced at build time)\n", path.c_str());
        exit(1);
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static void ok(locus_status s, const char *what) {
    if (s != LOCUS_OK) {
        fprintf(stderr, "%s: %s\n", what, locus_last_error());
        exit(1);
    }
}

int main(int argc, char **argv) {
    int iters = 40, threads = 1;
    std::string models = LOCUS_BENCH_MODELS, module = LOCUS_DEFAULT_MODULE, device = "CPU";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--iters") iters = atoi(argv[i + 1]);
        else if (k == "--threads") threads = atoi(argv[i + 1]);
        else if (k == "--device") device = argv[i + 1];
        else if (k == "--models") models = argv[i + 1];
        else if (k == "--module") module = argv[i + 1];
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    const bool gpu = device == "GPU";
    if (device != "CPU" && !gpu) {
        fprintf(stderr, "--device must be CPU or GPU, not %s\n", device.c_str());
        return 2;
    }
    if (gpu && !torch::cuda::is_available()) {
        fprintf(stderr, "--device GPU: this libtorch has no CUDA support or no GPU is visible\n");
        return 2;
    }
    const std::string model_path = models + "/resnet50." + device + ".pt", script_path = models + "/inference_script.py";
    const c10::Device dev = gpu ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
    std::vector<float> img(224 * 224 * 3), ref(1000), got(1000);
    for (size_t i = 0; i < img.size(); i++)
        img[i] = (float)((i * 2654435761u) % 25600) / 100.0f;

    // in-process: the script's function and the model, as the backend runs them
    at::set_num_threads(threads);
    std::string blob = slurp(model_path), source = slurp(script_path);
    std::istringstream is(blob);
    torch::jit::Module mod = torch::jit::load(is, dev);
    mod.eval();
    if (!gpu)
        mod = torch::jit::optimize_for_inference(mod);
    auto cu = torch::jit::compile(source);
    auto inproc = [&]() {
        torch::NoGradGuard ng;
        at::Tensor x = torch::from_blob(img.data(), {224, 224, 3});
        at::Tensor pre = cu->run_method("pre_process_3ch", gpu ? x.to(dev) : x).toTensor();
        at::Tensor y = mod.forward({pre}).toTensor().to(c10::kCPU).contiguous();
        memcpy(ref.data(), y.data_ptr(), 4000);
    };

    // the database, over a Unix socket, through liblocus
    char margs[200];
    snprintf(margs, sizeof margs, "THREADS_PER_QUEUE 1 INTRA_OP_PARALLELISM %d INTER_OP_PARALLELISM 1", threads);
    lt_server s;
    lt_server_opts o = {};
    o.module = module.c_str();
    o.module_args = margs;
    o.no_valgrind = true;
    o.unix_socket = true;
    if (lt_server_start(&s, &o) != 0)
        return 1;
    std::string ssdb = std::string("unix://") + s.sock;
    setenv("SSDB", ssdb.c_str(), 1);
    setenv("SR_DB_TYPE", "Standalone", 1);
    locus_client *c = nullptr;
    ok(locus_client_create_from_env(nullptr, &c), "client");
    locus_model_options mo;
    locus_model_options_init(&mo);
    mo.device = device.c_str();
    ok(locus_set_model_from_file(c, "resnet", model_path.c_str(), &mo), "set_model_from_file");
    ok(locus_set_script_from_file(c, "script", device.c_str(), script_path.c_str()), "set_script_from_file");
    size_t idims[3] = {224, 224, 3}, odims[2] = {1, 1000};
    const char *in[1] = {"img"}, *pre[1] = {"pre"}, *out[1] = {"out"};
    auto db = [&]() {
        ok(locus_put_tensor(c, "img", img.data(), idims, 3, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS), "put_tensor");
        ok(locus_run_script(c, "script", "pre_process_3ch", in, 1, pre, 1), "run_script");
        ok(locus_run_model(c, "resnet", pre, 1, out, 1), "run_model");
        ok(locus_unpack_tensor(c, "out", got.data(), odims, 2, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS), "unpack");
    };

    for (int i = 0; i < 5; i++) { // warm-up: the profiling executor specialises both sides in its first runs
        inproc();
        db();
    }
    double maxdiff = 0;
    for (int i = 0; i < 1000; i++)
        maxdiff = std::max(maxdiff, (double)std::fabs(ref[i] - got[i]));

    std::vector<double> t_in, t_db;
    const int block = 5;
    for (int done = 0; done < iters; done += block) {
        int n = std::min(block, iters - done);
        usleep(200000);
        for (int i = 0; i < n; i++) {
            auto t0 = clk::now();
            inproc();
            t_in.push_back(ms_since(t0));
        }
        usleep(200000); // let the other side's OpenMP threads stop spinning
        for (int i = 0; i < n; i++) {
            auto t0 = clk::now();
            db();
            t_db.push_back(ms_since(t0));
        }
    }
    double in50 = pct(t_in, .5), in99 = pct(t_in, .99), db50 = pct(t_db, .5), db99 = pct(t_db, .99);
    printf("inference_suite: ResNet-50, one rank's iteration, %s, %d thread%s, %d iterations each\n",
           device.c_str(), threads, threads == 1 ? "" : "s", iters);
    printf("%-40s %10s %10s\n", "", "p50 ms", "p99 ms");
    printf("%-40s %10.2f %10.2f\n", "in-process (script + forward)", in50, in99);
    printf("%-40s %10.2f %10.2f\n", "locus (put + script + model + unpack)", db50, db99);
    printf("%-40s %10.3f %10.3f   (target at p50: <= 1.10)\n", "ratio locus / in-process", db50 / in50,
           db99 / in99);
    printf("largest output difference: %.3g (must be <= 1e-4)\n", maxdiff);
    locus_client_destroy(c);
    lt_server_stop(&s, false);
    return maxdiff <= 1e-4 ? 0 : 1;
}
