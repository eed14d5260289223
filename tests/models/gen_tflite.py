#!/usr/bin/python3
"""Test models for locus_ai's TFLITE backend (Arm NN), written here with nothing downloaded.

Usage: gen_tflite.py OUTDIR

The .tflite files are FlatBuffers built with python3-flatbuffers' low-level Builder from the facts of
TensorFlow Lite's schema (file identifier "TFL3", schema version 3, the tables' field slots, the operator
and option-union numbers, the tensor layouts: NHWC activations, OHWI convolution filters, [out, in]
fully-connected weights). The writer below is this project's own; no TensorFlow is involved.

Models (names of tensors in brackets):
  tflite_linear.tflite   [x] [1,4] -> FULLY_CONNECTED W[3,4], b[3] -> [y] [1,3]
  tflite_two.tflite      [a], [b] [2,3] -> [s] = relu(a + b) (ADD, fused RELU),
                                           [p] = a * b + c (MUL, then ADD of a constant c[3], broadcast)
  tflite_cnn.tflite      [x] [1,8,8,1] NHWC -> CONV_2D 3x3 VALID (4 filters, fused RELU) -> MAX_POOL_2D 2x2/2
                         -> RESHAPE [1,36] -> FULLY_CONNECTED [3,36] -> SOFTMAX -> [probs] [1,3]
Refused ones (the backend must answer an error, never crash):
  tflite_sin.tflite           SIN, an operator Arm NN 20.08's parser does not have
  tflite_custom.tflite        a CUSTOM operator "LocusNoSuchOp"
  tflite_bad_tensor.tflite    the linear model with an operator input index past the tensor list
  tflite_bad_buffer.tflite    the linear model with a tensor naming buffer 42 of 4
  tflite_bad_opcode.tflite    the linear model with an opcode index past the operator codes
  tflite_short_weights.tflite the linear model with 11 floats of weights for a [3,4] tensor
  tflite_version2.tflite      the linear model claiming schema version 2
For each good model an input (<name>_in*.bin) and the expected output (<name>_out*.bin), raw
little-endian float32, computed here with numpy from the weights, never by the runtime under test.
"""
import os
import sys

import flatbuffers
import numpy as np

rng = np.random.default_rng(20081)

# ---------------------------------------------------------------- schema facts (tensorflow/lite/schema)

FLOAT32 = 0                     # TensorType
OP = {"ADD": 0, "CONV_2D": 3, "FULLY_CONNECTED": 9, "MAX_POOL_2D": 17, "MUL": 18, "RESHAPE": 22,
      "SOFTMAX": 25, "CUSTOM": 32, "SIN": 66}
OPTIONS = {"Conv2DOptions": 1, "Pool2DOptions": 5, "FullyConnectedOptions": 8, "SoftmaxOptions": 9,
           "AddOptions": 11, "ReshapeOptions": 17, "MulOptions": 21}   # BuiltinOptions union tags
PAD_VALID = 1
ACT_NONE, ACT_RELU = 0, 1


# ---------------------------------------------------------------- a minimal FlatBuffers writer

class Writer:
    """Tables are lists of (slot, kind, value); every child (string, vector, table) is written before its
    parent, as FlatBuffers requires."""

    def __init__(self):
        self.b = flatbuffers.Builder(1024)

    def string(self, s):
        return self.b.CreateString(s)

    def ints(self, values):
        self.b.StartVector(4, len(values), 4)
        for v in reversed(values):
            self.b.PrependInt32(int(v))
        return self.b.EndVector()

    def offsets(self, offs):
        self.b.StartVector(4, len(offs), 4)
        for o in reversed(offs):
            self.b.PrependUOffsetTRelative(o)
        return self.b.EndVector()

    def bytes16(self, data):
        """A [ubyte] vector aligned to 16 (Buffer.data is force_align: 16)."""
        self.b.StartVector(1, len(data), 16)
        self.b.head -= len(data)
        self.b.Bytes[self.b.head:self.b.head + len(data)] = data
        return self.b.EndVector()

    def table(self, fields):
        nslots = max((f[0] for f in fields), default=-1) + 1
        self.b.StartObject(nslots)
        put = {"u32": self.b.PrependUint32Slot, "i32": self.b.PrependInt32Slot, "i8": self.b.PrependInt8Slot,
               "u8": self.b.PrependUint8Slot, "f32": self.b.PrependFloat32Slot,
               "off": self.b.PrependUOffsetTRelativeSlot}
        for slot, kind, value in fields:
            # no default is skipped: every field given is written, so a reader sees exactly these
            put[kind](slot, value, None if kind != "off" else 0)
        return self.b.EndObject()

    def finish(self, root):
        self.b.Finish(root, file_identifier=b"TFL3")
        return bytes(self.b.Output())


