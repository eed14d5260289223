#!/bin/sh
# `locus sched worker`'s memory limits and NUMA-ordered CPUs, against the fake scheduler (fake_sched.c), on this
# machine as it is: the worker with --memory_limit auto names its mechanism (status, registration, log); a job
# that allocates past its mem_gb is stopped by the limit and reported so (cgroup: SIGKILL with the "reason" in
# /v1/worker/exit; RLIMIT_AS: its MemoryError, exit code 1, the log line naming RLIMIT_AS), one under it runs to
# its end; a job's process is in its own cgroup and the group is gone once the job ends; each mechanism forced
# (rlimit; none, under which the same job survives; a cgroup that cannot be made here is an error at start);
# "numa" requests pinned through the NUMA order. Every process is killed at the end, also on failure.
# usage: test_worker_mem.sh LOCUS_SCHED FAKE_SCHED
set -eu
bin=$1
fake=$2
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/locus-sched-worker-mem-XXXXXX)
tmp=$(cd "$tmp" && pwd -P)
procs=""
cleanup() {
    for p in $procs; do kill -9 "$p" 2>/dev/null || true; done
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
wait_for() {
    n=$(($1 * 10))
    shift
    while ! "$@" 2>/dev/null; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}
has() { grep -q -- "$2" "$1"; }
[ -x "$py" ] || { echo "test_worker_mem: $py is missing" >&2; exit 1; }

echo "t0ken-$$" > "$tmp/token"
tok="t0ken-$$"
mkdir "$tmp/data"
req() {
    curl -s --noproxy '*' -m 10 -o "$tmp/out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $tok" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "http://127.0.0.1:$1$3" || echo 000
}
expect() {
    want=$1
    shift
    got=$(req "$@")
    [ "$got" = "$want" ] || fail "$2 $3 ${4-}: status $got, expected $want: $(cat "$tmp/out")"
}
run_job() {
    expect 200 "$1" POST /v1/run "$2"
    pid=$(sed -n 's/^{"pid": *\([0-9]*\)}$/\1/p' "$tmp/out")
    [ -n "$pid" ] || fail "/v1/run reply: $(cat "$tmp/out")"
    echo "$pid" >> "$tmp/pids"
    echo "$pid"
}
# the job: prints its cgroups, then holds N blocks of 10 MiB, each written (so resident), then sleeps S seconds
cat > "$tmp/hog.py" <<'EOF'
import sys, time
print(open("/proc/self/cgroup").read(), flush=True)
blocks = []
for i in range(int(sys.argv[1])):
    blocks.append(b"x" * (10 << 20))
print("survived", len(blocks) * 10, "MiB", flush=True)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
EOF
# hog JOB N [S]: the body of a /v1/run for the job with a limit of 0.25 GiB (268435456 bytes)
hog() { echo "{\"job\": $1, \"lease\": 0, \"argv\": [\"$py\", \"$tmp/hog.py\", \"$2\", \"${3-0}\"], \"mem_gb\": 0.25}"; }
limit=268435456
# exited JOB MACHINE TEXT: the record has job's exit report containing TEXT
exited() { grep '"path":"/v1/worker/exit"' "$tmp/sched.rec" | grep "\"job\":$1,\"lease\":0,\"machine\":$2[,}]" | grep -q -- "$3"; }

"$fake" "$tmp/token" "$tmp/sched.port" "$tmp/sched.rec" 2> "$tmp/sched.err" &
procs="$procs $!"
wait_for 10 test -s "$tmp/sched.port" || fail "the fake scheduler did not start"
sp=$(cat "$tmp/sched.port")

# start_worker NAME MEMORY_LIMIT: its pid in $wpid, its port in $wport
start_worker() {
    "$bin" worker -i 127.0.0.1 -s "$sp" -w 0 -g 1 --token_file "$tmp/token" --run_dir "$tmp/$1/run" \
        --data_dir "$tmp/data" --checkpoint_dir "$tmp/$1/ckpt" --register_timeout 10 --memory_limit "$2" \
        2> "$tmp/$1.err" &
    wpid=$!
    procs="$procs $wpid"
    wait_for 15 has "$tmp/$1.err" "registered with the scheduler" || fail "worker $1 did not register"
    wport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/$1.err")
    [ -n "$wport" ] || fail "worker $1: no 'listening on' line"
}
# machine_of PORT: the machine id the fake scheduler gave the worker on PORT (its registrations in order)
machine_of() {
    grep '"path":"/v1/worker/register"' "$tmp/sched.rec" | grep -n "\"port\":$1}" | cut -d: -f1 | awk '{print $1 - 1}'
}
# stop_worker PID PORT: /v1/shutdown, exit 0
stop_worker() {
    expect 200 "$2" POST /v1/shutdown '{}'
    wait_for 15 eval "! kill -0 $1" || fail "worker $1 still running after /v1/shutdown"
    rc=0
    wait "$1" || rc=$?
    [ "$rc" -eq 0 ] || fail "worker $1 exited $rc after /v1/shutdown"
}

# --- 1. auto: the mechanism named in the status, the registration and the log ----------------------------------
start_worker auto auto
wa=$wpid pa=$wport
expect 200 "$pa" GET /v1/status
mech=$(sed -n 's/.*"memory_limit": *"\([a-z_0-9]*\)".*/\1/p' "$tmp/out")
case "$mech" in
cgroup2 | cgroup1 | rlimit_as) ;;
*) fail "auto: the status names no mechanism that works on Linux: $(cat "$tmp/out")" ;;
esac
echo "test_worker_mem: --memory_limit auto applies $mech on this machine"
has "$tmp/sched.rec" "{\"body\":{\"gpus\":1,\"instance\":\"[0-9]*-[0-9]*\.[0-9]*\",\"ip\":\"127.0.0.1\",\"memory_limit\":\"$mech\",\"port\":$pa}" ||
    fail "the registration does not carry memory_limit $mech"
