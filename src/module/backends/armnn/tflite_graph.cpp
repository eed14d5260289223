// TensorFlow Lite model reader and Arm NN checks (see tflite_graph.h).
//
// FlatBuffers facts used: the file starts with a uint32 offset to the root table, then a 4-byte file
// identifier ("TFL3"). A table starts with an int32 whose subtraction from the table's position gives its
// vtable: uint16 vtable bytes, uint16 table bytes, then one uint16 per field slot (0: absent) giving the
// field's offset inside the table. Offsets to strings, vectors and tables are uint32, relative to where they
// are stored. A vector is a uint32 count followed by its elements; a string is a byte vector followed by a
// NUL. A union field takes two slots: its type tag (uint8) and then the offset of its table.
#include "tflite_graph.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace locus_tfl {

namespace {

// Builtin operator codes, by number (schema.fbs; 5 is unused).
const char *const kOpNames[] = {"ADD",
                                "AVERAGE_POOL_2D",
                                "CONCATENATION",
                                "CONV_2D",
                                "DEPTHWISE_CONV_2D",
                                "DEPTH_TO_SPACE",
                                "DEQUANTIZE",
                                "EMBEDDING_LOOKUP",
                                "FLOOR",
                                "FULLY_CONNECTED",
                                "HASHTABLE_LOOKUP",
                                "L2_NORMALIZATION",
                                "L2_POOL_2D",
                                "LOCAL_RESPONSE_NORMALIZATION",
                                "LOGISTIC",
                                "LSH_PROJECTION",
                                "LSTM",
                                "MAX_POOL_2D",
                                "MUL",
                                "RELU",
                                "RELU_N1_TO_1",
                                "RELU6",
                                "RESHAPE",
                                "RESIZE_BILINEAR",
                                "RNN",
                                "SOFTMAX",
                                "SPACE_TO_DEPTH",
                                "SVDF",
                                "TANH",
                                "CONCAT_EMBEDDINGS",
                                "SKIP_GRAM",
                                "CALL",
                                "CUSTOM",
                                "EMBEDDING_LOOKUP_SPARSE",
                                "PAD",
                                "UNIDIRECTIONAL_SEQUENCE_RNN",
                                "GATHER",
                                "BATCH_TO_SPACE_ND",
                                "SPACE_TO_BATCH_ND",
                                "TRANSPOSE",
                                "MEAN",
                                "SUB",
                                "DIV",
                                "SQUEEZE",
                                "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                "STRIDED_SLICE",
                                "BIDIRECTIONAL_SEQUENCE_RNN",
                                "EXP",
                                "TOPK_V2",
                                "SPLIT",
                                "LOG_SOFTMAX",
                                "DELEGATE",
                                "BIDIRECTIONAL_SEQUENCE_LSTM",
                                "CAST",
                                "PRELU",
                                "MAXIMUM",
                                "ARG_MAX",
                                "MINIMUM",
                                "LESS",
                                "NEG",
                                "PADV2",
                                "GREATER",
                                "GREATER_EQUAL",
                                "LESS_EQUAL",
                                "SELECT",
                                "SLICE",
                                "SIN",
                                "TRANSPOSE_CONV",
                                "SPARSE_TO_DENSE",
                                "TILE",
                                "EXPAND_DIMS",
                                "EQUAL",
                                "NOT_EQUAL",
                                "LOG",
                                "SUM",
                                "SQRT",
                                "RSQRT",
                                "SHAPE",
                                "POW",
                                "ARG_MIN",
                                "FAKE_QUANT",
                                "REDUCE_PROD",
                                "REDUCE_MAX",
                                "PACK",
                                "LOGICAL_OR",
                                "ONE_HOT",
                                "LOGICAL_AND",
                                "LOGICAL_NOT",
                                "UNPACK",
                                "REDUCE_MIN",
                                "FLOOR_DIV",
                                "REDUCE_ANY",
                                "SQUARE",
                                "ZEROS_LIKE",
                                "FILL",
                                "FLOOR_MOD",
                                "RANGE",
                                "RESIZE_NEAREST_NEIGHBOR",
                                "LEAKY_RELU",
                                "SQUARED_DIFFERENCE",
                                "MIRROR_PAD",
                                "ABS",
                                "SPLIT_V",
                                "UNIQUE",
                                "CEIL",
                                "REVERSE_V2",
                                "ADD_N",
                                "GATHER_ND",
                                "COS",
                                "WHERE",
                                "RANK",
                                "ELU",
                                "REVERSE_SEQUENCE",
                                "MATRIX_DIAG",
                                "QUANTIZE",
                                "MATRIX_SET_DIAG",
                                "ROUND",
                                "HARD_SWISH",
                                "IF",
                                "WHILE",
                                "NON_MAX_SUPPRESSION_V4",
                                "NON_MAX_SUPPRESSION_V5",
                                "SCATTER_ND",
                                "SELECT_V2",
                                "DENSIFY",
                                "SEGMENT_SUM",
                                "BATCH_MATMUL",
                                "PLACEHOLDER_FOR_GREATER_OP_CODES",
                                "CUMSUM",
                                "CALL_ONCE",
                                "BROADCAST_TO",
                                "RFFT2D",
                                "CONV_3D",
                                "IMAG",
                                "REAL",
                                "COMPLEX_ABS",
                                "HASHTABLE",
                                "HASHTABLE_FIND",
                                "HASHTABLE_IMPORT",
                                "HASHTABLE_SIZE",
                                "REDUCE_ALL",
                                "CONV_3D_TRANSPOSE",
                                "VAR_HANDLE",
                                "READ_VARIABLE",
                                "ASSIGN_VARIABLE",
                                "BROADCAST_ARGS",
                                "RANDOM_STANDARD_NORMAL",
                                "BUCKETIZE",
                                "RANDOM_UNIFORM",
                                "MULTINOMIAL",
                                "GELU",
                                "DYNAMIC_UPDATE_SLICE",
                                "RELU_0_TO_1",
                                "UNSORTED_SEGMENT_PROD",
                                "UNSORTED_SEGMENT_MAX",
                                "UNSORTED_SEGMENT_SUM",
                                "ATAN2",
                                "UNSORTED_SEGMENT_MIN"};

const struct {
    const char *name;
    size_t size;
} kTypes[] = {{"FLOAT32", 4}, {"FLOAT16", 2}, {"INT32", 4}, {"UINT8", 1},     {"INT64", 8},
              {"STRING", 0},  {"BOOL", 1},    {"INT16", 2}, {"COMPLEX64", 8}, {"INT8", 1}};

// BuiltinOptions union tags used below, with their table names for messages
enum Tag : int {
    kConv2D = 1,
    kDepthwise = 2,
    kPool2D = 5,
    kFullyConnected = 8,
    kSoftmax = 9,
    kConcatenation = 10,
    kAdd = 11,
    kResizeBilinear = 15,
    kReshape = 17,
    kMul = 21,
    kPad = 22,
    kBatchToSpace = 24,
    kSpaceToBatch = 25,
    kTranspose = 26,
    kReducer = 27,
    kSub = 28,
    kDiv = 29,
    kSqueeze = 30,
    kStridedSlice = 32,
    kSplit = 35,
    kTransposeConv = 49,
    kPack = 59,
    kUnpack = 64,
    kResizeNearest = 74,
    kLeakyRelu = 75,
    kSplitV = 79,
};

const char *tag_name(int tag) {
    switch (tag) {
    case kConv2D:
        return "Conv2DOptions";
    case kDepthwise:
        return "DepthwiseConv2DOptions";
    case kPool2D:
        return "Pool2DOptions";
    case kFullyConnected:
        return "FullyConnectedOptions";
    case kSoftmax:
        return "SoftmaxOptions";
    case kConcatenation:
        return "ConcatenationOptions";
    case kAdd:
        return "AddOptions";
    case kResizeBilinear:
        return "ResizeBilinearOptions";
    case kReshape:
        return "ReshapeOptions";
    case kMul:
        return "MulOptions";
    case kPad:
        return "PadOptions";
    case kReducer:
        return "ReducerOptions";
    case kSub:
        return "SubOptions";
    case kDiv:
        return "DivOptions";
    case kSqueeze:
        return "SqueezeOptions";
    case kStridedSlice:
        return "StridedSliceOptions";
    case kSplit:
        return "SplitOptions";
    case kTransposeConv:
        return "TransposeConvOptions";
    case kPack:
        return "PackOptions";
    case kUnpack:
        return "UnpackOptions";
    case kResizeNearest:
        return "ResizeNearestNeighborOptions";
    case kLeakyRelu:
        return "LeakyReluOptions";
    case kSplitV:
        return "SplitVOptions";
    default:
        return "options";
    }
}

// The widths of the scalar fields kept in Operator::opt, by options tag: 'b' a byte, 'i' an int32, '-' not
// kept. Only the tables whose values check_for_armnn looks at.
const char *opt_layout(int tag) {
    switch (tag) {
    case kConv2D:
        return "biibii"; // padding, stride_w, stride_h, activation, dilation_w, dilation_h
    case kDepthwise:
        return "biiibii"; // padding, stride_w, stride_h, depth_multiplier, activation, dilations
    case kPool2D:
        return "biiiib"; // padding, stride_w, stride_h, filter_width, filter_height, activation
    case kConcatenation:
        return "ib"; // axis, activation
    case kTransposeConv:
        return "bii"; // padding, stride_w, stride_h
    case kSplit:
        return "i"; // num_splits
    case kSplitV:
        return "i"; // num_splits
    case kPack:
        return "ii"; // values_count, axis
    case kUnpack:
        return "ii"; // num, axis
    default:
        return "";
    }
}

// Bounds-checked reads over the file. Every visited table and vector element spends from a budget
// proportional to the file's size, so a file whose offsets share one table many times over cannot make the
// reader's work grow faster than the file.
class Reader {
  public:
    Reader(const uint8_t *p, size_t n) : p_(p), n_(n), budget_(4 * (uint64_t)n + 4096) {}

