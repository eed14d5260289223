#!/usr/bin/env bash
# locus run --colocated-db under mpirun with 2 ranks: the database is shared by the node's ranks, pinned
# apart from the application, reached over a 0700 Unix socket, and gone (process, socket and folder) after
# the application exits normally, fails, or is killed with SIGTERM.
set -uo pipefail
LOCUS=$1
APP=$2
here=$(dirname "$0")
. "$here/common.sh"
out=$(mktemp -d /tmp/locus-colotest-XXXXXX)
mpipid=""
cleanup() {
    [ -n "$mpipid" ] && kill -KILL -- -"$mpipid" 2>/dev/null
    for f in "$out"/*/rank*.txt; do
        [ -f "$f" ] || continue
        pid=$(awk '{print $2}' "$f"); [ "$pid" -gt 0 ] 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$out"
}
trap cleanup EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi=(mpirun -np 2 --bind-to none)

# After a run: the database process and its folder must be gone.
check_gone() {
    local what=$1 dir=$2
    local pid sock
    pid=$(awk '{print $2}' "$dir/rank0.txt" 2>/dev/null)
    sock=$(awk '{print $5}' "$dir/rank0.txt" 2>/dev/null)
    # The watchdog stops the database and then removes the folder: give it a few seconds.
    for _ in $(seq 100); do alive "$pid" || [ -e "$(dirname "$sock")" ] || break; sleep 0.1; done
    check "$what: database process $pid stopped" bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
    check "$what: socket removed" [ ! -e "$sock" ]
    check "$what: node-local folder removed" [ ! -e "$(dirname "$sock")" ]
}

run_case() { # mode -> exit status
    mkdir -p "$out/$1"
    "${mpi[@]}" "$LOCUS" run --colocated-db --db-cpus 1 --pin-app-cpus -- "$APP" "$out/$1" "$1" >"$out/$1.log" 2>&1
}

# 1. Normal exit.
run_case ok
check "ok: exit status 0" [ $? -eq 0 ]
for r in 0 1; do
    read -r status dbpid mine theirs sock mode <"$out/ok/rank$r.txt" || true
    check "ok: rank $r wrote and read through SSDB" [ "$status" = ok ]
    check "ok: rank $r socket mode 700" [ "$mode" = 700 ]
    ncpu=$(nproc --all)
    if [ "$ncpu" -ge 2 ]; then
        check "ok: rank $r app CPUs ($mine) and database CPUs ($theirs) are disjoint" \
            /usr/bin/python3 -c "
import sys
def cpus(s):
    out=set()
    for part in s.split(','):
        a,_,b=part.partition('-'); out.update(range(int(a), int(b or a)+1))
    return out
sys.exit(0 if cpus('$mine').isdisjoint(cpus('$theirs')) else 1)"
    fi
done
check "ok: both ranks used one database" [ "$(awk '{print $2}' "$out"/ok/rank*.txt | sort -u | wc -l)" = 1 ]
check_gone ok "$out/ok"

# 2. The application fails.
run_case fail
check "fail: non-zero exit status" [ $? -ne 0 ]
check_gone fail "$out/fail"

# 3. SIGTERM while the application runs.
mkdir -p "$out/hang"
setsid "${mpi[@]}" "$LOCUS" run --colocated-db --db-cpus 1 -- "$APP" "$out/hang" hang >"$out/hang.log" 2>&1 &
mpipid=$!
for _ in $(seq 300); do [ -f "$out/hang/rank0.txt" ] && [ -f "$out/hang/rank1.txt" ] && break; sleep 0.1; done
check "hang: both ranks started" [ -f "$out/hang/rank1.txt" ]
kill -TERM "$mpipid"
for _ in $(seq 300); do alive "$mpipid" || break; sleep 0.1; done
check "hang: mpirun ended after SIGTERM" bash -c "! kill -0 $mpipid 2>/dev/null"
mpipid=""
check_gone sigterm "$out/hang"
# 4. A node-local folder someone else made (open to all, or another user's) is refused before anything is
#    started in it: its owner could replace the socket with a listener and capture the AUTH password.
base=${TMPDIR:-${XDG_RUNTIME_DIR:-/tmp}}
for how in open foreign; do
    evil="$base/locus-colo-evil-$how-$$"
    mkdir -m 0777 "$evil"
    chmod 0777 "$evil"
    if [ "$how" = foreign ]; then
        chmod 0700 "$evil"
        [ "$(id -u)" -eq 0 ] && chown nobody "$evil"
    fi
    "$LOCUS" run --colocated-db --key "evil-$how-$$" -- true > "$out/evil-$how.log" 2>&1
    rc=$?
    check "$how folder: refused" [ "$rc" -ne 0 ]
    check "$how folder: the message says why" grep -q "refusing it, since another user" "$out/evil-$how.log"
    check "$how folder: nothing started in it" [ ! -e "$evil/db.sock" ] && [ ! -e "$evil/state.json" ]
    rm -rf "$evil"
done
# Back-to-back runs with one key (as inside one batch job) never race with the previous run's clean-up.
ok=0
for i in $(seq 20); do
    "$LOCUS" run --colocated-db --key "b2b-$$" -- true > "$out/b2b.log" 2>&1 && ok=$((ok + 1))
done
check "20 back-to-back runs with one key: $ok succeeded ($(tail -1 "$out/b2b.log"))" [ "$ok" -eq 20 ]
# Without --colocated-db the application runs, and locus says that no database was started.
"$LOCUS" run -- true > "$out/plain.log" 2>&1
check "no --colocated-db: the application runs" [ $? -eq 0 ]
check "no --colocated-db: says no database was started" grep -q "without starting a database" "$out/plain.log"
# ...while a private folder left by an earlier run of this user is reused
own="$base/locus-colo-own-$$"
mkdir -m 0700 "$own"
"$LOCUS" run --colocated-db --key "own-$$" -- true > "$out/own.log" 2>&1
check "own private folder: accepted" [ $? -eq 0 ]
rm -rf "$own"

[ "$fail" -eq 0 ] || { echo "--- logs"; tail -n 20 "$out"/*.log; }
# The private 0700 socket needs no password (a stock SmartRedis client cannot AUTH): the ranks get none and a
# client without AUTH is served; with --port the database is on TCP and gets a generated password.
"$LOCUS" run --colocated-db -- bash -c 'test -z "${LOCUS_DB_PASSWORD:-}" && redis-cli -s "${SSDB#unix://}" PING' \
    >"$out/nopass.log" 2>&1
check "private socket: no password, a client without AUTH is served" grep -q PONG "$out/nopass.log"
tport=$(free_ports 1)
"$LOCUS" run --colocated-db --port "$tport" -- bash -c \
    'test -n "${LOCUS_DB_PASSWORD:-}" && redis-cli -p '"$tport"' PING' >"$out/tcppass.log" 2>&1
check "TCP: a generated password, a client without AUTH refused" grep -q NOAUTH "$out/tcppass.log"
report launch_colocated
