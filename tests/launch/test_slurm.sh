#!/usr/bin/env bash
# locus db under a real single-node Slurm (slurmctld + slurmd + munge started here, as root): a database
# started inside an allocation (salloc) with srun, one submitted as its own batch job (sbatch, cancelled by
# `locus db stop`), and `locus run --colocated-db` under srun. Exits 77 (reported as skipped by ctest) when
# Slurm cannot run here: not root, or slurm-wlm/munge not installed.
set -uo pipefail
LOCUS=$1
APP=${2:-}
here=$(dirname "$0")
. "$here/common.sh"
if [ "$(id -u)" != 0 ] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "launch_slurm: skipped (needs root, slurm-wlm and munge)"
    exit 77
fi
D=$(mktemp -d /tmp/locus-slurm-XXXXXX)
started_munge=0
cleanup() {
    for d in "$D"/db*; do [ -d "$d" ] && "$LOCUS" db stop --dir "$d" >/dev/null 2>&1; done
    for p in "$D"/slurmctld.pid "$D"/slurmd.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
    sleep 0.5
    for p in "$D"/slurmctld.pid "$D"/slurmd.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
    [ $started_munge = 1 ] && [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D"/{state,spool,log} /run/munge
chown munge:munge /run/munge 2>/dev/null
if ! pgrep -x munged >/dev/null; then
    [ -f /etc/munge/munge.key ] || { echo "launch_slurm: skipped (no /etc/munge/munge.key)"; exit 77; }
    runuser -u munge -- /usr/sbin/munged && started_munge=1
fi
ctl=$(free_ports 1)
port=$(free_ports 1)
cat >"$D/slurm.conf" <<CONF
ClusterName=locustest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldPort=$ctl
SlurmdPort=$((ctl + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
NodeName=localhost CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 100); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.2; done
check "slurm came up" bash -c "sinfo -h -o %t | grep -q idle"

# 1. Inside an allocation: srun per shard.
timeout 120 salloc -N1 -n1 bash -c "
    '$LOCUS' db start --dir '$D/db1' --launcher slurm --port $port >'$D/env1.sh' || exit 1
    . '$D/env1.sh'
    h=\${SSDB%:*}; p=\${SSDB##*:}
    [ \"\$(redis-cli --no-auth-warning -a \"\$LOCUS_DB_PASSWORD\" -h \$h -p \$p AI.TENSORSET t INT8 2 VALUES 1 2)\" = OK ] || exit 2
    [ \"\$(redis-cli --no-auth-warning -a \"\$LOCUS_DB_PASSWORD\" -h \$h -p \$p AI.TENSORGET t VALUES | tr '\n' ' ')\" = '1 2 ' ] || exit 3
    '$LOCUS' db status --dir '$D/db1' >/dev/null || exit 4
    '$LOCUS' db stop --dir '$D/db1' || exit 5
" >"$D/salloc.log" 2>&1
rc=$?
check "salloc: start with srun, use, status, stop (rc $rc)" [ $rc -eq 0 ]
check "salloc: state records the slurm launcher" grep -q '"launcher": "slurm"' "$D/db1/locus-db.json"

# 2. The database as its own batch job.
port2=$(free_ports 1)
timeout 120 "$LOCUS" db start --dir "$D/db2" --launcher slurm --batch --port "$port2" --wall-time 5 >"$D/env2.sh" 2>"$D/sbatch.log"
check "sbatch: database came up in its own job" [ $? -eq 0 ]
jobid=$(json_field "$D/db2/locus-db.json" 'd["jobid"]' 2>/dev/null)
check "sbatch: job id recorded" [ -n "$jobid" ]
check "sbatch: job is running" bash -c "squeue -h -j '$jobid' -o %T | grep -q RUNNING"
check "sbatch: status up" bash -c "'$LOCUS' db status --dir '$D/db2' >/dev/null"
"$LOCUS" db stop --dir "$D/db2" 2>/dev/null
for _ in $(seq 50); do [ -z "$(squeue -h -j "$jobid" 2>/dev/null)" ] && break; sleep 0.2; done
check "sbatch: stop ended the job" [ -z "$(squeue -h -j "$jobid" 2>/dev/null)" ]

# 3. locus bench with --run_db_as_batch=True (the suite's default): the database is its own batch job per
#    database configuration, the clients run in this allocation, the job is cancelled at the end.
BENCH_APP=$(dirname "$LOCUS")/locus_bench_throughput
if [ -x "$BENCH_APP" ] && srun --mpi=list 2>&1 | grep -q pmix; then
    port3=$(free_ports 1)
    timeout 300 salloc -N1 -n1 "$LOCUS" bench throughput_standard --launcher=slurm --run_db_as_batch=True \
        --batch_args='{"job-name": "locus-bench-db"}' --client_nodes=[1] --clients_per_node=[1] --db_nodes=[1] \
        --db_cpus=[1] --net_ifname=lo --db_port="$port3" --iterations=3 --tensor_bytes=[1024] --languages=[c] \
        --wall_time=00:05:00 --results-dir "$D/results" >"$D/bench.log" 2>&1
    check "bench --run_db_as_batch=True under slurm: exit 0" [ $? -eq 0 ]
    run=$(ls -d "$D"/results/*/run-* 2>/dev/null | head -1)
    check "bench: the database ran as its own job" bash -c "ls '$run'/database-*/batch-*.log >/dev/null 2>&1"
    check "bench: rows from the clients" bash -c "grep -q ',put_tensor,' '$run'/*/rank_0_timing.csv"
    for _ in $(seq 50); do [ -z "$(squeue -h -n locus-bench-db 2>/dev/null)" ] && break; sleep 0.2; done
    check "bench: the database job was cancelled" [ -z "$(squeue -h -n locus-bench-db 2>/dev/null)" ]
fi

# 4. Co-location under srun (MPI through PMIx).
if [ -n "$APP" ] && srun --mpi=list 2>&1 | grep -q pmix; then
    mkdir -p "$D/colo"
    timeout 120 srun --mpi=pmix -N1 -n2 "$LOCUS" run --colocated-db --db-cpus 1 -- "$APP" "$D/colo" ok >"$D/srun.log" 2>&1
    check "srun: colocated run succeeded" [ $? -eq 0 ]
    check "srun: both ranks used one database" [ "$(awk '$1=="ok"{print $2}' "$D"/colo/rank*.txt | sort -u | wc -l)" = 1 ]
    dbpid=$(awk '{print $2}' "$D/colo/rank0.txt")
    for _ in $(seq 50); do alive "$dbpid" || break; sleep 0.1; done
    check "srun: database stopped after the step" bash -c "! kill -0 $dbpid 2>/dev/null"
fi
[ "$fail" -eq 0 ] || { tail -n 20 "$D"/*.log "$D"/log/*.log; }
report launch_slurm