has "$tmp/auto.err" "memory limits: $mech" || fail "the worker's log does not name $mech"
has "$tmp/out" '"numa_nodes": *[1-9]' || fail "the status has no numa_nodes: $(cat "$tmp/out")"
parent=$(sed -n 's/.*memory limits: cgroup[12], a group per job in \([^ ]*\) .*/\1/p' "$tmp/auto.err")
case "$mech" in cgroup*) [ -d "$parent" ] || fail "no job group parent in the log: $(cat "$tmp/auto.err")" ;; esac

# --- 2. under its limit: runs to its end -----------------------------------------------------------------------
run_job "$pa" "$(hog 1 5)" > /dev/null
wait_for 20 exited 1 0 '"exit_code":0' || fail "job 1 (50 MiB under 256 MiB) did not exit 0"
! exited 1 0 reason || fail "job 1's exit has a reason: $(grep '"job":1,' "$tmp/sched.rec")"
has "$tmp/auto/run/logs/job1-lease0.log" "^survived 50 MiB" || fail "job 1 did not finish"

# --- 3. past its limit: stopped by it and reported as such ------------------------------------------------------
run_job "$pa" "$(hog 2 60)" > /dev/null
case "$mech" in
cgroup2 | cgroup1)
    [ "$mech" = cgroup2 ] && file=memory.max || file=memory.limit_in_bytes
    wait_for 30 exited 2 0 "\"reason\":\"memory limit ($mech $file $limit bytes)\",\"signal\":9" ||
        fail "job 2 (600 MiB past 256 MiB) not reported as stopped by its $mech limit"
    has "$tmp/auto.err" "job 2 lease 0 (pid [0-9]*) ended by signal 9: stopped by its memory limit ($mech" ||
        fail "the worker's log does not say job 2 was stopped by its limit"
    group=$(sed -n "s/.*job 2 lease 0 started: .*memory limit $limit bytes ($mech \([^ ,)]*\).*/\1/p" "$tmp/auto.err")
    [ -n "$group" ] || fail "job 2's start line names no cgroup"
    wait_for 10 test ! -e "$group" || fail "job 2's cgroup $group is still there"
    ;;
rlimit_as)
    wait_for 30 exited 2 0 '"exit_code":1' || fail "job 2 (600 MiB past RLIMIT_AS 256 MiB) did not exit 1"
    has "$tmp/auto/run/logs/job2-lease0.log" MemoryError || fail "job 2 did not fail with MemoryError"
    has "$tmp/auto.err" "job 2 lease 0 (pid [0-9]*) exited with code 1 (RLIMIT_AS $limit bytes applied" ||
        fail "the worker's log does not say RLIMIT_AS applied to job 2"
    ;;
esac
! has "$tmp/auto/run/logs/job2-lease0.log" survived || fail "job 2 ran past its limit"

