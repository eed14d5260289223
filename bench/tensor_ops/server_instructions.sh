#!/usr/bin/env bash
# bench/tensor_ops/server_instructions: the instructions redis-server spends executing one SET/GET against
# one AI.TENSORSET/AI.TENSORGET BLOB of the same bytes (locus_ai.so loaded), counted by valgrind's callgrind
# inside Redis's call(): the command lookup's result being run, the module's dispatch, the command itself,
# the reply being built, the old value being freed. Reading and parsing the request and writing the reply
# are left out: how much of a large value a read() brings, and so how much Redis moves in its query buffer,
# depends on timing, as do the server's timer events. What is left is the same count on every run, so it
# shows a change in the module's cost that tensor_ops's throughput cannot tell from scheduling noise.
#
# Each figure is (count with N operations - count with none) / N, one server run each.
#
#   server_instructions [--sizes 1024,65536,1048576,4194304] [--ops N]
set -uo pipefail
sizes=1024,65536,1048576,4194304 ops=""
while [ $# -gt 0 ]; do
    case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "server_instructions: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -z "$ops" ] || [ "$ops" -ge 1 ] 2>/dev/null || { echo "server_instructions: --ops must be a positive integer, not '$ops'" >&2; exit 2; }
: "${LOCUS_MODULE_PATH:?server_instructions: set LOCUS_MODULE_PATH to locus_ai.so (the build wrapper does)}"
: "${LOOP:?server_instructions: set LOOP to the tensor_ops_loop program (the build wrapper does)}"
command -v valgrind >/dev/null || { echo "server_instructions: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
REDIS=${REDIS_PATH:-redis-server}
work=$(mktemp -d /tmp/locus-instr-XXXXXX)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# count OP SIZE N -> total instructions of a server run that served N operations (runs in a subshell: it
# stops its own server on every path)
count() {
    local op=$1 size=$2 n=$3 port out pid
    port=$(free_port)
    out=$work/cg.$op.$size.$n
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=call --callgrind-out-file="$out" "$REDIS" --port "$port" --bind 127.0.0.1 --save "" \
        --appendonly no --dir "$work" --loadmodule "$LOCUS_MODULE_PATH" >"$work/server.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
    for _ in $(seq 200); do
        redis-cli -p "$port" PING >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! "$LOOP" "$port" "$op" "$size" "$n"; then
        echo "server_instructions: the $op loop failed; the server's log ends:" >&2
        tail -5 "$work/server.log" >&2
        exit 1
    fi
    redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
    wait "$pid"
    trap - EXIT
    sed -n 's/^summary: //p; s/^totals: //p' "$out" | head -1
}

printf '%-4s %9s %6s %14s %14s %8s\n' op size ops "plain instr/op" "tensor instr/op" "ratio"
IFS=, read -ra list <<<"$sizes"
for size in "${list[@]}"; do
    n=${ops:-$(( size >= 1048576 ? 100 : 1000 ))}
    for kind in set get; do
        base_p=$(count "$kind" "$size" 0) || exit 1
        base_t=$(count "t$kind" "$size" 0) || exit 1
        plain=$(count "$kind" "$size" "$n") || exit 1
        tensor=$(count "t$kind" "$size" "$n") || exit 1
        awk -v k="$kind" -v s="$size" -v n="$n" -v bp="$base_p" -v bt="$base_t" -v p="$plain" -v t="$tensor" \
            'BEGIN { pp = (p - bp) / n; tt = (t - bt) / n;
                     printf "%-4s %9d %6d %14.0f %14.0f %8.3f\n", k, s, n, pp, tt, pp / tt }'
    done
done
echo "ratio: plain instructions per op over tensor instructions per op (below 1: the tensor command costs more)"
