#!/bin/sh
# `locus sched worker` against a fake scheduler (fake_sched.c) on loopback, driven with curl as `serve` would:
# registration and its fields; a job's CPU pinning, CUDA_VISIBLE_DEVICES, environment, directory and log; kill
# (SIGTERM reported as signal 15, SIGKILL as 9 after the grace of a job that ignores SIGTERM, the HTTP thread not
# held during the grace, the process group gone); an exit code reported; bad requests refused naming the field
# with the worker still serving; two workers on one machine; reset; shutdown and SIGTERM (exit 0, jobs gone); a
# scheduler that never answers, and one that refuses; the option parser. Every process is killed at the end,
# also on failure. usage: test_worker.sh LOCUS_SCHED FAKE_SCHED
set -eu
bin=$1
fake=$2
tmp=$(mktemp -d /tmp/locus-sched-worker-XXXXXX)
tmp=$(cd "$tmp" && pwd -P)
procs=""
cleanup() {
    for p in $procs; do kill -9 "$p" 2>/dev/null || true; done
    # the jobs' process groups (pids the worker replied with), in case a worker died before stopping them
    for p in $(cat "$tmp"/pids 2>/dev/null); do kill -9 "-$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() {
    echo "FAIL: $*" >&2
    for f in "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
    [ -f "$tmp/sched.rec" ] && { echo "--- scheduler record" >&2; cat "$tmp/sched.rec" >&2; }
    exit 1
}
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; 1 after SECONDS
wait_for() {
    n=$(($1 * 10))
    shift
    while ! "$@" 2>/dev/null; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
has() { grep -q -- "$2" "$1"; }

echo "t0ken-$$" > "$tmp/token"
tok="t0ken-$$"
mkdir "$tmp/data"

# req PORT METHOD PATH [BODY] [TOKEN]: the status on stdout, the reply in $tmp/out
req() {
    curl -s --noproxy '*' -m 10 -o "$tmp/out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer ${5-$tok}" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "http://127.0.0.1:$1$3" || echo 000
}
# expect STATUS PORT METHOD PATH [BODY] [TOKEN]
expect() {
    want=$1
    shift
    got=$(req "$@")
    [ "$got" = "$want" ] || fail "$2 $3 ${4-}: status $got, expected $want: $(cat "$tmp/out")"
}
# run_job PORT BODY: starts a job, records its pid (for the cleanup), prints it
run_job() {
    expect 200 "$1" POST /v1/run "$2"
    pid=$(sed -n 's/^{"pid": *\([0-9]*\)}$/\1/p' "$tmp/out")
    [ -n "$pid" ] || fail "/v1/run reply: $(cat "$tmp/out")"
    echo "$pid" >> "$tmp/pids"
    echo "$pid"
}

# --- the fake scheduler ---------------------------------------------------------------------------------------
"$fake" "$tmp/token" "$tmp/sched.port" "$tmp/sched.rec" 2> "$tmp/sched.err" &
procs="$procs $!"
wait_for 10 test -s "$tmp/sched.port" || fail "the fake scheduler did not start"
sp=$(cat "$tmp/sched.port")

# start_worker NAME PORT GPUS: a worker with its dirs under $tmp/NAME; its pid in $wpid, its port in $wport
start_worker() {
    "$bin" worker -i 127.0.0.1 -s "$sp" -w "$2" -g "$3" --token_file "$tmp/token" --run_dir "$tmp/$1/run" \
        --data_dir "$tmp/data" --checkpoint_dir "$tmp/$1/ckpt" --register_timeout 10 2> "$tmp/$1.err" &
    wpid=$!
    procs="$procs $wpid"
    wait_for 15 has "$tmp/$1.err" "registered with the scheduler at 127.0.0.1:$sp as machine" ||
        fail "worker $1 did not register"
    wport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/$1.err")
    [ -n "$wport" ] || fail "worker $1: no 'listening on' line"
}

# --- 1. registration ----------------------------------------------------------------------------------------
start_worker w1 0 4
w1=$wpid p1=$wport
has "$tmp/sched.rec" "{\"body\":{\"gpus\":4,\"instance\":\"[0-9]*-[0-9]*\.[0-9]*\",\"ip\":\"127.0.0.1\",\"memory_limit\":\"[a-z0-9_]*\",\"port\":$p1},\"path\":\"/v1/worker/register\"}" ||
    fail "registration of w1 not received with its fields"
expect 200 "$p1" GET /v1/status
has "$tmp/out" '"machine": *0' || fail "w1's status does not say machine 0: $(cat "$tmp/out")"

# --- 2. a job: pinning, GPUs, environment, directory, log -----------------------------------------------------
script='grep Cpus_allowed_list /proc/self/status; echo CVD=$CUDA_VISIBLE_DEVICES; echo ID=$LOCUS_JOB_ID LEASE=$LOCUS_JOB_LEASE SCALE=$LOCUS_TIME_SCALE; echo ADDR=$LOCUS_SCHED_ADDR; echo TOK=$LOCUS_SCHED_TOKEN_FILE; echo CK=$SYNERGY_CHECKPOINT_DIR; echo LD=$SYNERGY_LOG_DIR; echo X=$X; echo PWD=$(pwd); echo FDS=$(ls /proc/self/fd); echo up; sleep 30'
j7=$(run_job "$p1" "{\"job\": 7, \"lease\": 2, \"argv\": [\"/bin/sh\", \"-c\", \"$script\"], \"dir\": \"d/7\",
     \"env\": {\"X\": \"y z\"}, \"gpus\": [5, 6], \"cpus\": [1], \"mem_gb\": 1.5}")
log="$tmp/w1/run/logs/job7-lease2.log"
wait_for 10 has "$log" '^up$' || fail "job 7's log: $(cat "$log" 2>/dev/null)"
has "$log" "^Cpus_allowed_list:[[:space:]]*1\$" || fail "job 7 not pinned to CPU 1: $(cat "$log")"
has "$log" '^CVD=5,6$' || fail "CUDA_VISIBLE_DEVICES: $(cat "$log")"
has "$log" '^ID=7 LEASE=2 SCALE=2.5$' || fail "LOCUS_JOB_*/LOCUS_TIME_SCALE: $(cat "$log")"
has "$log" "^ADDR=127.0.0.1:$sp\$" || fail "LOCUS_SCHED_ADDR: $(cat "$log")"
has "$log" "^TOK=$tmp/token\$" || fail "LOCUS_SCHED_TOKEN_FILE: $(cat "$log")"
has "$log" "^CK=$tmp/w1/ckpt/job7\$" || fail "SYNERGY_CHECKPOINT_DIR: $(cat "$log")"
[ -d "$tmp/w1/ckpt/job7" ] || fail "the checkpoint directory was not made"
has "$log" "^LD=$tmp/w1/run/logs\$" || fail "SYNERGY_LOG_DIR: $(cat "$log")"
has "$log" '^X=y z$' || fail "the request's env: $(cat "$log")"
has "$log" "^PWD=$tmp/w1/run/d/7\$" || fail "the job's directory: $(cat "$log")"
has "$log" '^FDS=0 1 2 3$' || fail "the job inherited descriptors other than 0-2 (3 is ls's own): $(cat "$log")"
expect 200 "$p1" GET /v1/status
has "$tmp/out" "{\"job\": *7, *\"lease\": *2, *\"pid\": *$j7, *\"cpus\": *\[1\]," || fail "status lacks job 7: $(cat "$tmp/out")"

# --- 3. the same job twice, and bad requests: refused naming the problem, the worker still serving -----------
expect 409 "$p1" POST /v1/run '{"job": 7, "lease": 3, "argv": ["/bin/true"]}'
has "$tmp/out" "already running" || fail "409 text: $(cat "$tmp/out")"
expect 401 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"]}' ""
expect 401 "$p1" GET /v1/status "" wrong
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"'
has "$tmp/out" "malformed JSON" || fail "malformed JSON text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0}'
has "$tmp/out" "field 'argv': missing" || fail "missing argv text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": []}'
has "$tmp/out" "field 'argv'" || fail "empty argv text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true", 3]}'
has "$tmp/out" "field 'argv'" || fail "non-string argv text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": "1", "lease": 0, "argv": ["/bin/true"]}'
has "$tmp/out" "field 'job': not an integer" || fail "string job text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"], "cpus": [999]}'
has "$tmp/out" "field 'cpus': 999 not on this machine" || fail "cpus [999] text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"], "gpus": [-1]}'
has "$tmp/out" "field 'gpus'" || fail "gpus [-1] text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"], "dir": "../x"}'
has "$tmp/out" "field 'dir'" || fail "dir ../x text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"], "env": {"LOCUS_JOB_ID": "3"}}'
has "$tmp/out" "field 'env': LOCUS_JOB_ID is set by the worker" || fail "reserved env text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["/bin/true"], "agrv": 1}'
has "$tmp/out" "field 'agrv': unknown" || fail "unknown field text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/run '{"job": 1, "lease": 0, "argv": ["no-such-program-here"]}'
has "$tmp/out" "no-such-program-here" || fail "missing program text: $(cat "$tmp/out")"
expect 400 "$p1" POST /v1/kill '{"job": 7, "grace_s": -1}'
has "$tmp/out" "field 'grace_s'" || fail "grace_s text: $(cat "$tmp/out")"
expect 405 "$p1" GET /v1/run
expect 404 "$p1" POST /v1/nothing '{}'
expect 200 "$p1" GET /v1/status
has "$tmp/out" "\"pid\": *$j7" || fail "job 7 lost after the bad requests: $(cat "$tmp/out")"
! grep -q '"job":1,' "$tmp/sched.rec" || fail "a refused job was reported: $(cat "$tmp/sched.rec")"

