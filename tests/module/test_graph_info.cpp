// Unit test of the ONNX and TF backends' model reader (src/module/backends/opencv/graph_info), no OpenCV and
// no server: the generated models (tests/models/gen_onnx_tf.py) read back with the names, operators and
// initializers they were written with; every refusal graph_info has is reached by bytes built here, each
// with the verdict and the exact message it gives; the Identity rewrite drops what it should and keeps the
// rest; and every truncation and many single-byte changes of each model are read without a crash or a read
// past the bytes given (run it under valgrind or ASan for the latter) and give a verdict either way.
//
// graph_info reports names, not types: a ValueInfoProto's type is not read, so none is checked here.
#include "graph_info.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "graph_test.hpp"

using namespace locus_ocv;

typedef std::vector<std::string> Names;

static std::string load(const char *name) {
    return gt_load(name);
}

// ---------------------------------------------------------------- a protobuf writer for the crafted bytes

static std::string varint(uint64_t v) {
    std::string s;
    for (; v >= 0x80; v >>= 7)
        s.push_back((char)(v | 0x80));
    s.push_back((char)v);
    return s;
}
static std::string tag(uint32_t num, int wt) {
    return varint((uint64_t)num << 3 | (uint64_t)wt);
}
static std::string fvar(uint32_t num, uint64_t v) {
    return tag(num, 0) + varint(v);
}
static std::string flen(uint32_t num, const std::string &payload) {
    return tag(num, 2) + varint(payload.size()) + payload;
}
static std::string packed(const std::vector<uint64_t> &v) {
    std::string s;
    for (uint64_t x : v)
        s += varint(x);
    return s;
}

// ONNX messages (field numbers as in graph_info.h)
static std::string tensor(const std::string &name, uint64_t type, const std::vector<uint64_t> &dims,
                          const std::string &data_fields) {
    std::string t;
    for (uint64_t d : dims)
        t += fvar(1, d);
    return t + fvar(2, type) + flen(8, name) + data_fields;
}
static std::string raw(size_t n) {
    return flen(9, std::string(n, '\0'));
}
static std::string floats(size_t n) { // packed float_data
    return flen(4, std::string(4 * n, '\0'));
}
static std::string attr_t(const std::string &name, const std::string &t) {
    return flen(1, name) + fvar(20, 4) + flen(5, t);
}
static std::string attr_g(const std::string &name, const std::string &g, uint32_t field = 6) {
    return flen(1, name) + fvar(20, field == 6 ? 5 : 10) + flen(field, g);
}
static std::string node(const std::string &op, const Names &in, const Names &out,
                        const std::string &name = "", const std::string &domain = "",
                        const std::vector<std::string> &attrs = {}) {
    std::string n;
    for (const std::string &i : in)
        n += flen(1, i);
    for (const std::string &o : out)
        n += flen(2, o);
    n += flen(3, name) + flen(4, op);
    for (const std::string &a : attrs)
        n += flen(5, a);
    if (!domain.empty())
        n += flen(7, domain);
    return n;
}
static std::string vinfo(const std::string &name) {
    return flen(1, name) + flen(2, flen(1, fvar(1, 1))); // with a type (tensor_type.elem_type FLOAT), unread
}
static std::string graph(const std::vector<std::string> &nodes, const std::vector<std::string> &inits,
                         const Names &in, const Names &out) {
    std::string g;
    for (const std::string &n : nodes)
        g += flen(1, n);
    g += flen(2, "g");
    for (const std::string &t : inits)
        g += flen(5, t);
    for (const std::string &i : in)
        g += flen(11, vinfo(i));
    for (const std::string &o : out)
        g += flen(12, vinfo(o));
    return g;
}
static std::string model(const std::string &g) {
    return fvar(1, 8) + flen(2, "locus-test") + flen(7, g) + flen(8, flen(1, "") + fvar(2, 11));
}
// x -> Relu -> y, with these initializers and one attribute of the Relu
static std::string relu_model(const std::vector<std::string> &inits = {}, const std::string &relu_attr = "") {
    std::vector<std::string> attrs;
    if (!relu_attr.empty())
        attrs.push_back(relu_attr);
    return model(graph({node("Relu", {"x"}, {"y"}, "r", "", attrs)}, inits, {"x"}, {"y"}));
}

// TF messages
static std::string tf_attr(const std::string &key, const std::string &value) {
    return flen(5, flen(1, key) + flen(2, value));
}
static std::string tf_node(const std::string &name, const std::string &op, const Names &in = {},
                           const std::string &rest = "") {
    std::string n = flen(1, name) + flen(2, op);
    for (const std::string &i : in)
        n += flen(3, i);
    return flen(1, n + rest);
}

// ---------------------------------------------------------------- verdicts

static OnnxParse onnx(const std::string &b, OnnxGraph *g) {
    return onnx_parse(b.data(), b.size(), g);
}
static OnnxParse onnx(const std::string &b) {
    OnnxGraph g;
    return onnx(b, &g);
}
// the problem invalid bytes are refused with ("(not invalid)" for any other verdict)
static std::string problem(const std::string &b) {
    OnnxGraph g;
    return onnx(b, &g) == OnnxParse::invalid ? g.problem : std::string("(not invalid)");
}
static bool tf(const std::string &b, std::vector<TfNode> *nodes = nullptr) {
    std::vector<TfNode> n;
    return tf_parse(b.data(), b.size(), nodes != nullptr ? nodes : &n);
}
static std::string replace_once(std::string s, const std::string &from, const std::string &to) {
    size_t at = s.find(from);
    if (at == std::string::npos || s.find(from, at + 1) != std::string::npos) {
        fprintf(stderr, "'%s' is not in the model exactly once\n", from.c_str());
        exit(1);
    }
    return s.replace(at, from.size(), to);
}
static Names ops(const OnnxGraph &g) {
    Names v;
    for (const OnnxNode &n : g.nodes)
        v.push_back(n.op);
    return v;
}