    const std::string &error() const {
        return err_;
    }
    bool fail(const std::string &m) {
        if (err_.empty())
            err_ = m;
        return false;
    }

    struct Table {
        uint64_t pos = 0, vt = 0;
        uint16_t vtsize = 0, size = 0;
    };

    bool table(uint64_t pos, Table *t) {
        int32_t soff;
        if (!spend(1) || !read(pos, &soff))
            return fail("a table lies outside the file");
        int64_t vt = (int64_t)pos - soff;
        uint16_t vtsize, size;
        if (vt < 0 || !read((uint64_t)vt, &vtsize) || !read((uint64_t)vt + 2, &size))
            return fail("a table's vtable lies outside the file");
        if (vtsize < 4 || vtsize % 2 != 0 || (uint64_t)vt + vtsize > n_ || size < 4 || pos + size > n_)
            return fail("a table's vtable is malformed");
        *t = Table{pos, (uint64_t)vt, vtsize, size};
        return true;
    }

    // The offset of slot's field in the table, 0 when absent; fails when the field does not fit in it.
    bool field(const Table &t, int slot, unsigned width, uint64_t *at) {
        uint64_t entry = 4 + 2 * (uint64_t)slot;
        *at = 0;
        if (entry + 2 > t.vtsize)
            return true;
        uint16_t off = 0;
        read(t.vt + entry, &off);
        if (off == 0)
            return true;
        if ((uint64_t)off + width > t.size)
            return fail("a table field lies outside its table");
        *at = t.pos + off;
        return true;
    }

    template <typename T> bool scalar(const Table &t, int slot, T *v, bool *present = nullptr) {
        uint64_t at;
        if (!field(t, slot, sizeof(T), &at))
            return false;
        if (present)
            *present = at != 0;
        if (at != 0)
            read(at, v);
        return true;
    }

    // The position an offset field points to; 0 when the field is absent.
    bool ref(const Table &t, int slot, uint64_t *target) {
        uint64_t at;
        *target = 0;
        if (!field(t, slot, 4, &at))
            return false;
        if (at == 0)
            return true;
        uint32_t off = 0;
        read(at, &off);
        if (off == 0 || at + off + 4 > n_)
            return fail("an offset points outside the file");
        *target = at + off;
        return true;
    }

    // A vector at pos: its count and the position of its first element.
    bool vector(uint64_t pos, uint64_t elem, uint32_t *count, uint64_t *first) {
        if (!read(pos, count) || pos + 4 + (uint64_t)*count * elem > n_)
            return fail("a vector runs past the end of the file");
        if (!spend(*count))
            return false;
        *first = pos + 4;
        return true;
    }

