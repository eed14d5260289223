#!/usr/bin/env bash
# A Python job (the locus_job module's iterator around a plain range, as a script would wrap a DataLoader)
# under the real `locus sched serve` and `locus sched worker` on loopback: 3 jobs of 2 GPUs on one 4-GPU
# server under LAS+fair, so leases end, jobs are stopped and started again. Checked: serve exits 0 with every
# job finished; each job's process ends its epochs at its lease ends (every stop it prints is at its round's
# budget, or at the round's time just before it) and a process started again begins where the previous one
# stopped; the worker leaves and nothing is left running.
#   test_serve_python.sh LOCUS PYTHON_DIR DATA_DIR
set -uo pipefail
LOCUS=$1
PYDIR=$2
out=$(mktemp -d /tmp/locus-servepy-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    pkill -f "$out/" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT
fails=0 checks=0
check() {
    checks=$((checks + 1))
    local what=$1
    shift
    if ! "$@"; then
        echo "FAIL: $what" >&2
        fails=$((fails + 1))
    fi
}
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sport=$(port)
wport=$(port)
echo "tok-$$" >"$out/token"
printf '[CLUSTER]\nracks = 1\nservers_per_rack = 1\ngpus_per_server = 4\ncpus_per_server = 12\ndram_per_server = 500\nsspeed_per_server = 500\n' >"$out/one.ini"
echo "127.0.0.1,$wport,0,0,0" >"$out/conn"
# 3 jobs of 2 GPUs, about 3 rounds of work each at fair share
printf '0,res18,0,1400,2\n1,gnmt,0,7000,2\n2,transformer,0,1300,2\n' >"$out/trace.csv"
cat >"$out/job.py" <<EOF
#!/usr/bin/python3
import os, sys, time
sys.path.insert(0, "$PYDIR")
import locus_job
it = float(os.environ["LOCUS_DUMMY_ITER_S"])
with locus_job.Job.begin() as job:
    print("start", job.lease, job.executed, flush=True)
    t0, n = time.monotonic(), 0
    while job.action == locus_job.CONTINUE:
        lease = job.lease
        for _ in locus_job.iterate(range(10**9), job):
            n += 1
            d = t0 + n * it - time.monotonic()
            if d > 0:
                time.sleep(d)
            if job.lease != lease:
                lease, t0, n = job.lease, time.monotonic(), 0
    print("end", job.action, job.lease, job.executed, job.round_steps, job.budget, flush=True)
EOF
chmod +x "$out/job.py"
"$LOCUS" sched serve --config_file "$out/one.ini" --conn_file "$out/conn" --token_file "$out/token" \
    --policy LAS+fair --replay_trace "$out/trace.csv" --time_scale 150 --listen "127.0.0.1:$sport" \
    --out "$out/serve" --job_command "$out/job.py" --register_timeout 30 >"$out/serve.log" 2>&1 &
spid=$!
pids+=("$spid")
"$LOCUS" sched worker -i 127.0.0.1 -s "$sport" -w "$wport" -g 4 --token_file "$out/token" --run_dir "$out/run" \
    --data_dir "$out/data" --checkpoint_dir "$out/ckpt" --cpus 0-1 >"$out/worker.log" 2>&1 &
wpid=$!
pids+=("$wpid")
rc=0
wait "$spid" || rc=$?
check "serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 20 "$out/serve.log" "$out/worker.log" >&2
check "every job finished" bash -c "[ \$(grep -c '^[0-9]' '$out/serve/LAS+fair/jobs_all.csv') -eq 3 ]"
check "the processes' epochs ended at their leases' ends, and restarts continued" /usr/bin/python3 - "$out" <<'EOF'
import glob, re, sys
ok, by_job = True, {}
for log in glob.glob(sys.argv[1] + "/run/logs/job*-lease*.log"):
    m = re.search(r"job(\d+)-lease(\d+)\.log$", log)
    lines = [l.split() for l in open(log) if l.strip()]
    start = [l for l in lines if l[0] == "start"]
    end = [l for l in lines if l[0] == "end"]
    if not start or not end:
        print(f"{log}: no start or end line: {lines}")
        ok = False
        continue
    by_job.setdefault(m.group(1), []).append((int(m.group(2)), int(start[0][2]), end[0]))
    action, steps, budget = end[0][1], int(end[0][4]), int(end[0][5])
    # a lease ends at its budget, or at the round's time a few steps before it (Python's own cost per step)
    if action == "stop" and not 0.9 * budget <= steps <= budget:
        print(f"{log}: stopped after {steps} steps of a budget of {budget}")
        ok = False
restarted = 0
for job, procs in by_job.items():
    procs.sort()
    if procs[-1][2][1] != "done":
        print(f"job {job}: its last process ended with {procs[-1][2][1]}")
        ok = False
    for (l1, s1, e1), (l2, s2, e2) in zip(procs, procs[1:]):
        restarted += 1
        if s2 != int(e1[3]):
            print(f"job {job}: lease {l2} began at {s2}, the process before stopped at {e1[3]}")
            ok = False
if restarted == 0:
    print("no job was stopped and started again (LAS+fair on 4 GPUs for 6 should preempt)")
    ok = False
sys.exit(0 if ok else 1)
EOF
for _ in $(seq 150); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done # serve shuts its worker down
check "the worker left, nothing left running" bash -c "! kill -0 $wpid 2>/dev/null && ! pgrep -f '$out/[j]ob.py' >/dev/null"
echo "sched_serve_python: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