class Model:
    """One subgraph: tensors, operators, constant buffers. Buffer 0 is the empty sentinel."""

    def __init__(self):
        self.tensors = []      # (name, shape, buffer index)
        self.buffers = [b""]
        self.ops = []          # (opcode name or ("CUSTOM", code), inputs, outputs, options tag, options fields)
        self.inputs, self.outputs = [], []
        self.version = 3

    def tensor(self, name, shape, data=None):
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data, dtype="<f4").tobytes())
            buf = len(self.buffers) - 1
        self.tensors.append((name, list(shape), buf))
        return len(self.tensors) - 1

    def op(self, code, ins, outs, options=None, fields=()):
        self.ops.append((code, list(ins), list(outs), options, list(fields)))

    def serialize(self, opcode_index_shift=0):
        w = Writer()
        codes = []
        for code, *_ in self.ops:
            if code not in codes:
                codes.append(code)
        # buffers, tensors, operators, then the subgraph and the model
        bufs = []
        for data in self.buffers:
            if data:
                bufs.append(w.table([(0, "off", w.bytes16(data))]))
            else:
                bufs.append(w.table([]))
        tens = []
        for name, shape, buf in self.tensors:
            nm, sh = w.string(name), w.ints(shape)
            tens.append(w.table([(0, "off", sh), (1, "i8", FLOAT32), (2, "u32", buf), (3, "off", nm)]))
        ops = []
        for code, ins, outs, options, fields in self.ops:
            vin, vout = w.ints(ins), w.ints(outs)
            opt = None
            if options is not None:
                prepared = [(s, k, w.ints(v) if k == "ivec" else v) for s, k, v in fields]
                opt = w.table([(s, "off" if k == "ivec" else k, v) for s, k, v in prepared])
            f = [(0, "u32", codes.index(code) + opcode_index_shift), (1, "off", vin), (2, "off", vout)]
            if opt is not None:
                f += [(3, "u8", OPTIONS[options]), (4, "off", opt)]
            ops.append(w.table(f))
        vt, vops = w.offsets(tens), w.offsets(ops)
        vin, vout, name = w.ints(self.inputs), w.ints(self.outputs), w.string("main")
        sub = w.table([(0, "off", vt), (1, "off", vin), (2, "off", vout), (3, "off", vops), (4, "off", name)])
        oc = []
        for code in codes:
            if isinstance(code, tuple):  # ("CUSTOM", custom_code)
                cc = w.string(code[1])
                oc.append(w.table([(0, "i8", OP["CUSTOM"]), (1, "off", cc), (2, "i32", 1), (3, "i32", OP["CUSTOM"])]))
            else:
                # the byte-wide code (slot 0; 127 "placeholder for greater codes" past it) and, as converters
                # since TF 2.4 write it, the int one (slot 3)
                oc.append(w.table([(0, "i8", min(OP[code], 127)), (2, "i32", 1), (3, "i32", OP[code])]))
        voc, vsub, vbuf = w.offsets(oc), w.offsets([sub]), w.offsets(bufs)
        desc = w.string("locus test model")
        root = w.table([(0, "u32", self.version), (1, "off", voc), (2, "off", vsub), (3, "off", desc),
                        (4, "off", vbuf)])
        return w.finish(root)


# ---------------------------------------------------------------- numpy reference

def relu(x):
    return np.maximum(x, 0)


def conv_nhwc_valid(x, w, b):
    """x [N,H,W,C], w [O,kh,kw,C] (TFLite's OHWI) -> [N,H-kh+1,W-kw+1,O], stride 1, no padding."""
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    y = np.zeros((n, ho, wo, o))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nhwc,oc->nhwo", x[:, i:i + ho, j:j + wo, :], w[:, i, j, :])
    return y + b


def maxpool2_nhwc(x):
    n, h, w, c = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def save(out, name, a):
    with open(os.path.join(out, name), "wb") as f:
        f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- the models

def linear(W, b, shift=0, weight_data=None, version=3, bad_input=None, bad_buffer=None):
    m = Model()
    m.version = version
    x = m.tensor("x", [1, 4])
    wt = m.tensor("W", [3, 4], W if weight_data is None else weight_data)
    bt = m.tensor("b", [3], b)
    y = m.tensor("y", [1, 3])
    if bad_buffer is not None:
        name, shape, _ = m.tensors[wt]
        m.tensors[wt] = (name, shape, bad_buffer)
    m.inputs, m.outputs = [x], [y]
    m.op("FULLY_CONNECTED", [x, wt if bad_input is None else bad_input, bt], [y], "FullyConnectedOptions",
         [(0, "i8", ACT_NONE)])
    return m.serialize(opcode_index_shift=shift)


