#!/usr/bin/env bash
# The live scheduler survives faults (issue 18 item 3), with real `locus sched serve`, real workers and real job
# processes (the dummy job behind a wrapper that logs each start) on loopback, each part bounded in time:
#   retries   a job that exits 1 twice then runs finishes; one that always exits 1 is failed after --max_retries 2
#             (3 starts), named in failed_all.csv with its exit code; one past its memory is stopped by the
#             worker's limit and failed so; one that never reports is given up after 10 leases without progress;
#             serve exits 1 and names them; the others finish.
#   worker    kill -9 of a worker and its jobs' processes (a machine gone) in the middle of a round: its jobs are
#             re-queued and finish on the other worker; the worker started again registers and gets work again;
#             no job's steps go back, and each affected job loses at most one round of leased time.
#   restart   a worker killed and started again at once (before the monitor's timeout): its new process is taken
#             as a restart, the old one's jobs re-queued, every job finishes.
#   serve     kill -9 of the scheduler in the middle of the run, started again with the same --state_dir: it
#             takes over the running workers, every job finishes, none that had finished runs again, and each
#             job starts again from the steps the state file holds.
#   burst     200 one-GPU jobs on 4 workers that all end their rounds at the same instant: every round still
#             lasts its scaled length (the spread of the round lengths is printed).
# The status JSON (GET /status) is checked against the scheduler's own outputs at the end of a run.
#   test_serve_faults.sh LOCUS DUMMY_JOB [PART...]
set -uo pipefail
LOCUS=$1
DUMMY=$2
shift 2
parts=${*:-retries worker restart serve burst}
out=$(mktemp -d /tmp/locus-faults-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    pkill -9 -f "$out/" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$out"
}
trap cleanup EXIT
fails=0 checks=0
check() { # check "what" command...
    local what=$1
    shift
    checks=$((checks + 1))
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAIL: $what" >&2
        fails=$((fails + 1))
    fi
}
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
echo "t0k3n-$$" >"$out/token"
token=$(cat "$out/token")