# --- 4. kill: SIGTERM, reported as signal 15, the group gone --------------------------------------------------
expect 200 "$p1" POST /v1/kill '{"job": 7, "grace_s": 5}'
has "$tmp/out" '"was_running": *true' || fail "kill reply: $(cat "$tmp/out")"
wait_for 10 has "$tmp/sched.rec" '{"body":{"job":7,"lease":2,"machine":0,"signal":15},"path":"/v1/worker/exit"}' ||
    fail "job 7's exit (signal 15) not reported"
wait_for 5 gone "$j7" || fail "job 7 (pid $j7) still there"
wait_for 5 gone "-$j7" || fail "job 7's process group (its sleep) still there"
expect 200 "$p1" POST /v1/kill '{"job": 7}'
has "$tmp/out" '"was_running": *false' || fail "kill of an ended job: $(cat "$tmp/out")"

# --- 5. a job that ignores SIGTERM: SIGKILL after the grace, the worker answering meanwhile -------------------
j8=$(run_job "$p1" '{"job": 8, "lease": 0, "argv": ["/bin/sh", "-c", "trap \"\" TERM; echo ready; sleep 30"], "cpus": []}')
wait_for 10 has "$tmp/w1/run/logs/job8-lease0.log" '^ready$' || fail "job 8 did not start"
t0=$(date +%s)
expect 200 "$p1" POST /v1/kill '{"job": 8, "grace_s": 2}'
expect 200 "$p1" GET /v1/status
has "$tmp/out" "\"pid\": *$j8" || fail "job 8 gone before its grace: $(cat "$tmp/out")"
[ $(($(date +%s) - t0)) -le 1 ] || fail "the kill request waited for the grace"
wait_for 10 has "$tmp/sched.rec" '{"body":{"job":8,"lease":0,"machine":0,"signal":9},"path":"/v1/worker/exit"}' ||
    fail "job 8's exit (signal 9) not reported"
