// Protobuf wire reading and the ONNX / GraphDef summaries (see graph_info.h).
#include "graph_info.h"

#include <map>
#include <set>

namespace locus_ocv {
namespace {

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

// One field of a message: its number, wire type, value (varint or fixed) or payload (LEN), and the whole
// field's bytes (tag included) for copying it unchanged.
struct Field {
    uint32_t num = 0;
    int wt = 0;
    uint64_t v = 0;
    const uint8_t *p = nullptr;
    size_t len = 0;
    const uint8_t *raw = nullptr;
    size_t rawlen = 0;
};

bool varint(const uint8_t *&p, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return false;
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

// The next field of [p, end); false at the end or on bytes that are not the wire format (*bad set then).
bool next(const uint8_t *&p, const uint8_t *end, Field *f, bool *bad) {
    if (p >= end)
        return false;
    f->raw = p;
    uint64_t tag;
    if (!varint(p, end, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
        *bad = true;
        return false;
    }
    f->num = (uint32_t)(tag >> 3);
    f->wt = (int)(tag & 7);
    switch (f->wt) {
    case WT_VARINT:
        if (!varint(p, end, &f->v)) {
            *bad = true;
            return false;
        }
        break;
    case WT_I64:
    case WT_I32: {
        size_t n = f->wt == WT_I64 ? 8 : 4;
        if ((size_t)(end - p) < n) {
            *bad = true;
            return false;
        }
        p += n;
        break;
    }
    case WT_LEN: {
        uint64_t n;
        if (!varint(p, end, &n) || n > (uint64_t)(end - p)) {
            *bad = true;
            return false;
        }
        f->p = p;
        f->len = (size_t)n;
        p += n;
        break;
    }
    default: // groups (3, 4) are not used by either format
        *bad = true;
        return false;
    }
    f->rawlen = (size_t)(p - f->raw);
    return true;
}

std::string str(const Field &f) {
    return std::string((const char *)f.p, f.len);
}

// Every LEN field `num` of a message, as strings; false when the message is malformed.
bool strings_of(const uint8_t *p, size_t len, uint32_t num, std::vector<std::string> *out) {
    const uint8_t *end = p + len;
    Field f;
    bool bad = false;
    while (next(p, end, &f, &bad))
        if (f.num == num && f.wt == WT_LEN)
            out->push_back(str(f));
    return !bad;
}

void put_varint(std::string *s, uint64_t v) {
    while (v >= 0x80) {
        s->push_back((char)(v | 0x80));
        v >>= 7;
    }
    s->push_back((char)v);
}

void put_len(std::string *s, uint32_t num, const std::string &payload) {
    put_varint(s, ((uint64_t)num << 3) | WT_LEN);
    put_varint(s, payload.size());
    s->append(payload);
}

bool parse_node(const Field &nf, OnnxNode *n) {
    const uint8_t *p = nf.p, *end = nf.p + nf.len;
    Field f;
    bool bad = false;
    while (next(p, end, &f, &bad)) {
        if (f.wt != WT_LEN)
            continue;
        switch (f.num) {
        case 1:
            n->inputs.push_back(str(f));
            break;
        case 2:
            n->outputs.push_back(str(f));
            break;
        case 3:
            n->name = str(f);
            break;
        case 4:
            n->op = str(f);
            break;
        case 7:
            n->domain = str(f);
            break;
        }
    }
    return !bad;
}

// The last ModelProto.graph field; *count (when given) says how many there are.
bool find_graph(const uint8_t *p, size_t len, Field *graph, bool *bad, int *count = nullptr) {
    const uint8_t *end = p + len;
    Field f;
    bool found = false;
    while (next(p, end, &f, bad))
        if (f.num == 7 && f.wt == WT_LEN) {
            *graph = f;
            found = true;
            if (count != nullptr)
                ++*count;
        }
    return found && !*bad;
}

bool is_standard_domain(const std::string &d) {
    return d.empty() || d == "ai.onnx";
}

// The ONNX TensorProto.DataType codes whose values OpenCV may copy out of a tensor: bytes per value in
// raw_data, and the typed field that holds them otherwise with its count of entries per value (complex
// numbers are two). Other codes (UNDEFINED, STRING, newer ones) OpenCV refuses without reading.
struct OnnxType {
    uint64_t code;
    uint64_t size;
    uint32_t field;
    uint64_t per;
};
const OnnxType kOnnxTypes[] = {
    {1, 4, 4, 1},   {2, 1, 5, 1},   {3, 1, 5, 1},  {4, 2, 5, 1},    {5, 2, 5, 1},
    {6, 4, 5, 1},   {7, 8, 7, 1},   {9, 1, 5, 1},  {10, 2, 5, 1},   {11, 8, 10, 1},
    {12, 4, 11, 1}, {13, 8, 11, 1}, {14, 8, 4, 2}, {15, 16, 10, 2}, {16, 2, 5, 1},
};
enum { T_DIMS = 1, T_TYPE = 2, T_NAME = 8, T_RAW = 9, T_LOCATION = 14, ONNX_MAX_NESTING = 16 };

// The values one field of a repeated numeric TensorProto field holds: one when unpacked, its payload's
// count when packed (fixed 4 or 8 bytes each, else varints). False when the payload is malformed.
bool count_values(const Field &f, uint32_t field, uint64_t *n) {
    if (f.wt != WT_LEN || field == 6) { // string_data: one string per field
        *n += 1;
        return true;
    }
    size_t width = field == 4 ? 4 : field == 10 ? 8 : 0;
    if (width != 0) {
        *n += f.len / width;
        return f.len % width == 0;
    }
    const uint8_t *p = f.p, *end = f.p + f.len;
    for (uint64_t v; p < end; *n += 1)
        if (!varint(p, end, &v))
            return false;
    return true;
}

// A TensorProto whose data holds what its dims need (see onnx_parse); `limit` (the file's length) bounds the
// element count, which nothing that fits in the file exceeds. False with *why set otherwise.
bool check_tensor(const Field &tf, uint64_t limit, std::string *why) {
    const uint8_t *p = tf.p, *end = tf.p + tf.len;
    Field f;
    bool bad = false, raw = false, dims_ok = true;
    uint64_t type = 0, location = 0, rawlen = 0, numel = 1, counts[12] = {0};
    std::vector<std::string> names; // read first: writers put it (8) after the dims and data it may name
    strings_of(tf.p, tf.len, T_NAME, &names);
    std::string name = names.empty() ? std::string() : names.back(), dims;
    auto add_dim = [&](uint64_t d) {
        dims += (dims.empty() ? "" : ",") + std::to_string((int64_t)d);
        if ((int64_t)d < 0)
            dims_ok = false;
        else if (d == 0 || numel == 0)
            numel = 0;
        else
            numel = numel > limit / d ? limit + 1 : numel * d;
    };
    while (next(p, end, &f, &bad)) {
        if (f.num == T_DIMS && f.wt == WT_VARINT) {
            add_dim(f.v);
        } else if (f.num == T_DIMS && f.wt == WT_LEN) {
            const uint8_t *q = f.p, *qend = f.p + f.len;
            for (uint64_t d; q < qend;) {
                if (!varint(q, qend, &d)) {
                    bad = true;
                    break;
                }
                add_dim(d);
            }
        } else if (f.num == T_TYPE && f.wt == WT_VARINT) {
            type = f.v;
        } else if (f.num == T_RAW && f.wt == WT_LEN) {
            raw = true;
            rawlen = f.len;
        } else if (f.num == T_LOCATION && f.wt == WT_VARINT) {
            location = f.v;
        } else if (f.num >= 4 && f.num <= 11 && f.num != T_NAME && f.num != T_RAW) {
            if (!count_values(f, f.num, &counts[f.num]))
                bad = true;
        }
        if (bad)
            break;
    }
    std::string who = "the ONNX tensor '" + name + "'";
    if (bad) {
        *why = who + " is not a TensorProto";
        return false;
    }
    if (!dims_ok) {
        *why = who + " has a negative dimension in [" + dims + "]";
        return false;
    }
    if (location == 1) {
        *why = who + " keeps its data in an external file, which a stored model cannot have";
        return false;
    }
    const OnnxType *t = nullptr;
    for (const OnnxType &k : kOnnxTypes)
        if (k.code == type)
            t = &k;
    if (t == nullptr)
        return true;
    // OpenCV reads the typed field when it has values, else raw_data (even an absent one): each that is
    // there must be whole, and one must be there unless there are no values
    uint64_t typed = counts[t->field];
    bool raw_bad = (raw || typed == 0) && (numel > limit || rawlen != numel * t->size);
    bool typed_bad = typed > 0 && (numel > limit || typed != numel * t->per);
    if (!raw_bad && !typed_bad)
        return true;
    std::string need = numel > limit ? std::string("more than the file holds")
                                     : std::to_string(numel * (raw_bad ? t->size : t->per));
    *why = who + " holds " + std::to_string(raw_bad ? rawlen : typed) + (raw_bad ? " bytes" : " values") +
           " where its dims [" + dims + "] need " + need;
    return false;
}

bool check_graph_tensors(const uint8_t *p, size_t len, uint64_t limit, int depth, std::string *why);

// The tensors and subgraphs among a node's attributes (AttributeProto t 5, g 6, tensors 10, graphs 11).
bool check_node_tensors(const Field &node, uint64_t limit, int depth, std::string *why) {
    const uint8_t *p = node.p, *end = node.p + node.len;
    Field f, a;
    bool bad = false;
    while (next(p, end, &f, &bad)) {
        if (f.num != 5 || f.wt != WT_LEN)
            continue;
        const uint8_t *q = f.p, *qend = f.p + f.len;
        int ts = 0;
        while (next(q, qend, &a, &bad)) {
            if (a.wt != WT_LEN)
                continue;
            // a second t: protobuf merges the two into one tensor (the dims of both), unchecked here
            if (a.num == 5 && ++ts == 2) {
                std::vector<std::string> name;
                strings_of(f.p, f.len, 1, &name);
                *why = "the ONNX attribute '" + (name.empty() ? std::string() : name.back()) +
                       "' holds more than one tensor (AttributeProto.t is one message)";
                return false;
            }
            if ((a.num == 5 || a.num == 10) && !check_tensor(a, limit, why))
                return false;
            if ((a.num == 6 || a.num == 11) && !check_graph_tensors(a.p, a.len, limit, depth + 1, why))
                return false;
        }
    }
    return true; // malformed bytes are the parser's to report
}

bool check_graph_tensors(const uint8_t *p, size_t len, uint64_t limit, int depth, std::string *why) {
    if (depth > ONNX_MAX_NESTING) {
        *why = "the ONNX graph nests subgraphs deeper than " + std::to_string(ONNX_MAX_NESTING);
        return false;
    }
    const uint8_t *end = p + len;
    Field f;
    bool bad = false;
    while (next(p, end, &f, &bad)) {
        if (f.wt != WT_LEN)
            continue;
        if (f.num == 5 && !check_tensor(f, limit, why))
            return false;
        if (f.num == 1 && !check_node_tensors(f, limit, depth, why))
            return false;
    }
    return true;
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), as protobuf checks proto3 strings.
bool is_utf8(const std::string &s) {
    const uint8_t *p = (const uint8_t *)s.data(), *end = p + s.size();
    while (p < end) {
        uint8_t b = *p++;
        if (b < 0x80)
            continue;
        int more = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
        if (more < 0 || end - p < more)
            return false;
        uint32_t cp = b & (0x3f >> more);
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (*p & 0x3f);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
    }
    return true;
}

} // namespace

OnnxParse onnx_parse(const void *data, size_t len, OnnxGraph *out) {
    Field graph;
    bool bad = false;
    int graphs = 0;
    if (!find_graph((const uint8_t *)data, len, &graph, &bad, &graphs))
        return bad ? OnnxParse::not_protobuf : OnnxParse::no_graph;
    if (graphs > 1) { // protobuf merges them into one graph, of which only the last would be checked here
        out->problem =
            "the ONNX model holds " + std::to_string(graphs) + " graphs (ModelProto.graph is one message)";
        return OnnxParse::invalid;
    }
    const uint8_t *p = graph.p, *end = graph.p + graph.len;
    Field f;
    std::vector<std::string> inputs;
    while (next(p, end, &f, &bad)) {
        if (f.wt != WT_LEN)
            continue;
        if (f.num == 1) {
            OnnxNode n;
            if (!parse_node(f, &n))
                return OnnxParse::not_protobuf;
            out->nodes.push_back(std::move(n));
        } else if (f.num == 5) {
            std::vector<std::string> name;
            if (!strings_of(f.p, f.len, 8, &name))
                return OnnxParse::not_protobuf;
            out->initializers.push_back(name.empty() ? "" : name.back());
        } else if (f.num == 11 || f.num == 12) {
            std::vector<std::string> name;
            if (!strings_of(f.p, f.len, 1, &name))
                return OnnxParse::not_protobuf;
            (f.num == 11 ? inputs : out->outputs).push_back(name.empty() ? "" : name.back());
        }
    }
    if (bad)
        return OnnxParse::not_protobuf;
    if (!check_graph_tensors(graph.p, graph.len, len, 0, &out->problem))
        return OnnxParse::invalid;
    std::set<std::string> given(inputs.begin(), inputs.end()); // names a node may take, in graph order
    given.insert(out->initializers.begin(), out->initializers.end());
    for (const OnnxNode &n : out->nodes) {
        for (const std::string &in : n.inputs)
            if (!in.empty() && !given.count(in)) { // "": an optional input left out
                out->problem = "the ONNX node '" + n.name + "' (" + n.op + ") takes '" + in +
                               "', which no graph input, initializer or earlier node gives";
                return OnnxParse::invalid;
            }
        given.insert(n.outputs.begin(), n.outputs.end());
    }
    for (const std::string &o : out->outputs)
        if (!given.count(o)) {
            out->problem = "the ONNX graph output '" + o + "' is given by no node, input or initializer";
            return OnnxParse::invalid;
        }
    // IR versions before 4 list every initializer among the inputs too; those are not fed by the caller
    std::set<std::string> inits(out->initializers.begin(), out->initializers.end());
    for (const std::string &in : inputs)
        if (!inits.count(in))
            out->inputs.push_back(in);
    return out->nodes.empty() && out->outputs.empty() ? OnnxParse::no_graph : OnnxParse::ok;
}

int onnx_drop_constant_identities(const void *data, size_t len, const OnnxGraph &g, std::string *out) {
    std::set<std::string> constants(g.initializers.begin(), g.initializers.end());
    std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());
    std::map<std::string, std::string> alias; // Identity output -> the initializer it copies
    for (bool grew = true; grew;) {           // chains: Identity of an Identity of a constant
        grew = false;
        for (const OnnxNode &n : g.nodes) {
            if (n.op != "Identity" || !is_standard_domain(n.domain) || n.inputs.size() != 1 ||
                n.outputs.size() != 1 || alias.count(n.outputs[0]) || graph_outputs.count(n.outputs[0]))
                continue;
            auto a = alias.find(n.inputs[0]);
            if (a != alias.end() || constants.count(n.inputs[0])) {
                alias[n.outputs[0]] = a != alias.end() ? a->second : n.inputs[0];
                grew = true;
            }
        }
    }
    if (alias.empty()) {
        out->assign((const char *)data, len);
        return 0;
    }
    Field graph;
    bool bad = false;
    if (!find_graph((const uint8_t *)data, len, &graph, &bad))
        return -1;
    std::string newgraph;
    int dropped = 0;
    const uint8_t *p = graph.p, *end = graph.p + graph.len;
    Field f;
    while (next(p, end, &f, &bad)) {
        if (f.num != 1 || f.wt != WT_LEN) {
            newgraph.append((const char *)f.raw, f.rawlen);
            continue;
        }
        OnnxNode n;
        parse_node(f, &n);
        if (n.op == "Identity" && n.outputs.size() == 1 && alias.count(n.outputs[0])) {
            dropped++;
            continue;
        }
        bool uses = false;
        for (const std::string &in : n.inputs)
            uses |= alias.count(in) > 0;
        if (!uses) {
            newgraph.append((const char *)f.raw, f.rawlen);
            continue;
        }
        std::string node; // the node again with its inputs renamed, every other field as it was
        const uint8_t *q = f.p, *qend = f.p + f.len;
        Field nf;
        while (next(q, qend, &nf, &bad)) {
            if (nf.num == 1 && nf.wt == WT_LEN) {
                auto a = alias.find(str(nf));
                put_len(&node, 1, a != alias.end() ? a->second : str(nf));
            } else {
                node.append((const char *)nf.raw, nf.rawlen);
            }
        }
        put_len(&newgraph, 1, node);
    }
    // the model again with the new graph in place of the old one
    out->clear();
    const uint8_t *m = (const uint8_t *)data, *mend = m + len;
    while (next(m, mend, &f, &bad)) {
        if (f.num == 7 && f.wt == WT_LEN && f.raw == graph.raw)
            put_len(out, 7, newgraph);
        else
            out->append((const char *)f.raw, f.rawlen);
    }
    return bad ? -1 : dropped;
}

bool tf_parse(const void *data, size_t len, std::vector<TfNode> *out) {
    const uint8_t *p = (const uint8_t *)data, *end = p + len;
    Field f;
    bool bad = false;
    while (next(p, end, &f, &bad)) {
        if (f.num != 1 || f.wt != WT_LEN)
            continue;
        TfNode n;
        const uint8_t *q = f.p, *qend = f.p + f.len;
        Field nf;
        while (next(q, qend, &nf, &bad)) {
            if (nf.wt != WT_LEN)
                continue;
            if (nf.num <= 4 && !is_utf8(str(nf)))
                return false;
            if (nf.num == 1) {
                n.name = str(nf);
            } else if (nf.num == 2) {
                n.op = str(nf);
            } else if (nf.num == 3) {
                n.inputs.push_back(str(nf));
            } else if (nf.num == 5) { // attr entry: key 1, value 2 (AttrValue.s 2)
                std::vector<std::string> key, value, s;
                if (!strings_of(nf.p, nf.len, 1, &key) || !strings_of(nf.p, nf.len, 2, &value))
                    return false;
                for (const std::string &k : key)
                    if (!is_utf8(k))
                        return false;
                if (!key.empty() && key.back() == "data_format" && !value.empty() &&
                    strings_of((const uint8_t *)value.back().data(), value.back().size(), 2, &s) &&
                    !s.empty())
                    n.data_format = s.back();
            }
        }
        if (bad || n.name.empty() || n.op.empty())
            return false;
        out->push_back(std::move(n));
    }
    return !bad && !out->empty();
}

} // namespace locus_ocv