# the job wrapper: logs "pid job lease elapsed" per start, fails as $out/fail.<job> says, then becomes the dummy
cat >"$out/job.sh" <<EOF
#!/bin/sh
n=\$(cat "$out/count.\$LOCUS_JOB_ID" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$out/count.\$LOCUS_JOB_ID"
echo "\$\$ \$LOCUS_JOB_ID \$LOCUS_JOB_LEASE \$SYNERGY_ELAPSED_ITERS" >>"$out/started.txt"
if [ -f "$out/silent.\$LOCUS_JOB_ID" ]; then exec sleep 600; fi # runs, never reports
if [ -f "$out/hog.\$LOCUS_JOB_ID" ]; then # past its memory: 600 MiB touched, a page at a time
    exec /usr/bin/python3 -c 'b = bytearray(600 << 20)
for i in range(0, len(b), 4096): b[i] = 1
import time; time.sleep(30)'
fi
if [ -f "$out/fail.\$LOCUS_JOB_ID" ]; then
    limit=\$(cat "$out/fail.\$LOCUS_JOB_ID")
    if [ "\$limit" = always ] || [ \$n -le "\$limit" ]; then sleep 0.2; exit 1; fi
fi
exec "$DUMMY"
EOF
chmod +x "$out/job.sh"

ini() { # ini SERVERS GPUS [DRAM_GB]
    printf '[CLUSTER]\nracks = 1\nservers_per_rack = %d\ngpus_per_server = %d\ncpus_per_server = %d\n' "$1" "$2" \
        $(($2 * 3)) >"$out/cluster.ini"
    printf 'dram_per_server = %d\nsspeed_per_server = 500\n' "${3:-500}" >>"$out/cluster.ini"
}

# start_workers N GPUS: the conn file and N workers (ports in wports[], pids in wpids[])
start_worker() { # start_worker M GPUS
    local m=$1
    "$LOCUS" sched worker -i 127.0.0.1 -s "$sport" -w "${wports[$m]}" -g "$2" --token_file "$out/token" \
        --run_dir "$out/$part/w$m/run" --data_dir "$out/$part/w$m/data" --checkpoint_dir "$out/$part/ckpt" \
        --cpus 0-1 >>"$out/$part/w$m.log" 2>&1 &
    wpids[$m]=$!
    pids+=("$!")
}
start_workers() {
    : >"$out/conn"
    wports=() wpids=()
    for ((m = 0; m < $1; m++)); do
        wports[$m]=$(free_port)
        echo "127.0.0.1,${wports[$m]},0,0,0" >>"$out/conn"
    done
    for ((m = 0; m < $1; m++)); do start_worker $m "$2"; done
}
serve_bg() { # serve_bg LOG ARGS...: serve in the background, its pid in spid
    local log=$1
    shift
    "$LOCUS" sched serve --config_file "$out/cluster.ini" --conn_file "$out/conn" --token_file "$out/token" \
        --listen "127.0.0.1:$sport" --out "$out/$part/out" --job_command "$out/job.sh" --register_timeout 30 \
        "$@" >>"$log" 2>&1 &
    spid=$!
    pids+=("$spid")
}
status_json() { curl -s --max-time 2 -H "Authorization: Bearer $token" "http://127.0.0.1:$sport/status"; }
wait_round() { # wait_round N TIMEOUT_S: until serve's status says round >= N
    local until=$((SECONDS + $2))
    while [ $SECONDS -lt "$until" ]; do
        local r
        r=$(status_json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["rounds"])' 2>/dev/null)
        [ -n "$r" ] && [ "$r" -ge "$1" ] && return 0
        sleep 0.2
    done
    return 1
}
wait_pid() { # wait_pid PID TIMEOUT_S: its exit status, 124 on timeout (then it is killed)
    local until=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt "$until" ]; do sleep 0.2; done
    if kill -0 "$1" 2>/dev/null; then
        kill -9 "$1"
        return 124
    fi
    wait "$1"
}
kill_machine() { # kill_machine M: worker M and its jobs' processes, kill -9 at once (the machine is gone)
    local kids
    kids=$(pgrep -P "${wpids[$1]}")
    kill -9 "${wpids[$1]}" $kids 2>/dev/null
    echo "killed worker $1 (pid ${wpids[$1]}) and its jobs:" $kids
}
stop_workers() {
    for p in "${wpids[@]}"; do wait_pid "$p" 10 >/dev/null; done
}

# A part's start: its name (global: the parts' helpers read it), its output folder, the cluster INI (`ini`'s
# arguments) and no trace of an earlier part's jobs (their starts, counters, failure and hog markers).
begin_part() { # begin_part NAME INI_ARGS...
    part=$1
    shift
    mkdir -p "$out/$part"
    ini "$@"
    : >"$out/started.txt"
    rm -f "$out"/count.* "$out"/fail.* "$out"/hog.* "$out"/silent.*
}