    bool string(const Table &t, int slot, std::string *s) {
        uint64_t pos, first;
        uint32_t count;
        if (!ref(t, slot, &pos))
            return false;
        if (pos == 0)
            return true;
        if (!vector(pos, 1, &count, &first))
            return false;
        if (first + count >= n_ || p_[first + count] != 0)
            return fail("a string is not NUL-terminated");
        s->assign((const char *)p_ + first, count);
        return true;
    }

    bool ints(const Table &t, int slot, std::vector<int32_t> *v) {
        uint64_t pos, first;
        uint32_t count;
        if (!ref(t, slot, &pos))
            return false;
        v->clear();
        if (pos == 0)
            return true;
        if (!vector(pos, 4, &count, &first))
            return false;
        v->resize(count);
        for (uint32_t i = 0; i < count; i++)
            read(first + 4 * (uint64_t)i, &(*v)[i]);
        return true;
    }

    // The count of a vector field of elem-byte elements (0 when absent), and where its elements start.
    bool count(const Table &t, int slot, uint64_t elem, uint32_t *n, uint64_t *first = nullptr) {
        uint64_t pos, f = 0;
        *n = 0;
        if (!ref(t, slot, &pos))
            return false;
        if (pos != 0 && !vector(pos, elem, n, &f))
            return false;
        if (first)
            *first = f;
        return true;
    }

    bool tables(const Table &t, int slot, std::vector<Table> *v) {
        uint64_t first;
        uint32_t n;
        v->clear();
        if (!count(t, slot, 4, &n, &first))
            return false;
        v->resize(n);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t at = first + 4 * (uint64_t)i;
            uint32_t off = 0;
            read(at, &off);
            if (off == 0 || !table(at + off, &(*v)[i]))
                return fail("a table offset points outside the file");
        }
        return true;
    }

    template <typename T> bool read(uint64_t at, T *v) const {
        if (at > n_ || n_ - at < sizeof(T))
            return false;
        memcpy(v, p_ + at, sizeof(T)); // little-endian, as FlatBuffers and this machine
        return true;
    }

  private:
    bool spend(uint64_t k) {
        if (k > budget_)
            return fail("the FlatBuffer refers to its tables more often than its size allows");
        budget_ -= k;
        return true;
    }

    const uint8_t *p_;
    size_t n_;
    uint64_t budget_;
    std::string err_;
};

bool read_tensor(Reader &r, const Reader::Table &t, Tensor *out) {
    int8_t type = 0;
    Reader::Table q;
    uint64_t qpos, sparsity;
    uint8_t variable = 0;
    if (!r.ints(t, 0, &out->shape) || !r.scalar(t, 1, &type) || !r.scalar(t, 2, &out->buffer) ||
        !r.string(t, 3, &out->name) || !r.ref(t, 4, &qpos) || !r.scalar(t, 5, &variable) ||
        !r.ref(t, 6, &sparsity))
        return false;
    out->type = type;
    out->is_variable = variable != 0;
    out->has_sparsity = sparsity != 0;
    if (qpos != 0) {
        uint32_t nscale, nzero;
        if (!r.table(qpos, &q) || !r.count(q, 2, 4, &nscale) || !r.count(q, 3, 8, &nzero) ||
            !r.scalar(q, 6, &out->quantized_dimension))
            return false;
        out->has_quantization = true;
        out->nscale = nscale;
        out->nzero_point = nzero;
    }
    return true;
}

bool read_operator(Reader &r, const Reader::Table &t, Operator *out) {
    uint8_t tag = 0;
    uint64_t opts, custom;
    if (!r.scalar(t, 0, &out->opcode_index) || !r.ints(t, 1, &out->inputs) || !r.ints(t, 2, &out->outputs) ||
        !r.scalar(t, 3, &tag) || !r.ref(t, 4, &opts) || !r.ref(t, 5, &custom))
        return false;
    out->options_type = tag;
    out->has_custom_options = custom != 0;
    if (tag != 0 && opts == 0)
        return r.fail("an operator's options tag has no options table");
    if (opts == 0)
        return true;
    Reader::Table o;
    if (!r.table(opts, &o))
        return false;
    const char *layout = opt_layout(tag);
    for (int slot = 0; layout[slot] != '\0' && slot < 8; slot++) {
        bool present = false;
        if (layout[slot] == 'b') {
            int8_t v = 0;
            if (!r.scalar(o, slot, &v, &present))
                return false;
            out->opt[slot] = v;
        } else if (layout[slot] == 'i') {
            if (!r.scalar(o, slot, &out->opt[slot], &present))
                return false;
        }
        if (present)
            out->opt_present |= 1u << slot;
    }
    if ((tag == kSqueeze || tag == kReshape) && !r.ints(o, 0, &out->opt_dims))
        return false;
    return true;
}

} // namespace

const char *op_name(int32_t code) {
    return code >= 0 && (size_t)code < sizeof kOpNames / sizeof kOpNames[0] ? kOpNames[code] : "";
}

size_t type_size(int type) {
    return type >= 0 && (size_t)type < sizeof kTypes / sizeof kTypes[0] ? kTypes[type].size : 0;
}

const char *type_name(int type) {
    return type >= 0 && (size_t)type < sizeof kTypes / sizeof kTypes[0] ? kTypes[type].name : "";
}