# --- 4. a job in its own group while it runs; the group gone once it is killed --------------------------------
j3=$(run_job "$pa" "$(hog 3 1 30)")
wait_for 15 has "$tmp/auto/run/logs/job3-lease0.log" "^survived" || fail "job 3 did not start"
expect 200 "$pa" GET /v1/status
has "$tmp/out" "\"job\": *3, *\"lease\": *0, *\"pid\": *$j3, *\"cpus\": *\[\], *\"memory_limit\": *\"$mech\", *\"memory_bytes\": *$limit" ||
    fail "status of job 3: $(cat "$tmp/out")"
case "$mech" in
cgroup*)
    group=$(sed -n 's/.*"cgroup": *"\([^"]*\)".*/\1/p' "$tmp/out")
    [ -d "$group" ] || fail "job 3's cgroup '$group' (status) is not there"
    grep -q "^$j3\$" "$group/cgroup.procs" || fail "job 3 (pid $j3) is not in $group"
    [ "$mech" = cgroup2 ] && line="^0::" || line="^[0-9]*:memory:"
    grep "$line" "$tmp/auto/run/logs/job3-lease0.log" | grep -q "/${group##*/}\$" ||
        fail "job 3's /proc/self/cgroup does not name its group: $(cat "$tmp/auto/run/logs/job3-lease0.log")"
    [ "$mech" = cgroup2 ] && f=memory.max || f=memory.limit_in_bytes
    [ "$(cat "$group/$f")" -le "$limit" ] || fail "$group/$f is $(cat "$group/$f"), not $limit"
    ;;
esac
expect 200 "$pa" POST /v1/kill '{"job": 3, "grace_s": 2}'
wait_for 10 exited 3 0 '"signal":15' || fail "job 3's SIGTERM not reported"
! exited 3 0 reason || fail "a killed job under its limit has a reason"
case "$mech" in cgroup*) wait_for 10 test ! -e "$group" || fail "job 3's cgroup $group is still there" ;; esac

# --- 5. NUMA: ids through the CPUs in NUMA order; a bad numa field ----------------------------------------------
order=$(sed -n 's/.*CPUs in NUMA order: \([0-9,]*\).*/\1/p' "$tmp/auto.err")
[ -n "$order" ] || fail "no NUMA order in the worker's log"
first=${order%%,*}
low=$(echo "$order" | tr ',' '\n' | sort -n | head -1) # the lowest CPU id of the worker's: the first in NUMA order
run_job "$pa" "{\"job\": 4, \"lease\": 0, \"argv\": [\"/bin/sh\", \"-c\", \"grep Cpus_allowed_list /proc/self/status\"], \"cpus\": [$low], \"numa\": true}" > /dev/null
wait_for 10 exited 4 0 '"exit_code":0' || fail "job 4 did not run"
has "$tmp/auto/run/logs/job4-lease0.log" "^Cpus_allowed_list:[[:space:]]*$first\$" ||
    fail "job 4 (numa, id $low) not on CPU $first, the first in NUMA order: $(cat "$tmp/auto/run/logs/job4-lease0.log")"
expect 400 "$pa" POST /v1/run '{"job": 5, "lease": 0, "argv": ["/bin/true"], "cpus": [1000], "numa": true}'
has "$tmp/out" "field 'cpus': 1000 not on this machine" || fail "numa, a CPU not there: $(cat "$tmp/out")"
expect 400 "$pa" POST /v1/run '{"job": 5, "lease": 0, "argv": ["/bin/true"], "numa": "yes"}'
has "$tmp/out" "field 'numa': not a boolean" || fail "numa not a boolean: $(cat "$tmp/out")"
stop_worker "$wa" "$pa"
case "$mech" in
cgroup*) ! ls "$parent" 2>/dev/null | grep -q "^locus-w$wa-" || fail "groups of worker $wa left in $parent" ;;
esac

# --- 5b. a worker killed with SIGKILL leaves its job's group; the next worker removes it once it is empty ------
case "$mech" in
cgroup*)
    start_worker k9 auto
    wk=$wpid pk=$wport
    j6=$(run_job "$pk" "$(hog 6 1 30)")
    wait_for 15 has "$tmp/k9/run/logs/job6-lease0.log" "^survived" || fail "job 6 did not start"
    stale=$(sed -n "s/.*job 6 lease 0 started: .*memory limit $limit bytes ($mech \([^ ,)]*\).*/\1/p" "$tmp/k9.err")
    [ -d "$stale" ] || fail "job 6's group '$stale' is not there"
    kill -9 "$wk"
    wait "$wk" 2>/dev/null || true
    kill -9 "-$j6"
    wait_for 10 eval "! grep -q . $stale/cgroup.procs" || fail "job 6 still in $stale"
    start_worker k9b auto
    has "$tmp/k9b.err" "memory limits: [0-9]* empty groups* of workers no longer running removed" ||
        fail "the next worker did not remove the stale group: $(cat "$tmp/k9b.err")"
    [ ! -e "$stale" ] || fail "the stale group $stale is still there"
    stop_worker "$wpid" "$wport"
    ;;