# ---- retries ----
part_retries() {
    begin_part retries 2 4 1 # 1 GB a server: a one-GPU job's memory is 0.25 GB
    echo 2 >"$out/fail.0"
    echo always >"$out/fail.1"
    touch "$out/hog.3" "$out/silent.4"
    printf '0,res18,0,3000,1\n1,res18,0,3000,1\n2,res18,0,3000,1\n3,res18,0,3000,1\n4,res18,0,3000,1\n' \
        >"$out/trace.csv"
    sport=$(free_port)
    start_workers 2 4
    serve_bg "$out/$part/serve.log" --policy FIFO+fair --replay_trace "$out/trace.csv" --time_scale 300 \
        --max_retries 2
    wait_pid "$spid" 90
    local rc=$?
    stop_workers
    check "retries: serve exits 1 with a failed job (got $rc)" [ "$rc" -eq 1 ]
    check "retries: the failed jobs are named" grep -q "3 jobs failed.*: 1 3 4$" "$out/$part/serve.log"
    local f="$out/$part/out/FIFO+fair/failed_all.csv"
    check "retries: failed_all.csv lists job 1 after 3 failures (2 retries), exit code 1" \
        grep -q '^1,res18,1,.*,3,"exit code 1 on machine' "$f"
    # the worker's mechanism here (cgroup1 on this machine; cgroup2 or RLIMIT_AS elsewhere) stops job 3
    local mech
    mech=$(grep -o 'memory limits: [a-z0-9_]*' "$out/$part/w0.log" | head -1)
    echo "memory limits by the workers: ${mech:-none named in w0.log}"
    check "retries: job 3, past its 0.25 GB, is failed by the memory limit ($(grep '^3,' "$f" | cut -d, -f9-))" \
        bash -c "grep -q '^3,res18,1,.*,3,\"' '$f' && { grep '^3,' '$f' | grep -q 'memory limit' || grep '^3,' '$f' | grep -q 'exit code 1'; }"
    check "retries: job 4, which never reports, is given up after 10 leases without progress" \
        bash -c "grep '^4,' '$f' | grep -q 'no progress reported in 10 leases in a row'"
    check "retries: three jobs failed in all" [ "$(tail -n +2 "$f" | wc -l)" = 3 ]
    check "retries: job 1 was started 3 times" [ "$(cat "$out/count.1")" = 3 ]
    check "retries: jobs 0 (after 2 failures) and 2 finished" \
        bash -c "cut -d, -f1 '$out/$part/out/FIFO+fair/jobs_all.csv' | grep -qx 0 && cut -d, -f1 '$out/$part/out/FIFO+fair/jobs_all.csv' | grep -qx 2"
    check "retries: job 0 ran again from the steps credited before (0), 3 starts" [ "$(cat "$out/count.0")" -ge 3 ]
}

# ---- a worker lost ----
part_worker() {
    begin_part worker 2 4
    # 4 jobs of 2 GPUs, each 6 rounds at fair share (468 steps a round): both machines full
    for i in 0 1 2 3; do echo "$i,res18,0,2800,2"; done >"$out/trace.csv"
    sport=$(free_port)
    start_workers 2 4
    serve_bg "$out/$part/serve.log" --policy FIFO+fair --replay_trace "$out/trace.csv" --time_scale 300 \
        --worker_timeout 1.5
    if wait_round 2 60; then
        sleep 0.5 # inside round 2
        kill_machine 1
        local until=$((SECONDS + 20))
        until grep -q "machine 1 .* lost" "$out/$part/serve.log" || [ $SECONDS -ge $until ]; do sleep 0.1; done
        start_worker 1 4 # it comes back on the same port
    fi
    wait_pid "$spid" 150
    local rc=$?
    stop_workers
    check "worker: serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "worker: machine 1 was lost" grep -q "machine 1 (127.0.0.1:${wports[1]}) lost" "$out/$part/serve.log"
    check "worker: machine 1 came back" grep -q "worker 127.0.0.1:${wports[1]} is back as machine 1" "$out/$part/serve.log"
    check "worker: every job finished" [ "$(tail -n +2 "$out/$part/out/FIFO+fair/jobs_all.csv" | wc -l)" = 4 ]
    check "worker: machine 1 ran jobs again after it came back" /usr/bin/python3 - "$out/$part/out/FIFO+fair/leases_all.csv" \
        "$out/$part/serve.log" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
m1 = [float(r["time_s"]) for r in rows if r["event"] == "start" and r["machine"] == "1"]
lost = float(open(sys.argv[2]).read().split("lost at ")[-1].split()[0]) if "lost at " in open(sys.argv[2]).read() else 0
print("lease starts on machine 1 at", m1)
sys.exit(0 if len(m1) >= 2 and max(m1) > min(m1) else 1)
EOF
    check "worker: steps never go back; each job loses at most one round of leased time" /usr/bin/python3 - \
        "$out/started.txt" "$out/$part/out/FIFO+fair/leases_all.csv" <<'EOF'
import collections, csv, math, sys
# each real process start: its job, the lease it was started with, the steps it began from
starts = collections.defaultdict(list)
ran = set()
for line in open(sys.argv[1]):
    pid, job, lease, elapsed = line.split()
    starts[int(job)].append(int(elapsed))
    ran.add(int(lease))
rows = list(csv.DictReader(open(sys.argv[2])))
ok = True
for job, el in sorted(starts.items()):
    if el != sorted(el):
        print(f"job {job}: steps went back: {el}"); ok = False
    # rounds in which a process of the job really ran (a lease chain begun by a start that reached a process;
    # a start sent to the dead worker ran nothing and lost nothing), against the rounds its steps need
    mine = sorted((float(r["time_s"]), r) for r in rows if int(r["job"]) == job and r["event"] in ("start", "extend"))
    budget = int(next(r["steps"] for t, r in mine if r["event"] == "start"))
    active, rounds = False, set()
    for t, r in mine:
        if r["event"] == "start":
            active = int(r["lease"]) in ran
        if active:
            rounds.add(t)
    need = math.ceil(2800 / budget)
    print(f"job {job}: processes began at steps {el}; ran {len(rounds)} rounds, {need} needed")
    if len(rounds) > need + 1:
        ok = False
sys.exit(0 if ok else 1)
EOF
}