std::string parse(const void *data, size_t len, Model *m) {
    const uint8_t *p = (const uint8_t *)data;
    if (len < 8)
        return "it is too short for a FlatBuffer";
    if (memcmp(p + 4, "TFL3", 4) != 0)
        return "it has no TFL3 file identifier";
    Reader r(p, len);
    uint32_t root = 0;
    r.read(0, &root);
    Reader::Table model;
    std::vector<Reader::Table> codes, subgraphs, buffers;
    if (!r.table(root, &model) || !r.scalar(model, 0, &m->version) || !r.tables(model, 1, &codes) ||
        !r.tables(model, 2, &subgraphs) || !r.tables(model, 4, &buffers))
        return "the FlatBuffer is malformed: " + r.error();
    m->codes.resize(codes.size());
    for (size_t i = 0; i < codes.size(); i++) {
        int8_t narrow = 0;
        int32_t wide = 0;
        if (!r.scalar(codes[i], 0, &narrow) || !r.string(codes[i], 1, &m->codes[i].custom) ||
            !r.scalar(codes[i], 3, &wide))
            return "the FlatBuffer is malformed: " + r.error();
        m->codes[i].builtin = narrow > wide ? narrow : wide;
        m->codes[i].narrow = narrow;
    }
    m->subgraphs.resize(subgraphs.size());
    for (size_t s = 0; s < subgraphs.size(); s++) {
        Subgraph &g = m->subgraphs[s];
        std::vector<Reader::Table> tensors, ops;
        if (!r.tables(subgraphs[s], 0, &tensors) || !r.ints(subgraphs[s], 1, &g.inputs) ||
            !r.ints(subgraphs[s], 2, &g.outputs) || !r.tables(subgraphs[s], 3, &ops))
            return "the FlatBuffer is malformed: " + r.error();
        g.tensors.resize(tensors.size());
        for (size_t i = 0; i < tensors.size(); i++)
            if (!read_tensor(r, tensors[i], &g.tensors[i]))
                return "the FlatBuffer is malformed: " + r.error();
        g.operators.resize(ops.size());
        for (size_t i = 0; i < ops.size(); i++)
            if (!read_operator(r, ops[i], &g.operators[i]))
                return "the FlatBuffer is malformed: " + r.error();
    }
    m->buffers.resize(buffers.size());
    for (size_t i = 0; i < buffers.size(); i++) {
        uint32_t n;
        uint64_t first, offset = 0;
        if (!r.count(buffers[i], 0, 1, &n, &first) || !r.scalar(buffers[i], 1, &offset))
            return "the FlatBuffer is malformed: " + r.error();
        m->buffers[i].size = n;
        m->buffers[i].pos = first;
        m->buffers[i].external = offset > 1;
    }
    if (m->subgraphs.empty())
        return "it has no subgraph";
    return "";
}

namespace {

// What Arm NN 20.08's TfLiteParser has, found by trying every builtin code on it: the operators it parses
// and what each parser reads without checking (the options table, inputs it takes as constants).
struct OpSpec {
    int code;
    int tag;            // options table its parser reads (0: none or optional)
    int min_in, max_in; // inputs
    int optional_from;  // inputs from this index on may be -1 (left out); -1: none may
    unsigned constant;  // bit i: input i must be a constant tensor
    unsigned int32;     // bit i: ... of INT32 values (shapes, axes, paddings)
    bool multi_out;     // more than one output
};

constexpr int kMany = 1 << 20;

const OpSpec kArmnnOps[] = {
    {0, kAdd, 2, 2, -1, 0, 0, false},                 // ADD
    {1, kPool2D, 1, 1, -1, 0, 0, false},              // AVERAGE_POOL_2D
    {2, kConcatenation, 1, kMany, -1, 0, 0, false},   // CONCATENATION
    {3, kConv2D, 2, 3, 2, 0x6, 0, false},             // CONV_2D: filter, bias
    {4, kDepthwise, 2, 3, 2, 0x6, 0, false},          // DEPTHWISE_CONV_2D
    {6, 0, 1, 1, -1, 0, 0, false},                    // DEQUANTIZE
    {9, kFullyConnected, 2, 3, 2, 0x6, 0, false},     // FULLY_CONNECTED: weights, bias
    {11, 0, 1, 1, -1, 0, 0, false},                   // L2_NORMALIZATION
    {14, 0, 1, 1, -1, 0, 0, false},                   // LOGISTIC
    {17, kPool2D, 1, 1, -1, 0, 0, false},             // MAX_POOL_2D
    {18, kMul, 2, 2, -1, 0, 0, false},                // MUL
    {19, 0, 1, 1, -1, 0, 0, false},                   // RELU
    {21, 0, 1, 1, -1, 0, 0, false},                   // RELU6
    {22, 0, 1, 2, -1, 0x2, 0x2, false},               // RESHAPE: shape
    {23, kResizeBilinear, 2, 2, -1, 0x2, 0x2, false}, // RESIZE_BILINEAR: size
    {25, kSoftmax, 1, 1, -1, 0, 0, false},            // SOFTMAX
    {28, 0, 1, 1, -1, 0, 0, false},                   // TANH
    {34, 0, 2, 2, -1, 0x2, 0x2, false},               // PAD: paddings
    {37, 0, 3, 3, -1, 0x6, 0x6, false},               // BATCH_TO_SPACE_ND: block, crops
    {38, 0, 3, 3, -1, 0x6, 0x6, false},               // SPACE_TO_BATCH_ND: block, paddings
    {39, 0, 1, 2, -1, 0x2, 0x2, false},               // TRANSPOSE: perm
    {40, kReducer, 2, 2, -1, 0x2, 0x2, false},        // MEAN: axes
    {41, kSub, 2, 2, -1, 0, 0, false},                // SUB
    {42, kDiv, 2, 2, -1, 0, 0, false},                // DIV
    {43, kSqueeze, 1, 1, -1, 0, 0, false},            // SQUEEZE
    {45, kStridedSlice, 4, 4, -1, 0xe, 0xe, false},   // STRIDED_SLICE: begin, end, strides
    {47, 0, 1, 1, -1, 0, 0, false},                   // EXP
    {49, kSplit, 2, 2, -1, 0x1, 0x1, true},           // SPLIT: axis first
    {55, 0, 2, 2, -1, 0, 0, false},                   // MAXIMUM
    {57, 0, 2, 2, -1, 0, 0, false},                   // MINIMUM
    {59, 0, 1, 1, -1, 0, 0, false},                   // NEG
    {65, 0, 3, 3, -1, 0x6, 0x6, false},               // SLICE: begin, size
    {67, kTransposeConv, 3, 4, 3, 0xb, 0x1, false},   // TRANSPOSE_CONV: output shape, weights, bias
    {83, kPack, 1, kMany, -1, 0, 0, false},           // PACK
    {88, kUnpack, 1, 1, -1, 0, 0, true},              // UNPACK
    {97, kResizeNearest, 2, 2, -1, 0x2, 0x2, false},  // RESIZE_NEAREST_NEIGHBOR: size
    {98, kLeakyRelu, 1, 1, -1, 0, 0, false},          // LEAKY_RELU
    {102, kSplitV, 3, 3, -1, 0x6, 0x6, true},         // SPLIT_V: size_splits, axis
    {114, 0, 1, 1, -1, 0, 0, false},                  // QUANTIZE
    {117, 0, 1, 1, -1, 0, 0, false},                  // HARD_SWISH
};

const OpSpec *armnn_op(int32_t code) {
    for (const OpSpec &s : kArmnnOps)
        if (s.code == code)
            return &s;
    return nullptr;
}

std::string shape_text(const std::vector<int32_t> &s) {
    std::string t = "[";
    for (size_t i = 0; i < s.size() && i < 8; i++)
        t += (i ? "," : "") + std::to_string(s[i]);
    return t + (s.size() > 8 ? ",...]" : "]");
}

class Checker {
  public:
    Checker(const Model &m, const uint8_t *p, size_t n) : m_(m), g_(m.subgraphs[0]), p_(p), n_(n) {}

