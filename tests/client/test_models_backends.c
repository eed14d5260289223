/* liblocus's locus_set_model with the backend names "ONNX", "TF" and "TFLITE" (issue 19) against a real
 * server: each kind of model stored through the client API, from a file and from memory, run with
 * locus_run_model, and its outputs compared with numpy's (tests/models/gen_onnx_tf.py, gen_tflite.py: never
 * computed by the runtime under test). TF's INPUTS/OUTPUTS names go through locus_model_options; a TF model
 * without them, and a blob of one backend stored as another, come back as LOCUS_ERR_DATABASE with the
 * database's message. Built with LOCUS_TEST_ONNX_TF where the ONNX and TF backends are, LOCUS_TEST_TFLITE
 * where the TFLITE one is. */
#include "common.h"
#include "model_util.h"

#include <stdbool.h>
#include <unistd.h>

static char *model_path(const char *file) {
    static char path[1024];
    const char *dir = getenv("LOCUS_TEST_MODELS");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "test_models", file);
    return path;
}

/* Put a float tensor of the given dims from a generated .bin file (its size must match). */
static void put_bin(locus_client *c, const char *name, const char *file, const size_t *dims, size_t ndims) {
    size_t n, want = 4;
    char *buf = tm_read(file, &n);
    for (size_t i = 0; i < ndims; i++)
        want *= dims[i];
    REQUIRE(n == want);
    OK(locus_put_tensor(c, name, buf, dims, ndims, LOCUS_DTYPE_FLOAT, LOCUS_LAYOUT_CONTIGUOUS));
    free(buf);
}

/* The tensor fetched through the client has the dims given and numpy's values (a generated .bin file). */
static int same_as(locus_client *c, const char *name, const char *file, const size_t *dims, size_t ndims,
                   float tol) {
    size_t n;
    char *want = tm_read(file, &n);
    locus_tensor *t = NULL;
    locus_status st = locus_get_tensor(c, name, LOCUS_LAYOUT_CONTIGUOUS, &t);
    int ok = st == LOCUS_OK && t->type == LOCUS_DTYPE_FLOAT && t->ndims == ndims && t->nbytes == n;
    for (size_t i = 0; ok && i < ndims; i++)
        ok = t->dims[i] == dims[i];
    ok = ok && tm_close(t->data, (const float *)want, n / 4, tol);
    if (st != LOCUS_OK)
        fprintf(stderr, "get %s: %s\n", name, locus_last_error());
    else if (!ok)
        fprintf(stderr, "%s: not numpy's %s (type %d, %zu dims, %zu bytes)\n", name, file, (int)t->type,
                t->ndims, t->nbytes);
    locus_free(t);
    free(want);
    return ok;
}

/* The bytes of a generated file, stored through locus_set_model (from memory). */
static locus_status set_from_memory(locus_client *c, const char *name, const char *file,
                                    const locus_model_options *o) {
    size_t n;
    char *blob = tm_read(file, &n);
    locus_status st = locus_set_model(c, name, blob, n, o);
    free(blob);
    return st;
}

/* locus_get_model gives back the file's bytes. */
static int stored_as(locus_client *c, const char *name, const char *file) {
    size_t n, got = 0;
    char *want = tm_read(file, &n);
    void *blob = NULL;
    int ok = locus_get_model(c, name, &blob, &got) == LOCUS_OK && got == n && memcmp(blob, want, n) == 0;
    locus_free(blob);
    free(want);
    return ok;
}