# ---- a worker replaced by a new process before anyone notices ----
part_restart() {
    begin_part restart 2 4
    for i in 0 1 2 3; do echo "$i,res18,0,2800,2"; done >"$out/trace.csv"
    sport=$(free_port)
    start_workers 2 4
    serve_bg "$out/$part/serve.log" --policy FIFO+fair --replay_trace "$out/trace.csv" --time_scale 300 \
        --worker_timeout 30
    if wait_round 2 60; then
        kill_machine 1
        sleep 0.2
        start_worker 1 4 # at once, on the same port: a new process registers while the old one is still "up"
    fi
    wait_pid "$spid" 120
    local rc=$?
    stop_workers
    check "restart: serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "restart: the new process of machine 1 is taken as a restart" \
        grep -q "machine 1 (127.0.0.1:${wports[1]}) lost: restarted" "$out/$part/serve.log"
    check "restart: every job finished" [ "$(tail -n +2 "$out/$part/out/FIFO+fair/jobs_all.csv" | wc -l)" = 4 ]
}

# ---- the scheduler killed and started again ----
part_serve() {
    begin_part serve 2 4
    # 6 jobs of 2 GPUs, 2-6 rounds each: some finish before the kill, the others after
    printf '0,res18,0,4000,2\n1,res18,0,7000,2\n2,res18,0,12000,2\n3,res18,0,16000,2\n' >"$out/trace.csv"
    printf '4,res18,0,9000,2\n5,res18,0,5000,2\n' >>"$out/trace.csv"
    sport=$(free_port)
    start_workers 2 4
    local args=(--policy FIFO+fair --replay_trace "$out/trace.csv" --time_scale 300 --state_dir "$out/$part/state")
    serve_bg "$out/$part/serve1.log" "${args[@]}"
    local first=$spid
    if wait_round 4 60; then
        sleep 0.4
        kill -9 "$first"
        echo "killed serve (pid $first) in round 4"
    fi
    wait "$first" 2>/dev/null
    cp "$out/$part/state/state.json" "$out/$part/state-at-kill.json"
    wc -l <"$out/started.txt" >"$out/$part/starts-before"
    sleep 1
    serve_bg "$out/$part/serve2.log" "${args[@]}"
    wait_pid "$spid" 120
    local rc=$?
    stop_workers
    check "serve: the second serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "serve: it resumed from the state file" grep -q "resuming from $out/$part/state/state.json" "$out/$part/serve2.log"
    check "serve: it took over both workers" [ "$(grep -c 'taken over from the scheduler before' "$out/$part/serve2.log")" = 2 ]
    check "serve: every job is in jobs_all.csv" [ "$(tail -n +2 "$out/$part/out/FIFO+fair/jobs_all.csv" | wc -l)" = 6 ]
    # started a third time: every job has ended; nothing runs, and the outputs stay as they are
    cp "$out/$part/out/FIFO+fair/rounds_all.csv" "$out/$part/rounds-before"
    local rc3=0
    "$LOCUS" sched serve --config_file "$out/cluster.ini" --conn_file "$out/conn" --token_file "$out/token" \
        --listen "127.0.0.1:$sport" --job_command "$out/job.sh" "${args[@]}" --out "$out/$part/out" \
        >"$out/$part/again.log" 2>&1 || rc3=$?
    check "serve: again with the state of an ended run: exit 0, says so, outputs untouched" \
        bash -c "[ $rc3 = 0 ] && grep -q 'every job of this workload has ended already (6 finished, 0 failed)' \
            '$out/$part/again.log' && cmp -s '$out/$part/rounds-before' '$out/$part/out/FIFO+fair/rounds_all.csv'"
    # a state file that is not one, or is another workload's, is refused before anything listens
    head -5 "$out/trace.csv" >"$out/trace5.csv"
    "$LOCUS" sched serve --config_file "$out/cluster.ini" --conn_file "$out/conn" --token_file "$out/token" \
        --listen "127.0.0.1:$sport" --job_command "$out/job.sh" --policy FIFO+fair --replay_trace "$out/trace5.csv" \
        --state_dir "$out/$part/state" \
        --out "$out/$part/o2" >"$out/$part/other.log" 2>&1
    check "serve: a state of another workload is refused ($(tail -1 "$out/$part/other.log"))" \
        grep -q "state.json: written for FIFO+fair with 6 jobs; this run is FIFO+fair with 5 jobs" "$out/$part/other.log"
    echo '{"format": "locus-sched-serve-state", "version": 1,' >"$out/$part/state/state.json"
    "$LOCUS" sched serve --config_file "$out/cluster.ini" --conn_file "$out/conn" --token_file "$out/token" \
        --listen "127.0.0.1:$sport" --job_command "$out/job.sh" "${args[@]}" --out "$out/$part/o3" >"$out/$part/bad.log" 2>&1
    check "serve: a broken state file is refused with its line ($(tail -1 "$out/$part/bad.log"))" \
        bash -c "grep -q 'state.json:2: not a state file' '$out/$part/bad.log' && ! grep -q listening '$out/$part/bad.log'"
    check "serve: no finished job ran again; each resumed at the state's steps" /usr/bin/python3 - \
        "$out/$part/state-at-kill.json" "$out/started.txt" "$(cat "$out/$part/starts-before")" <<'EOF'
import json, sys
st = json.load(open(sys.argv[1]))
lines = [l.split() for l in open(sys.argv[2])]
before, after = lines[:int(sys.argv[3])], lines[int(sys.argv[3]):]
ok = True
done = {j[0] for j in st["jobs"] if j[5]}
print("finished before the kill:", sorted(done), "; executed in the state:", {j[0]: j[1] for j in st["jobs"]})
first_after = {}
for pid, job, lease, el in after:
    first_after.setdefault(int(job), int(el))
for job, el in first_after.items():
    if job in done:
        print(f"job {job} had finished and ran again"); ok = False
    saved = next(j[1] for j in st["jobs"] if j[0] == job)
    if el != saved:
        print(f"job {job}: started at {el}, the state had {saved}"); ok = False
# progress kept: no job restarts below what it had been started with before the kill
for pid, job, lease, el in before:
    if int(job) in first_after and first_after[int(job)] < int(el):
        print(f"job {job}: went back from {el} to {first_after[int(job)]}"); ok = False
sys.exit(0 if ok else 1)
EOF
}