// ---------------------------------------------------------------- the generated models

static void real_onnx() {
    OnnxGraph g;
    EXPECT(onnx(load("onnx_linear.onnx"), &g) == OnnxParse::ok && g.problem.empty());
    EXPECT((g.inputs == Names{"x"} && g.outputs == Names{"y"} &&
            g.initializers == Names{"fc.weight", "fc.bias"}));
    EXPECT(g.nodes.size() == 1 && g.nodes[0].op == "Gemm" && g.nodes[0].name == "/fc/Gemm" &&
           g.nodes[0].domain.empty());
    EXPECT((g.nodes[0].inputs == Names{"x", "fc.weight", "fc.bias"} && g.nodes[0].outputs == Names{"y"}));

    g = OnnxGraph();
    EXPECT(onnx(load("onnx_two.onnx"), &g) == OnnxParse::ok);
    EXPECT((g.inputs == Names{"a", "b"} && g.outputs == Names{"s", "p"} && g.initializers == Names{"w"}));
    EXPECT((ops(g) == Names{"Add", "MatMul"} && g.nodes[1].inputs == Names{"a", "w"} &&
            g.nodes[1].outputs == Names{"p"}));

    g = OnnxGraph();
    EXPECT(onnx(load("onnx_cnn.onnx"), &g) == OnnxParse::ok);
    EXPECT((g.inputs == Names{"x"} && g.outputs == Names{"y"}));
    EXPECT(
        (g.initializers == Names{"fc.weight", "fc.bias", "onnx::Conv_26", "onnx::Conv_27", "onnx::Conv_29"}));
    EXPECT((ops(g) ==
            Names{"Identity", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Softmax"}));
    EXPECT((g.nodes[0].inputs == Names{"onnx::Conv_27"} && g.nodes[0].outputs == Names{"onnx::Conv_30"}));

    g = OnnxGraph();
    EXPECT(onnx(load("onnx_ml.onnx"), &g) == OnnxParse::ok); // refused later, by domain, by the backend
    EXPECT((g.inputs == Names{"x"} && g.outputs == Names{"label", "prob"} && g.initializers.empty()));
    EXPECT(g.nodes.size() == 1 && g.nodes[0].op == "TreeEnsembleClassifier" &&
           g.nodes[0].domain == "ai.onnx.ml");

    g = OnnxGraph();
    EXPECT(onnx(load("onnx_badop.onnx"), &g) == OnnxParse::ok); // refused later, by OpenCV
    EXPECT((g.inputs == Names{"x"} && g.outputs == Names{"y"} && ops(g) == Names{"NonZero"}));

    g = OnnxGraph();
    EXPECT(onnx(load("onnx_slow.onnx"), &g) == OnnxParse::ok); // W as 65536 packed float_data
    EXPECT((g.inputs == Names{"x"} && g.outputs == Names{"y"} && g.initializers == Names{"W"}));
    EXPECT(g.nodes.size() == 96 && g.nodes[0].op == "MatMul" && g.nodes[95].op == "Relu" &&
           g.nodes[95].outputs == Names{"y"});

    // a TF GraphDef is a protobuf without ModelProto.graph; an ONNX file has no GraphDef nodes
    EXPECT(onnx(load("tf_mlp.pb")) == OnnxParse::no_graph);
    EXPECT(!tf(load("onnx_linear.onnx")) && !tf(load("onnx_cnn.onnx")));
}

static void real_tf() {
    std::vector<TfNode> n;
    EXPECT(tf(load("tf_mlp.pb"), &n) && n.size() == 6);
    if (n.size() == 6) {
        EXPECT(n[0].name == "x" && n[0].op == "Placeholder" && n[0].inputs.empty());
        EXPECT(n[1].name == "w" && n[1].op == "Const" && n[2].name == "b" && n[2].op == "Const");
        EXPECT((n[3].name == "mm" && n[3].op == "MatMul" && n[3].inputs == Names{"x", "w"}));
        EXPECT((n[4].name == "add" && n[4].op == "Add" && n[4].inputs == Names{"mm", "b"}));
        EXPECT((n[5].name == "y" && n[5].op == "Relu" && n[5].inputs == Names{"add"} &&
                n[5].data_format.empty()));
    }
    n.clear();
    EXPECT(tf(load("tf_two.pb"), &n) && n.size() == 5);
    if (n.size() == 5) {
        EXPECT(n[0].name == "a" && n[1].name == "b" && n[0].op == "Placeholder" && n[1].op == "Placeholder");
        EXPECT((n[3].name == "sum" && n[3].op == "Add" && n[3].inputs == Names{"a", "b"}));
        EXPECT((n[4].name == "prod" && n[4].op == "MatMul" && n[4].inputs == Names{"a", "w"}));
    }
    n.clear();
    EXPECT(tf(load("tf_cnn.pb"), &n) && n.size() == 12);
    if (n.size() == 12) {
        Names names, formats;
        for (const TfNode &t : n) {
            names.push_back(t.name);
            formats.push_back(t.data_format);
        }
        EXPECT((names ==
                Names{"x", "k", "kb", "axes", "w", "b", "conv", "bias", "relu", "mean", "mm", "logits"}));
        EXPECT((formats == Names{"", "", "", "", "", "", "NHWC", "NHWC", "", "", "", ""}));
        EXPECT((n[6].op == "Conv2D" && n[6].inputs == Names{"x", "k"}));
        EXPECT((n[9].op == "Mean" && n[9].inputs == Names{"relu", "axes"}));
    }
}

// ---------------------------------------------------------------- the wire format, malformed

static void wire() {
    const std::string good = relu_model();
    EXPECT(onnx(good) == OnnxParse::ok);
    // empty bytes are a protobuf with nothing in it; text and binary noise are not protobufs
    EXPECT(onnx("") == OnnxParse::no_graph);
    EXPECT(onnx("hello, world") == OnnxParse::not_protobuf);
    EXPECT(onnx(std::string("\x89PNG\r\n\x1a\n", 8)) == OnnxParse::not_protobuf);
    EXPECT(onnx(std::string(64, '\xff')) == OnnxParse::not_protobuf);
    EXPECT(!tf("") && !tf("hello, world") && !tf(std::string(64, '\xff')));
    // each thing next() refuses, alone and after a good model
    const std::string bad[] = {
        std::string("\x80", 1),                             // a tag cut short
        std::string(11, '\x80'),                            // a varint longer than 10 bytes
        std::string("\x00\x01", 2),                         // field number 0 (varint)
        std::string("\x02\x00", 2),                         // field number 0 (LEN)
        varint((uint64_t)1 << 32 | 2) + varint(0),          // field number 2^29: past protobuf's largest
        std::string("\x08\x80", 2),                         // a varint value cut short
        std::string("\x09\x01\x02\x03\x04\x05\x06\x07", 8), // fixed64 with 7 bytes
        std::string("\x0d\x01\x02\x03", 4),                 // fixed32 with 3 bytes
        std::string("\x0a\x80", 2),                         // a length cut short
        tag(1, 2) + varint(5) + "abcd",                     // a length past the end
        tag(9, 2) + varint((uint64_t)1 << 62),              // a huge length
        std::string("\x0b\x0c", 2),                         // groups (wire types 3, 4)
        std::string("\x0c", 1),
        std::string("\x0e\x00", 2), // wire types 6, 7
        std::string("\x0f\x00", 2),
    };
    for (const std::string &b : bad) {
        EXPECT(onnx(b) == OnnxParse::not_protobuf);
        EXPECT(onnx(good + b) == OnnxParse::not_protobuf);
        EXPECT(!tf(b) && !tf(tf_node("x", "Placeholder") + b));
    }
    // fixed-width fields are skipped whole: a fixed64 of 0x0a bytes and a fixed32 before the graph
    EXPECT(onnx(std::string("\x09") + std::string(8, '\x0a') + "\x15\x0a\x0a\x0a\x0a" + good) ==
           OnnxParse::ok);
    // a well-formed protobuf without a graph, and a graph with nothing to run
    EXPECT(onnx(fvar(1, 8) + flen(2, "x")) == OnnxParse::no_graph);
    EXPECT(onnx(model("")) == OnnxParse::no_graph);
    EXPECT(onnx(model(graph({}, {}, {"x"}, {}))) == OnnxParse::no_graph);
    EXPECT(onnx(fvar(7, 3) + fvar(1, 8)) == OnnxParse::no_graph); // field 7 as a varint is no graph
    // no nodes but an output the graph gives (its input): a model, if an odd one
    OnnxGraph g;
    EXPECT(onnx(model(graph({}, {}, {"x"}, {"x"})), &g) == OnnxParse::ok && g.inputs == Names{"x"});

    // malformed inside: the graph, a node, an initializer, an input, an output
    const std::string cut = tag(1, 2) + varint(3) + "ab"; // field 1, 3 bytes, 2 there
    EXPECT(onnx(fvar(1, 8) + flen(7, flen(1, node("Relu", {"x"}, {"y"})) + cut)) == OnnxParse::not_protobuf);
    EXPECT(onnx(fvar(1, 8) + flen(7, flen(1, node("Relu", {"x"}, {"y"}) + cut))) == OnnxParse::not_protobuf);
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {tensor("w", 1, {1}, raw(4)) + cut}, {"x"},
                            {"y"}))) == OnnxParse::not_protobuf);
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {"y"}) +
                      flen(11, flen(1, "z") + cut))) == OnnxParse::not_protobuf);
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {"y"}) +
                      flen(12, flen(1, "z") + cut))) == OnnxParse::not_protobuf);
    // wrong wire types where a message is expected are not read as one (libprotobuf refuses them later)
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {"y"}) + fvar(1, 7) + fvar(5, 7))) ==
           OnnxParse::ok);
    // malformed bytes inside an attribute are not looked at: left to OpenCV's libprotobuf, which refuses them
    EXPECT(onnx(relu_model({}, flen(1, "alpha") + cut)) == OnnxParse::ok);
}