    std::string run() {
        std::string e;
        for (size_t i = 0; i < g_.tensors.size() && e.empty(); i++)
            e = tensor((int)i);
        if (e.empty())
            e = graph_io();
        if (!e.empty())
            return e;
        produced_.assign(g_.tensors.size(), false);
        for (int32_t i : g_.inputs)
            produced_[(size_t)i] = true;
        for (size_t i = 0; i < g_.operators.size() && e.empty(); i++)
            e = op((int)i);
        for (size_t i = 0; i < g_.outputs.size() && e.empty(); i++)
            if (!produced_[(size_t)g_.outputs[i]])
                e = "output " + tname(g_.outputs[i]) + " is computed by no operator";
        return e;
    }

  private:
    std::string tname(int32_t i) const {
        return "tensor " + std::to_string(i) + " '" + g_.tensors[(size_t)i].name + "'";
    }

    bool constant(int32_t i) const {
        const Tensor &t = g_.tensors[(size_t)i];
        return m_.buffers[t.buffer].size > 0;
    }

    std::string tensor(int i) {
        const Tensor &t = g_.tensors[(size_t)i];
        if (t.buffer >= m_.buffers.size())
            return tname(i) + " names buffer " + std::to_string(t.buffer) + " of " +
                   std::to_string(m_.buffers.size());
        if (m_.buffers[t.buffer].external)
            return tname(i) +
                   " keeps its data outside the FlatBuffer (a model over 2 GB), which Arm NN cannot read";
        if (type_name(t.type)[0] == '\0')
            return tname(i) + " has tensor type " + std::to_string(t.type) +
                   ", which Arm NN 20.08 does not know";
        if (t.shape.size() > 5)
            return tname(i) + " has " + std::to_string(t.shape.size()) +
                   " dimensions (Arm NN takes at most 5)";
        int64_t n = 1;
        for (int32_t d : t.shape) {
            if (d < 1)
                return tname(i) + " has shape " + shape_text(t.shape) + " (dimensions must be at least 1)";
            n *= d;
            if (n * (int64_t)(type_size(t.type) > 0 ? type_size(t.type) : 1) >
                INT32_MAX) // Arm NN sizes in 32 bits
                return tname(i) + " has shape " + shape_text(t.shape) + ", over 2 GiB";
        }
        if (t.has_sparsity)
            return tname(i) + " is sparse, which Arm NN 20.08 does not read";
        if (t.is_variable)
            return tname(i) + " is a variable (a stateful model), which Arm NN 20.08 does not run";
        uint64_t have = m_.buffers[t.buffer].size;
        if (have > 0) {
            size_t es = type_size(t.type);
            if (es == 0)
                return tname(i) + " is a constant of type " + type_name(t.type) +
                       ", which Arm NN does not take";
            if (have != (uint64_t)n * es)
                return tname(i) + " has " + std::to_string(have) + " bytes of data for shape " +
                       shape_text(t.shape) + " of " + type_name(t.type) + " (" +
                       std::to_string((uint64_t)n * es) + " expected)";
        }
        // Arm NN reads UINT8, INT8 and INT16 tensors as quantized and their parameters without looking
        if ((t.type == kUint8 || t.type == kInt8 || t.type == kInt16) &&
            (t.nscale == 0 || t.nzero_point == 0))
            return tname(i) + " is " + type_name(t.type) +
                   " without quantization parameters (scale and zero point), "
                   "which Arm NN needs";
        if (t.nscale > 1) { // per-axis quantization: one scale per channel of the quantized dimension
            if (t.quantized_dimension < 0 || (size_t)t.quantized_dimension >= t.shape.size() ||
                (int64_t)t.nscale != t.shape[(size_t)t.quantized_dimension])
                return tname(i) + " has " + std::to_string(t.nscale) +
                       " quantization scales, not one per channel of "
                       "its quantized dimension";
            if (t.nzero_point > 1 && t.nzero_point != t.nscale)
                return tname(i) + " has " + std::to_string(t.nzero_point) + " zero points for " +
                       std::to_string(t.nscale) + " scales";
        } else if (t.nzero_point > 1) {
            return tname(i) + " has " + std::to_string(t.nzero_point) + " zero points for one scale";
        }
        return "";
    }

    std::string graph_io() {
        std::set<std::string> names;
        for (int pass = 0; pass < 2; pass++) {
            const std::vector<int32_t> &list = pass == 0 ? g_.inputs : g_.outputs;
            const char *what = pass == 0 ? "input" : "output";
            if (list.empty())
                return std::string("the graph has no ") + what + "s";
            names.clear();
            for (int32_t i : list) {
                if (i < 0 || (size_t)i >= g_.tensors.size())
                    return std::string("graph ") + what + " " + std::to_string(i) +
                           " names no tensor (the graph has " + std::to_string(g_.tensors.size()) + ")";
                if (constant(i))
                    return std::string("graph ") + what + " " + tname(i) + " is a constant";
                if (!names.insert(g_.tensors[(size_t)i].name).second)
                    return std::string("two graph ") + what + "s are named '" + g_.tensors[(size_t)i].name +
                           "'";
            }
        }
        return "";
    }

    // The INT32 values of a constant tensor (checked to be one, of its shape's size, before).
    std::vector<int32_t> values(int32_t i) const {
        const Tensor &t = g_.tensors[(size_t)i];
        const Buffer &b = m_.buffers[t.buffer];
        std::vector<int32_t> v((size_t)(b.size / 4));
        if (b.pos + b.size <= n_)
            memcpy(v.data(), p_ + b.pos, v.size() * 4);
        return v;
    }

    const Tensor &in(const Operator &o, size_t k) const {
        return g_.tensors[(size_t)o.inputs[k]];
    }

