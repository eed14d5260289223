#!/usr/bin/env bash
# The real training jobs (examples/sched/train.py, PyTorch, and locus_example_train_c, least squares in C;
# docs/sched-train.md) under the real `locus sched serve` and two real `locus sched worker`s on loopback that
# share one checkpoint folder: 3 one-GPU jobs (2 Python, 1 C) of 145 steps on 2 one-GPU servers under
# LAS+fair, so every job trains across 5 leases of 29 steps in 3 processes (stopped twice, started again, some
# of them on the other server, some leases extended). Checked from each job's leases.csv and the workers' logs:
#   - every job finishes (serve exits 0; the last lease ends "done" at step 145), after at least 3 leases of
#     which at least 2 ended by a stop, and at least one job resumed on the other worker;
#   - the step a lease starts at is the step the lease before it saved, and the scheduler's count
#     (executed_at_start) agrees; the held-out loss a lease starts with is the one the last lease ended with
#     (the model restored); the loss falls in every lease and from lease to lease (the table is printed);
#   - each lease's log has its start (an extended lease: the lease before it ended "extended"), one line per
#     step and its end, matching the CSV;
#   - the preempted runs end where uninterrupted runs of all 145 steps (--steps) end: the same model, data
#     order and random draws (Python to 1e-5 relative, C exactly);
#   - the workers leave and no job process is left;
#   - SIGTERM (a worker's kill) in the middle of a lease, against the fake scheduler of the job tests: each
#     job stops at a step boundary, exits 0, saves its checkpoint and reports the steps it trained
#     (lease_ended), the same number as its leases.csv's last line ("terminated").
#   test_train.sh LOCUS TRAIN_PY TRAIN_C PYTHON_DIR FAKE_JOB_SCHED
set -uo pipefail
LOCUS=$1
TRAIN_PY=$2
TRAIN_C=$3
PYDIR=$4
FAKE=$5
out=$(mktemp -d /tmp/locus-train-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    # the job processes, by the pids their wrapper recorded, if one is still one of ours
    for p in $(cat "$out/jobpids" 2>/dev/null); do
        grep -qs -e "$TRAIN_PY" -e "$TRAIN_C" "/proc/$p/cmdline" && kill -9 "$p" 2>/dev/null
    done
    if [ -n "${LOCUS_TEST_KEEP:-}" ]; then echo "kept $out" >&2; else rm -rf "$out"; fi
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
t0=$(date +%s)
TOTAL=145
C_JOB=2
echo "tok-$$" >"$out/token"
# two servers of one GPU and one CPU (fair share: the job gets that CPU); rounds of 20 s at time scale 5 give
# transformer's profile (0.67 s an iteration) a budget of 29 steps and a wall-clock round of 4 s, which ends
# early once every running job has reported (these jobs run their budget in well under a second)
printf '[CLUSTER]\nracks = 1\nservers_per_rack = 2\ngpus_per_server = 1\ncpus_per_server = 1\ndram_per_server = 100\nsspeed_per_server = 100\n' >"$out/two.ini"
sport=$(free_port)
wport=($(free_port) $(free_port))
printf '127.0.0.1,%s,0,0,0\n127.0.0.1,%s,0,0,0\n' "${wport[0]}" "${wport[1]}" >"$out/conn"
for j in 0 1 2; do echo "$j,transformer,0,$TOTAL,1"; done >"$out/trace.csv"
# serve runs one command for every job: this wrapper records its pid and becomes the job's program
cat >"$out/job.sh" <<EOF
#!/bin/sh
echo \$\$ >>"$out/jobpids"
if [ "\$LOCUS_JOB_ID" = $C_JOB ]; then exec "$TRAIN_C"; fi
exec "$TRAIN_PY"
EOF
chmod +x "$out/job.sh"
export PYTHONPATH=$PYDIR PYTHONDONTWRITEBYTECODE=1

"$LOCUS" sched serve --config_file "$out/two.ini" --conn_file "$out/conn" --token_file "$out/token" \
    --policy LAS+fair --replay_trace "$out/trace.csv" --round_duration 20 --time_scale 5 \
    --listen "127.0.0.1:$sport" --out "$out/serve" --job_command "$out/job.sh" --register_timeout 30 \
    >"$out/serve.log" 2>&1 &
spid=$!
pids+=("$spid")
wpids=()
for m in 0 1; do
    "$LOCUS" sched worker -i 127.0.0.1 -s "$sport" -w "${wport[$m]}" -g 1 --token_file "$out/token" \
        --run_dir "$out/w$m/run" --data_dir "$out/w$m/data" --checkpoint_dir "$out/ckpt" --cpus "$m" \
        >"$out/w$m.log" 2>&1 &
    wpids+=("$!")
    pids+=("$!")
done
# the references, while serve waits for its rounds: uninterrupted runs of every step, on one CPU as the jobs
taskset -c 0 "$TRAIN_PY" --steps $TOTAL --seed 0 --checkpoint_dir "$out/ref/py0" >"$out/ref-py0.log" 2>&1
check "the Python reference run (exit $?)" [ -s "$out/ref/py0/leases.csv" ]
"$TRAIN_C" --steps $TOTAL --seed $C_JOB --checkpoint_dir "$out/ref/c" >"$out/ref-c.log" 2>&1
check "the C reference run (exit $?)" [ -s "$out/ref/c/leases.csv" ]

# serve ends by itself when every job is done; a bound in case it does not
rc=
for _ in $(seq 1200); do
    if ! kill -0 "$spid" 2>/dev/null; then
        wait "$spid"
        rc=$?
        break
    fi
    sleep 0.1
done
check "serve exits 0 within 120 s (got ${rc:-still running})" [ "${rc:-1}" = 0 ]
[ "${rc:-1}" = 0 ] || tail -n 20 "$out/serve.log" "$out/w0.log" "$out/w1.log" >&2
check "every job finished" bash -c "[ \$(grep -c '^[0-9]' '$out/serve/LAS+fair/jobs_all.csv' 2>/dev/null) = 3 ]"

check "trained across leases: steps continued, loss restored and falling, logs, the reference reached" \
    /usr/bin/python3 - "$out" "$TOTAL" "$C_JOB" <<'EOF'
import csv, glob, os, re, sys
out, total, c_job = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ok = True
def bad(msg):
    global ok
    print("  " + msg)
    ok = False
def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))
machine = {}  # (job, lease) -> machine, from serve's lease starts and extensions
for r in csv.DictReader(open(out + "/serve/LAS+fair/leases_all.csv")):
    if r["event"] != "stop":
        machine[(r["job"], r["lease"])] = r["machine"]
