#!/usr/bin/env bash
# `locus bench` under PBS, as far as it can be checked without a PBS server (there is none on this machine,
# and Debian ships none):
#  1. the job scripts' text (--print-batch-script pbs: select with chunks per host, place=scatter:excl);
#  2. those scripts run for real with bash in the environment PBS gives a job (PBS_JOBID, PBS_NODEFILE
#     listing this host once per rank, PBS_O_WORKDIR, PBS_ENVIRONMENT), with real MPI and a real
#     redis-server with the module, the database inside the job (--run_db_as_batch=False): the clients ran
#     R per host through mpiexec's host list, rows and results were written, the database was stopped;
#  3. the qsub path: the database's own job script (locus db start --batch --dry-run prints the qsub line
#     and writes the script, which is then run with bash as PBS would run it), and the refusal when qsub is
#     not there. qsub, qstat and qdel themselves are never run here.
#   test_bench_pbs.sh LOCUS
set -uo pipefail
LOCUS=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../launch/common.sh"
if ! command -v mpiexec >/dev/null || [ ! -x "$(dirname "$LOCUS")/locus_bench_throughput" ]; then
    echo "bench_pbs: skipped (needs mpiexec and the bench apps)"
    exit 77
fi
D=$(mktemp -d /tmp/locus-benchpbs-XXXXXX)
cleanup() {
    for d in "$D"/results/*/run-*/database-* "$D"/dbjob; do
        [ -f "$d/locus-db.json" ] && "$LOCUS" db stop --dir "$d" >/dev/null 2>&1
    done
    [ -n "${jobpid:-}" ] && kill "$jobpid" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
unset SLURM_JOB_ID SLURM_JOBID SLURM_NODELIST SLURM_JOB_NODELIST SLURM_JOB_NUM_NODES SLURM_NNODES
host=$(hostname)
mkdir -p "$D/work"
# PBS lists a host once per MPI process of its chunk (mpiprocs)
printf '%s\n%s\n' "$host" "$host" >"$D/nodefile"
in_job() { # in_job JOBID command...: run as PBS runs a job's script
    local id=$1
    shift
    (cd / && PBS_JOBID=$id PBS_NODEFILE=$D/nodefile PBS_O_WORKDIR=$D/work PBS_ENVIRONMENT=PBS_BATCH \
        PBS_JOBNAME=locus-test "$@")
}
port=$(free_ports 1)
common=(--client_nodes=[1] --clients_per_node=[2] --db_nodes=[1] --db_cpus=[1] --net_ifname=lo
    --db_port="$port" --iterations=3 --tensor_bytes=[1024,4096] --languages=[c] --run_db_as_batch=False
    --results-dir "$D/results")

# ---- 1 + 2: throughput_standard, the database inside the job ----
"$LOCUS" bench throughput_standard "${common[@]}" --print-batch-script pbs >"$D/std.pbs" 2>"$D/e"
check "std script: exit 0" [ $? -eq 0 ]
check "std script: a chunk for the database host, one for the clients' host with R=2 ranks" \
    grep -qx '#PBS -l select=1:ncpus=1:mpiprocs=1+1:ncpus=2:mpiprocs=2' "$D/std.pbs"
check "std script: each chunk on a host of its own, exclusively" grep -qx '#PBS -l place=scatter:excl' "$D/std.pbs"
check "std script: wall time and joined output" bash -c "grep -qx '#PBS -l walltime=05:00:00' '$D/std.pbs' && grep -qx '#PBS -j oe' '$D/std.pbs'"
check "std script: the same run under the pbs launcher, by full path" \
    grep -q "^exec '$LOCUS' bench throughput_standard --launcher=pbs '--client_nodes=\[1\]'" "$D/std.pbs"
check "std script: locus's environment written in, not through qsub -v" \
    bash -c "grep -q '^export PATH=' '$D/std.pbs' && ! grep -q '^#PBS -v' '$D/std.pbs'"
check "std script: nothing started" [ ! -e "$D/results" ]

timeout 300 bash -c "$(declare -f in_job); D='$D'; in_job 101.pbs-test bash '$D/std.pbs'" >"$D/std.log" 2>&1
rc=$?
check "std job: exit 0 (rc $rc)" [ $rc -eq 0 ]
run=$(ls -d "$D"/results/throughput-standard-scaling/run-* 2>/dev/null | head -1)
check "std job: a run directory" [ -n "$run" ]
check "std job: run.cfg says pbs" grep -qx 'launcher = pbs' "$run/run.cfg"
for b in 1024 4096; do
    s="$run/tstd-N1-C2-DBN1-DBC1-T$b-Lc"
    for r in 0 1; do
        check "std job $b: rank $r wrote put/unpack rows" bash -c "[ \$(grep -c ',put_tensor,' '$s/rank_${r}_timing.csv') = 3 ] && [ \$(grep -c ',unpack_tensor,' '$s/rank_${r}_timing.csv') = 3 ]"
    done
    check "std job $b: no third rank" [ ! -e "$s/rank_2_timing.csv" ]
    # the clients went through mpiexec with the job's host and R ranks on it, not one oversubscribed mpirun
    check "std job $b: mpiexec got the host list with 2 slots and 2 per node" \
        bash -c "grep '^# launch: mpiexec' '$s/app.log' | grep -q -- '--host $host:2 --map-by ppr:2:node' && ! grep -q -- --oversubscribe '$s/app.log'"
    check "std job $b: the database settings passed to the ranks by name" \
        bash -c "grep '^# launch:' '$s/app.log' | grep -q -- '-x SSDB' && grep '^# launch:' '$s/app.log' | grep -q -- '-x LOCUS_DB_PASSWORD'"
done
check "std job: results.csv" bash -c "grep -q put_tensor '$run/results.csv'"
check "std job: the database ran in the job (its log)" bash -c "grep -q 'Ready to accept connections' '$run'/database-N1-C1/shard-0/redis.log"
check "std job: the database was stopped" bash -c "grep -q '\"status\": \"stopped\"' '$run'/database-N1-C1/locus-db.json && ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
check "std job: one host shared by database and clients, said so" grep -q 'one node' "$D/std.log"

# ---- throughput_colocated: one database per node, started by the first rank there ----
"$LOCUS" bench throughput_colocated --nodes=[1] --clients_per_node=[2] --db_cpus=[1] --iterations=3 \
    --tensor_bytes=[1024] --languages=[c] --results-dir "$D/results" --print-batch-script pbs >"$D/colo.pbs" 2>"$D/e"
check "colo script: R ranks and their CPUs plus the database's on each host" \
    grep -qx '#PBS -l select=1:ncpus=3:mpiprocs=2' "$D/colo.pbs"
timeout 300 bash -c "$(declare -f in_job); D='$D'; in_job 102.pbs-test bash '$D/colo.pbs'" >"$D/colo.log" 2>&1
rc=$?
check "colo job: exit 0 (rc $rc)" [ $rc -eq 0 ]
s=$(ls -d "$D"/results/throughput-colocated-scaling/run-*/tcolo-N1-C2-DBC1-PIN0-T1024-Lc 2>/dev/null | head -1)
check "colo job: both ranks wrote rows" bash -c "grep -q ',put_tensor,' '$s/rank_0_timing.csv' && grep -q ',put_tensor,' '$s/rank_1_timing.csv'"
check "colo job: through mpiexec and locus run --colocated-db" \
    bash -c "grep '^# launch: mpiexec' '$s/app.log' | grep -q -- '--host $host:2 .* run --colocated-db'"

# ---- inference_standard on CPU, small (when the model and Torch backend are built) ----
models=$(dirname "$LOCUS")/../share/locus/models
if [ -f "$models/resnet50.CPU.pt" ] && [ -x "$(dirname "$LOCUS")/locus_bench_inference" ]; then
    port2=$(free_ports 1)
    "$LOCUS" bench inference_standard --client_nodes=[1] --clients_per_node=[2] --db_nodes=[1] --db_cpus=[2] \
        --device=CPU --iterations=2 --batch_size=[1] --languages=[c] --net_ifname=lo --db_port="$port2" \
        --run_db_as_batch=False --results-dir "$D/results" --print-batch-script pbs >"$D/inf.pbs" 2>"$D/e"
    check "inference script: exit 0" [ $? -eq 0 ]
    timeout 400 bash -c "$(declare -f in_job); D='$D'; in_job 103.pbs-test bash '$D/inf.pbs'" >"$D/inf.log" 2>&1
    rc=$?
    check "inference job: exit 0 (rc $rc)" [ $rc -eq 0 ]
    s=$(ls -d "$D"/results/inference-standard-scaling/run-*/infstd-* 2>/dev/null | head -1)
    for r in 0 1; do
        check "inference job: rank $r ran the model" bash -c "[ \$(grep -c ',run_model,' '$s/rank_${r}_timing.csv') -ge 2 ]"
    done
    check "inference job: results.csv" bash -c "ls '$D'/results/inference-standard-scaling/run-*/results.csv >/dev/null"
fi

# ---- 3: the database as its own job (qsub path) ----
# The driver needs qsub, qstat and qdel: without them (as here) it refuses before anything starts.
mkdir -p "$D/nopbs"
for t in qsub qstat qdel; do command -v $t >/dev/null && echo "bench_pbs: note: $t exists here"; done
in_job 104.pbs-test "$LOCUS" bench throughput_standard --launcher=pbs --client_nodes=[1] --clients_per_node=[1] \
    --db_nodes=[1] --net_ifname=lo --languages=[c] --results-dir "$D/nopbs/results" >"$D/o" 2>"$D/e"
rc=$?
if ! command -v qsub >/dev/null; then
    check "batch database without qsub: exit 2 (got $rc)" [ $rc -eq 2 ]
    check "batch database without qsub: names qsub" grep -q 'qsub is not on PATH' "$D/e"
    check "batch database without qsub: nothing started" [ ! -e "$D/nopbs/results" ]
fi
# The script for such a run asks for the clients' hosts only; the database's job is sized by locus db start.
"$LOCUS" bench throughput_standard --client_nodes=[2] --clients_per_node=[4] --db_nodes=[1] --net_ifname=lo \
    --batch_args='{"queue": "gpu", "account": "proj"}' --db_node_feature="{'constraint': 'P100'}" \
    --print-batch-script pbs >"$D/batch.pbs" 2>"$D/e"
check "batch-db script: exit 0" [ $? -eq 0 ]
check "batch-db script: the clients' chunks only" grep -qx '#PBS -l select=2:ncpus=4:mpiprocs=4' "$D/batch.pbs"

# The database's job script, written and not submitted; its qsub line printed.
dbport=$(free_ports 1)
"$LOCUS" db start --launcher pbs --batch --dry-run --dir "$D/dbjob" --port "$dbport" --cpus 1 \
    --batch-args $'-q gpu\n-A proj' --batch-select ':P100=True' --wall-time 5 >"$D/o" 2>"$D/e"
check "db --batch --dry-run: exit 0" [ $? -eq 0 ]
check "db --batch --dry-run: prints the qsub line" grep -qx "qsub '$D/dbjob/db-pbs.sh'" "$D/o"
# a state folder with a quote in its name: the printed line still names the script to a shell
"$LOCUS" db start --launcher pbs --batch --dry-run --dir "$D/it's here" --port "$dbport" --cpus 1 >"$D/oq" 2>"$D/eq"
rc=0
"$LOCUS" db status --dir "$D/dbjob" >/dev/null 2>"$D/st" || rc=$?
check "db status of a job not submitted: exit 3, says so ($(cat "$D/st"))" \
    bash -c "[ $rc = 3 ] && grep -q 'no shard started yet (not submitted)' '$D/st'"
check "db --batch --dry-run: a folder named with a quote is quoted for the shell ($(cat "$D/oq"))" \
    sh -c "$(sed 's/^qsub /test -f /' "$D/oq")"
js=$D/dbjob/db-pbs.sh
check "db job script: one chunk per shard, one process each, with the feature" \
    grep -qx '#PBS -l select=1:ncpus=1:mpiprocs=1:P100=True' "$js"
check "db job script: exclusive hosts" grep -qx '#PBS -l place=scatter:excl' "$js"
check "db job script: the qsub options, one a line" bash -c "grep -qx '#PBS -q gpu' '$js' && grep -qx '#PBS -A proj' '$js'"
check "db job script: its own log, read while it runs" grep -q '^exec >>.*/batch-${PBS_JOBID}.log' "$js"
check "db job script: starts the shards inside the job" grep -q "db start --launcher pbs --wait-in-job" "$js"
# run it as PBS would, on this host
(in_job 105.pbs-test bash "$js") &
jobpid=$!
# (db env answers once the job's locus db start marked the database running and a shard answers)
for _ in $(seq 100); do "$LOCUS" db env --dir "$D/dbjob" >/dev/null 2>&1 && break; sleep 0.2; done
check "db job: the database came up inside the job" bash -c "'$LOCUS' db status --dir '$D/dbjob' >/dev/null"
check "db job: its log" grep -q 'running (pbs launcher' "$D/dbjob/batch-105.pbs-test.log"
"$LOCUS" db env --dir "$D/dbjob" >"$D/dbenv.sh"
(
    . "$D/dbenv.sh"
    h=${SSDB%:*}
    p=${SSDB##*:}
    [ "$(redis-cli --no-auth-warning -a "$LOCUS_DB_PASSWORD" -h "$h" -p "$p" AI.TENSORSET t INT8 2 VALUES 1 2)" = OK ]
)
check "db job: a client stores a tensor" [ $? -eq 0 ]
check "db job: #PBS -v carries one address, unquoted" \
    bash -c "'$LOCUS' db env --dir '$D/dbjob' --format pbs | grep '^#PBS -v' | grep -v '\"' | grep -q 'SSDB=[^,]*,SR_DB_TYPE'"
"$LOCUS" db stop --dir "$D/dbjob" >/dev/null 2>&1
for _ in $(seq 50); do alive "$jobpid" || break; sleep 0.2; done
check "db job: the job's script ended once the database stopped" bash -c "! kill -0 $jobpid 2>/dev/null"
wait "$jobpid" 2>/dev/null
check "db job: exit 0" [ $? -eq 0 ]
jobpid=

# ---- refusals before a script is written ----
refused() { # refused "what" "message part" args...
    local what=$1 msg=$2
    shift 2
    "$LOCUS" bench "$@" >"$D/o" 2>"$D/e"
    local rc=$?
    check "$what: exit 2 (got $rc)" [ $rc -eq 2 ]
    check "$what: names it" grep -qF -- "$msg" "$D/e"
    check "$what: no script" [ ! -s "$D/o" ]
}
refused "pbs: a Slurm constraint with |" "'constraint': 'a|b' cannot be a PBS chunk request" throughput_standard \
    --client_nodes=[1] --db_nodes=[1] --net_ifname=lo --db_node_feature="{'constraint': 'a|b'}" --print-batch-script pbs
refused "pbs: a wall time in batch_args" "the wall time comes from --wall_time" throughput_standard \
    --client_nodes=[1] --db_nodes=[1] --net_ifname=lo --batch_args="{'time': '01:00:00'}" --print-batch-script pbs
LOCUS_MPI_FLAVOUR=mvapich refused "pbs: an mpiexec locus does not know" "LOCUS_MPI_FLAVOUR=mvapich" \
    throughput_colocated --nodes=[1] --print-batch-script pbs
refused "pbs: a database over several hosts with an interface" "--db_nodes=3 on separate hosts with --net_ifname=lo" \
    throughput_standard --client_nodes=[1] --db_nodes=[3] --net_ifname=lo --run_db_as_batch=False \
    --print-batch-script pbs
[ "$fail" -eq 0 ] || tail -n 30 "$D"/*.log
report bench_pbs