    std::string op(int index) {
        const Operator &o = g_.operators[(size_t)index];
        std::string where = "operator " + std::to_string(index);
        if (o.opcode_index >= m_.codes.size())
            return where + " names operator code " + std::to_string(o.opcode_index) + " of " +
                   std::to_string(m_.codes.size());
        const OperatorCode &code = m_.codes[o.opcode_index];
        // Arm NN 20.08 reads the byte-wide code only and indexes its parsers with it: both fields must agree
        // (127 in the byte means "see the int field", whose codes Arm NN does not have)
        if (code.narrow < 0 || (code.narrow != code.builtin && code.narrow != 127))
            return where + " has operator code " + std::to_string(code.narrow) + " in its byte field and " +
                   std::to_string(code.builtin) + " in its int field";
        if (code.builtin == 32)
            return "TFLITE custom operator '" + code.custom + "' (" + where + ") is not supported";
        std::string name = op_name(code.builtin);
        if (name.empty())
            name = "with builtin code " + std::to_string(code.builtin);
        const OpSpec *spec = armnn_op(code.builtin);
        if (spec == nullptr)
            return "TFLITE operator " + name + " (" + where + ") is not supported";
        where = name + " (" + where + ")";
        if (o.options_type != 0 && spec->tag != 0 && o.options_type != spec->tag)
            return where + " carries options of another operator (union tag " +
                   std::to_string(o.options_type) + ")";
        if (spec->tag != 0 && o.options_type != spec->tag)
            return where + " has no " + tag_name(spec->tag);
        int nin = (int)o.inputs.size(), nout = (int)o.outputs.size();
        if (nin < spec->min_in || nin > spec->max_in)
            return where + " has " + std::to_string(nin) + " inputs (" + std::to_string(spec->min_in) +
                   (spec->max_in == spec->min_in ? ""
                    : spec->max_in == kMany      ? " or more"
                                                 : " to " + std::to_string(spec->max_in)) +
                   " expected)";
        if (nout < 1 || (!spec->multi_out && nout != 1))
            return where + " has " + std::to_string(nout) + " outputs";
        for (int k = 0; k < nin; k++) {
            int32_t t = o.inputs[(size_t)k];
            if (t == -1 && spec->optional_from >= 0 && k >= spec->optional_from)
                continue;
            if (t < 0 || (size_t)t >= g_.tensors.size())
                return where + " input " + std::to_string(k) + " names tensor " + std::to_string(t) +
                       " (the graph has " + std::to_string(g_.tensors.size()) + ")";
            bool c = constant(t);
            if ((spec->constant >> k & 1) && !c)
                return where + " input " + std::to_string(k) + " (" + tname(t) +
                       ") must be a constant for Arm NN";
            if ((spec->int32 >> k & 1) && g_.tensors[(size_t)t].type != kInt32)
                return where + " input " + std::to_string(k) + " (" + tname(t) + ") must be INT32";
            if (!c && !produced_[(size_t)t])
                return where + " input " + std::to_string(k) + " (" + tname(t) +
                       ") is used before any operator computes it";
        }
        for (int k = 0; k < nout; k++) {
            int32_t t = o.outputs[(size_t)k];
            if (t < 0 || (size_t)t >= g_.tensors.size())
                return where + " output " + std::to_string(k) + " names tensor " + std::to_string(t) +
                       " (the graph has " + std::to_string(g_.tensors.size()) + ")";
            if (constant(t) || produced_[(size_t)t])
                return where + " output " + std::to_string(k) + " (" + tname(t) +
                       ") is a constant, a graph input or "
                       "computed twice";
        }
        std::string e = values_ok(o, *spec, where);
        if (e.empty())
            e = shapes_ok(o, *spec, where);
        if (!e.empty())
            return e;
        for (int32_t t : o.outputs)
            produced_[(size_t)t] = true;
        return "";
    }

    static int64_t numel(const Tensor &t) {
        int64_t n = 1;
        for (int32_t d : t.shape)
            n *= d; // at most 2^31 (checked for every tensor)
        return n;
    }

    // The output size of a convolution or pool along one dimension (schema.fbs: Padding SAME = 0, VALID = 1).
    static int64_t conv_out(int64_t in, int64_t k, int64_t stride, int64_t dilation, int padding) {
        int64_t span = (k - 1) * dilation + 1;
        return padding == 0 ? (in + stride - 1) / stride : in >= span ? (in - span) / stride + 1 : 0;
    }