# the workers' logs (one per process, named by its first lease; an extended lease goes on in the same file),
# split by lease: "start ... lease=L step=S", "step=N lease=L loss=..." lines, "end lease=L step=E how"
leases_log = {}
for log in glob.glob(out + "/w*/run/logs/job*-lease*.log"):
    job = re.search(r"job(\d+)-lease\d+\.log$", log).group(1)
    for line in open(log):
        m = re.match(r"(start|step=(\d+)|end)\b.*?\blease=(-?\d+)\b(?: step=(\d+))?", line)
        if m:
            e = leases_log.setdefault((job, m.group(3)), {"start": [], "steps": [], "end": []})
            if m.group(1) == "start":
                e["start"].append(int(m.group(4)))
            elif m.group(1) == "end":
                e["end"].append(int(m.group(4)))
            else:
                e["steps"].append(int(m.group(2)))
final = {}
print("job lease machine  steps        loss_start   loss_end     end")
for job in ["0", "1", "2"]:
    kind = "C" if job == c_job else "Python"
    path = "%s/ckpt/job%s/leases.csv" % (out, job)
    if not os.path.exists(path):
        bad("job %s: no %s" % (job, path))
        continue
    rows = list(csv.DictReader(open(path)))
    for r in rows:
        print("%3s %5s %7s  %4s -> %-4s  %-12.6g %-12.6g %s" % (job, r["lease"], machine.get((job, r["lease"]), "?"),
              r["start_step"], r["end_step"], float(r["loss_start"]), float(r["loss_end"]), r["end"]))
    if len(rows) < 3:
        bad("job %s (%s): %d leases, not 3 or more" % (job, kind, len(rows)))
        continue
    if rows[0]["start_step"] != "0":
        bad("job %s: the first lease starts at step %s" % (job, rows[0]["start_step"]))
    if rows[-1]["end"] != "done" or int(rows[-1]["end_step"]) != total:
        bad("job %s: the last lease ends %s at step %s, not done at %d" % (job, rows[-1]["end"],
            rows[-1]["end_step"], total))
    if sum(r["end"] == "stop" for r in rows) < 2:
        bad("job %s: fewer than 2 leases ended by a stop (preempted)" % job)
    for i, r in enumerate(rows):
        start, end = int(r["start_step"]), int(r["end_step"])
        if r["executed_at_start"] != r["start_step"]:
            bad("job %s lease %s: the checkpoint is at step %s, the scheduler counted %s" % (job, r["lease"],
                r["start_step"], r["executed_at_start"]))
        if end - start >= 5 and not float(r["loss_end"]) < float(r["loss_start"]):
            bad("job %s lease %s: the loss went from %s to %s in %d steps" % (job, r["lease"], r["loss_start"],
                r["loss_end"], end - start))
        e = leases_log.get((job, r["lease"]), {"start": [], "steps": [], "end": []})
        extended = i > 0 and rows[i - 1]["end"] == "extended"
        if e["start"] != ([] if extended else [start]):
            bad("job %s lease %s: its log's start lines are at steps %s, want %s" % (job, r["lease"], e["start"],
                "none (extended)" if extended else start))
        if e["steps"] != list(range(start + 1, end + 1)):
            bad("job %s lease %s: its log has %d step lines (%s..%s), the CSV %d..%d" % (job, r["lease"],
                len(e["steps"]), e["steps"][:1], e["steps"][-1:], start, end))
        if e["end"] != [end]:
            bad("job %s lease %s: its log's end lines are at steps %s, want %d" % (job, r["lease"], e["end"], end))
    for a, b in zip(rows, rows[1:]):
        if a["end_step"] != b["start_step"]:
            bad("job %s: lease %s saved step %s, lease %s resumed at %s" % (job, a["lease"], a["end_step"],
                b["lease"], b["start_step"]))
        if not close(float(a["loss_end"]), float(b["loss_start"]), 1e-6):
            bad("job %s: lease %s ended at loss %s, lease %s began at %s (not the saved model)" % (job, a["lease"],
                a["loss_end"], b["lease"], b["loss_start"]))
        if not float(b["loss_end"]) < float(a["loss_end"]):
            bad("job %s: the loss rose from lease %s (%s) to lease %s (%s)" % (job, a["lease"], a["loss_end"],
                b["lease"], b["loss_end"]))
    if not float(rows[-1]["loss_end"]) < 0.5 * float(rows[0]["loss_start"]):
        bad("job %s: the loss fell only from %s to %s" % (job, rows[0]["loss_start"], rows[-1]["loss_end"]))
    final[job] = rows[-1]["loss_end"]
