#!/usr/bin/env bash
# The installed job side, used as a job's author would: `cmake --install --component job` into a temporary
# prefix; from there a tiny C job and the example training job (examples/sched/train_c.c) built with pkg-config
# (locus-job.pc) and the installed dummy job run against the fake scheduler (their calls compared exactly), the
# libraries resolved inside the prefix, and the Python
# module imported from the prefix by /usr/bin/python3 and put through test_job_python.py. The default Python
# folder is one /usr/bin/python3 searches under /usr/local.
# usage: test_job_install.sh BUILD_DIR TESTS_SCHED_DIR FAKE_JOB_SCHED
set -uo pipefail
build=$1
here=$2
fake=$3
pass=0
fail=0
check() { # check "what" command...
    local what=$1
    shift
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
tmp=$(mktemp -d /tmp/locus-job-install-XXXXXX)
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
pfx=$tmp/pfx
echo tok123 > "$tmp/token"

cmake --install "$build" --prefix "$pfx" --component job > "$tmp/install.log" 2>&1
check "cmake --install --component job: $(tail -3 "$tmp/install.log")" [ $? -eq 0 ]
pc=$(find "$pfx" -name locus-job.pc | head -1)
check "locus-job.pc installed" [ -f "$pc" ]
check "sched_job.h installed" [ -f "$pfx/include/locus/sched_job.h" ]
check "the dummy job installed" [ -x "$pfx/bin/locus-sched-dummy-job" ]
export PKG_CONFIG_PATH=$(dirname "$pc")
lib=$(realpath -m "$(pkg-config --variable=libdir locus-job)")
check "liblocus_job.so in the prefix" [ -e "$lib/liblocus_job.so" ]
check "the dummy job finds liblocus_job in the prefix (relative RPATH)" \
    bash -c "ldd '$pfx/bin/locus-sched-dummy-job' | grep -q 'liblocus_job.so.* => $pfx/' &&
             ! ldd '$pfx/bin/locus-sched-dummy-job' | grep -q 'not found'"
check "liblocus_job: RUNPATH \$ORIGIN-relative" bash -c "readelf -d '$lib/liblocus_job.so' | grep -q 'ORIGIN'"
check "liblocus_job exports only locus_job_ symbols" \
    bash -c "! nm -D --defined-only '$lib/liblocus_job.so' | awk '{print \$3}' | grep -v '^locus_job_' | grep -q ."

# The fake scheduler for job 12, first lease 5, with the given options; FAKE_PORT, FAKE_LOG.
runs=0
start_fake() {
    runs=$((runs + 1))
    FAKE_LOG=$tmp/calls$runs.log
    "$fake" --token_file "$tmp/token" --port_file "$tmp/port$runs" --log "$FAKE_LOG" --job 12 --lease 5 \
        --max_s 60 "$@" &
    fake_pid=$!
    for _ in $(seq 500); do [ -s "$tmp/port$runs" ] && break; sleep 0.01; done
    FAKE_PORT=$(cat "$tmp/port$runs")
}
stop_fake() {
    kill "$fake_pid" 2> /dev/null
    wait "$fake_pid" 2> /dev/null
    fake_pid=
}
job_env() {
    export LOCUS_SCHED_ADDR=127.0.0.1:$FAKE_PORT LOCUS_SCHED_TOKEN_FILE=$tmp/token LOCUS_JOB_ID=12 \
        LOCUS_JOB_LEASE=5 LOCUS_TIME_SCALE=10
}
want="register job=12 lease=5
round_end job=12 lease=5 steps=3 done=false
round_end job=12 lease=6 steps=2 done=false"

cat > "$tmp/job.c" <<'C'
/* A job's whole use of the library: begin, a step per iteration, end. */
#include <locus/sched_job.h>
#include <stdio.h>

int main(void) {
    locus_job *j;
    if (locus_job_begin(&j) != LOCUS_JOB_OK) {
        fprintf(stderr, "%s\n", locus_job_last_error());
        return 1;
    }
    int action = LOCUS_JOB_CONTINUE;
    while (action == LOCUS_JOB_CONTINUE)
        if (locus_job_step(j, &action) != LOCUS_JOB_OK) {
            fprintf(stderr, "%s\n", locus_job_last_error());
            return 1;
        }
    printf("%s at %lld, lease %lld\n", locus_job_action_name(action), (long long)locus_job_executed(j),
           (long long)locus_job_lease(j));
    return locus_job_end(j) == LOCUS_JOB_OK ? 0 : 1;
}
C
cc "$tmp/job.c" -o "$tmp/job" -Wall -Wextra -Werror $(pkg-config --cflags --libs locus-job) \
    $(pkg-config --variable=rpath locus-job) > "$tmp/cc.log" 2>&1
check "a C job builds with pkg-config locus-job: $(head -3 "$tmp/cc.log")" [ -x "$tmp/job" ]
start_fake --steps 3 --answer continue:6:2 --answer stop
job_env
out=$("$tmp/job" 2>&1)
check "the C job runs: $out" [ "$out" = "stop at 5, lease 6" ]
check "the C job's calls: $(cat "$FAKE_LOG")" [ "$(cat "$FAKE_LOG")" = "$want" ]
stop_fake

# The example training job (examples/sched/train_c.c) built as its comment says: lease 5 (3 steps), extended to
# lease 6 (2 steps), stopped; its checkpoint at step 5, both leases in its leases.csv, and a run without a
# scheduler (--steps 8) resuming from that checkpoint.
cc "$here/../../examples/sched/train_c.c" -o "$tmp/train_c" -Wall -Wextra -Werror \
    $(pkg-config --cflags --libs locus-job) $(pkg-config --variable=rpath locus-job) -lm > "$tmp/cc.log" 2>&1
check "the example train_c.c builds with pkg-config locus-job: $(head -3 "$tmp/cc.log")" [ -x "$tmp/train_c" ]
start_fake --steps 3 --answer continue:6:2 --answer stop
job_env
SYNERGY_CHECKPOINT_DIR=$tmp/ck "$tmp/train_c" > "$tmp/train_c.log" 2>&1
check "the example job runs: $(tail -2 "$tmp/train_c.log")" [ $? -eq 0 ]
check "the example job's calls: $(cat "$FAKE_LOG")" [ "$(cat "$FAKE_LOG")" = "$want" ]
check "the example job's leases.csv: $(cat "$tmp/ck/leases.csv" 2> /dev/null)" \
    bash -c "cut -d, -f1-3,6- '$tmp/ck/leases.csv' | tail -n +2 | tr '\n' ' ' | grep -qx '5,0,3,0,1,extended 6,3,5,3,1,stop '"
check "the example job's checkpoint is at step 5" grep -qx "step 5" "$tmp/ck/checkpoint.txt"
stop_fake
"$tmp/train_c" --steps 8 --checkpoint_dir "$tmp/ck" > "$tmp/train_c.log" 2>&1
check "the example job resumes at step 5 without a scheduler: $(head -1 "$tmp/train_c.log")" \
    bash -c "head -1 '$tmp/train_c.log' | grep -qx 'start standalone step=5 steps=8' &&
             tail -1 '$tmp/ck/leases.csv' | cut -d, -f1-3 | grep -qx -- '-1,5,8'"

start_fake --steps 3 --answer continue:6:2 --answer stop
job_env
out=$(LOCUS_DUMMY_ITER_S=0.01 SYNERGY_CHECKPOINT_DIR=$tmp "$pfx/bin/locus-sched-dummy-job" 2>&1)
check "the installed dummy job runs: $out" [ $? -eq 0 ]
check "the dummy job's calls: $(cat "$FAKE_LOG")" [ "$(cat "$FAKE_LOG")" = "$want" ]
check "the dummy job's checkpoint" [ "$(cat "$tmp/job12.ckpt" 2> /dev/null)" = 5 ]
stop_fake

pydir=$(realpath -m "$(pkg-config --variable=pythondir locus-job)")
check "the Python module installed" [ -f "$pydir/locus_job/__init__.py" ]
where=$(cd / && PYTHONPATH=$pydir /usr/bin/python3 -c 'import locus_job; print(locus_job.__file__)' 2>&1)
check "/usr/bin/python3 imports locus_job from the prefix: $where" [ "$where" = "$pydir/locus_job/__init__.py" ]
PYTHONPATH=$pydir /usr/bin/python3 "$here/test_job_python.py" "$fake" "$pydir" > "$tmp/py.log" 2>&1
check "test_job_python.py against the installed module: $(tail -5 "$tmp/py.log")" [ $? -eq 0 ]
rel=${pydir#"$(realpath "$pfx")"/}
check "/usr/bin/python3 searches /usr/local/$rel" /usr/bin/python3 -c "import sys; sys.exit('/usr/local/$rel' not in sys.path)"

echo "sched_job_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
