#!/usr/bin/python3
"""Test models for locus_ai's ONNX and TF backends (OpenCV DNN), made here with nothing downloaded.

Usage: gen_onnx_tf.py OUTDIR [small|resnet50]

small:
  ONNX, exported by torch.onnx.export (python3-torch) exactly as a user's exporter writes them:
    onnx_linear.onnx   x[N,4] -> y = x W^T + b [N,3]
    onnx_two.onnx      (a[N,3], b[N,3]) -> (s = a + b, p = a W [N,2])
    onnx_cnn.onnx      x[N,1,12,12] -> conv3x3(4)+BN -> relu -> conv3x3/2(8) -> relu -> maxpool2 -> flatten -> fc(5)
                       -> softmax; its identical BN-folded biases make the exporter write Identity nodes
    onnx_ml.onnx       an ONNX-ML TreeEnsembleClassifier (python3-onnx's helper), which OpenCV cannot run
    onnx_badop.onnx    a standard-domain operator OpenCV 4.6 lacks (NonZero)
    onnx_slow.onnx     x[N,256] -> 48 x (MatMul W[256,256] -> Relu), one shared initializer (python3-onnx's
                       helper): about 25 GFLOP at N=4096, long enough to pass a MODEL_EXECUTION_TIMEOUT of 100 ms
                       on any CPU; onnx_slow_in.bin/_out.bin a [2,256] input and numpy's output
  TF frozen GraphDefs, written with python3-protobuf from the message definitions below:
    tf_mlp.pb          Placeholder x[N,4] -> MatMul W[4,3] -> Add b -> Relu "y"
    tf_two.pb          Placeholders a, b [N,3] -> Add "sum", MatMul(a, W[3,2]) "prod"
    tf_cnn.pb          Placeholder x[N,8,8,1] (NHWC) -> Conv2D 3x3 SAME (4) -> BiasAdd -> Relu -> Mean over H,W
                       -> MatMul [4,3] -> Add "logits"
  For each an input (<name>_in*.bin) and the expected output (<name>_out*.bin), raw little-endian float32,
  computed here with numpy from the weights (never by the runtime under test).
resnet50:
  bench_resnet50.pt and bench_resnet50.onnx: one torchvision resnet50 (weights=None), traced for TorchScript
  and exported to ONNX, for bench/onnx_vs_torch; bench_resnet50_in.bin an input.
"""
import os
import sys

import numpy as np

rng = np.random.default_rng(4321)


def save(out, name, a):
    with open(os.path.join(out, name), "wb") as f:
        f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


# ---------------------------------------------------------------- numpy reference ops