// ---------------------------------------------------------------- ONNX refusals, each message exactly

static void onnx_tensors() {
    // the initializer's data against its dims: raw_data, the typed fields, packed and not
    EXPECT(onnx(relu_model({tensor("w", 1, {3, 4}, raw(48))})) == OnnxParse::ok);
    EXPECT(onnx(relu_model({tensor("w", 1, {3, 4}, floats(12))})) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({tensor("w", 1, {3, 4}, raw(47))})),
               "the ONNX tensor 'w' holds 47 bytes where its dims [3,4] need 48");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {3, 4}, floats(11))})),
               "the ONNX tensor 'w' holds 11 values where its dims [3,4] need 12");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {3, 4}, floats(13))})),
               "the ONNX tensor 'w' holds 13 values where its dims [3,4] need 12");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, "")})),
               "the ONNX tensor 'w' holds 0 bytes where its dims [2] need 8");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {}, raw(3))})),
               "the ONNX tensor 'w' holds 3 bytes where its dims [] need 4");
    EXPECT(onnx(relu_model({tensor("w", 1, {}, raw(4))})) == OnnxParse::ok); // a scalar
    EXPECT(onnx(relu_model({tensor("w", 1, {0, 5}, "")})) == OnnxParse::ok); // no values, none needed
    EXPECT(onnx(relu_model({tensor("w", 1, {1000000, 0}, "")})) == OnnxParse::ok);
    // dims packed, and both ways at once (protobuf appends them)
    EXPECT(onnx(relu_model({flen(1, packed({3, 4})) + fvar(2, 1) + flen(8, "w") + raw(48)})) ==
           OnnxParse::ok);
    EXPECT_STR(problem(relu_model({flen(1, packed({3})) + fvar(1, 4) + fvar(2, 1) + flen(8, "w") + raw(12)})),
               "the ONNX tensor 'w' holds 12 bytes where its dims [3,4] need 48");
    // float_data unpacked (fixed32 each)
    std::string four_floats;
    for (int i = 0; i < 4; i++)
        four_floats += tag(4, 5) + std::string(4, '\0');
    EXPECT(onnx(relu_model({tensor("w", 1, {4}, four_floats)})) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({tensor("w", 1, {5}, four_floats)})),
               "the ONNX tensor 'w' holds 4 values where its dims [5] need 5");
    // a dims product no file could hold, and one that overflows 64 bits
    EXPECT_STR(problem(relu_model({tensor("w", 1, {1000000000}, raw(4))})),
               "the ONNX tensor 'w' holds 4 bytes where its dims [1000000000] need more than the file holds");
    EXPECT_STR(
        problem(relu_model({tensor("w", 1, {1ull << 40, 1ull << 40}, floats(1))})),
        "the ONNX tensor 'w' holds 1 values where its dims [1099511627776,1099511627776] need more than "
        "the file holds");
    // the other types: their sizes in raw_data and their typed fields (varints packed, complex as pairs)
    EXPECT(onnx(relu_model({tensor("w", 7, {3}, raw(24))})) == OnnxParse::ok); // INT64
    EXPECT(onnx(relu_model({tensor("w", 7, {3}, flen(7, packed({1, 1ull << 63, 5})))})) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({tensor("w", 7, {3}, flen(7, packed({1, 2})))})),
               "the ONNX tensor 'w' holds 2 values where its dims [3] need 3");
    EXPECT_STR(problem(relu_model({tensor("w", 6, {3}, fvar(5, 1) + fvar(5, 2))})), // INT32, unpacked
               "the ONNX tensor 'w' holds 2 values where its dims [3] need 3");
    EXPECT_STR(problem(relu_model({tensor("w", 10, {3}, raw(5))})), // FLOAT16
               "the ONNX tensor 'w' holds 5 bytes where its dims [3] need 6");
    EXPECT_STR(problem(relu_model({tensor("w", 11, {2}, flen(10, std::string(8, '\0')))})), // DOUBLE
               "the ONNX tensor 'w' holds 1 values where its dims [2] need 2");
    EXPECT_STR(problem(relu_model({tensor("w", 13, {2}, raw(15))})), // UINT64
               "the ONNX tensor 'w' holds 15 bytes where its dims [2] need 16");
    EXPECT(onnx(relu_model({tensor("w", 12, {2}, flen(11, packed({7, 8})))})) == OnnxParse::ok); // UINT32
    EXPECT(onnx(relu_model({tensor("w", 14, {2}, floats(4))})) == OnnxParse::ok);                // COMPLEX64
    EXPECT_STR(problem(relu_model({tensor("w", 14, {2}, floats(3))})),
               "the ONNX tensor 'w' holds 3 values where its dims [2] need 4");
    EXPECT_STR(problem(relu_model({tensor("w", 15, {1}, raw(8))})), // COMPLEX128
               "the ONNX tensor 'w' holds 8 bytes where its dims [1] need 16");
    EXPECT_STR(problem(relu_model({tensor("w", 9, {4}, raw(3))})), // BOOL
               "the ONNX tensor 'w' holds 3 bytes where its dims [4] need 4");
    // values in another type's field are not the type's: OpenCV reads the (absent) raw_data
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, flen(7, packed({1, 2})))})),
               "the ONNX tensor 'w' holds 0 bytes where its dims [2] need 8");
    // both raw_data and the typed field: each must be whole
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, floats(2) + raw(7))})),
               "the ONNX tensor 'w' holds 7 bytes where its dims [2] need 8");
    EXPECT(onnx(relu_model({tensor("w", 1, {2}, floats(2) + raw(8))})) == OnnxParse::ok);
    // the last raw_data and name count, as protobuf keeps the last of a singular field
    EXPECT(onnx(relu_model({tensor("w", 1, {2}, raw(3) + raw(8))})) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, raw(8) + raw(3) + flen(8, "v"))})),
               "the ONNX tensor 'v' holds 3 bytes where its dims [2] need 8");
    // types OpenCV refuses without reading their data (STRING, UNDEFINED, later codes) are not checked
    EXPECT(onnx(relu_model({tensor("w", 8, {1000}, "")})) == OnnxParse::ok);
    EXPECT(onnx(relu_model({flen(8, "w") + fvar(1, 1000)})) == OnnxParse::ok);
    EXPECT(onnx(relu_model({tensor("w", 17, {1000}, "")})) == OnnxParse::ok);

    // negative dims, external data, malformed data
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2, (uint64_t)-1}, raw(8))})),
               "the ONNX tensor 'w' has a negative dimension in [2,-1]");
    EXPECT_STR(problem(relu_model({tensor("w", 8, {(uint64_t)-5}, "")})), // whatever the type
               "the ONNX tensor 'w' has a negative dimension in [-5]");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, raw(8) + fvar(14, 1))})),
               "the ONNX tensor 'w' keeps its data in an external file, which a stored model cannot have");
    EXPECT(onnx(relu_model({tensor("w", 1, {2}, raw(8) + fvar(14, 0))})) == OnnxParse::ok); // DEFAULT
    EXPECT_STR(
        problem(relu_model({flen(1, "\x03\x80") + fvar(2, 1) + flen(8, "w")})), // packed dims cut short
        "the ONNX tensor 'w' is not a TensorProto");
    // named though the name comes after the fault, as writers order the fields (dims 1, data 4, name 8)
    EXPECT_STR(problem(relu_model({fvar(1, 2) + fvar(2, 1) + flen(4, std::string(7, '\0')) + flen(8, "w")})),
               "the ONNX tensor 'w' is not a TensorProto");
    EXPECT_STR(problem(relu_model({tensor("w", 1, {2}, flen(4, std::string(7, '\0')))})), // 7 bytes of floats
               "the ONNX tensor 'w' is not a TensorProto");
    EXPECT_STR(problem(relu_model({tensor("w", 11, {2}, flen(10, std::string(12, '\0')))})), // of doubles
               "the ONNX tensor 'w' is not a TensorProto");
    EXPECT_STR(problem(relu_model({tensor("w", 7, {2}, flen(7, "\x01\x80"))})), // int64 varints cut short
               "the ONNX tensor 'w' is not a TensorProto");
    EXPECT_STR(problem(relu_model({tensor("", 1, {2}, raw(1))})), // unnamed
               "the ONNX tensor '' holds 1 bytes where its dims [2] need 8");
    // the first bad tensor is named, in graph order
    EXPECT_STR(problem(relu_model(
                   {tensor("a", 1, {1}, raw(4)), tensor("b", 1, {1}, raw(2)), tensor("c", 1, {1}, raw(1))})),
               "the ONNX tensor 'b' holds 2 bytes where its dims [1] need 4");

    // tensors in node attributes: t, tensors, and inside subgraphs (g, graphs)
    const std::string short_t = tensor("k", 1, {4}, raw(12));
    const std::string short_msg = "the ONNX tensor 'k' holds 12 bytes where its dims [4] need 16";
    EXPECT(onnx(relu_model({}, attr_t("value", tensor("k", 1, {4}, raw(16))))) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({}, attr_t("value", short_t))), short_msg);
    EXPECT_STR(problem(relu_model({}, flen(1, "vs") + fvar(20, 9) + flen(10, tensor("k", 1, {1}, raw(4))) +
                                          flen(10, short_t))),
               short_msg);
    const std::string sub_bad = graph({node("Relu", {"x"}, {"y"})}, {short_t}, {}, {"y"});
    EXPECT_STR(problem(relu_model({}, attr_g("body", sub_bad))), short_msg);
    EXPECT_STR(problem(relu_model({}, attr_g("branches", sub_bad, 11))), short_msg);
    const std::string sub_attr =
        graph({node("Constant", {}, {"c"}, "", "", {attr_t("value", short_t)})}, {}, {}, {"c"});
    EXPECT_STR(problem(relu_model({}, attr_g("body", sub_attr))), short_msg);
    // a second t in one attribute: protobuf would merge them, dims of both ([4096] twice: [4096,4096])
    const std::string t4096 = tensor("big", 1, {4096}, raw(16384));
    EXPECT(onnx(relu_model({}, attr_t("value", t4096))) == OnnxParse::ok);
    EXPECT_STR(problem(relu_model({}, attr_t("value", t4096) + flen(5, t4096))),
               "the ONNX attribute 'value' holds more than one tensor (AttributeProto.t is one message)");
    // malformed tensor bytes inside an attribute are the tensor check's (the parser does not go there)
    EXPECT_STR(problem(relu_model({}, attr_t("value", tensor("k", 1, {2}, flen(4, std::string(5, '\0')))))),
               "the ONNX tensor 'k' is not a TensorProto");
    // a tensor problem is reported before an input problem
    EXPECT_STR(problem(model(graph({node("Relu", {"zz"}, {"y"})}, {short_t}, {"x"}, {"y"}))), short_msg);
}

