#!/usr/bin/python3
"""The inference tests' model, made at build time with Debian's python3-torch and python3-torchvision:
ResNet-50 with random weights (weights=None: nothing is downloaded), in eval mode, traced on a 1x3x224x224
input, saved as OUT/resnet50.CPU.pt. On a GPU machine, `gen_resnet50.py OUT GPU` writes resnet50.GPU.pt
traced on the GPU.

usage: gen_resnet50.py OUTDIR [CPU|GPU]
"""
import os
import sys

import torch
import torchvision

torch.manual_seed(2026)

out = sys.argv[1]
device = sys.argv[2] if len(sys.argv) > 2 else "CPU"
os.makedirs(out, exist_ok=True)
dev = "cuda" if device == "GPU" else "cpu"
with torch.no_grad():
    m = torchvision.models.resnet50(weights=None).eval().to(dev)
    traced = torch.jit.trace(m, torch.rand(1, 3, 224, 224, device=dev))
    traced.save(os.path.join(out, "resnet50.%s.pt" % device))
