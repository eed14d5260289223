// What the OpenCV backends read from a model file before OpenCV sees it: a minimal reader and writer of the
// protobuf wire format (no generated classes, no libprotobuf: the field numbers below are facts of the ONNX
// and TensorFlow formats), the parts of an ONNX ModelProto and a TF GraphDef the module's replies and checks
// need, and the one rewrite OpenCV 4.6 needs to import what torch.onnx.export writes.
//
// Pure code: no I/O, no OpenCV; every function works on the bytes it is given and reports a bad file by
// returning false (nothing here throws on malformed input).
#ifndef LOCUS_OPENCV_GRAPH_INFO_H
#define LOCUS_OPENCV_GRAPH_INFO_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace locus_ocv {

struct OnnxNode {
    std::string op, domain, name;
    std::vector<std::string> inputs, outputs;
};

struct OnnxGraph {
    std::vector<std::string> inputs;  // graph inputs that are not initializers, in order
    std::vector<std::string> outputs; // graph outputs, in order
    std::vector<OnnxNode> nodes;
    std::vector<std::string> initializers;
    std::string problem; // with OnnxParse::invalid: what is wrong, one line
};

enum class OnnxParse { ok, not_protobuf, no_graph, invalid };

// Parse an ONNX ModelProto (ModelProto.graph = 7; GraphProto node 1, initializer 5, input 11, output 12;
// NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7; TensorProto.name 8;
// ValueInfoProto.name 1).
//
// Every tensor the graph holds (its initializers, and the TENSOR attributes of its nodes and of their
// subgraphs: AttributeProto t 5, g 6, tensors 10, graphs 11) must hold as many values as its dims say
// (TensorProto dims 1, data_type 2, float_data 4, int32_data 5, string_data 6, int64_data 7, raw_data 9,
// double_data 10, uint64_data 11): OpenCV 4.6 copies dims' worth of values out of the data without
// comparing, so a short one is read past its end. And every node input must name a graph input, an
// initializer or an output of an earlier node (ONNX's rule; OpenCV 4.6 follows a null pointer on a name that
// nothing gives), every graph output something the graph gives. A model with two ModelProto.graph fields, or
// an attribute with two tensors t, is refused too: protobuf merges such repeated one-message fields into one
// (dims of both), which is not what was checked, and OpenCV crashed on the merge. Otherwise invalid, with
// out->problem.
OnnxParse onnx_parse(const void *data, size_t len, OnnxGraph *out);

// torch.onnx.export writes one initializer once and an Identity node per other use of the same values
// (identical folded batch-norm biases, tied weights). OpenCV 4.6 cannot import an Identity whose input is a
// constant ("inputs.size()" assertion). This drops every such Identity (and chains of them) and points its
// consumers at the initializer itself; an Identity whose output is a graph output is kept. Returns the
// number of nodes dropped; *out is the rewritten model (the input bytes unchanged when none was dropped).
int onnx_drop_constant_identities(const void *data, size_t len, const OnnxGraph &g, std::string *out);

struct TfNode {
    std::string name, op, data_format;
    std::vector<std::string> inputs; // as written: "node", "node:1", "^control"
};

// Parse a TensorFlow GraphDef (node 1; NodeDef name 1, op 2, input 3, device 4, attr 5 as key 1 / AttrValue
// 2, and AttrValue.s 2 for data_format). False when the bytes are not a GraphDef with at least one node, or
// when a NodeDef's name, op, input, device or attr key is not UTF-8 (they are proto3 strings: TensorFlow
// refuses such a graph, and OpenCV's libprotobuf logs each to the server's stderr before failing).
bool tf_parse(const void *data, size_t len, std::vector<TfNode> *out);

} // namespace locus_ocv

#endif