// a graph whose node's attribute holds a graph, `levels` deep; the innermost has one node and no attribute
static std::string nested(int levels) {
    std::string g = graph({node("Relu", {"a"}, {"b"})}, {}, {}, {});
    for (int k = 1; k < levels; k++)
        g = graph({node("If", {"c"}, {"d"}, "", "",
                        {attr_g(k % 2 ? "then_branch" : "branches", g, k % 2 ? 6 : 11)})},
                  {}, {}, {});
    return model(graph({node("If", {"x"}, {"y"}, "if", "", {attr_g("then_branch", g)})}, {}, {"x"}, {"y"}));
}

static void onnx_graphs() {
    // subgraphs 16 deep are read, 17 are refused, and far deeper ones without recursing further
    EXPECT(onnx(nested(16)) == OnnxParse::ok);
    EXPECT_STR(problem(nested(17)), "the ONNX graph nests subgraphs deeper than 16");
    EXPECT_STR(problem(nested(1000)), "the ONNX graph nests subgraphs deeper than 16");

    // node inputs: a graph input, an initializer, an earlier node's output, or "" (an optional input left
    // out)
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"h"}), node("Clip", {"h", "", "hi"}, {"y"})},
                            {tensor("hi", 1, {}, raw(4))}, {"x"}, {"y"}))) == OnnxParse::ok);
    EXPECT_STR(
        problem(model(graph({node("Relu", {"zz"}, {"y"}, "r")}, {}, {"x"}, {"y"}))),
        "the ONNX node 'r' (Relu) takes 'zz', which no graph input, initializer or earlier node gives");
    EXPECT_STR(
        problem(model(graph({node("Relu", {"h"}, {"y"}, "second"), node("Relu", {"x"}, {"h"}, "first")}, {},
                            {"x"}, {"y"}))),
        "the ONNX node 'second' (Relu) takes 'h', which no graph input, initializer or earlier node gives");
    EXPECT_STR(problem(model(graph({node("Add", {"x", "x"}, {"h"}), node("Mul", {"h", "w"}, {"y"})}, {},
                                   {"x"}, {"y"}))),
               "the ONNX node '' (Mul) takes 'w', which no graph input, initializer or earlier node gives");
    // a subgraph's nodes may name the outer graph's values: not checked there
    EXPECT(onnx(relu_model({}, attr_g("body", graph({node("Relu", {"outer"}, {"o"})}, {}, {}, {"o"})))) ==
           OnnxParse::ok);
    // graph outputs: given by a node, an input or an initializer
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {tensor("w", 1, {1}, raw(4))}, {"x"},
                            {"y", "x", "w"}))) == OnnxParse::ok);
    EXPECT_STR(problem(model(graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {"y", "q"}))),
               "the ONNX graph output 'q' is given by no node, input or initializer");
    EXPECT_STR(problem(model(graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {""}))),
               "the ONNX graph output '' is given by no node, input or initializer");
    // IR versions before 4 list the initializers among the inputs: they are not inputs to feed
    OnnxGraph g;
    EXPECT(onnx(model(graph({node("MatMul", {"x", "w"}, {"y"})}, {tensor("w", 1, {1}, raw(4))}, {"x", "w"},
                            {"y"})),
                &g) == OnnxParse::ok);
    EXPECT((g.inputs == Names{"x"} && g.initializers == Names{"w"}));
    // the last name of a value info counts
    g = OnnxGraph();
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"})}, {}, {}, {"y"}) +
                      flen(11, flen(1, "q") + flen(1, "x"))),
                &g) == OnnxParse::ok);
    EXPECT((g.inputs == Names{"x"}));
    // node fields: the last name, op_type and domain count
    g = OnnxGraph();
    EXPECT(onnx(model(graph({node("Relu", {"x"}, {"y"}, "a", "ai.onnx") + flen(3, "b") + flen(4, "Sigmoid")},
                            {}, {"x"}, {"y"})),
                &g) == OnnxParse::ok);
    EXPECT(g.nodes.size() == 1 && g.nodes[0].name == "b" && g.nodes[0].op == "Sigmoid" &&
           g.nodes[0].domain == "ai.onnx");

    // two graphs in one model: protobuf would merge them; only one would have been checked
    const std::string two = fvar(1, 8) + flen(7, graph({}, {tensor("big", 1, {1u << 24}, raw(4))}, {}, {})) +
                            flen(7, graph({node("Relu", {"x"}, {"y"})}, {}, {"x"}, {"y"}));
    EXPECT_STR(problem(two), "the ONNX model holds 2 graphs (ModelProto.graph is one message)");
    EXPECT_STR(problem(load("onnx_linear.onnx") + flen(7, graph({}, {}, {}, {}))),
               "the ONNX model holds 2 graphs (ModelProto.graph is one message)");

    // real models edited: a weight's dims (raw_data, and packed float_data), a node input renamed
    const std::string lin = load("onnx_linear.onnx");
    const std::string fc_dims("\x08\x03\x08\x04\x10\x01", 6); // [3,4] FLOAT
    EXPECT_STR(problem(replace_once(lin, fc_dims, std::string("\x08\x03\x08\x05\x10\x01", 6))),
               "the ONNX tensor 'fc.weight' holds 48 bytes where its dims [3,5] need 60");
    EXPECT_STR(
        problem(replace_once(lin, flen(1, "fc.bias"), flen(1, "fc.biaX"))),
        "the ONNX node '/fc/Gemm' (Gemm) takes 'fc.biaX', which no graph input, initializer or earlier node "
        "gives");
    const std::string slow = load("onnx_slow.onnx");
    const std::string w_dims = fvar(1, 256) + fvar(1, 256) + fvar(2, 1);
    EXPECT_STR(problem(replace_once(slow, w_dims, fvar(1, 256) + fvar(1, 257) + fvar(2, 1))),
               "the ONNX tensor 'W' holds 65536 values where its dims [256,257] need 65792");
    const std::string cnn = load("onnx_cnn.onnx");
    EXPECT_STR(problem(replace_once(cnn, flen(2, "onnx::Conv_30"), flen(2, "onnx::Conv_31"))),
               "the ONNX node '/c2/Conv' (Conv) takes 'onnx::Conv_30', which no graph input, initializer or "
               "earlier node gives");
}

