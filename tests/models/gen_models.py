#!/usr/bin/python3
"""Test models for locus_ai, made with Debian's python3-torch (random weights, nothing downloaded).

Usage: gen_models.py OUTDIR [small|resnet50]

small:    linear.pt (x[N,4] -> x@W^T+b [N,3]), twoinout.pt ((a,b) -> (a+b, a@W)), script.py (pre/post
          functions, old-style positional and variadic functions), and for each an input and the expected
          output computed here by libtorch (raw little-endian float32 .bin files).
resnet50: resnet50.pt (torchvision resnet50, weights=None, traced for 1x3x224x224), resnet50_in.bin and
          resnet50_out.bin (the eval-mode output for that input).
"""
import os
import sys

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