esac

# --- 6. forced: rlimit; none (the same job then survives) -------------------------------------------------------
start_worker rl rlimit
wr=$wpid pr=$wport
expect 200 "$pr" GET /v1/status
has "$tmp/out" '"memory_limit": *"rlimit_as"' || fail "--memory_limit rlimit: status $(cat "$tmp/out")"
run_job "$pr" "$(hog 12 60)" > /dev/null
wait_for 30 exited 12 "$(machine_of "$pr")" '"exit_code":1' || fail "job 12 past RLIMIT_AS did not exit 1"
! exited 12 "$(machine_of "$pr")" reason || fail "an RLIMIT_AS exit has a reason"
has "$tmp/rl/run/logs/job12-lease0.log" MemoryError || fail "job 12 did not fail with MemoryError"
has "$tmp/rl.err" "job 12 lease 0 (pid [0-9]*) exited with code 1 (RLIMIT_AS $limit bytes applied" ||
    fail "the log does not say RLIMIT_AS applied"
run_job "$pr" "$(hog 11 5)" > /dev/null
wait_for 20 exited 11 "$(machine_of "$pr")" '"exit_code":0' || fail "job 11 under RLIMIT_AS did not exit 0"
stop_worker "$wr" "$pr"

start_worker none none
wn=$wpid pn=$wport
expect 200 "$pn" GET /v1/status
has "$tmp/out" '"memory_limit": *"none"' || fail "--memory_limit none: status $(cat "$tmp/out")"
run_job "$pn" "$(hog 22 40)" > /dev/null
wait_for 30 exited 22 "$(machine_of "$pn")" '"exit_code":0' || fail "job 22 (400 MiB, no limit) did not exit 0"
has "$tmp/none/run/logs/job22-lease0.log" "^survived 400 MiB" || fail "job 22 did not survive without a limit"
stop_worker "$wn" "$pn"

# --- 7. a cgroup asked for where it cannot be made: an error at start; a bad value ----------------------------
# cannot_start OPTION: exit 1 naming why
cannot_start() {
    rc=0
    "$bin" worker -i 127.0.0.1 -s "$sp" -w 0 -g 1 --token_file "$tmp/token" --run_dir "$tmp/x/run" \
        --data_dir "$tmp/data" --checkpoint_dir "$tmp/x/ckpt" --register_timeout 5 --memory_limit "$1" \
        2> "$tmp/x.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "--memory_limit $1 (not possible with $mech) exited $rc, not 1"
    has "$tmp/x.err" "--memory_limit $1 cannot be used here: $2" || fail "--memory_limit $1: $(cat "$tmp/x.err")"
    ! has "$tmp/x.err" "registered" || fail "--memory_limit $1 registered"
}
case "$mech" in
rlimit_as) cannot_start cgroup "cgroup2: .*; cgroup1: " ;;
cgroup1) cannot_start cgroup2 "cgroup2: " ;;
cgroup2) ;;
esac
if [ "$mech" != rlimit_as ]; then
    start_worker cg cgroup
    expect 200 "$wport" GET /v1/status
    has "$tmp/out" "\"memory_limit\": *\"$mech\"" || fail "--memory_limit cgroup: status $(cat "$tmp/out")"
    stop_worker "$wpid" "$wport"
fi
rc=0
"$bin" worker -i 127.0.0.1 -s "$sp" -w 0 -g 1 --token_file "$tmp/token" --run_dir "$tmp/x/run" \
    --data_dir "$tmp/data" --checkpoint_dir "$tmp/x/ckpt" --memory_limit lots 2> "$tmp/x.err" || rc=$?
[ "$rc" -eq 2 ] && has "$tmp/x.err" "--memory_limit: 'lots' is not one of auto|cgroup" ||
    fail "a bad --memory_limit: $rc $(cat "$tmp/x.err")"
"$bin" worker --help | grep -q -- "--memory_limit HOW" || fail "--help lacks --memory_limit"
echo "test_worker_mem: all checks passed ($mech)"