// ---------------------------------------------------------------- the Identity rewrite

static void identities() {
    std::string out;
    OnnxGraph g;
    const std::string lin = load("onnx_linear.onnx");
    EXPECT(onnx(lin, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(lin.data(), lin.size(), g, &out) == 0 && out == lin);

    // the CNN's one Identity of a folded bias: dropped, its consumer fed the initializer itself
    const std::string cnn = load("onnx_cnn.onnx");
    g = OnnxGraph();
    EXPECT(onnx(cnn, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(cnn.data(), cnn.size(), g, &out) == 1);
    OnnxGraph r;
    EXPECT(onnx(out, &r) == OnnxParse::ok);
    EXPECT((ops(r) == Names{"Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Softmax"}));
    EXPECT(r.nodes.size() == 8 &&
           (r.nodes[2].inputs == Names{"/Relu_output_0", "onnx::Conv_29", "onnx::Conv_27"}));
    EXPECT(r.inputs == g.inputs && r.outputs == g.outputs && r.initializers == g.initializers);
    EXPECT(out.size() < cnn.size() && out.compare(0, 4, cnn, 0, 4) == 0); // ir_version etc. kept ahead of it
    std::string again;
    EXPECT(onnx_drop_constant_identities(out.data(), out.size(), r, &again) == 0 && again == out);

    // a chain (an Identity of an Identity of a constant); one that is a graph output; other domains
    const std::string w = tensor("w", 1, {1}, raw(4));
    const std::string chain =
        model(graph({node("Identity", {"w"}, {"i1"}, "id1"), node("Identity", {"i1"}, {"i2"}),
                     node("Add", {"x", "i2"}, {"y"}, "add")},
                    {w}, {"x"}, {"y"}));
    g = OnnxGraph();
    EXPECT(onnx(chain, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(chain.data(), chain.size(), g, &out) == 2);
    r = OnnxGraph();
    EXPECT(onnx(out, &r) == OnnxParse::ok && r.nodes.size() == 1 && (r.nodes[0].inputs == Names{"x", "w"}));
    const std::string kept = model(graph({node("Identity", {"w"}, {"y"})}, {w}, {"x"}, {"y"}));
    g = OnnxGraph();
    EXPECT(onnx(kept, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(kept.data(), kept.size(), g, &out) == 0 && out == kept);
    const std::string other =
        model(graph({node("Identity", {"w"}, {"i"}, "", "com.example"), node("Add", {"x", "i"}, {"y"})}, {w},
                    {"x"}, {"y"}));
    g = OnnxGraph();
    EXPECT(onnx(other, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(other.data(), other.size(), g, &out) == 0);
    const std::string std_domain = model(graph(
        {node("Identity", {"w"}, {"i"}, "", "ai.onnx"), node("Add", {"x", "i"}, {"y"})}, {w}, {"x"}, {"y"}));
    g = OnnxGraph();
    EXPECT(onnx(std_domain, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(std_domain.data(), std_domain.size(), g, &out) == 1);
    // an Identity of a graph input is no constant's
    const std::string of_input =
        model(graph({node("Identity", {"x"}, {"i"}), node("Relu", {"i"}, {"y"})}, {}, {"x"}, {"y"}));
    g = OnnxGraph();
    EXPECT(onnx(of_input, &g) == OnnxParse::ok);
    EXPECT(onnx_drop_constant_identities(of_input.data(), of_input.size(), g, &out) == 0);
    // given a summary that is not of these bytes: -1 where the bytes have no graph to rewrite
    g = OnnxGraph();
    onnx(cnn, &g);
    EXPECT(onnx_drop_constant_identities("", 0, g, &out) == -1);
    EXPECT(onnx_drop_constant_identities("\xff\xff", 2, g, &out) == -1);
}

// ---------------------------------------------------------------- TF refusals

static void tf_refusals() {
    const std::string x = tf_node("x", "Placeholder");
    std::vector<TfNode> n;
    EXPECT(tf(x, &n) && n.size() == 1 && n[0].name == "x");
    EXPECT(tf(x + fvar(4, 27) + flen(4, fvar(1, 27)))); // versions, and fields not LEN, skipped
    EXPECT(!tf(flen(4, fvar(1, 27))));                  // no node
    EXPECT(!tf(fvar(1, 5)));                            // field 1 not a message: no node
    EXPECT(!tf(flen(1, flen(2, "Placeholder"))));       // no name
    EXPECT(!tf(flen(1, flen(1, "x"))));                 // no op
    EXPECT(!tf(x + flen(1, flen(1, "y") + flen(2, "Relu") + tag(3, 2) + varint(5) + "ab"))); // a node cut
    // inputs as written; the last name and op count
    n.clear();
    EXPECT(tf(x + tf_node("y", "AddN", {"x", "x:1", "^x"}, flen(1, "z") + flen(2, "Add")), &n) &&
           n.size() == 2);
    EXPECT(n.size() == 2 && n[1].name == "z" && n[1].op == "Add" && (n[1].inputs == Names{"x", "x:1", "^x"}));
    // data_format from the attr whose key says so (AttrValue.s); a malformed AttrValue there is ignored
    n.clear();
    EXPECT(tf(tf_node("c", "Conv2D", {}, tf_attr("T", fvar(6, 1)) + tf_attr("data_format", flen(2, "NCHW"))),
              &n));
    EXPECT(n.size() == 1 && n[0].data_format == "NCHW");
    n.clear();
    EXPECT(tf(tf_node("c", "Conv2D", {}, tf_attr("data_format", tag(2, 2) + varint(9) + "NCHW")), &n));
    EXPECT(n.size() == 1 && n[0].data_format.empty());
    EXPECT(!tf(tf_node("c", "Conv2D", {}, flen(5, flen(1, "T") + tag(2, 2) + varint(5) + "ab")))); // attr cut
    // strings: UTF-8 in name, op, input, device and attr keys; AttrValue.s is bytes
    const std::string valid[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xef\xbf\xbf",
                                 "\xf4\x8f\xbf\xbf"};
    const std::string invalid[] = {
        "\x80",             // a continuation first
        "\xc0\x80",         // overlong (C0, C1 never start a character)
        "\xc1\xbf",         //
        "\xe0\x80\x80",     // overlong 3-byte
        "\xed\xa0\x80",     // a surrogate
        "\xf0\x80\x80\x80", // overlong 4-byte
        "\xf4\x90\x80\x80", // past U+10FFFF
        "\xf5\x80\x80\x80", //
        "\xe2\x82",         // cut short
        "\xc3\x28",         // not a continuation
        std::string("a\xff", 2),
    };
    for (const std::string &s : valid) {
        EXPECT(tf(tf_node("n" + s, "Op" + s)));
        EXPECT(tf(x + tf_node("y", "Relu", {"x" + s}, flen(4, "/cpu:0" + s) + tf_attr("k" + s, flen(2, s)))));
    }
    for (const std::string &s : invalid) {
        EXPECT(!tf(tf_node("n" + s, "Placeholder")));
        EXPECT(!tf(tf_node("n", "Op" + s)));
        EXPECT(!tf(x + tf_node("y", "Relu", {"x" + s})));
        EXPECT(!tf(x + tf_node("y", "Relu", {"x"}, flen(4, s))));
        EXPECT(!tf(x + tf_node("y", "Relu", {"x"}, tf_attr("k" + s, fvar(6, 1)))));
        EXPECT(tf(x + tf_node("y", "Relu", {"x"}, tf_attr("k", flen(2, s))))); // bytes
    }
}

// ---------------------------------------------------------------- every truncation, single-byte changes

// The verdict on bytes; `odd` counts verdicts that break graph_info's contract: a problem without invalid or
// invalid without one, a rewrite that fails or does not read back.
static int verdict_onnx(const void *data, size_t len, int *odd) {
    OnnxGraph g;
    OnnxParse r = onnx_parse(data, len, &g);
    if ((r == OnnxParse::invalid) != !g.problem.empty())
        ++*odd;
    bool identity = false; // else the rewrite is a copy (and a costly one of onnx_slow)
    for (const OnnxNode &n : g.nodes)
        identity |= n.op == "Identity";
    if (r == OnnxParse::ok && identity) {
        std::string out;
        int dropped = onnx_drop_constant_identities(data, len, g, &out);
        OnnxGraph again;
        if (dropped < 0 || (dropped == 0 && out != std::string((const char *)data, len)) ||
            onnx_parse(out.data(), out.size(), &again) != OnnxParse::ok)
            ++*odd;
    }
    return (int)r;
}
static int verdict_tf(const void *data, size_t len, int *odd) {
    std::vector<TfNode> n;
    bool ok = tf_parse(data, len, &n);
    if (ok && n.empty())
        ++*odd;
    return ok ? 0 : 1;
}

typedef int (*Verdict)(const void *, size_t, int *);

// Each truncation in a buffer of its own length (so a read past it is valgrind's to see): every length, or
// for a big file every length without a copy (almost all stop at the first field) and its last `tail` copied.
static void truncations(const char *name, Verdict v, size_t copy_tail) {
    std::string full = load(name);
    int odd = 0, seen[4] = {0};
    for (size_t cut = 0; cut < full.size(); cut++) {
        if (full.size() - cut <= copy_tail) {
            char *b = (char *)malloc(cut > 0 ? cut : 1);
            memcpy(b, full.data(), cut);
            seen[v(b, cut, &odd)]++;
            free(b);
        } else {
            seen[v(full.data(), cut, &odd)]++;
        }
    }
    fprintf(stderr, "%s: %zu truncations, verdicts %d/%d/%d/%d\n", name, full.size(), seen[0], seen[1],
            seen[2], seen[3]);
    EXPECT(odd == 0);
    EXPECT(v(full.data(), full.size(), &odd) == 0 && odd == 0);
    EXPECT(seen[1] > 0); // reaches a refusal
}

static uint64_t read_varint(const std::string &s, size_t *at) {
    uint64_t v = 0;
    for (int shift = 0; *at < s.size(); shift += 7) {
        uint8_t b = (uint8_t)s[(*at)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
}

// The ONNX graph's payload cut at every length and wrapped again with the right length: the truncations
// that reach the nodes, initializers and value infos (a cut file stops at the graph field's length).
static void graph_truncations(const char *name) {
    std::string full = load(name);
    size_t at = 0, start = 0, plen = 0;
    while (at < full.size()) { // the top-level fields of a good file: varints and LENs
        size_t field = at;
        uint64_t t = read_varint(full, &at), v = read_varint(full, &at);
        if ((t & 7) == 2 && t >> 3 == 7) {
            start = at, plen = v, at = field;
            break;
        }
        if ((t & 7) == 2)
            at += v;
    }
    std::string head = full.substr(0, at), payload = full.substr(start, plen),
                tail = full.substr(start + plen);
    int odd = 0, seen[4] = {0};
    for (size_t cut = 0; cut <= payload.size(); cut++) {
        std::string b = head + flen(7, payload.substr(0, cut)) + tail;
        seen[verdict_onnx(b.data(), b.size(), &odd)]++;
    }
    fprintf(stderr, "%s: %zu graph truncations, verdicts %d/%d/%d/%d\n", name, payload.size() + 1, seen[0],
            seen[1], seen[2], seen[3]);
    EXPECT(odd == 0 && seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0);
}

// Each byte at `stride` (all of the first and last `ends` bytes) set to ten values in turn, in place in a
// buffer of the file's length.
static void byte_changes(const char *name, Verdict v, size_t stride, size_t ends) {
    std::string s = load(name);
    size_t len = s.size();
    uint8_t *b = (uint8_t *)malloc(len);
    memcpy(b, s.data(), len);
    int odd = 0, seen[4] = {0}, n = 0;
    for (size_t i = 0; i < len; i++) {
        if (i >= ends && i + ends < len && i % stride != 0)
            continue;
        uint8_t was = b[i];
        const uint8_t to[] = {(uint8_t)(was ^ 0x01),
                              (uint8_t)(was ^ 0x02),
                              (uint8_t)(was ^ 0x04),
                              (uint8_t)(was ^ 0x08),
                              (uint8_t)(was ^ 0x10),
                              (uint8_t)(was ^ 0x40),
                              (uint8_t)(was ^ 0x80),
                              0x00,
                              0x7f,
                              0xff};
        for (uint8_t t : to) {
            if (t == was)
                continue;
            b[i] = t;
            seen[v(b, len, &odd)]++;
            n++;
        }
        b[i] = was;
    }
    free(b);
    fprintf(stderr, "%s: %d byte changes, verdicts %d/%d/%d/%d\n", name, n, seen[0], seen[1], seen[2],
            seen[3]);
    EXPECT(odd == 0);
    EXPECT(seen[0] > 0 && seen[1] > 0); // some still models, some refused
}

static void mangled() {
    fprintf(stderr, "verdicts below: ok/not_protobuf/no_graph/invalid (TF: ok/refused)\n");
    const char *small_onnx[] = {"onnx_linear.onnx", "onnx_two.onnx", "onnx_cnn.onnx", "onnx_ml.onnx",
                                "onnx_badop.onnx"};
    for (const char *name : small_onnx) {
        truncations(name, verdict_onnx, SIZE_MAX);
        graph_truncations(name);
        byte_changes(name, verdict_onnx, 1, 0);
    }
    truncations("onnx_slow.onnx", verdict_onnx, 512);
    byte_changes("onnx_slow.onnx", verdict_onnx, 4093,
                 1024); // the nodes and value infos, and W's bytes sampled
    const char *tfs[] = {"tf_mlp.pb", "tf_two.pb", "tf_cnn.pb"};
    for (const char *name : tfs) {
        truncations(name, verdict_tf, SIZE_MAX);
        byte_changes(name, verdict_tf, 1, 0);
    }
}

int main() {
    clock_t t0 = clock();
    real_onnx();
    real_tf();
    wire();
    onnx_tensors();
    onnx_graphs();
    identities();
    tf_refusals();
    mangled();
    fprintf(stderr, "graph_info: %d passed, %d failed (%.2f s CPU)\n", checks - failures, failures,
            (double)(clock() - t0) / CLOCKS_PER_SEC);
    return failures == 0 ? 0 : 1;
}