    // Shapes Arm NN 20.08 trusts (its checks are assertions, or none: a fully connected input whose size does
    // not fit its weights is read past its end), for the operators common in small models. The others are
    // left to Arm NN's own shape validation.
    std::string shapes_ok(const Operator &o, const OpSpec &spec, const std::string &where) {
        auto opt = [&](int slot, int32_t dflt) { return o.opt_present >> slot & 1 ? o.opt[slot] : dflt; };
        auto shape_of = [&](int32_t t) { return g_.tensors[(size_t)t].shape; };
        const std::vector<int32_t> in0 = shape_of(o.inputs[0]), out0 = shape_of(o.outputs[0]);
        std::string bad = where + " has input and output shapes that do not fit (" + shape_text(in0) +
                          " -> " + shape_text(out0) + ")";
        switch (spec.code) {
        case 0:
        case 18:
        case 41:
        case 42:
        case 55:
        case 57: { // ADD MUL SUB DIV MAXIMUM MINIMUM: broadcast
            std::vector<int32_t> a = in0, b = shape_of(o.inputs[1]);
            if (a.size() > 4 || b.size() > 4)
                return where + " has inputs of more than 4 dimensions";
            size_t r = std::max(a.size(), b.size());
            a.insert(a.begin(), r - a.size(), 1);
            b.insert(b.begin(), r - b.size(), 1);
            std::vector<int32_t> want(r);
            for (size_t d = 0; d < r; d++) {
                if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
                    return where + " has inputs " + shape_text(shape_of(o.inputs[0])) + " and " +
                           shape_text(shape_of(o.inputs[1])) + " that do not broadcast";
                want[d] = std::max(a[d], b[d]);
            }
            if (out0 != want)
                return where + " has output " + shape_text(out0) + " for the broadcast shape " +
                       shape_text(want);
            break;
        }
        case 9: { // FULLY_CONNECTED: [batch, in] x weights [units, in]^T + bias [units]
            const std::vector<int32_t> w = shape_of(o.inputs[1]);
            if (w.size() != 2 || numel(in(o, 0)) % w[1] != 0 ||
                numel(g_.tensors[(size_t)o.outputs[0]]) != numel(in(o, 0)) / w[1] * w[0] || out0.empty() ||
                out0.back() != w[0])
                return where + " has input " + shape_text(in0) + ", weights " + shape_text(w) +
                       " and output " + shape_text(out0) + " that do not fit";
            if (o.inputs.size() > 2 && o.inputs[2] >= 0 && numel(in(o, 2)) != w[0])
                return where + " has a bias of " + std::to_string(numel(in(o, 2))) + " for " +
                       std::to_string(w[0]) + " units";
            break;
        }
        case 1:
        case 17:
        case 3:
        case 4: { // pools and convolutions: NHWC in and out
            if (in0.size() != 4 || out0.size() != 4 || in0[0] != out0[0])
                return bad;
            int64_t kh = opt(4, 0), kw = opt(3, 0), channels = in0[3], dh = 1, dw = 1;
            if (spec.code == 3 || spec.code == 4) {
                const std::vector<int32_t> f = shape_of(o.inputs[1]);
                if (f.size() != 4)
                    return where + " has a filter of shape " + shape_text(f);
                kh = f[1];
                kw = f[2];
                dw = spec.code == 3 ? opt(4, 1) : opt(5, 1);
                dh = spec.code == 3 ? opt(5, 1) : opt(6, 1);
                // CONV_2D: filter [out, kh, kw, in]; DEPTHWISE: [1, kh, kw, in * multiplier]
                bool fits =
                    spec.code == 3 ? f[3] == in0[3] : f[0] == 1 && f[3] == (int64_t)in0[3] * opt(3, 0);
                if (!fits)
                    return where + " has a filter " + shape_text(f) + " that does not fit its input " +
                           shape_text(in0);
                channels = spec.code == 3 ? f[0] : f[3];
                if (o.inputs.size() > 2 && o.inputs[2] >= 0 && numel(in(o, 2)) != channels)
                    return where + " has a bias of " + std::to_string(numel(in(o, 2))) + " for " +
                           std::to_string(channels) + " channels";
            }
            int pad = opt(0, 0);
            if (pad != 0 && pad != 1)
                return where + " has padding " + std::to_string(pad);
            int64_t ho = conv_out(in0[1], kh, opt(2, 0), dh, pad),
                    wo = conv_out(in0[2], kw, opt(1, 0), dw, pad);
            if (ho < 1 || wo < 1 || out0[1] != ho || out0[2] != wo || out0[3] != channels)
                return bad;
            break;
        }
        case 6:
        case 11:
        case 14:
        case 19:
        case 21:
        case 25:
        case 28:
        case 47:
        case 59:
        case 98:
        case 114:
        case 117:
            // DEQUANTIZE L2_NORMALIZATION LOGISTIC RELU RELU6 SOFTMAX TANH EXP NEG LEAKY_RELU QUANTIZE
            // HARD_SWISH
            if (out0 != in0)
                return bad;
            break;
        case 22: { // RESHAPE; Arm NN divides by the new shape's known dimensions to fill a -1
            if (numel(in(o, 0)) != numel(g_.tensors[(size_t)o.outputs[0]]))
                return bad;
            if (o.inputs.size() < 2 && o.options_type == kReshape) {
                int unknown = 0;
                for (int32_t d : o.opt_dims)
                    if (d == -1 ? ++unknown > 1 : d < 1)
                        return where + " has new_shape " + shape_text(o.opt_dims);
                if (o.opt_dims.size() > 5)
                    return where + " has new_shape " + shape_text(o.opt_dims);
            }
            break;
        }
        default:
            break;
        }
        return types_ok(o, spec, where);
    }

    // Element types Arm NN 20.08 asserts on when they mix (its CpuRef support checks abort on, for example,
    // INT32 weights under a FLOAT32 input).
    std::string types_ok(const Operator &o, const OpSpec &spec, const std::string &where) {
        auto type_of = [&](int32_t t) { return g_.tensors[(size_t)t].type; };
        int in0 = type_of(o.inputs[0]), out0 = type_of(o.outputs[0]);
        std::string mixed =
            where + " mixes element types (" + type_name(in0) + " in, " + type_name(out0) + " out)";
        switch (spec.code) {
        case 3:
        case 4:
        case 9: { // CONV_2D DEPTHWISE_CONV_2D FULLY_CONNECTED: weights of the input's type
            int w = type_of(o.inputs[1]);
            if ((in0 != kFloat32 && in0 != kUint8 && in0 != kInt8) || w != in0 || out0 != in0)
                return where + " has input, weights and output of types " + type_name(in0) + ", " +
                       type_name(w) + " and " + type_name(out0) +
                       " (Arm NN takes FLOAT32, UINT8 or INT8, all alike)";
            if (o.inputs.size() > 2 && o.inputs[2] >= 0 &&
                type_of(o.inputs[2]) != (in0 == kFloat32 ? kFloat32 : kInt32))
                return where + " has a bias of type " + type_name(type_of(o.inputs[2])) + " for " +
                       type_name(in0) + " weights";
            break;
        }
        case 6: // DEQUANTIZE: quantized in, FLOAT32 out
            if ((in0 != kUint8 && in0 != kInt8 && in0 != kInt16) || out0 != kFloat32)
                return mixed;
            break;
        case 114: // QUANTIZE: to a quantized type
            if ((in0 != kFloat32 && in0 != kUint8 && in0 != kInt8 && in0 != kInt16) ||
                (out0 != kUint8 && out0 != kInt8 && out0 != kInt16))
                return mixed;
            break;
        case 67: // TRANSPOSE_CONV: output shape (INT32) first, then weights and input of one type
            if (type_of(o.inputs[1]) != type_of(o.inputs[2]) || out0 != type_of(o.inputs[2]))
                return where + " mixes element types";
            break;
        default: // the others: every non-index input of the output's type
            for (size_t k = 0; k < o.inputs.size(); k++)
                if (o.inputs[k] >= 0 && !(spec.int32 >> k & 1) && type_of(o.inputs[k]) != out0)
                    return where + " mixes element types (input " + std::to_string(k) + " is " +
                           type_name(type_of(o.inputs[k])) + ", the output " + type_name(out0) + ")";
            for (int32_t t : o.outputs)
                if (type_of(t) != out0)
                    return where + " has outputs of different element types";
            break;
        }
        return "";
    }

    static bool axis_ok(int64_t axis, size_t rank) {
        return axis >= -(int64_t)rank && axis < (int64_t)rank;
    }

