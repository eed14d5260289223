#!/usr/bin/python3
"""Test models for locus_ai, made with Debian's python3-torch (random weights, nothing downloaded).

Usage: gen_models.py OUTDIR [small|resnet50]

small:    linear.pt (x[N,4] -> x@W^T+b [N,3]), twoinout.pt ((a,b) -> (a+b, a@W)), script.py (pre/post
          functions, old-style positional and variadic functions), and for each an input and the expected
          output computed here by libtorch (raw little-endian float32 .bin files); with_constant.pt (a
          tensor constant, in constants/); crafted/*.pt, linear.pt and with_constant.pt with lying pickles.
resnet50: resnet50.pt (torchvision resnet50, weights=None, traced for 1x3x224x224), resnet50_in.bin and
          resnet50_out.bin (the eval-mode output for that input).
"""
import os
import sys
import zipfile

import torch

torch.manual_seed(1234)


def save(path, t):
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())


class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


class TwoInOut(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(3, 2))

    def forward(self, a, b):
        return a + b, torch.matmul(a, self.w)


SCRIPT = '''
def pre_process(tensors: List[Tensor], keys: List[str], args: List[str]):
    x = tensors[0]
    scale = float(args[0]) if len(args) > 0 else 1.0
    return (x.float() - x.float().mean()) * scale

def post_process(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0].argmax(1), tensors[0].softmax(1)

def sum_all(tensors: List[Tensor], keys: List[str], args: List[str]):
    acc = tensors[0]
    for i in range(1, len(tensors)):
        acc = acc + tensors[i]
    return acc

def slow(tensors: List[Tensor], keys: List[str], args: List[str]):
    x = tensors[0]
    for i in range(int(args[0])):
        x = x + 1.0
    return x

def bar(a, b):
    return a + b

def bar_variadic(a, l: List[Tensor]):
    return a + l[0] + l[1]
'''


def small(out):
    with torch.no_grad():
        lin = Linear().eval()
        x = torch.randn(2, 4)
        traced = torch.jit.trace(lin, x)
        traced.save(os.path.join(out, "linear.pt"))
        save(os.path.join(out, "linear_in.bin"), x)
        save(os.path.join(out, "linear_out.bin"), lin(x))
        # rows for the batching test: 8 single-row inputs and their outputs
        xb = torch.randn(8, 4)
        save(os.path.join(out, "linear_batch_in.bin"), xb)
        save(os.path.join(out, "linear_batch_out.bin"), lin(xb))

        m2 = TwoInOut().eval()
        a = torch.randn(2, 3)
        b = torch.randn(2, 3)
        traced2 = torch.jit.trace(m2, (a, b))
        traced2.save(os.path.join(out, "twoinout.pt"))
        save(os.path.join(out, "twoinout_a.bin"), a)
        save(os.path.join(out, "twoinout_b.bin"), b)
        o1, o2 = m2(a, b)
        save(os.path.join(out, "twoinout_out1.bin"), o1)
        save(os.path.join(out, "twoinout_out2.bin"), o2)

    crafted(out)

    with open(os.path.join(out, "script.py"), "w") as f:
        f.write(SCRIPT)
    cu = torch.jit.CompilationUnit(SCRIPT)
    x = torch.randn(2, 3)
    save(os.path.join(out, "script_in.bin"), x)
    save(os.path.join(out, "script_pre_out.bin"), cu.pre_process([x], [], ["2.0"]))
    idx, sm = cu.post_process([x], [], [])
    with open(os.path.join(out, "script_post_idx.bin"), "wb") as f:
        f.write(idx.numpy().astype("<i8").tobytes())
    save(os.path.join(out, "script_post_sm.bin"), sm)


class WithConstant(torch.nn.Module):
    def forward(self, x):
        return x + torch.tensor([1.0, 2.0, 3.0, 4.0])


def rezip(src, dst, entry, change):
    """Copies the zip archive src to dst with entry (a name suffix) replaced by change(bytes): a crafted file
    that is a perfectly valid zip (sizes and CRC-32s right), as an attacker would make it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(entry):
                data = change(data)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = info.compress_type
            zout.writestr(zi, data)


def crafted(out):
    """Archives whose zip structure is valid but whose pickles lie about their tensors (issue 13 item 4);
    each crashed or stalled libtorch before the pickle check. crafted/good.pt is linear.pt re-zipped without
    a change (the control: it must store and compute as linear.pt does)."""
    d = os.path.join(out, "crafted")
    os.makedirs(d, exist_ok=True)
    lin = os.path.join(out, "linear.pt")
    with torch.no_grad():
        x = torch.zeros(2, 4)
        torch.jit.trace(WithConstant(), x).save(os.path.join(out, "with_constant.pt"))
    rezip(lin, os.path.join(d, "good.pt"), "/version", lambda b: b)
    rezip(lin, os.path.join(d, "bias_emptied.pt"), "/data/1", lambda b: b"")
    rezip(lin, os.path.join(d, "weight_emptied.pt"), "/data/0", lambda b: b"")
    rezip(lin, os.path.join(d, "weight_cut.pt"), "/data/0", lambda b: b[:4])
    # weight.sizes (3, 4) -> (2^31-1, 4): a view far past its 12-element storage
    rezip(lin, os.path.join(d, "view_too_big.pt"), "/data.pkl",
          lambda b: b.replace(b"(K\x03K\x04t", b"(J\xff\xff\xff\x7fK\x04t", 1))
    # the first BINPUT after the weight (memo 13) -> LONG_BINPUT 2^31-1: libtorch sizes its memo by the index
    rezip(lin, os.path.join(d, "memo_huge.pt"), "/data.pkl",
          lambda b: b.replace(b"q\x0d", b"r\xff\xff\xff\x7f", 1))
    # the constant's storage record cut to 4 of its 16 bytes
    rezip(os.path.join(out, "with_constant.pt"), os.path.join(d, "constant_cut.pt"), "/constants/0",
          lambda b: b[:4])
    # constants.pkl rebuilding a tensor from 3 arguments
    rezip(lin, os.path.join(d, "constants_mutated.pt"), "/constants.pkl",
          lambda b: b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00(K\x01K\x02K\x03t\x85R.")
    # a debug pickle with a BINUNICODE length past its end
    rezip(lin, os.path.join(d, "debug_pkl_mutated.pt"), "/code/__torch__.py.debug_pkl",
          lambda b: b[:2] + b"X\xff\xff\xff\x00" + b[7:])


def resnet50(out):
    import torchvision
    with torch.no_grad():
        m = torchvision.models.resnet50(weights=None).eval()
        x = torch.rand(1, 3, 224, 224)
        traced = torch.jit.trace(m, x)
        traced.save(os.path.join(out, "resnet50.pt"))
        save(os.path.join(out, "resnet50_in.bin"), x)
        save(os.path.join(out, "resnet50_out.bin"), m(x))


if __name__ == "__main__":
    outdir = sys.argv[1]
    what = sys.argv[2] if len(sys.argv) > 2 else "small"
    os.makedirs(outdir, exist_ok=True)
    {"small": small, "resnet50": resnet50}[what](outdir)