[ $(($(date +%s) - t0)) -ge 1 ] || fail "job 8 was killed before its grace"
wait_for 5 gone "-$j8" || fail "job 8's process group still there"

# --- 6. a job that exits 3 by itself; one that finishes before the reply ------------------------------------
run_job "$p1" '{"job": 9, "lease": 4, "argv": ["/bin/sh", "-c", "sleep 0.3; exit 3"]}' > /dev/null
wait_for 10 has "$tmp/sched.rec" '{"body":{"exit_code":3,"job":9,"lease":4,"machine":0},"path":"/v1/worker/exit"}' ||
    fail "job 9's exit code 3 not reported"
run_job "$p1" '{"job": 11, "lease": 0, "argv": ["/bin/true"]}' > /dev/null
wait_for 10 has "$tmp/sched.rec" '{"body":{"exit_code":0,"job":11,"lease":0,"machine":0},"path":"/v1/worker/exit"}' ||
    fail "job 11's exit code 0 not reported"

# --- 7. a second worker on the same machine, on a port of its own ---------------------------------------------
fixed=$("$fake" --free-port)
start_worker w2 "$fixed" 2
w2=$wpid
[ "$wport" = "$fixed" ] || fail "w2 listens on $wport, not -w $fixed"
has "$tmp/sched.rec" "{\"body\":{\"gpus\":2,\"instance\":\"[0-9]*-[0-9]*\.[0-9]*\",\"ip\":\"127.0.0.1\",\"memory_limit\":\"[a-z0-9_]*\",\"port\":$fixed},\"path\":\"/v1/worker/register\"}" ||
    fail "registration of w2 not received with its fields"
