// Unit test of the TFLITE backend's model reader (src/module/backends/armnn/tflite_graph), no Arm NN and no
// server: the generated models read back as gen_tflite.py wrote them, the lying ones are refused with the
// fault named, and every truncation and 3000 seeded mutations of each good model are read without a crash or
// an out-of-bounds read (run it under ASan or valgrind for the latter) and give a verdict either way.
#include "tflite_graph.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graph_test.hpp"

static std::vector<uint8_t> load(const char *name) {
    std::string b = gt_load(name);
    return std::vector<uint8_t>(b.begin(), b.end());
}

// The verdict on bytes: "" when Arm NN may have them, else the reason.
static std::string verdict(const std::vector<uint8_t> &b) {
    locus_tfl::Model m;
    std::string e = locus_tfl::parse(b.data(), b.size(), &m);
    return e.empty() ? locus_tfl::check_for_armnn(m, b.data(), b.size()) : e;
}

static bool refused_with(const char *file, const char *fragment) {
    std::string e = verdict(load(file));
    if (e.find(fragment) == std::string::npos) {
        fprintf(stderr, "%s: expected '%s', got '%s'\n", file, fragment, e.c_str());
        return false;
    }
    return true;
}

int main() {
    // the conv net as written
    std::vector<uint8_t> cnn = load("tflite_cnn.tflite");
    locus_tfl::Model m;
    EXPECT(locus_tfl::parse(cnn.data(), cnn.size(), &m).empty());
    EXPECT(locus_tfl::check_for_armnn(m, cnn.data(), cnn.size()).empty());
    EXPECT(m.version == 3 && m.subgraphs.size() == 1 && m.codes.size() == 5);
    const locus_tfl::Subgraph &g = m.subgraphs[0];
    EXPECT(g.operators.size() == 5 && g.inputs.size() == 1 && g.outputs.size() == 1);
    EXPECT(g.tensors[(size_t)g.inputs[0]].name == "x" && g.tensors[(size_t)g.outputs[0]].name == "probs");
    EXPECT((g.tensors[(size_t)g.inputs[0]].shape == std::vector<int32_t>{1, 8, 8, 1}));
    EXPECT(std::string(locus_tfl::op_name(m.codes[g.operators[0].opcode_index].builtin)) == "CONV_2D");
    EXPECT(g.operators[0].options_type == 1 && g.operators[0].opt[1] == 1 &&
           (g.operators[0].opt_present & 2));
    EXPECT(verdict(load("tflite_linear.tflite")).empty() && verdict(load("tflite_two.tflite")).empty());

    // the lying ones, each fault named
    EXPECT(refused_with("tflite_bad_tensor.tflite", "input 1 names tensor 42"));
    EXPECT(refused_with("tflite_bad_buffer.tflite", "names buffer 42 of 3"));
    EXPECT(refused_with("tflite_bad_opcode.tflite", "names operator code 5 of 1"));
    EXPECT(refused_with("tflite_short_weights.tflite", "44 bytes of data for shape [3,4]"));
    EXPECT(refused_with("tflite_version2.tflite", "schema version 2"));
    EXPECT(refused_with("tflite_sin.tflite", "operator SIN (operator 0) is not supported"));
    EXPECT(refused_with("tflite_custom.tflite", "custom operator 'LocusNoSuchOp'"));
    std::vector<uint8_t> noid = cnn;
    memcpy(noid.data() + 4, "XXXX", 4);
    EXPECT(verdict(noid).find("no TFL3 file identifier") != std::string::npos);

    // every truncation is refused; mutations give a verdict, good or bad, without a crash
    const char *goods[] = {"tflite_linear.tflite", "tflite_two.tflite", "tflite_cnn.tflite"};
    unsigned seed = 20081;
    for (const char *name : goods) {
        std::vector<uint8_t> full = load(name);
        int truncated_ok = 0;
        for (size_t cut = 0; cut < full.size(); cut++)
            truncated_ok += !verdict(std::vector<uint8_t>(full.begin(), full.begin() + (long)cut)).empty();
        EXPECT(truncated_ok == (int)full.size());
        int accepted = 0;
        for (int round = 0; round < 3000; round++) {
            std::vector<uint8_t> b = full;
            for (int k = 0; k < 1 + round % 4; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % b.size();
                b[at] = (uint8_t)(round % 3 == 0 ? b[at] ^ (1u << (seed % 8)) : seed >> 24);
            }
            accepted += verdict(b).empty();
        }
        fprintf(stderr, "%s: %d of 3000 mutations accepted\n", name, accepted);
        EXPECT(accepted < 3000); // the mutations do reach the checks
    }
    fprintf(stderr, "tflite_graph: %d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
