#!/usr/bin/env bash
# locus db start --shards 3 --replicas 1 --persist aof on loopback survives losing primaries. Two liblocus
# clients (failover_client) put and get tensors without pause while a primary is killed with SIGKILL; they must
# see no failed operation outside the failover window, reach the promoted replica, and find every write they
# were acknowledged, with its value. Phases: (1) a primary is lost; (2) it comes back from its AOF as a replica
# of the promoted one, which clients already running wait for, and when it lags (stopped for a second) and the
# promoted one is lost too it takes over again; (3) another shard's replica lags when its primary is lost;
# (4) the database is stopped and started again from the AOFs (each shard from its last primary's folder) and
# every acknowledged write of 1-3 is read back. Redis replicates asynchronously, so only liblocus's WAIT for
# the replicas keeps the writes of the lagging moments (without it 4,398 of 57,543 were lost in 3). Status,
# env and stop are checked around it. Prints the failover windows, stalls and counts. LOCUS_TEST_KEEP=1 keeps
# the folder (logs, state, client logs) for a look after a failure.
set -uo pipefail
LOCUS=$1
CLIENT=$2
here=$(dirname "$0")
. "$here/common.sh"
base=$(mktemp -d /tmp/locus-failover-XXXXXX)
dir=$base/db
state=$dir/locus-db.json
clients=()
restarted=
cleanup() {
    for p in "${clients[@]}"; do kill -9 "$p" 2>/dev/null; done
    if [ -f "$state" ]; then
        # a server this test stopped must run again to be shut down
        for p in $(json_field "$state" '" ".join(str(s["pid"]) for s in d["shards"])'); do kill -CONT "$p" 2>/dev/null; done
        "$LOCUS" db stop --dir "$dir" >/dev/null 2>&1
    fi
    [ -n "$restarted" ] && kill -9 "$restarted" 2>/dev/null
    if [ -n "${LOCUS_TEST_KEEP:-}" ]; then echo "kept $base" >&2; else rm -rf "$base"; fi
}
trap cleanup EXIT
now() { date +%s.%N; }
pid_of() { json_field "$state" "d['shards'][$1]['pid']"; }
role_of() { # ROLE of the server on port $1: master, slave or nothing
    redis-cli --no-auth-warning -a "$LOCUS_DB_PASSWORD" -p "$1" ROLE 2>/dev/null | head -1
}
status_role() { "$LOCUS" db status --dir "$dir" --json | json_field /dev/stdin "d['shards'][$1]['role']"; }

# Refused combinations, named.
out=$("$LOCUS" db start --dir "$base/bad" --shards 2 --replicas 1 2>&1)
check "--replicas with 2 shards refused, naming the majority problem" grep -q "needs --shards 3 or more (given 2).*majority" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --replicas 1 2>&1)
check "--replicas without --shards refused" grep -q "needs --shards 3 or more (given 1)" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --shards 40 --replicas 1 2>&1)
check "too many servers refused" grep -q "makes 80 servers; at most 64" <<<"$out"
check "no folder left by refused starts" [ ! -e "$base/bad" ]

port=$(free_ports 6)
t0=$(now)
if ! "$LOCUS" db start --dir "$dir" --shards 3 --replicas 1 --persist aof --port "$port" >"$base/env.sh" \
    2>"$base/start.log"; then
    cat "$base/start.log" >&2
    check "start 3 shards with 1 replica each" false
    report launch_failover
    exit 1
fi
echo "start: $(echo "$(now) - $t0" | bc) s"
check "start says shards and replicas" grep -q "3 shards with 1 replica each (6 servers) running" "$base/start.log"
. "$base/env.sh"
check "state lists 6 servers" [ "$(json_field "$state" 'len(d["shards"])')" = 6 ]
check "state: servers 3-5 follow 0-2" [ "$(json_field "$state" '[s.get("replica_of") for s in d["shards"]]')" = \
    "[None, None, None, 0, 1, 2]" ]
check "replica folders named after their shard" [ -f "$dir/shard-2-replica-1/redis.conf" ]
check "cluster-node-timeout 2000 with replicas" grep -qx "cluster-node-timeout 2000" "$dir/shard-0-replica-1/redis.conf"
check "replicas keep an AOF too" grep -qx "appendonly yes" "$dir/shard-1-replica-1/redis.conf"
roles=$("$LOCUS" db status --dir "$dir" --json | json_field /dev/stdin '",".join(s["role"] for s in d["shards"])')
check "status shows roles (got $roles)" [ "$roles" = "primary,primary,primary,replica of 0,replica of 1,replica of 2" ]
check "status table has a role column" grep -q " up    replica of 2 " <("$LOCUS" db status --dir "$dir")
check "SSDB lists the 3 primaries" [ "$SSDB" = "127.0.0.1:$port,127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))" ]
check "env prints what start printed" diff <("$LOCUS" db env --dir "$dir") "$base/env.sh"