moved = sorted({j for j, _ in machine if len({m for (k, _), m in machine.items() if k == j}) > 1})
print("jobs that ran on both workers (resumed from the shared checkpoint folder): %s" % (moved or "none"))
if not moved:
    bad("no job resumed on the other worker")
for job, ref, rel in (("0", "py0", 1e-5), (c_job, "c", 0.0)):
    rows = list(csv.DictReader(open("%s/ref/%s/leases.csv" % (out, ref)))) if \
        os.path.exists("%s/ref/%s/leases.csv" % (out, ref)) else []
    if not rows or job not in final:
        bad("job %s: no reference or no result to compare" % job)
        continue
    want, got = rows[-1]["loss_end"], final[job]
    print("job %s: loss after %d steps %s preempted, %s uninterrupted" % (job, total, got, want))
    if not (got == want if rel == 0 else close(float(got), float(want), rel)):
        bad("job %s: the preempted run does not end where the uninterrupted one does" % job)
sys.exit(0 if ok else 1)
EOF

for _ in $(seq 100); do # serve shuts its workers down
    kill -0 "${wpids[0]}" 2>/dev/null || kill -0 "${wpids[1]}" 2>/dev/null || break
    sleep 0.1
done
left=
for p in $(cat "$out/jobpids" 2>/dev/null); do
    grep -qs -e "$TRAIN_PY" -e "$TRAIN_C" "/proc/$p/cmdline" && left="$left $p"
done
check "the workers left and no job process is left (${left:-none})" \
    bash -c "! kill -0 ${wpids[0]} 2>/dev/null && ! kill -0 ${wpids[1]} 2>/dev/null && [ -z '$left' ]"
# SIGTERM: a budget far beyond what a few seconds run, killed once it has trained 20 steps
term_check() { # term_check NAME PROGRAM
    local name=$1 prog=$2 fpid jpid rc=
    "$FAKE" --token_file "$out/token" --port_file "$out/fport-$name" --log "$out/fcalls-$name" --job 7 --lease 3 \
        --steps 100000000 --total 200000000 --round_s 600 --max_s 60 &
    fpid=$!
    pids+=("$fpid")
    for _ in $(seq 500); do [ -s "$out/fport-$name" ] && break; sleep 0.01; done
    LOCUS_SCHED_ADDR=127.0.0.1:$(cat "$out/fport-$name") LOCUS_SCHED_TOKEN_FILE=$out/token LOCUS_JOB_ID=7 \
        LOCUS_JOB_LEASE=3 LOCUS_TIME_SCALE=1 SYNERGY_CHECKPOINT_DIR=$out/term/$name "$prog" >"$out/term-$name.log" 2>&1 &
    jpid=$!
    pids+=("$jpid")
    for _ in $(seq 300); do grep -q '^step=20 ' "$out/term-$name.log" 2>/dev/null && break; sleep 0.1; done
    kill -TERM "$jpid"
    for _ in $(seq 100); do kill -0 "$jpid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$jpid" 2>/dev/null || { wait "$jpid"; rc=$?; }
    kill "$fpid" 2>/dev/null
    wait "$fpid" 2>/dev/null
    local saved reported
    saved=$(tail -n 1 "$out/term/$name/leases.csv" 2>/dev/null | awk -F, '$1 == 3 && $8 == "terminated" {print $3}')
    reported=$(sed -n 's/^lease_ended job=7 lease=3 steps=\([0-9]*\)$/\1/p' "$out/fcalls-$name" 2>/dev/null)
    echo "$name: SIGTERM after ${saved:-?} steps, exit ${rc:-still running}, lease_ended reported ${reported:-nothing}"
    check "$name: SIGTERM: exit 0, the steps saved (${saved:-none}) are the steps reported (${reported:-none})" \
        bash -c "[ '${rc:-x}' = 0 ] && [ -n '$saved' ] && [ '$saved' -ge 20 ] && [ '$saved' = '$reported' ]"
}
term_check py "$TRAIN_PY"
term_check c "$TRAIN_C"

echo "sched_train: $((checks - fails)) passed, $fails failed ($(($(date +%s) - t0)) s)"
[ "$fails" -eq 0 ]