#ifdef LOCUS_TEST_ONNX_TF
static void test_onnx(locus_client *c) {
    fprintf(stderr, "ONNX\n");
    locus_model_options o;
    locus_model_options_init(&o);
    o.backend = "ONNX";
    o.tag = "two";
    OK(locus_set_model_from_file(c, "c_onnx_two", model_path("onnx_two.onnx"), &o));
    CHECK(stored_as(c, "c_onnx_two", "onnx_two.onnx"));
    const size_t d23[] = {2, 3}, d22[] = {2, 2};
    put_bin(c, "oa", "onnx_two_in_a.bin", d23, 2);
    put_bin(c, "ob", "onnx_two_in_b.bin", d23, 2);
    const char *in[] = {"oa", "ob"}, *out[] = {"os", "op"};
    OK(locus_run_model(c, "c_onnx_two", in, 2, out, 2));
    CHECK(same_as(c, "os", "onnx_two_out_s.bin", d23, 2, 1e-5f));
    CHECK(same_as(c, "op", "onnx_two_out_p.bin", d22, 2, 1e-5f));

    /* from memory, batched, a 4-D input */
    o.tag = NULL;
    o.batch_size = 4;
    OK(set_from_memory(c, "c_onnx_cnn", "onnx_cnn.onnx", &o));
    const size_t dimg[] = {2, 1, 12, 12}, d25[] = {2, 5};
    put_bin(c, "oimg", "onnx_cnn_in.bin", dimg, 4);
    const char *cin[] = {"oimg"}, *cout[] = {"ocls"};
    OK(locus_run_model(c, "c_onnx_cnn", cin, 1, cout, 1));
    CHECK(same_as(c, "ocls", "onnx_cnn_out.bin", d25, 2, 1e-4f));

    /* a TF GraphDef stored as ONNX: the database's refusal, nothing stored */
    o.batch_size = 0;
    CHECK(locus_set_model_from_file(c, "c_onnx_bad", model_path("tf_mlp.pb"), &o) == LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "No graph was found in the protobuf.") != NULL);
    bool ex = true;
    OK(locus_model_exists(c, "c_onnx_bad", &ex));
    CHECK(!ex);
    OK(locus_delete_model(c, "c_onnx_cnn"));
    OK(locus_model_exists(c, "c_onnx_cnn", &ex));
    CHECK(!ex);
}

static void test_tf(locus_client *c) {
    fprintf(stderr, "TF\n");
    locus_model_options o;
    locus_model_options_init(&o);
    o.backend = "TF";
    const char *names_in[] = {"a", "b"}, *names_out[] = {"sum", "prod"};
    o.inputs = names_in;
    o.n_inputs = 2;
    o.outputs = names_out;
    o.n_outputs = 2;
    OK(locus_set_model_from_file(c, "c_tf_two", model_path("tf_two.pb"), &o));
    CHECK(stored_as(c, "c_tf_two", "tf_two.pb"));
    const size_t d23[] = {2, 3}, d22[] = {2, 2};
    put_bin(c, "ta", "tf_two_in_a.bin", d23, 2);
    put_bin(c, "tb", "tf_two_in_b.bin", d23, 2);
    const char *in[] = {"ta", "tb"}, *out[] = {"tsum", "tprod"};
    OK(locus_run_model(c, "c_tf_two", in, 2, out, 2));
    CHECK(same_as(c, "tsum", "tf_two_out_sum.bin", d23, 2, 1e-5f));
    CHECK(same_as(c, "tprod", "tf_two_out_prod.bin", d22, 2, 1e-5f));

    /* from memory: the NHWC conv net, fed and answered as TF would */
    const char *cnn_in[] = {"x"}, *cnn_out[] = {"logits"};
    o.inputs = cnn_in;
    o.n_inputs = 1;
    o.outputs = cnn_out;
    o.n_outputs = 1;
    OK(set_from_memory(c, "c_tf_cnn", "tf_cnn.pb", &o));
    const size_t dimg[] = {2, 8, 8, 1};
    put_bin(c, "timg", "tf_cnn_in.bin", dimg, 4);
    const char *cin[] = {"timg"}, *cout[] = {"tlog"};
    OK(locus_run_model(c, "c_tf_cnn", cin, 1, cout, 1));
    CHECK(same_as(c, "tlog", "tf_cnn_out.bin", d23, 2, 1e-4f));

    /* TF needs its names (RedisAI's texts), and they must be the graph's */
    o.n_inputs = 0;
    o.n_outputs = 0;
    CHECK(locus_set_model_from_file(c, "c_tf_bad", model_path("tf_two.pb"), &o) == LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "INPUTS not specified for TF") != NULL);
    o.inputs = names_in;
    o.n_inputs = 2;
    CHECK(locus_set_model_from_file(c, "c_tf_bad", model_path("tf_two.pb"), &o) == LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "OUTPUTS not specified for TF") != NULL);
    const char *wrong[] = {"nope"};
    o.outputs = wrong;
    o.n_outputs = 1;
    CHECK(locus_set_model_from_file(c, "c_tf_bad", model_path("tf_two.pb"), &o) == LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "Output node named \"nope\" not found in TF graph") != NULL);
    bool ex = true;
    OK(locus_model_exists(c, "c_tf_bad", &ex));
    CHECK(!ex);
}
#endif

