#!/usr/bin/env bash
# `locus bench` refuses what cannot run here before starting anything, with the reason; --help and the
# batch scripts. Nothing may be started: no results directory appears for a refused run.
#   test_bench_cli.sh LOCUS
set -uo pipefail
LOCUS=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../launch/common.sh"
out=$(mktemp -d /tmp/locus-benchcli-XXXXXX)
trap 'rm -rf "$out"' EXIT
refused() { # refused "what" "expected message part" args...
    local what=$1 msg=$2
    shift 2
    "$LOCUS" bench "$@" --results-dir "$out/results" >"$out/o" 2>"$out/e"
    local rc=$?
    check "$what: exit status 2 (got $rc)" [ $rc -eq 2 ]
    check "$what: message names the problem" grep -qF -- "$msg" "$out/e"
    check "$what: nothing started" [ ! -e "$out/results" ]
}
refused "4 nodes, local launcher" "needs 4 nodes" throughput_colocated --launcher=local --nodes=[4]
refused "client nodes, local" "needs 2 nodes" throughput_standard --launcher=local --client_nodes=[2] --db_nodes=[1] \
    --run_db_as_batch=False --net_ifname=lo
refused "database as a batch job, local" "--run_db_as_batch=True needs the slurm or pbs launcher" \
    throughput_standard --launcher=local --client_nodes=[1] --db_nodes=[1] --net_ifname=lo
refused "missing interface" "--net_ifname=nosuch0: no such interface" throughput_standard --launcher=local \
    --client_nodes=[1] --db_nodes=[1] --run_db_as_batch=False --net_ifname=nosuch0
refused "bad list element" "--tensor_bytes: 'x'" aggregation --tensor_bytes=[1,x]
refused "unknown flag" "unknown flag '--bogus'" aggregation --bogus
refused "unknown language" "--languages: 'rust'" throughput_colocated --launcher=local --nodes=[1] --languages=[rust]
refused "unknown test" "unknown test 'nosuch'" nosuch
refused "inference on a GPU that is not here" "--device=GPU: no GPU is visible" inference_colocated --launcher=local \
    --nodes=[1] --clients_per_node=[2]
refused "inference device" "--device=TPU: expected CPU or GPU" inference_colocated --launcher=local --nodes=[1] \
    --device=TPU
refused "inference net_type" "--net_type=ib: expected uds or tcp" inference_colocated --launcher=local --nodes=[1] \
    --device=CPU --net_type=ib
refused "inference devices on CPU" "--num_devices=2: a positive count, and 1 with --device=CPU" inference_colocated \
    --launcher=local --nodes=[1] --device=CPU --num_devices=2
refused "inference standard, database as a batch job, local" "--run_db_as_batch=True needs the slurm or pbs" \
    inference_standard --launcher=local --client_nodes=[1] --db_nodes=[1] --net_ifname=lo --device=CPU
LOCUS_BENCH_MODELS=/nonexistent refused "inference model missing" "the model /nonexistent/resnet50.CPU.pt is missing" \
    inference_colocated --launcher=local --nodes=[1] --device=CPU
refused "bad batch kind" "--print-batch-script takes slurm or pbs" throughput_colocated --print-batch-script lsf

# the seed suite's names
"$LOCUS" bench aggregation_scaling --help >"$out/o" 2>&1
check "aggregation_scaling is aggregation" bash -c "grep -q -- --client_threads '$out/o'"
"$LOCUS" bench process_scaling_results --scaling_results_dir="$out/none" >"$out/o" 2>&1
check "process_scaling_results is report (a missing directory is named)" grep -q "$out/none" "$out/o"

"$LOCUS" bench --help >"$out/o" 2>&1
check "bench --help exits 0 and lists the tests" bash -c "grep -q throughput_colocated '$out/o' && grep -q aggregation '$out/o' && grep -q inference_colocated '$out/o' && ! grep -q 'not available' '$out/o'"
"$LOCUS" bench aggregation --help >"$out/o" 2>&1
check "aggregation --help lists its flags" bash -c "grep -q -- --client_threads '$out/o' && grep -q -- --tensors_per_dataset '$out/o'"

"$LOCUS" bench throughput_standard --client_nodes=[2,4] --db_nodes=[1] --net_ifname=lo --run_db_as_batch=False \
    --print-batch-script slurm >"$out/s" 2>"$out/e"
check "slurm script: exit 0" [ $? -eq 0 ]
check "slurm script: nodes for the largest combination (4 + 1)" grep -qx '#SBATCH --nodes=5' "$out/s"
check "slurm script: runs the same flags under slurm" grep -q "^exec locus bench throughput_standard --launcher=slurm '--client_nodes=\[2,4\]' '--db_nodes=\[1\]'" "$out/s"
check "slurm script: nothing started" [ ! -e "$out/results" ]
"$LOCUS" bench throughput_standard --client_nodes=[2,4] --db_nodes=[1] --net_ifname=lo --print-batch-script slurm \
    >"$out/s" 2>"$out/e"
check "slurm script, database as its own job: nodes for the clients only (4)" grep -qx '#SBATCH --nodes=4' "$out/s"
# what the script could not do inside its job is refused before it is written: a database over several
# hosts cannot bind the interface's address on the others yet
refused "slurm script, 3 database hosts with an interface" "--db_nodes=3 on separate hosts with --net_ifname=lo" \
    throughput_standard --client_nodes=[2] --db_nodes=[1,3] --net_ifname=lo --print-batch-script slurm
# PBS scripts are written (tests/bench/test_bench_pbs.sh runs them); aggregation's too
"$LOCUS" bench aggregation --client_nodes=[2] --db_nodes=[1] --net_ifname=lo --run_db_as_batch=False \
    --print-batch-script pbs >"$out/s" 2>"$out/e"
check "pbs script: exit 0" [ $? -eq 0 ]
check "pbs script: database chunk first, then the producers' (32 ranks each)" \
    grep -qx '#PBS -l select=1:ncpus=36:mpiprocs=1+2:ncpus=32:mpiprocs=32' "$out/s"
check "pbs script: nothing started" [ ! -e "$out/results" ]
if ! ip link show ipogif0 >/dev/null 2>&1; then
    refused "default ipogif0 in a script" "the default ipogif0 is not an interface of this host" throughput_standard \
        --client_nodes=[2] --db_nodes=[1] --print-batch-script slurm
fi
# the man page documents every option of locus run and locus bench report
man1="$here/../../docs/locus.1"
"$LOCUS" run --help 2>&1 | grep -o '^  --[a-z-]*' | sed 's/^  //' >"$out/runopts"
check "locus run --help lists options" [ -s "$out/runopts" ]
while read -r o; do
    check "man page documents locus run $o" grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$man1"
done <"$out/runopts"
for o in --no-plots --plot= --plot_type --scaling_results_dir= --overwrite; do
    "$LOCUS" bench report --help | grep -qF -- "$o" && check "man page documents locus bench report $o" \
        grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$man1"
done
report bench_cli