# run_clients NAME ELEMENTS SECONDS [TAG]: two clients in the background (keys NAMEa:n and NAMEb:n, all in
# TAG's slot when given); judge NAME KILL_TIME PROMOTED_TIME after.
export SR_CMD_INTERVAL=100 # retries every 100 ms, so the window is measured to that (the default is 1000)
run_clients() {
    clients=()
    for c in a b; do
        local prefix=$1$c
        [ -n "${4:-}" ] && prefix="{$4}$prefix"
        echo "$prefix $2" >"$base/$1$c.key"
        "$CLIENT" "$prefix" "$3" "$2" "$base/$1$c.log" "$base/$1$c.acked" >"$base/$1$c.out" 2>&1 &
        clients+=($!)
    done
}
tag_for() { # SHARD: a hash tag in the middle of the slots shard SHARD serves (the even split of 3)
    local t=0 lo=$(($1 * 16384 / 3 + 10)) hi=$((($1 + 1) * 16384 / 3 - 10)) slot
    while :; do
        slot=$(redis-cli --no-auth-warning -a "$LOCUS_DB_PASSWORD" -p "$port" CLUSTER KEYSLOT "{$t}")
        [ "$slot" -ge $lo ] && [ "$slot" -le $hi ] && break
        t=$((t + 1))
    done
    echo $t
}
judge() { # NAME KILL PROMOTED
    local name=$1 kill=$2 promoted=$3
    for p in "${clients[@]}"; do wait "$p"; done
    clients=()
    for c in a b; do
        local out=$base/$name$c.out log=$base/$name$c.log
        local summary
        summary=$(tail -1 "$out")
        echo "$name$c: $summary"
        check "$name$c: client ran" grep -q '^acked=' <<<"$summary"
        eval "$(tr ' ' '\n' <<<"$summary" | grep -E '^[a-z_]+=[0-9]+$')"
        check "$name$c: acknowledged writes" [ "${acked:-0}" -gt 100 ]
        check "$name$c: no acknowledged write lost ($lost)" [ "$lost" -eq 0 ]
        check "$name$c: every value as written ($wrong wrong, $mismatched mismatched reads)" \
            [ "$wrong" -eq 0 ] && [ "$mismatched" -eq 0 ]
        # the stall that holds the kill (writes to other shards may go on for a moment after it)
        local gap_from=0 gap_to=0 window
        read -r _ gap_from gap_to < <(awk -v k="$kill" '$1 == "gap" && $2 <= k + 0.5 && $3 >= k' "$log")
        check "$name$c: a stall holds the kill" [ "${gap_to:-0}" != 0 ]
        window=$(echo "${gap_to:-0} - $kill" | bc)
        echo "$name$c: no acknowledged write from $(echo "${gap_from:-0} - $kill" | bc) s to $window s after the kill" \
            "(replica promoted at $(echo "$promoted - $kill" | bc) s); failed operations: $((put_failed + get_failed))"
        awk -v k="$kill" '$1 == "gap" && !($2 <= k + 0.5 && $3 >= k) {
            printf "  and a stall of %.1f s from %.1f s\n", $3 - $2, $2 - k }' "$log"
        check "$name$c: served again within 15 s ($window s)" [ "$(echo "$window < 15" | bc)" = 1 ]
        check "$name$c: reached the promoted replica within 2 s of its promotion" \
            [ "$(echo "${gap_to:-0} < $promoted + 2" | bc)" = 1 ]
        # a failed operation is allowed only inside the window
        local outside
        outside=$(awk -v a="${gap_from:-0}" -v b="${gap_to:-0}" '$1 == "fail" && ($4 < a || $5 > b + 0.01)' "$log" | wc -l)
        check "$name$c: no failed operation outside the window ($outside)" [ "$outside" -eq 0 ]
        awk '$1 == "fail"' "$log" | head -3 >&2
    done
}
# kill_primary PID REPLICA_PID REPLICA_PORT [lag]: SIGKILL a primary (after stopping its replica for a second
# with lag); prints "KILL_TIME PROMOTED_TIME" once the replica calls itself master.
kill_primary() {
    local t
    if [ "${4:-}" = lag ]; then
        kill -STOP "$2"
        sleep 1
    fi
    t=$(now)
    kill -9 "$1"
    [ "${4:-}" = lag ] && kill -CONT "$2"
    for _ in $(seq 600); do
        [ "$(role_of "$3")" = master ] && break
        sleep 0.05
    done
    echo "$t $(now)"
}