j7b=$(run_job "$fixed" '{"job": 7, "lease": 5, "argv": ["/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status; echo CVD=$CUDA_VISIBLE_DEVICES; echo up; sleep 30"], "gpus": [2], "cpus": [0]}')
wait_for 10 has "$tmp/w2/run/logs/job7-lease5.log" '^up$' || fail "job 7 on w2 did not start"
has "$tmp/w2/run/logs/job7-lease5.log" "^Cpus_allowed_list:[[:space:]]*0\$" || fail "w2's job not pinned to CPU 0"
has "$tmp/w2/run/logs/job7-lease5.log" '^CVD=2$' || fail "w2's job: CUDA_VISIBLE_DEVICES"
run_job "$p1" '{"job": 12, "lease": 1, "argv": ["/bin/sleep", "30"], "gpus": [0], "cpus": [1]}' > /dev/null
j12=$(tail -1 "$tmp/pids")
expect 200 "$fixed" GET /v1/status
has "$tmp/out" '"machine": *1' || fail "w2's status does not say machine 1: $(cat "$tmp/out")"

# --- 8. reset on w2 ---------------------------------------------------------------------------------------------
expect 200 "$fixed" POST /v1/reset '{}'
has "$tmp/out" '"stopped": *1' || fail "reset reply: $(cat "$tmp/out")"
wait_for 10 has "$tmp/sched.rec" '{"body":{"job":7,"lease":5,"machine":1,"signal":15},"path":"/v1/worker/exit"}' ||
    fail "the reset job's exit not reported"
wait_for 5 gone "-$j7b" || fail "w2's job still there after reset"

# --- 9. shutdown of w1 with a job running: exit 0, its job gone and reported ---------------------------------
expect 200 "$p1" POST /v1/shutdown '{}'
wait_for 15 gone "$w1" || fail "w1 still running after /v1/shutdown"
rc=0
wait "$w1" || rc=$?
[ "$rc" -eq 0 ] || fail "w1 exited $rc after /v1/shutdown"
gone "-$j12" || fail "w1's job 12 still there after shutdown"
has "$tmp/sched.rec" '{"body":{"job":12,"lease":1,"machine":0,"signal":15},"path":"/v1/worker/exit"}' ||
    fail "job 12's exit at shutdown not reported"

# --- 10. SIGTERM to w2 with a job running -----------------------------------------------------------------------
j13=$(run_job "$fixed" '{"job": 13, "lease": 0, "argv": ["/bin/sleep", "30"]}')
kill -TERM "$w2"
wait_for 15 gone "$w2" || fail "w2 still running after SIGTERM"
rc=0
wait "$w2" || rc=$?
[ "$rc" -eq 0 ] || fail "w2 exited $rc after SIGTERM"
gone "-$j13" || fail "w2's job 13 still there after SIGTERM"

