// A bounds-checked reader of TensorFlow Lite model files (FlatBuffers, schema version 3) and the checks the
// TFLITE backend makes before Arm NN sees a file.
//
// Why: Arm NN 20.08's TfLiteParser verifies the FlatBuffer's structure but trusts its contents. An operator
// code index past the operator-code list, an operator without the options table its parser reads, or a
// tensor index past the tensor list crashes the process (tried here: SIGSEGV). Every index, size and
// options tag a parser would follow is checked here first, and what Arm NN cannot run is refused by name.
//
// Pure code: no I/O, no Arm NN, no allocation beyond the returned structures, so a unit test can feed it any
// bytes. The field slots, enum numbers and tensor layouts are facts of tensorflow/lite/schema/schema.fbs.
#ifndef LOCUS_MODULE_ARMNN_TFLITE_GRAPH_H
#define LOCUS_MODULE_ARMNN_TFLITE_GRAPH_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace locus_tfl {

// TensorType numbers (schema.fbs)
enum TensorType : int {
    kFloat32 = 0,
    kFloat16 = 1,
    kInt32 = 2,
    kUint8 = 3,
    kInt64 = 4,
    kString = 5,
    kBool = 6,
    kInt16 = 7,
    kComplex64 = 8,
    kInt8 = 9,
};

struct Tensor {
    std::string name;
    std::vector<int32_t> shape;
    int type = kFloat32;
    uint32_t buffer = 0;
    bool has_quantization = false;
    size_t nscale = 0, nzero_point = 0; // quantization parameters (per tensor: 1; per axis: one per channel)
    int32_t quantized_dimension = 0;
    bool has_sparsity = false;
    bool is_variable = false;
};

struct Operator {
    uint32_t opcode_index = 0;
    std::vector<int32_t> inputs, outputs; // -1: an optional input left out
    int options_type = 0;                 // BuiltinOptions union tag, 0: none
    int32_t opt[8] = {};                  // the scalar fields of the options tables whose values are checked
    unsigned opt_present = 0;             // (strides, axes, counts), by slot; bit i: slot i was written
    std::vector<int32_t> opt_dims;        // SqueezeOptions.squeeze_dims, ReshapeOptions.new_shape
    bool has_custom_options = false;
};

struct OperatorCode {
    int32_t builtin = 0; // the larger of the byte-wide (deprecated) and the int field, as TFLite reads it
    int8_t narrow = 0;   // the byte-wide field alone: what Arm NN 20.08 reads
    std::string custom;  // for CUSTOM
};

struct Subgraph {
    std::vector<Tensor> tensors;
    std::vector<int32_t> inputs, outputs;
    std::vector<Operator> operators;
};

struct Buffer {
    uint64_t size = 0;     // bytes of inline data
    uint64_t pos = 0;      // where they start in the file
    bool external = false; // data outside the FlatBuffer (offset/size fields, models over 2 GB)
};

struct Model {
    uint32_t version = 0;
    std::vector<OperatorCode> codes;
    std::vector<Subgraph> subgraphs;
    std::vector<Buffer> buffers;
};

// Read a model. "" on success, else why the bytes are no TFLite model (no "ERR " prefix).
std::string parse(const void *data, size_t len, Model *out);

// What Arm NN 20.08's parser needs of a parsed model: one subgraph, indices in range, constant tensors whose
// data match their shapes, operators it has (with the options tables and constant inputs their parsers
// read), tensors computed before they are used. "" when the model may be handed to Arm NN, else a message
// naming the operator or tensor at fault; a message about an operator Arm NN does not have ends in
// "is not supported" (the caller says by what).
// data/len: the bytes m was parsed from (constant inputs such as a PAD's paddings are read from them).
std::string check_for_armnn(const Model &m, const void *data, size_t len);

// The schema's name of a builtin operator code ("CONV_2D"), or "" past the names known here.
const char *op_name(int32_t code);

// Bytes per element of a tensor type; 0 for STRING and unknown types.
size_t type_size(int type);

// The schema's name of a tensor type ("FLOAT32"), or "" for an unknown one.
const char *type_name(int type);

} // namespace locus_tfl

#endif