def conv2d_nchw(x, w, b, stride=1, pad=0):
    """x [N,C,H,W], w [O,C,kh,kw] -> [N,O,H',W'] (cross-correlation, as every framework)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]  # [N,C,ho,wo]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y + b.reshape(1, o, 1, 1)


def maxpool2_nchw(x):
    n, c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    return x[:, :, :h2 * 2, :w2 * 2].reshape(n, c, h2, 2, w2, 2).max(axis=(3, 5))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def relu(x):
    return np.maximum(x, 0)


# ---------------------------------------------------------------- ONNX through torch.onnx.export

def onnx_models(out):
    import torch
    torch.manual_seed(4321)

    def np_of(t):
        return t.detach().double().numpy()

    def export(m, args, name, inputs, outputs):
        torch.onnx.export(m, args, os.path.join(out, name), input_names=inputs, output_names=outputs,
                          dynamic_axes={n: {0: "N"} for n in inputs + outputs}, opset_version=11)

    class Linear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(x)

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(3, 2))

        def forward(self, a, b):
            return a + b, torch.matmul(a, self.w)

    class CNN(torch.nn.Module):  # conv without bias + batch norm, as ResNet's blocks
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 4, 3, padding=1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(4)
            self.c2 = torch.nn.Conv2d(4, 4, 3, stride=2, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(4)
            self.fc = torch.nn.Linear(4 * 2 * 2, 5)

        def forward(self, x):
            x = torch.relu(self.bn1(self.c1(x)))
            x = torch.relu(self.bn2(self.c2(x)))
            x = torch.nn.functional.max_pool2d(x, 2)
            return torch.softmax(self.fc(torch.flatten(x, 1)), 1)

    with torch.no_grad():
        lin = Linear().eval()
        export(lin, (torch.zeros(2, 4),), "onnx_linear.onnx", ["x"], ["y"])
        x = rng.standard_normal((2, 4))
        save(out, "onnx_linear_in.bin", x)
        w, b = np_of(lin.fc.weight), np_of(lin.fc.bias)
        save(out, "onnx_linear_out.bin", x.astype(np.float32) @ w.T + b)
        xb = rng.standard_normal((8, 4))  # rows for the batching test
        save(out, "onnx_linear_batch_in.bin", xb)
        save(out, "onnx_linear_batch_out.bin", xb.astype(np.float32) @ w.T + b)

        two = Two().eval()
        export(two, (torch.zeros(2, 3), torch.zeros(2, 3)), "onnx_two.onnx", ["a", "b"], ["s", "p"])
        a, bb = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
        a32, b32 = a.astype(np.float32), bb.astype(np.float32)
        save(out, "onnx_two_in_a.bin", a)
        save(out, "onnx_two_in_b.bin", bb)
        save(out, "onnx_two_out_s.bin", a32 + b32)
        save(out, "onnx_two_out_p.bin", a32 @ np_of(two.w))

        cnn = CNN().eval()  # BN at its initial statistics: every folded bias equal, hence Identity nodes
        export(cnn, (torch.zeros(1, 1, 12, 12),), "onnx_cnn.onnx", ["x"], ["y"])
        x = rng.standard_normal((2, 1, 12, 12)).astype(np.float32).astype(np.float64)
        save(out, "onnx_cnn_in.bin", x)
        def bn(h, m):
            scale = np_of(m.weight) / np.sqrt(np_of(m.running_var) + m.eps)
            c = (1, -1, 1, 1)
            return (h - np_of(m.running_mean).reshape(c)) * scale.reshape(c) + np_of(m.bias).reshape(c)

        h = relu(bn(conv2d_nchw(x, np_of(cnn.c1.weight), np.zeros(4), 1, 1), cnn.bn1))
        h = relu(bn(conv2d_nchw(h, np_of(cnn.c2.weight), np.zeros(4), 2, 0), cnn.bn2))
        h = maxpool2_nchw(h).reshape(2, -1)
        save(out, "onnx_cnn_out.bin", softmax(h @ np_of(cnn.fc.weight).T + np_of(cnn.fc.bias)))

    import onnx
    from onnx import TensorProto, helper
    ops = [n.op_type for n in onnx.load(os.path.join(out, "onnx_cnn.onnx")).graph.node]
    assert "Identity" in ops, "the exporter no longer writes the Identity nodes the backend must handle: %s" % ops
    # ONNX-ML: a one-tree classifier (scikit-learn's export writes these)
    tree = helper.make_node(
        "TreeEnsembleClassifier", ["x"], ["label", "prob"], domain="ai.onnx.ml",
        nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0],
        nodes_values=[0.5, 0.0, 0.0], nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"],
        nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0],
        class_treeids=[0, 0], class_nodeids=[1, 2], class_ids=[0, 1], class_weights=[1.0, 1.0],
        classlabels_int64s=[0, 1])
    g = helper.make_graph([tree], "ml", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
                          [helper.make_tensor_value_info("label", TensorProto.INT64, [1]),
                           helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 2])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11),
                                                  helper.make_opsetid("ai.onnx.ml", 1)]),
              os.path.join(out, "onnx_ml.onnx"))
    nz = helper.make_node("NonZero", ["x"], ["y"])
    g = helper.make_graph([nz], "nz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [2, None])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]),
              os.path.join(out, "onnx_badop.onnx"))

    # the timeout test's model: deep enough to run long on a big batch, exact on a small one
    layers, width = 48, 256
    w = (rng.standard_normal((width, width)) * np.sqrt(2.0 / width)).astype(np.float32)
    nodes, prev = [], "x"
    for k in range(layers):
        nodes.append(helper.make_node("MatMul", [prev, "W"], ["mm%d" % k]))
        nodes.append(helper.make_node("Relu", ["mm%d" % k], ["h%d" % k if k + 1 < layers else "y"]))
        prev = "h%d" % k
    g = helper.make_graph(nodes, "slow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])],
                          initializer=[helper.make_tensor("W", TensorProto.FLOAT, [width, width], w.ravel())])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), os.path.join(out, "onnx_slow.onnx"))
    x = rng.standard_normal((2, width)).astype(np.float32)
    save(out, "onnx_slow_in.bin", x)
    h = x.astype(np.float64)
    for _ in range(layers):
        h = relu(h @ w.astype(np.float64))
    save(out, "onnx_slow_out.bin", h)


# ---------------------------------------------------------------- TF GraphDef from our own definitions

def tf_classes():
    """GraphDef and the messages it holds, declared here field by field (the numbers are the format's:
    tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto). Maps are written as
    their wire equivalent, a repeated key/value entry."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="locus_tf_graph.proto", package="locus_tf", syntax="proto3")

    def msg(name, fields, parent=None):
        m = (parent.nested_type if parent is not None else fd.message_type).add(name=name)
        for fname, num, ftype, label, tname in fields:
            f = m.field.add(name=fname, number=num, type=ftype, label=label)
            if tname:
                f.type_name = tname
        return m

    O, R = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    msg("Dim", [("size", 1, F.TYPE_INT64, O, None), ("name", 2, F.TYPE_STRING, O, None)])
    msg("TensorShapeProto", [("dim", 2, F.TYPE_MESSAGE, R, ".locus_tf.Dim"),
                             ("unknown_rank", 3, F.TYPE_BOOL, O, None)])
    msg("TensorProto", [("dtype", 1, F.TYPE_INT32, O, None),
                        ("tensor_shape", 2, F.TYPE_MESSAGE, O, ".locus_tf.TensorShapeProto"),
                        ("tensor_content", 4, F.TYPE_BYTES, O, None),
                        ("int_val", 7, F.TYPE_INT32, R, None)])
    msg("ListValue", [("i", 3, F.TYPE_INT64, R, None), ("type", 6, F.TYPE_INT32, R, None)])
    msg("AttrValue", [("list", 1, F.TYPE_MESSAGE, O, ".locus_tf.ListValue"), ("s", 2, F.TYPE_BYTES, O, None),
                      ("i", 3, F.TYPE_INT64, O, None), ("f", 4, F.TYPE_FLOAT, O, None),
                      ("b", 5, F.TYPE_BOOL, O, None), ("type", 6, F.TYPE_INT32, O, None),
                      ("shape", 7, F.TYPE_MESSAGE, O, ".locus_tf.TensorShapeProto"),
                      ("tensor", 8, F.TYPE_MESSAGE, O, ".locus_tf.TensorProto")])
    msg("AttrEntry", [("key", 1, F.TYPE_STRING, O, None), ("value", 2, F.TYPE_MESSAGE, O, ".locus_tf.AttrValue")])
    msg("NodeDef", [("name", 1, F.TYPE_STRING, O, None), ("op", 2, F.TYPE_STRING, O, None),
                    ("input", 3, F.TYPE_STRING, R, None), ("device", 4, F.TYPE_STRING, O, None),
                    ("attr", 5, F.TYPE_MESSAGE, R, ".locus_tf.AttrEntry")])
    msg("VersionDef", [("producer", 1, F.TYPE_INT32, O, None), ("min_consumer", 2, F.TYPE_INT32, O, None)])
    msg("GraphDef", [("node", 1, F.TYPE_MESSAGE, R, ".locus_tf.NodeDef"),
                     ("versions", 4, F.TYPE_MESSAGE, O, ".locus_tf.VersionDef")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    factory = message_factory.MessageFactory(pool)
    return {n: factory.GetPrototype(pool.FindMessageTypeByName("locus_tf." + n))
            for n in ("GraphDef", "NodeDef", "AttrValue", "TensorProto", "TensorShapeProto")}


DT_FLOAT, DT_INT32 = 1, 3


class TfGraph:
    def __init__(self, cls):
        self.cls = cls
        self.g = cls["GraphDef"]()
        self.g.versions.producer = 27

    def node(self, name, op, inputs=(), **attrs):
        n = self.g.node.add(name=name, op=op)
        n.input.extend(inputs)
        for k, v in attrs.items():
            e = n.attr.add(key=k)
            if isinstance(v, bytes):
                e.value.s = v
            elif isinstance(v, bool):
                e.value.b = v
            elif isinstance(v, tuple) and v[0] == "type":
                e.value.type = v[1]
            elif isinstance(v, tuple) and v[0] == "ints":
                e.value.list.i.extend(v[1])
            elif isinstance(v, tuple) and v[0] == "shape":
                for d in v[1]:
                    e.value.shape.dim.add(size=d)
            elif isinstance(v, np.ndarray):
                t = e.value.tensor
                t.dtype = DT_INT32 if v.dtype == np.int32 else DT_FLOAT
                for d in v.shape:
                    t.tensor_shape.dim.add(size=d)
                t.tensor_content = np.ascontiguousarray(v).astype("<i4" if v.dtype == np.int32 else "<f4").tobytes()
        return name

    def placeholder(self, name, shape):
        return self.node(name, "Placeholder", dtype=("type", DT_FLOAT), shape=("shape", shape))

    def const(self, name, value):
        return self.node(name, "Const", dtype=("type", DT_INT32 if value.dtype == np.int32 else DT_FLOAT),
                         value=value)

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.g.SerializeToString())


def tf_models(out):
    cls = tf_classes()
    T = ("type", DT_FLOAT)

    g = TfGraph(cls)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    g.placeholder("x", [-1, 4])
    g.const("w", w)
    g.const("b", b)
    g.node("mm", "MatMul", ["x", "w"], T=T, transpose_a=False, transpose_b=False)
    g.node("add", "Add", ["mm", "b"], T=T)
    g.node("y", "Relu", ["add"], T=T)
    g.save(os.path.join(out, "tf_mlp.pb"))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    save(out, "tf_mlp_in.bin", x)
    save(out, "tf_mlp_out.bin", relu(x.astype(np.float64) @ w + b))
    xb = rng.standard_normal((8, 4)).astype(np.float32)
    save(out, "tf_mlp_batch_in.bin", xb)
    save(out, "tf_mlp_batch_out.bin", relu(xb.astype(np.float64) @ w + b))

    g = TfGraph(cls)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    g.placeholder("a", [-1, 3])
    g.placeholder("b", [-1, 3])
    g.const("w", w)
    g.node("sum", "Add", ["a", "b"], T=T)
    g.node("prod", "MatMul", ["a", "w"], T=T, transpose_a=False, transpose_b=False)
    g.save(os.path.join(out, "tf_two.pb"))
    a = rng.standard_normal((2, 3)).astype(np.float32)
    bb = rng.standard_normal((2, 3)).astype(np.float32)
    save(out, "tf_two_in_a.bin", a)
    save(out, "tf_two_in_b.bin", bb)
    save(out, "tf_two_out_sum.bin", a.astype(np.float64) + bb)
    save(out, "tf_two_out_prod.bin", a.astype(np.float64) @ w)

    g = TfGraph(cls)
    k = rng.standard_normal((3, 3, 1, 4)).astype(np.float32)  # HWIO, TF's filter layout
    kb = rng.standard_normal(4).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    g.placeholder("x", [-1, 8, 8, 1])
    g.const("k", k)
    g.const("kb", kb)
    g.const("axes", np.array([1, 2], dtype=np.int32))
    g.const("w", w)
    g.const("b", b)
    g.node("conv", "Conv2D", ["x", "k"], T=T, strides=("ints", [1, 1, 1, 1]), padding=b"SAME",
           data_format=b"NHWC", dilations=("ints", [1, 1, 1, 1]))
    g.node("bias", "BiasAdd", ["conv", "kb"], T=T, data_format=b"NHWC")
    g.node("relu", "Relu", ["bias"], T=T)
    g.node("mean", "Mean", ["relu", "axes"], T=T, keep_dims=False, Tidx=("type", DT_INT32))
    g.node("mm", "MatMul", ["mean", "w"], T=T, transpose_a=False, transpose_b=False)
    g.node("logits", "Add", ["mm", "b"], T=T)
    g.save(os.path.join(out, "tf_cnn.pb"))
    x = rng.standard_normal((2, 8, 8, 1)).astype(np.float32)
    save(out, "tf_cnn_in.bin", x)
    h = conv2d_nchw(x.transpose(0, 3, 1, 2).astype(np.float64), k.transpose(3, 2, 0, 1).astype(np.float64), kb, 1, 1)
    h = relu(h).mean(axis=(2, 3))
    save(out, "tf_cnn_out.bin", h @ w + b)


def resnet50(out):
    import torch
    import torchvision
    torch.manual_seed(1234)
    with torch.no_grad():
        m = torchvision.models.resnet50(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        torch.jit.trace(m, x).save(os.path.join(out, "bench_resnet50.pt"))
        torch.onnx.export(m, (x,), os.path.join(out, "bench_resnet50.onnx"), input_names=["x"], output_names=["y"],
                          opset_version=11)
        save(out, "bench_resnet50_in.bin", x.numpy())


def small(out):
    onnx_models(out)
    tf_models(out)


if __name__ == "__main__":
    outdir, what = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "small"
    os.makedirs(outdir, exist_ok=True)
    {"small": small, "resnet50": resnet50}[what](outdir)
