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

bool find_graph(const uint8_t *p, size_t len, Field *graph, bool *bad) {
    const uint8_t *end = p + len;
    Field f;
    bool found = false;
    while (next(p, end, &f, bad))
        if (f.num == 7 && f.wt == WT_LEN) {
            *graph = f;
            found = true;
        }
    return found && !*bad;
}

bool is_standard_domain(const std::string &d) {
    return d.empty() || d == "ai.onnx";
}

} // namespace

OnnxParse onnx_parse(const void *data, size_t len, OnnxGraph *out) {
    Field graph;
    bool bad = false;
    if (!find_graph((const uint8_t *)data, len, &graph, &bad))
        return bad ? OnnxParse::not_protobuf : OnnxParse::no_graph;
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
