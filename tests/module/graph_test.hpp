// What the C++ unit tests of the model readers share (test_tflite_graph.cpp, test_graph_info.cpp): counted
// checks that print where they failed (strings: both), and the bytes of a generated test model.
#ifndef LOCUS_TESTS_MODULE_GRAPH_TEST_HPP
#define LOCUS_TESTS_MODULE_GRAPH_TEST_HPP

#include <cstdio>
#include <cstdlib>
#include <string>

static int failures = 0, checks = 0;

#define EXPECT(cond)                                                                                         \
    do {                                                                                                     \
        checks++;                                                                                            \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond);                        \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

// both strings printed when they differ
#define EXPECT_STR(got, want)                                                                                \
    do {                                                                                                     \
        checks++;                                                                                            \
        std::string g_ = (got), w_ = (want);                                                                 \
        if (g_ != w_) {                                                                                      \
            fprintf(stderr, "%s:%d: EXPECT_STR failed: %s\n  got:  '%s'\n  want: '%s'\n", __FILE__,          \
                    __LINE__, #got, g_.c_str(), w_.c_str());                                                 \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

// The bytes of a generated test model in LOCUS_TEST_MODELS (./test_models when unset); exits when missing.
static inline std::string gt_load(const char *name) {
    const char *dir = getenv("LOCUS_TEST_MODELS");
    std::string path = std::string(dir != nullptr ? dir : "test_models") + "/" + name;
    FILE *f = fopen(path.c_str(), "rb");
    if (f == nullptr) {
        fprintf(stderr, "missing %s (set LOCUS_TEST_MODELS)\n", path.c_str());
        exit(1);
    }
    std::string b;
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;)
        b.append(buf, n);
    fclose(f);
    return b;
}

#endif