# --- 11. a scheduler that never answers; one that refuses -------------------------------------------------------
closed=$("$fake" --free-port)
t0=$(date +%s)
rc=0
"$bin" worker -i 127.0.0.1 -s "$closed" -w 0 -g 1 --token_file "$tmp/token" --run_dir "$tmp/w3/run" \
    --data_dir "$tmp/data" --checkpoint_dir "$tmp/w3/ckpt" --register_timeout 1.5 2> "$tmp/w3.err" || rc=$?
[ "$rc" -eq 1 ] || fail "a worker whose scheduler never answers exited $rc, not 1"
has "$tmp/w3.err" "no answer from the scheduler at 127.0.0.1:$closed in 1.5 s" || fail "no-answer message: $(cat "$tmp/w3.err")"
[ $(($(date +%s) - t0)) -le 8 ] || fail "--register_timeout 1.5 took $(($(date +%s) - t0)) s"
"$fake" "$tmp/token" "$tmp/refuse.port" "$tmp/refuse.rec" --refuse 2> "$tmp/refuse.err" &
procs="$procs $!"
wait_for 10 test -s "$tmp/refuse.port" || fail "the refusing scheduler did not start"
rc=0
"$bin" worker -i 127.0.0.1 -s "$(cat "$tmp/refuse.port")" -w 0 -g 1 --token_file "$tmp/token" \
    --run_dir "$tmp/w4/run" --data_dir "$tmp/data" --checkpoint_dir "$tmp/w4/ckpt" 2> "$tmp/w4.err" || rc=$?
[ "$rc" -eq 1 ] || fail "a refused worker exited $rc, not 1"
has "$tmp/w4.err" "refused the registration: .*403 this worker is not in the conn file" ||
    fail "refusal message: $(cat "$tmp/w4.err")"

# --- 12. the options --------------------------------------------------------------------------------------------
"$bin" worker --help > "$tmp/help" || fail "--help exited $?"
for o in --sched_addr --sched_port --worker_port --num_gpus --token_file --run_dir --data_dir --checkpoint_dir \
    --bind --cpus --memory_limit --register_timeout; do
    has "$tmp/help" -- "$o" || fail "--help lacks $o"
done
"$bin" --help | grep -q '^  worker ' || fail "locus sched --help does not list worker"
rc=0
"$bin" worker -i 127.0.0.1 -s 1 2> "$tmp/o.err" || rc=$?
[ "$rc" -eq 2 ] || fail "missing options: exit $rc, not 2"
has "$tmp/o.err" "missing --worker_port, --num_gpus, --token_file, --run_dir, --data_dir, --checkpoint_dir" ||
    fail "missing options not named: $(cat "$tmp/o.err")"
rc=0
"$bin" worker --colour blue 2> "$tmp/o.err" || rc=$?
[ "$rc" -eq 2 ] && has "$tmp/o.err" "unknown option '--colour'" || fail "an unknown option: $rc $(cat "$tmp/o.err")"
rc=0
"$bin" worker -i 127.0.0.1 -s 70000 2> "$tmp/o.err" || rc=$?
[ "$rc" -eq 2 ] && has "$tmp/o.err" "--sched_port: '70000' is not a port" || fail "a bad port: $(cat "$tmp/o.err")"
rc=0
"$bin" worker -i 127.0.0.1 -s "$sp" -w 0 -g 1 --token_file "$tmp/nonexistent" --run_dir "$tmp/w5" \
    --data_dir "$tmp/data" --checkpoint_dir "$tmp/w5c" 2> "$tmp/o.err" || rc=$?
[ "$rc" -eq 1 ] && has "$tmp/o.err" "$tmp/nonexistent" || fail "a missing token file: $rc $(cat "$tmp/o.err")"
echo "test_worker: all checks passed"