def main(out):
    os.makedirs(out, exist_ok=True)

    # linear: one row per run as the model says, and 8 rows (8 runs of the model's batch of 1)
    W = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    write(out, "tflite_linear.tflite", linear(W, b))
    x1 = rng.standard_normal((1, 4)).astype(np.float32)
    save(out, "tflite_linear_in.bin", x1)
    save(out, "tflite_linear_out.bin", x1.astype(np.float64) @ W.T.astype(np.float64) + b)
    x8 = rng.standard_normal((8, 4)).astype(np.float32)
    save(out, "tflite_linear_batch_in.bin", x8)
    save(out, "tflite_linear_batch_out.bin", x8.astype(np.float64) @ W.T.astype(np.float64) + b)

    # two inputs, two outputs
    m = Model()
    a = m.tensor("a", [2, 3])
    bb = m.tensor("b", [2, 3])
    c = rng.standard_normal(3).astype(np.float32)
    ct = m.tensor("c", [3], c)
    s = m.tensor("s", [2, 3])
    ab = m.tensor("ab", [2, 3])
    p = m.tensor("p", [2, 3])
    m.inputs, m.outputs = [a, bb], [s, p]
    m.op("ADD", [a, bb], [s], "AddOptions", [(0, "i8", ACT_RELU)])
    m.op("MUL", [a, bb], [ab], "MulOptions", [(0, "i8", ACT_NONE)])
    m.op("ADD", [ab, ct], [p], "AddOptions", [(0, "i8", ACT_NONE)])
    write(out, "tflite_two.tflite", m.serialize())
    ia = rng.standard_normal((2, 3)).astype(np.float32)
    ib = rng.standard_normal((2, 3)).astype(np.float32)
    save(out, "tflite_two_in_a.bin", ia)
    save(out, "tflite_two_in_b.bin", ib)
    save(out, "tflite_two_out_s.bin", relu(ia.astype(np.float64) + ib))
    save(out, "tflite_two_out_p.bin", ia.astype(np.float64) * ib + c)

    # a small conv net; run with 2 images (2 runs of the model's batch of 1)
    m = Model()
    kw = (rng.standard_normal((4, 3, 3, 1)) * 0.5).astype(np.float32)
    kb = (rng.standard_normal(4) * 0.1).astype(np.float32)
    fw = (rng.standard_normal((3, 36)) * 0.3).astype(np.float32)
    fb = (rng.standard_normal(3) * 0.1).astype(np.float32)
    x = m.tensor("x", [1, 8, 8, 1])
    kt, kbt = m.tensor("conv/w", [4, 3, 3, 1], kw), m.tensor("conv/b", [4], kb)
    conv = m.tensor("conv", [1, 6, 6, 4])
    pool = m.tensor("pool", [1, 3, 3, 4])
    flat = m.tensor("flat", [1, 36])
    fwt, fbt = m.tensor("fc/w", [3, 36], fw), m.tensor("fc/b", [3], fb)
    logits = m.tensor("logits", [1, 3])
    probs = m.tensor("probs", [1, 3])
    m.inputs, m.outputs = [x], [probs]
    m.op("CONV_2D", [x, kt, kbt], [conv], "Conv2DOptions",
         [(0, "i8", PAD_VALID), (1, "i32", 1), (2, "i32", 1), (3, "i8", ACT_RELU), (4, "i32", 1), (5, "i32", 1)])
    m.op("MAX_POOL_2D", [conv], [pool], "Pool2DOptions",
         [(0, "i8", PAD_VALID), (1, "i32", 2), (2, "i32", 2), (3, "i32", 2), (4, "i32", 2), (5, "i8", ACT_NONE)])
    m.op("RESHAPE", [pool], [flat], "ReshapeOptions", [(0, "ivec", [1, 36])])
    m.op("FULLY_CONNECTED", [flat, fwt, fbt], [logits], "FullyConnectedOptions", [(0, "i8", ACT_NONE)])
    m.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", [(0, "f32", 1.0)])
    write(out, "tflite_cnn.tflite", m.serialize())
    img = rng.standard_normal((2, 8, 8, 1)).astype(np.float32)
    h = maxpool2_nhwc(relu(conv_nhwc_valid(img.astype(np.float64), kw.astype(np.float64), kb)))
    save(out, "tflite_cnn_in.bin", img)
    save(out, "tflite_cnn_out.bin", softmax(h.reshape(2, 36) @ fw.T.astype(np.float64) + fb))

    # refused: operators Arm NN does not have
    m = Model()
    x, y = m.tensor("x", [1, 4]), m.tensor("y", [1, 4])
    m.inputs, m.outputs = [x], [y]
    m.op("SIN", [x], [y])
    write(out, "tflite_sin.tflite", m.serialize())
    m = Model()
    x, y = m.tensor("x", [1, 4]), m.tensor("y", [1, 4])
    m.inputs, m.outputs = [x], [y]
    m.op(("CUSTOM", "LocusNoSuchOp"), [x], [y])
    write(out, "tflite_custom.tflite", m.serialize())

    # refused: well-formed FlatBuffers whose indices or sizes lie
    write(out, "tflite_bad_tensor.tflite", linear(W, b, bad_input=42))
    write(out, "tflite_bad_buffer.tflite", linear(W, b, bad_buffer=42))
    write(out, "tflite_bad_opcode.tflite", linear(W, b, shift=5))
    write(out, "tflite_short_weights.tflite", linear(W, b, weight_data=W.reshape(-1)[:11]))
    write(out, "tflite_version2.tflite", linear(W, b, version=2))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
