#!/usr/bin/env bash
# The live scheduler end to end on loopback (issue 17): `locus sched serve` with 4 real `locus sched worker`s of
# 8 GPUs each (deployment.ini's cluster), real processes for the jobs (the dummy job through the C job library,
# behind a wrapper that records what each process was given), a 24-job replay trace of mixed models with 1, 2 and
# 4 GPUs, rounds of 2 s (--time_scale 150), for FIFO+fair and LAS+tune. Checked:
#   - every job finishes; its JCT equals `simulate`'s on the same trace and config for at least 90 % of the jobs
#     and is within one round for all (the comparison is printed);
#   - each process's Cpus_allowed_list and CUDA_VISIBLE_DEVICES are the CPUs and GPUs of its lease;
#   - a lease extension keeps the same process (one process per "start" row of leases_all.csv, none for
#     "extend"), and a job started again continues from the steps it had (SYNERGY_ELAPSED_ITERS);
#   - bad input: a conn file that disagrees with the INI is refused with file:line; Philly and class-split
#     options are checked before anything listens; a worker not listed, a
#     request without the token and malformed JSON get their errors and change nothing.
# Everything listens on 127.0.0.1 on free ports and is stopped at the end, also on failure.
#   test_serve.sh LOCUS DUMMY_JOB DATA_DIR CONFIG
set -uo pipefail
LOCUS=$1
DUMMY=$2
DATA=$3
CONFIG=$4
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/locus-serve-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    pkill -f "$out/" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT
fails=0 checks=0
check() { # check "what" command...
    local what=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        echo "FAIL: $what" >&2
        fails=$((fails + 1))
    fi
}
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

trace=$DATA/traces/live_24job.csv
echo "t0k3n-$$" >"$out/token"
# a wrapper that records what the process got (its arguments too), then becomes the dummy job (same pid)
cat >"$out/job.sh" <<EOF
#!/bin/sh
echo "\$(printf '%s|' "\$@")" >>"$out/args.txt"
echo "\$\$ \$LOCUS_JOB_ID \$LOCUS_JOB_LEASE \$(grep Cpus_allowed_list /proc/self/status | cut -f2) \$CUDA_VISIBLE_DEVICES \$SYNERGY_ELAPSED_ITERS" >>"$out/started.txt"
exec "$DUMMY"
EOF
chmod +x "$out/job.sh"