#ifdef LOCUS_TEST_TFLITE
static void test_tflite(locus_client *c) {
    fprintf(stderr, "TFLITE\n");
    locus_model_options o;
    locus_model_options_init(&o);
    o.backend = "TFLITE";
    OK(locus_set_model_from_file(c, "c_tfl_two", model_path("tflite_two.tflite"), &o));
    CHECK(stored_as(c, "c_tfl_two", "tflite_two.tflite"));
    const size_t d23[] = {2, 3};
    put_bin(c, "la", "tflite_two_in_a.bin", d23, 2);
    put_bin(c, "lb", "tflite_two_in_b.bin", d23, 2);
    const char *in[] = {"la", "lb"}, *out[] = {"ls", "lp"};
    OK(locus_run_model(c, "c_tfl_two", in, 2, out, 2));
    CHECK(same_as(c, "ls", "tflite_two_out_s.bin", d23, 2, 1e-5f));
    CHECK(same_as(c, "lp", "tflite_two_out_p.bin", d23, 2, 1e-5f));

    OK(set_from_memory(c, "c_tfl_cnn", "tflite_cnn.tflite", &o));
    const size_t dimg[] = {2, 8, 8, 1}, d23b[] = {2, 3}; /* twice the model's batch of 1 */
    put_bin(c, "limg", "tflite_cnn_in.bin", dimg, 4);
    const char *cin[] = {"limg"}, *cout[] = {"lprobs"};
    OK(locus_run_model(c, "c_tfl_cnn", cin, 1, cout, 1));
    CHECK(same_as(c, "lprobs", "tflite_cnn_out.bin", d23b, 2, 1e-5f));

    /* names are refused for TFLITE (RedisAI 1.2.7), an ONNX file is no TFLITE model */
    const char *names[] = {"a", "b"};
    o.inputs = names;
    o.n_inputs = 2;
    CHECK(locus_set_model_from_file(c, "c_tfl_bad", model_path("tflite_two.tflite"), &o) ==
          LOCUS_ERR_DATABASE);
    CHECK(strstr(locus_last_error(), "INPUTS argument should not be specified for this backend") != NULL);
    o.n_inputs = 0;
    CHECK(locus_set_model_from_file(c, "c_tfl_bad", model_path("onnx_linear.onnx"), &o) ==
          LOCUS_ERR_DATABASE);
    bool ex = true;
    OK(locus_model_exists(c, "c_tfl_bad", &ex));
    CHECK(!ex);
}
#endif

int main(void) {
    unsetenv("SSKEYIN");
    unsetenv("SSKEYOUT");
    unsetenv("SR_DB_TYPE");
    lt_server srv;
    lt_server_opts so = {.module_args = "THREADS_PER_QUEUE 2 INTRA_OP_PARALLELISM 1", .no_valgrind = true};
    REQUIRE(lt_server_start(&srv, &so) == 0);
    char ssdb[64];
    snprintf(ssdb, sizeof ssdb, "127.0.0.1:%d", srv.port);
    setenv("SSDB", ssdb, 1);
    locus_client *c = client();
#ifdef LOCUS_TEST_ONNX_TF
    test_onnx(c);
    test_tf(c);
#endif
#ifdef LOCUS_TEST_TFLITE
    test_tflite(c);
#endif
    locus_client_destroy(c);
    /* the module loads libtorch in the background; a stop while that dlopen runs can crash in exit */
    redisContext *rc = lt_connect(&srv);
    freeReplyObject(lt_cmdf(rc, "AI.INFO"));
    redisFree(rc);
    CHECK(lt_server_stop(&srv, false) == 0);
    return lt_report("client_models_backends");
}
