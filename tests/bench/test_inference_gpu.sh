#!/usr/bin/env bash
# inference_colocated on the GPUs of this host (ctest -L gpu): skipped (77) where none is visible or the Torch
# backend has no CUDA. Traces resnet50.GPU.pt on the GPU first (gen_resnet50.py), then 2 ranks, 3 iterations,
# batch sizes 1 and 2, every GPU of the node (--num_devices), C; the apps check each output against the
# in-process reference.
#   test_inference_gpu.sh LOCUS SOURCE_DIR MODELS_DIR
set -uo pipefail
LOCUS=$1
SRC=$2
MODELS=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../launch/common.sh"
ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
[ "${ngpu:-0}" -ge 1 ] || { echo "no GPU visible: skipped"; exit 77; }
/usr/bin/python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" ||
    { echo "python3-torch has no CUDA here: skipped"; exit 77; }
out=$(mktemp -d /tmp/locus-infgpu-XXXXXX)
trap 'rm -rf "$out"' EXIT
cp "$MODELS/inference_script.py" "$MODELS/resnet50.CPU.pt" "$out/"
/usr/bin/python3 "$SRC/src/bench/models/gen_resnet50.py" "$out" GPU
check "resnet50.GPU.pt traced" [ -s "$out/resnet50.GPU.pt" ]
LOCUS_BENCH_MODELS=$out "$LOCUS" bench inference_colocated --launcher=local --device=GPU --num_devices="$ngpu" \
    --nodes=[1] --clients_per_node=[2] --db_cpus=[2] --batch_size=[1,2] --iterations=3 --languages=[c] \
    --results-dir "$out/results" >"$out/stdout" 2>"$out/stderr"
rc=$?
check "inference_colocated --device=GPU --num_devices=$ngpu: exit 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { tail -n 20 "$out/stderr"; cat "$out"/results/*/run-*/*/app.log 2>/dev/null | tail -n 20; }
cat "$out/stdout"
report "bench_inference_gpu"