    // Values Arm NN divides by, indexes with or sizes buffers from.
    std::string values_ok(const Operator &o, const OpSpec &spec, const std::string &where) {
        auto opt = [&](int slot, int32_t dflt) { return o.opt_present >> slot & 1 ? o.opt[slot] : dflt; };
        size_t rank0 = o.inputs.empty() || o.inputs[0] < 0 ? 0 : in(o, 0).shape.size();
        switch (spec.tag) {
        case kConv2D:
        case kTransposeConv:
        case kPool2D:
        case kDepthwise:
            if (opt(1, 0) < 1 || opt(2, 0) < 1)
                return where + " has strides " + std::to_string(opt(1, 0)) + "x" + std::to_string(opt(2, 0));
            if (spec.tag == kConv2D && (opt(4, 1) < 1 || opt(5, 1) < 1))
                return where + " has dilations below 1";
            if (spec.tag == kDepthwise && (opt(3, 0) < 1 || opt(5, 1) < 1 || opt(6, 1) < 1))
                return where + " has a depth multiplier or dilations below 1";
            if (spec.tag == kPool2D && (opt(3, 0) < 1 || opt(4, 0) < 1))
                return where + " has a filter of " + std::to_string(opt(3, 0)) + "x" +
                       std::to_string(opt(4, 0));
            break;
        case kConcatenation:
            if (!axis_ok(opt(0, 0), rank0))
                return where + " has axis " + std::to_string(opt(0, 0)) + " for inputs of rank " +
                       std::to_string(rank0);
            break;
        case kPack:
            if (opt(0, 0) != (int32_t)o.inputs.size() || !axis_ok(opt(1, 0), rank0 + 1))
                return where + " has values_count " + std::to_string(opt(0, 0)) + " for " +
                       std::to_string(o.inputs.size()) + " inputs, or axis " + std::to_string(opt(1, 0)) +
                       " out of range";
            break;
        case kUnpack:
            if (opt(0, 0) != (int32_t)o.outputs.size() || !axis_ok(opt(1, 0), rank0))
                return where + " has num " + std::to_string(opt(0, 0)) + " for " +
                       std::to_string(o.outputs.size()) + " outputs, or axis " + std::to_string(opt(1, 0)) +
                       " out of range";
            break;
        case kSplit:
        case kSplitV:
            if (opt(0, 0) != (int32_t)o.outputs.size())
                return where + " has num_splits " + std::to_string(opt(0, 0)) + " for " +
                       std::to_string(o.outputs.size()) + " outputs";
            break;
        case kSqueeze:
            for (int32_t d : o.opt_dims)
                if (!axis_ok(d, rank0))
                    return where + " squeezes dimension " + std::to_string(d) + " of a rank " +
                           std::to_string(rank0) + " input";
            break;
        default:
            break;
        }
        // the constant INT32 inputs: shapes, axes, paddings, permutations
        for (size_t k = 0; k < o.inputs.size(); k++) {
            if (!(spec.int32 >> k & 1))
                continue;
            std::vector<int32_t> v = values(o.inputs[k]);
            std::string bad = where + " input " + std::to_string(k) + " has values Arm NN cannot use";
            switch (spec.code) {
            case 22: { // RESHAPE: at most one -1, the others positive
                int unknown = 0;
                for (int32_t d : v)
                    if (d == -1 ? ++unknown > 1 : d < 1)
                        return bad;
                if (v.size() > 5)
                    return bad;
                break;
            }
            case 23:
            case 97: // RESIZE: [height, width]
                if (v.size() != 2 || v[0] < 1 || v[1] < 1 || (int64_t)v[0] * v[1] > (1 << 26))
                    return bad;
                break;
            case 34:
            case 37:
            case 38: // PAD paddings, BATCH_TO_SPACE / SPACE_TO_BATCH block and crops
                for (int32_t d : v)
                    if (d < 0 || d > (1 << 16) || (k == 1 && (spec.code == 37 || spec.code == 38) && d < 1))
                        return bad;
                if (spec.code == 34 && v.size() != 2 * rank0)
                    return bad;
                break;
            case 39: { // TRANSPOSE: a permutation of the input's dimensions
                std::vector<bool> seen(rank0, false);
                if (v.size() != rank0)
                    return bad;
                for (int32_t d : v) {
                    if (d < 0 || (size_t)d >= rank0 || seen[(size_t)d])
                        return bad;
                    seen[(size_t)d] = true;
                }
                break;
            }
            case 40: // MEAN axes
                for (int32_t d : v)
                    if (!axis_ok(d, rank0))
                        return bad;
                break;
            case 45: // STRIDED_SLICE begin, end, strides: one per dimension, no stride 0
                if (v.size() != rank0)
                    return bad;
                if (k == 3)
                    for (int32_t d : v)
                        if (d == 0)
                            return bad;
                break;
            case 49: // SPLIT axis (input 0) of the input 1
                if (v.size() != 1 || o.inputs.size() < 2 || !axis_ok(v[0], in(o, 1).shape.size()))
                    return bad;
                break;
            case 65: // SLICE begin, size: one per dimension
                if (v.size() != rank0)
                    return bad;
                for (size_t d = 0; d < v.size(); d++) {
                    int64_t dim = in(o, 0).shape[d];
                    if (k == 1 ? v[d] < 0 || v[d] >= dim
                               : v[d] < -1 || v[d] == 0 || v[d] > dim) // begin, size
                        return bad;
                }
                break;
            case 67: // TRANSPOSE_CONV output shape
                if (v.size() != 4)
                    return bad;
                for (int32_t d : v)
                    if (d < 1 || d > (1 << 16))
                        return bad;
                break;
            case 102: // SPLIT_V size_splits (one per output), axis
                if (k == 1 ? v.size() != o.outputs.size() : v.size() != 1 || !axis_ok(v[0], rank0))
                    return bad;
                break;
            default:
                break;
            }
        }
        return "";
    }

    const Model &m_;
    const Subgraph &g_;
    const uint8_t *p_;
    size_t n_;
    std::vector<bool> produced_;
};

} // namespace

std::string check_for_armnn(const Model &m, const void *data, size_t len) {
    if (m.version != 3)
        return "the model is of TFLite schema version " + std::to_string(m.version) + " (version 3 is read)";
    if (m.subgraphs.size() != 1)
        return "the model has " + std::to_string(m.subgraphs.size()) +
               " subgraphs; Arm NN 20.08 runs models of one (no IF/WHILE control flow)";
    return Checker(m, (const uint8_t *)data, len).run();
}

} // namespace locus_tfl