# 1. A primary is lost mid-run.
run_clients kill 256 10
sleep 3
read -r killed promoted < <(kill_primary "$(pid_of 1)" "$(pid_of 4)" $((port + 4)))
check "shard 1's replica became a primary" [ "$(role_of $((port + 4)))" = master ]
judge kill "$killed" "$promoted"
"$LOCUS" db status --dir "$dir" >"$base/status.txt"
check "status exits 3 with a server down" [ $? -eq 3 ]
check "status: the lost primary is down" grep -q "^1 .* down " "$base/status.txt"
check "status: its replica is the primary now" [ "$(status_role 4)" = primary ]
ssdb=$("$LOCUS" db env --dir "$dir" | sed -n 's/^export SSDB="\(.*\)"$/\1/p')
check "env: SSDB lists the primaries now ($ssdb)" \
    [ "$ssdb" = "127.0.0.1:$port,127.0.0.1:$((port + 2)),127.0.0.1:$((port + 4))" ]

# 2. The lost server comes back (from its AOF and cluster config) and follows the promoted replica. Clients
# writing to that shard since before learn of it (liblocus reads the map of a replicated cluster again before a
# write when it is 1 s old) and wait for it too, so when it lags and the promoted replica is lost as well, it
# takes over again without losing an acknowledged write.
run_clients back 2048 14 "$(tag_for 1)"
sleep 1
redis-server "$(json_field "$state" "d['shards'][1]['conf']")" >/dev/null 2>&1 &
restarted=$!
for _ in $(seq 300); do
    [ "$(status_role 1)" = "replica of 4" ] && redis-cli --no-auth-warning -a "$LOCUS_DB_PASSWORD" -p "$port" \
        CLUSTER SLOTS | grep -qx "$((port + 1))" && break
    sleep 0.1
done
check "the lost server is back as a replica of the promoted one" [ "$(status_role 1)" = "replica of 4" ]
sleep 2
read -r killed promoted < <(kill_primary "$(pid_of 4)" "$restarted" $((port + 1)) lag)
check "the server back is shard 1's primary again" [ "$(status_role 1)" = primary ]
judge back "$killed" "$promoted"

# 3. A replica lags (stopped for a second) when its primary is lost. Every key goes to that shard, 16 KiB
# each, so the writes of that second fill the sockets' buffers and stay in the primary's memory.
run_clients lag 2048 10 "$(tag_for 2)"
sleep 3
read -r killed promoted < <(kill_primary "$(pid_of 2)" "$(pid_of 5)" $((port + 5)) lag)
check "shard 2's replica became a primary" [ "$(role_of $((port + 5)))" = master ]
judge lag "$killed" "$promoted"

# stop_all WHAT: locus db stop, then no server process and no port left
stop_all() {
    local pids gone=1
    pids="$(json_field "$state" '" ".join(str(s["pid"]) for s in d["shards"])') $restarted"
    "$LOCUS" db stop --dir "$dir" 2>"$base/stop.log"
    check "$1: stop exits 0" [ $? -eq 0 ]
    check "$1: stop names 6 servers" grep -q "stopped 6 shards" "$base/stop.log"
    sleep 0.5
    for p in $pids; do alive "$p" && [ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" != Z ] && gone=0; done
    check "$1: no server left running" [ $gone -eq 1 ]
    for k in 0 1 2 3 4 5; do
        check "$1: port $((port + k)) closed" bash -c "! redis-cli -p $((port + k)) PING >/dev/null 2>&1"
    done
}
stop_all "after the failovers (the restarted server included)"
restarted=

# 4. Started again from the AOFs: shard 2 starts from its promoted replica's folder (the newest data; shard 1's
# primary is in shard-1 again) and every write acknowledged in 1, 2 and 3 is there.
t0=$(now)
if "$LOCUS" db start --dir "$dir" --shards 3 --replicas 1 --persist aof --port "$port" >"$base/env.sh" \
    2>"$base/start.log"; then
    echo "restart: $(echo "$(now) - $t0" | bc) s"
    check "restart: shard 2 (only) starts from its last primary's data" \
        [ "$(grep "starts from the data of replica 1" "$base/start.log" | cut -d' ' -f5 | tr '\n' ' ')" = "2 " ]
    . "$base/env.sh"
    for name in killa killb backa backb laga lagb; do
        read -r prefix elements <"$base/$name.key"
        summary=$("$CLIENT" --check "$prefix" "$elements" "$base/$name.acked" | tail -1)
        echo "$name after the restart: $summary"
        acked=$(sed -n 's/.*acked=\([0-9]*\).*/\1/p' "$base/$name.out")
        check "$name: every acknowledged write back after the restart" [ "$summary" = "checked=$acked lost=0 wrong=0" ]
    done
    stop_all "after the restart"
else
    cat "$base/start.log" >&2
    check "restart from the AOFs" false
fi
report launch_failover
