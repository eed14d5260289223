#!/bin/sh
# A truncated RDB file with tensors, a model and a script must make redis-server refuse to start with Redis's
# own "Internal error in RDB" message and exit status 1, never a crash report ("Guru Meditation", a signal):
# the module's decoders report short reads (REDISMODULE_OPTIONS_HANDLE_IO_ERRORS) instead of Redis panicking
# inside them. The whole file still loads. usage: test_truncated_rdb.sh MODULE.so MODELS_DIR
set -eu
mod=$1
models=$2
tmp=$(mktemp -d /tmp/locus-truncated-rdb-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2> /dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
# In the ASan tree the instrumented module needs the sanitizer runtime (and GnuTLS, see CMakeLists.txt)
# preloaded into the servers, and only into them.
srv=redis-server
if [ -n "${LOCUS_SERVER_PRELOAD:-}" ]; then
    srv="env LD_PRELOAD=$(printf %s "$LOCUS_SERVER_PRELOAD" | tr ' ' ':') ASAN_OPTIONS=detect_leaks=0 redis-server"
fi
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

p=$(port)
mkdir "$tmp/src"
$srv --port "$p" --bind 127.0.0.1 --dir "$tmp/src" --loadmodule "$mod" --logfile "$tmp/src/log" &
pid=$!
for _ in $(seq 100); do redis-cli -p "$p" PING > /dev/null 2>&1 && break; sleep 0.1; done
cli() { redis-cli -p "$p" "$@"; }
cli AI.TENSORSET t FLOAT 2 3 VALUES 1 2 3 4 5 6 > /dev/null
cli AI.TENSORSET big INT32 70000 > /dev/null
cli -x AI.SCRIPTSTORE s CPU ENTRY_POINTS 1 pre_process SOURCE < "$models/script.py" > /dev/null
cli -x AI.MODELSTORE m TORCH CPU BLOB < "$models/linear.pt" > /dev/null
[ "$(cli SAVE)" = OK ] || fail "SAVE failed"
cli SHUTDOWN NOSAVE > /dev/null 2>&1 || true
wait "$pid" || true
pid=
size=$(stat -c %s "$tmp/src/dump.rdb")

n=0
hung=0
for cut in 90 100 110 130 150 170 200 300 500 800 $((size / 3)) $((size / 2)) $((2 * size / 3)) $((size - 300)) \
    $((size - 100)) $((size - 20)) $((size - 9)); do
    [ "$cut" -gt 0 ] && [ "$cut" -lt "$size" ] || continue
    d="$tmp/cut$cut"
    mkdir "$d"
    head -c "$cut" "$tmp/src/dump.rdb" > "$d/dump.rdb"
    set +e
    timeout -s KILL 15 $srv --port "$(port)" --bind 127.0.0.1 --dir "$d" --loadmodule "$mod" \
        --logfile "$d/log" > "$d/out" 2>&1
    rc=$?
    set -e
    # Redis 7.0 runs its RDB checker on a file it refused; the checker loops for ever when the file ends right
    # between two fields of a module value (rdbLoadCheckModuleValue takes the read error for an unknown
    # opcode). The load itself was refused cleanly: count those apart.
    if [ "$rc" -eq 137 ] && grep -q "Unrecoverable error, aborting now" "$d/log"; then
        hung=$((hung + 1))
    else
        [ "$rc" -eq 1 ] || fail "cut at $cut of $size bytes: exit status $rc (log: $(tail -3 "$d/log"))"
    fi
    if grep -q "Guru Meditation\|crashed by signal" "$d/log"; then
        fail "cut at $cut of $size bytes: the server crashed: $(grep -m1 'Guru\|crashed' "$d/log")"
    fi
    grep -q "Internal error in RDB\|Short read\|Unexpected EOF" "$d/log" ||
        fail "cut at $cut: no RDB error in the log: $(tail -3 "$d/log")"
    n=$((n + 1))
done

# the whole file loads and every key is there
p=$(port)
$srv --port "$p" --bind 127.0.0.1 --dir "$tmp/src" --loadmodule "$mod" --logfile "$tmp/src/log2" &
pid=$!
for _ in $(seq 100); do redis-cli -p "$p" PING > /dev/null 2>&1 && break; sleep 0.1; done
[ "$(cli DBSIZE)" = 4 ] || fail "the whole file did not load: $(tail -3 "$tmp/src/log2")"
cli SHUTDOWN NOSAVE > /dev/null 2>&1 || true
wait "$pid" || true
pid=
[ "$hung" -lt "$n" ] || fail "every cut hung in Redis's RDB checker"
echo "truncated RDB files: $n cuts refused without a crash ($hung of them then hung in Redis's own RDB checker" \
    "and were killed); the whole file loads"