run_policy() { # run_policy POLICY
    local pol=$1 sport
    sport=$(free_port)
    : >"$out/conn"
    local wports=()
    for m in 0 1 2 3; do
        wports[$m]=$(free_port)
        echo "127.0.0.1,${wports[$m]},0,0,0" >>"$out/conn"
    done
    : >"$out/started.txt"
    : >"$out/args.txt"
    "$LOCUS" sched serve --config_file "$CONFIG" --conn_file "$out/conn" --token_file "$out/token" --policy "$pol" \
        --replay_trace "$trace" --time_scale 150 --listen "127.0.0.1:$sport" --out "$out/serve" \
        --job_command "'$out/job.sh' --tag 'two words'" --register_timeout 30 >"$out/serve-$pol.log" 2>&1 &
    local spid=$!
    pids+=("$spid")
    for m in 0 1 2 3; do
        local w="$out/$pol/w$m" # each policy's runs in their own folders
        mkdir -p "$w"
        "$LOCUS" sched worker -i 127.0.0.1 -s "$sport" -w "${wports[$m]}" -g 8 --token_file "$out/token" \
            --run_dir "$w/run" --data_dir "$w/data" --checkpoint_dir "$w/ckpt" --cpus 0-1 >"$w.log" 2>&1 &
        pids+=("$!")
    done
    if [ "$pol" = FIFO+fair ]; then bad_requests "$sport"; fi
    local rc=0
    wait "$spid" || rc=$?
    check "$pol: serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "$pol: every job process got --job_command's arguments, quotes kept" \
        bash -c "[ -s '$out/args.txt' ] && ! grep -qvxF -- '--tag|two words|' '$out/args.txt'"
    [ "$rc" -eq 0 ] || tail -n 20 "$out/serve-$pol.log" >&2
    "$LOCUS" sched simulate --replay_trace "$trace" --config_file "$CONFIG" --policies "$pol" --out "$out/sim" \
        --quiet >/dev/null 2>&1
    /usr/bin/python3 - "$out/sim/$pol/jobs_all.csv" "$out/serve/$pol/jobs_all.csv" "$pol" <<'EOF' || fails=$((fails + 1))
import csv, sys
sim = {r["id"]: float(r["jct_s"]) for r in csv.DictReader(open(sys.argv[1]))}
live = {r["id"]: float(r["jct_s"]) for r in csv.DictReader(open(sys.argv[2]))}
R = 300.0
print(f"{sys.argv[3]}: job  simulate_rounds  serve_rounds")
same = 0
for j in sorted(sim, key=int):
    a, b = sim[j] / R, live.get(j, float("nan")) / R
    same += abs(a - b) < 1e-6
    print(f"  {j:>4} {a:16.3f} {b:13.3f}{'' if abs(a - b) < 1e-6 else '   differs'}")
ok = len(live) == len(sim) and same >= 0.9 * len(sim) and all(abs(sim[j] - live[j]) <= R + 1e-6 for j in sim)
print(f"{sys.argv[3]}: {len(live)} of {len(sim)} jobs finished, {same} with the same JCT")
sys.exit(0 if ok else 1)
EOF
    checks=$((checks + 1))
    check "$pol: processes got their lease's CPUs and GPUs, one per start, steps continued" /usr/bin/python3 - \
        "$out/serve/$pol/leases_all.csv" "$out/started.txt" "$out/$pol" <<'EOF'
import csv, glob, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
starts = {}
for r in rows:
    if r["event"] == "start":
        starts.setdefault((r["job"], r["lease"]), []).append(r)
procs = [l.split() for l in open(sys.argv[2]) if l.strip()]
def ids(text):
    out = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out |= set(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out
ok = True
for pid, job, lease, cpus, gpus, elapsed in procs:
    cand = starts.get((job, lease), [])
    # the workers run with --cpus 0-1: the scheduler's CPU c is pinned to CPU c mod 2
    if not any(ids(cpus) == {int(c) % 2 for c in r["cpus"].split()} and ids(gpus) == set(map(int, r["gpus"].split()))
               for r in cand):
        print(f"job {job} lease {lease}: pid {pid} got CPUs {cpus} GPUs {gpus}; its lease: "
              f"{[(r['cpus'], r['gpus']) for r in cand]}")
        ok = False
n_rows = sum(len(v) for v in starts.values())
if len(procs) != n_rows:
    print(f"{len(procs)} processes for {n_rows} start rows (an extension must not start a process)")
    ok = False
# a job started again continues from what its last process reached ("stop at N" in its log)
reached = {}
for log in glob.glob(sys.argv[3] + "/w*/run/logs/job*-lease*.log"):
    m = re.search(r"job(\d+)-lease(\d+)\.log$", log)
    for line in open(log):
        g = re.match(r"job \d+: \w+ at (\d+) of", line)
        if g:
            reached[(m.group(1), int(m.group(2)))] = int(g.group(1))
for pid, job, lease, cpus, gpus, elapsed in procs:
    before = [v for (j, l), v in reached.items() if j == job and l < int(lease)]
    want = max(before) if before else 0
    if int(elapsed) != want:
        print(f"job {job} lease {lease} started at {elapsed} steps; its previous process reached {want}")
        ok = False
sys.exit(0 if ok else 1)
EOF
}

bad_requests() { # while serve waits for its workers
    local sport=$1 code
    sleep 0.3
    code=$(curl -s -o "$out/r" -w '%{http_code}' -H "Authorization: Bearer $(cat "$out/token")" \
        -d '{"ip":"127.0.0.1","port":1,"gpus":8}' "http://127.0.0.1:$sport/v1/worker/register")
    check "a worker not in the conn file: 403 naming it ($code)" bash -c "[ $code = 403 ] && grep -q '127.0.0.1:1 is not in the conn file' '$out/r'"
    code=$(curl -s -o "$out/r" -w '%{http_code}' -d '{}' "http://127.0.0.1:$sport/v1/worker/register")
    check "no token: 401 ($code)" [ "$code" = 401 ]
    code=$(curl -s -o "$out/r" -w '%{http_code}' -H "Authorization: Bearer $(cat "$out/token")" -d '{"ip": ' \
        "http://127.0.0.1:$sport/v1/worker/register")
    check "malformed JSON: 400 ($code)" bash -c "[ $code = 400 ] && grep -q 'malformed JSON' '$out/r'"
}

# a conn file that disagrees with the INI (4 servers)
printf '127.0.0.1,7001,0,0,0\n127.0.0.1,7002,0,0,0\n' >"$out/short.conn"
"$LOCUS" sched serve --config_file "$CONFIG" --conn_file "$out/short.conn" --token_file "$out/token" \
    --replay_trace "$trace" >"$out/o" 2>&1
check "short conn file refused with file:line" bash -c "grep -q 'short.conn:2: 2 workers listed, but the config has 4 servers' '$out/o'"
printf '127.0.0.1,7001,0,0\n' >"$out/bad.conn"
"$LOCUS" sched serve --config_file "$CONFIG" --conn_file "$out/bad.conn" --token_file "$out/token" \
    --replay_trace "$trace" >"$out/o" 2>&1
check "malformed conn line refused with file:line" bash -c "grep -q 'bad.conn:1: expected IP,port' '$out/o'"
# Philly workloads: finite ones only; options that need a Philly trace say so; a bad trace is named
printf '127.0.0.1,7001,0,0,0\n127.0.0.1,7002,0,0,0\n127.0.0.1,7003,0,0,0\n127.0.0.1,7004,0,0,0\n' >"$out/ok.conn"
serve_err() { # serve_err EXPECTED ARGS...: serve refuses before listening, naming EXPECTED
    local want=$1
    shift
    "$LOCUS" sched serve --config_file "$CONFIG" --conn_file "$out/ok.conn" --token_file "$out/token" \
        --register_timeout 1 "$@" >"$out/o" 2>&1
    local rc=$?
    [ "$rc" -ne 0 ] && grep -qF -- "$want" "$out/o" && ! grep -q listening "$out/o"
}
check "Philly without --philly_arrival or a job count refused" \
    serve_err "give --philly_arrival or --num-jobs-default N" --cluster_job_log "$DATA/philly/cluster_job_log.json"
check "--philly_arrival without a Philly trace refused" serve_err "apply to a Philly trace" --philly_arrival \
    --num-jobs-default 3
check "a malformed Philly trace named" serve_err "bad_syntax.json" --cluster_job_log \
    "$DATA/philly/bad_syntax.json" --philly_arrival
check "--class_split checked" serve_err "--class_split '50,50': expected three percentages" --num-jobs-default 3 \
    --class_split 50,50
# --record_trace writes the workload before the first round, the same file as simulate's for the same options
rec_opts=(--num-jobs-default 7 --jobs_per_hour 30 --seed 5 --policy LAS+tune --record_trace)
"$LOCUS" sched serve --config_file "$CONFIG" --conn_file "$out/ok.conn" --token_file "$out/token" \
    --register_timeout 1 "${rec_opts[@]}" --rec_trace "$out/srv-" >"$out/o" 2>&1
"$LOCUS" sched simulate --config_file "$CONFIG" --num-jobs-default 7 --jobs_per_hour 30 --seed 5 --policies LAS+tune \
    --record_trace --rec_trace "$out/sim-" --out "$out/simrec" --quiet >/dev/null 2>&1
check "serve --record_trace: 7 jobs, as simulate records them" \
    bash -c "[ \$(wc -l <'$out/srv-30.0_tune') = 7 ] && cmp '$out/srv-30.0_tune' '$out/sim-30.0_tune'"
check "a replay is not recorded" serve_err "a replay has none" --replay_trace "$trace" --record_trace
check "--job_command with a quote not closed refused" serve_err "--job_command '$out/job.sh 'x': a ' is not closed" \
    --replay_trace "$trace" --job_command "$out/job.sh 'x"
check "--job_command naming no executable refused" serve_err "the job command $out/nothere is not an executable" \
    --replay_trace "$trace" --job_command "$out/nothere --flag"

run_policy FIFO+fair
run_policy LAS+tune
echo "sched_serve: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