# ---- 200 jobs ending their rounds at once ----
part_burst() {
    begin_part burst 4 50
    for ((i = 0; i < 200; i++)); do echo "$i,res18,0,2400,1"; done >"$out/trace.csv"
    sport=$(free_port)
    start_workers 4 50
    serve_bg "$out/$part/serve.log" --policy FIFO+fair --replay_trace "$out/trace.csv" --time_scale 150
    local shot="${SHOT_DIR:-$PWD}/sched_serve_status.png"
    rm -f "$shot"
    if wait_round 2 60; then # the status while 200 jobs run: JSON, the table, the page, a screenshot
        status_json >"$out/$part/status.json"
        "$LOCUS" sched status --server "127.0.0.1:$sport" --token_file "$out/token" >"$out/$part/status.txt" 2>&1
        curl -s --max-time 5 "http://127.0.0.1:$sport/?token=$token" >"$out/$part/page.html"
        timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1400 \
            --screenshot="$shot" "http://127.0.0.1:$sport/?token=$token" >"$out/$part/chromium.log" 2>&1
        curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$sport/" >"$out/$part/page-notoken"
    fi
    wait_pid "$spid" 150
    local rc=$?
    stop_workers
    check "burst: serve exits 0 (got $rc)" [ "$rc" -eq 0 ]
    check "burst: GET /status agrees with the leases serve wrote" /usr/bin/python3 - "$out/$part/status.json" \
        "$out/$part/out/FIFO+fair/leases_all.csv" <<'EOF'
import csv, json, sys
st = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
lease_rows = {(int(r["job"]), int(r["lease"])): r for r in rows if r["event"] in ("start", "extend")}
running = [j for j in st["jobs"] if j["state"] == "running"]
ok = st["rounds"] >= 2 and st["counts"]["running"] == len(running) == 200
ok = ok and sum(w["gpus_used"] for w in st["workers"]) == 200 and all(w["state"] == "up" for w in st["workers"])
for j in running:
    r = lease_rows.get((j["id"], j["lease"]))
    a = j["alloc"]
    if r is None or len(a) != 1 or str(a[0]["machine"]) != r["machine"] or " ".join(map(str, a[0]["gpus"])) != r["gpus"]:
        print("status and leases disagree for job", j["id"], j, r); ok = False
print(f"status at round {st['rounds']}: {len(running)} running, GPUs in use per worker",
      [w["gpus_used"] for w in st["workers"]])
sys.exit(0 if ok else 1)
EOF
    check "burst: locus sched status prints the 4 workers and 200 running jobs" \
        bash -c "[ \$(grep -c ' running ' '$out/$part/status.txt') = 200 ] && [ \$(grep -c '127.0.0.1:.* up ' '$out/$part/status.txt') = 4 ]"
    check "burst: the page shows 200 running jobs" \
        bash -c "grep -q '<h1>locus sched serve' '$out/$part/page.html' && [ \$(grep -o 'class=\"running\"' '$out/$part/page.html' | wc -l) = 200 ]"
    check "burst: the page needs the token (got $(cat "$out/$part/page-notoken" 2>/dev/null))" \
        [ "$(cat "$out/$part/page-notoken" 2>/dev/null)" = 401 ]
    check "burst: headless chromium took a screenshot of the page ($shot)" \
        bash -c "[ -s '$shot' ] && [ \$(stat -c %s '$shot') -gt 20000 ] && head -c 8 '$shot' | grep -q PNG"
    check "burst: 200 jobs finished" [ "$(tail -n +2 "$out/$part/out/FIFO+fair/jobs_all.csv" | wc -l)" = 200 ]
    check "burst: every round lasts its 2 s, within 1 s (spread printed)" /usr/bin/python3 - \
        "$out/$part/out/FIFO+fair/serve_rounds_all.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
walls = [float(r["wall_s"]) for r in rows]
lens = [b - a for a, b in zip(walls, walls[1:])]
full = lens[1:-1]  # round 0 starts the 200 processes; the last one has jobs finishing
print("round lengths (s):", " ".join(f"{x:.2f}" for x in lens))
print(f"spread of the full rounds: min {min(full):.3f} s, max {max(full):.3f} s (nominal 2.0 s)")
sys.exit(0 if full and all(abs(x - 2.0) <= 1.0 for x in full) else 1)
EOF
}

for p in $parts; do "part_$p"; done
echo "sched_serve_faults: $((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
