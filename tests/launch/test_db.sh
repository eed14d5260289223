#!/usr/bin/env bash
# locus db start/status/env/stop with 1, 2 and 3 shards on loopback: state file privacy, status table and
# JSON, env lines that a client uses to write and read through the database (cluster redirects included),
# AUTH required, and nothing left running after stop (which is safe to repeat).
set -uo pipefail
LOCUS=$1
ENV_CLIENT=${2:-} # tests/launch/env_client (liblocus); without it the liblocus checks are not run
here=$(dirname "$0")
. "$here/common.sh"
base=$(mktemp -d /tmp/locus-dbtest-XXXXXX)
cleanup() {
    for d in "$base"/db*; do [ -d "$d" ] && "$LOCUS" db stop --dir "$d" >/dev/null 2>&1; done
    rm -rf "$base"
}
trap cleanup EXIT

for n in 1 2 3; do
    dir=$base/db$n
    port=$(free_ports "$n")
    if ! "$LOCUS" db start --dir "$dir" --shards "$n" --port "$port" >"$base/env$n.sh" 2>"$base/start$n.log"; then
        cat "$base/start$n.log" >&2
        check "start $n shards" false
        continue
    fi
    check "start $n shards" true
    state=$dir/locus-db.json
    check "$n: state file is private (0600)" [ "$(stat -c %a "$state")" = 600 ]
    check "$n: state dir is private (0700)" [ "$(stat -c %a "$dir")" = 700 ]
    check "$n: conf is private (0600)" [ "$(stat -c %a "$dir/shard-0/redis.conf")" = 600 ]
    check "$n: state lists $n shards" [ "$(json_field "$state" 'len(d["shards"])')" = "$n" ]
    check "$n: cluster flag" [ "$(json_field "$state" 'd["cluster"]')" = "$([ "$n" -gt 1 ] && echo True || echo False)" ]

    "$LOCUS" db status --dir "$dir" >"$base/status$n.txt"
    check "$n: status exits 0 when all shards are up" [ $? -eq 0 ]
    check "$n: status shows $n shards up" [ "$(grep -c ' up ' "$base/status$n.txt")" -eq "$n" ]
    ups=$("$LOCUS" db status --dir "$dir" --json | /usr/bin/python3 -c 'import json,sys; print(sum(s["state"]=="up" for s in json.load(sys.stdin)["shards"]))')
    check "$n: status --json shows $n up" [ "$ups" = "$n" ]
    check "$n: env prints what start printed" diff <("$LOCUS" db env --dir "$dir") "$base/env$n.sh"
    check "$n: env --format slurm" grep -q '^#SBATCH --export=ALL,SSDB=' <("$LOCUS" db env --dir "$dir" --format slurm)
    # sbatch --export and qsub -v split at every comma: one address only, no quotes (Slurm would keep them)
    check "$n: env --format slurm has one address" bash -c "'$LOCUS' db env --dir '$dir' --format slurm | grep '^#SBATCH' | grep -qv '\"' && [ \$('$LOCUS' db env --dir '$dir' --format slurm | grep '^#SBATCH' | grep -o 'SSDB=[^,]*,SR_DB_TYPE' | wc -l) = 1 ]"
    check "$n: env --format pbs has one address" bash -c "[ \$('$LOCUS' db env --dir '$dir' --format pbs | grep '^#PBS' | grep -o 'SSDB=[^,]*,SR_DB_TYPE' | wc -l) = 1 ]"

    # A client configured only from the env lines writes and reads through the database.
    (
        . "$base/env$n.sh"
        first=${SSDB%%,*}
        h=${first%:*}
        p=${first##*:}
        cli=(redis-cli -c --no-auth-warning -a "$LOCUS_DB_PASSWORD" -h "$h" -p "$p")
        for k in alpha beta gamma delta epsilon; do
            [ "$("${cli[@]}" SET "key:$k" "value-$k")" = OK ] || exit 1
            [ "$("${cli[@]}" GET "key:$k")" = "value-$k" ] || exit 1
        done
        "${cli[@]}" AI.TENSORSET "t{x}" FLOAT 2 VALUES 1.5 2 >/dev/null || exit 1
        [ "$("${cli[@]}" AI.TENSORGET "t{x}" VALUES | tr '\n' ' ')" = "1.5 2 " ] || exit 1
        [ "$SR_DB_TYPE" = "$([ "$n" -gt 1 ] && echo Clustered || echo Standalone)" ] || exit 1
        # Without the password the server refuses.
        redis-cli -h "$h" -p "$p" GET key:alpha 2>&1 | grep -q NOAUTH || exit 1
    )
    check "$n: a client uses the env settings; no password is refused" [ $? -eq 0 ]
    # Client limits sized for tensors, not unlimited (one client could take the node's memory).
    (
        . "$base/env$n.sh"
        first=${SSDB%%,*}
        cli=(redis-cli --no-auth-warning -a "$LOCUS_DB_PASSWORD" -h "${first%:*}" -p "${first##*:}")
        [ "$("${cli[@]}" CONFIG GET proto-max-bulk-len | tail -1)" = 1073741824 ] || exit 1
        [ "$("${cli[@]}" CONFIG GET client-query-buffer-limit | tail -1)" = 2147483648 ] || exit 1
        "${cli[@]}" CONFIG GET client-output-buffer-limit | tail -1 |
            grep -Eq "normal 4294967296 2147483648 60 (replica|slave) 4294967296 1073741824 60" || exit 1
    )
    check "$n: tensor-sized client limits (1gb bulk, 2gb query, 4gb/2gb normal output)" [ $? -eq 0 ]
    if [ -n "$ENV_CLIENT" ]; then
        (. "$base/env$n.sh" && "$ENV_CLIENT" rw)
        check "$n: liblocus reads and writes with only the env settings" [ $? -eq 0 ]
        (. "$base/env$n.sh" && "$ENV_CLIENT" noauth 2>"$base/noauth$n.log")
        check "$n: liblocus without the password is refused" [ $? -eq 0 ]
        check "$n: the refusal says where the password comes from" grep -q "set LOCUS_DB_PASSWORD" "$base/noauth$n.log"
    fi

    pids=$(json_field "$state" '" ".join(str(s["pid"]) for s in d["shards"])')
    "$LOCUS" db stop --dir "$dir" 2>/dev/null
    check "$n: stop exits 0" [ $? -eq 0 ]
    gone=1
    for p in $pids; do alive "$p" && gone=0; done
    check "$n: no shard process left" [ $gone -eq 1 ]
    "$LOCUS" db status --dir "$dir" >/dev/null
    check "$n: status exits 3 when shards are down" [ $? -eq 3 ]
    check "$n: second stop is safe" "$LOCUS" db stop --dir "$dir" 2>/dev/null
    out=$("$LOCUS" db env --dir "$dir" 2>&1)
    check "$n: env of a stopped database fails, naming it" [ $? -ne 0 ] && grep -q "is stopped" <<<"$out" &&
        ! grep -q SSDB <<<"$out"
    check "$n: state says stopped" [ "$(json_field "$state" 'd["status"]')" = stopped ]
done

# Bad input is refused with a message naming it.
out=$("$LOCUS" db start 2>&1); check "missing --dir named" grep -q -- "--dir is required" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --shards 0 2>&1); check "shards 0 refused" grep -q "needs an integer" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --launcher lsf 2>&1); check "unknown launcher named" grep -q "unknown launcher 'lsf'" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --shards 2 --unix-socket /tmp/x.sock 2>&1); check "socket with a cluster refused" grep -q "one shard" <<<"$out"
out=$("$LOCUS" db status --dir "$base/nothing" 2>&1); check "status of an empty dir" grep -q "no database state" <<<"$out"
out=$("$LOCUS" db start --dir "$base/bad" --launcher local --hosts nodeA,nodeB 2>&1)
check "other hosts with the local launcher refused" grep -q "the local launcher starts every shard on this machine" <<<"$out"
# two names of this machine: two shards, two ports (they used to get one port)
port=$(free_ports 2)
if "$LOCUS" db start --dir "$base/dbhosts" --launcher local --hosts localhost,127.0.0.1 --shards 2 --port "$port" \
    --password none >/dev/null 2>"$base/hosts.log"; then
    check "local --hosts localhost,127.0.0.1: shards on two ports" \
        [ "$(json_field "$base/dbhosts/locus-db.json" 'sorted(s["port"] for s in d["shards"])')" = "[$port, $((port + 1))]" ]
    "$LOCUS" db stop --dir "$base/dbhosts" >/dev/null 2>&1
else
    check "start with local --hosts localhost,127.0.0.1: $(tail -2 "$base/hosts.log")" false
fi
# A port in use is named.
port=$(free_ports 1)
/usr/bin/python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(5)" &
sleeper=$!
sleep 0.3
out=$("$LOCUS" db start --dir "$base/busy" --port "$port" 2>&1); check "busy port named" grep -q "port $port on 127.0.0.1 is in use" <<<"$out"
check "a start that failed before launching leaves no folder behind" [ ! -e "$base/busy" ]
kill $sleeper 2>/dev/null
# --redis-arg overrides a default limit.
port=$(free_ports 1)
if "$LOCUS" db start --dir "$base/dbarg" --port "$port" --password none --redis-arg 'proto-max-bulk-len 4gb' \
    >/dev/null 2>"$base/arg.log"; then
    check "--redis-arg overrides proto-max-bulk-len" \
        [ "$(redis-cli -p "$port" CONFIG GET proto-max-bulk-len | tail -1)" = 4294967296 ]
    # no password: env unsets one left from another database
    check "env of a database without a password unsets LOCUS_DB_PASSWORD" \
        bash -c "export LOCUS_DB_PASSWORD=old; eval \"\$('$LOCUS' db env --dir '$base/dbarg')\"; [ -z \"\${LOCUS_DB_PASSWORD+x}\" ]"
    check "csh env unsets it too" grep -qx "unsetenv LOCUS_DB_PASSWORD" <("$LOCUS" db env --dir "$base/dbarg" --format csh)
    "$LOCUS" db stop --dir "$base/dbarg" >/dev/null 2>&1
else
    check "start with --redis-arg: $(cat "$base/arg.log")" false
fi
# --persist aof: a shard killed with SIGKILL and started again from its own config has every write it
# acknowledged (appendfsync everysec: writes older than a second are on disk); rdb writes snapshots; a bad
# value is refused.
port=$(free_ports 1)
if "$LOCUS" db start --dir "$base/dbaof" --port "$port" --password none --persist aof >/dev/null 2>"$base/aof.log"; then
    for i in $(seq 200); do redis-cli -p "$port" AI.TENSORSET "t$i" INT32 2 VALUES "$i" 7 >/dev/null; done
    sleep 1.5
    pid=$(json_field "$base/dbaof/locus-db.json" 'd["shards"][0]["pid"]')
    kill -9 "$pid"
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    conf=$(json_field "$base/dbaof/locus-db.json" 'd["shards"][0]["conf"]')
    redis-server "$conf" --daemonize yes >/dev/null
    for _ in $(seq 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
    check "--persist aof: 200 tensors back after kill -9" [ "$(redis-cli -p "$port" DBSIZE)" = 200 ]
    check "--persist aof: values intact" [ "$(redis-cli -p "$port" AI.TENSORGET t137 VALUES | head -1)" = 137 ]
    redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
    "$LOCUS" db stop --dir "$base/dbaof" >/dev/null 2>&1
else
    check "start with --persist aof: $(cat "$base/aof.log")" false
fi
port=$(free_ports 1)
if "$LOCUS" db start --dir "$base/dbrdb" --port "$port" --password none --persist rdb >/dev/null 2>"$base/rdb.log"; then
    check "--persist rdb: snapshots configured" \
        [ "$(redis-cli -p "$port" CONFIG GET save | tail -1)" = "900 1 300 100 60 10000" ]
    "$LOCUS" db stop --dir "$base/dbrdb" >/dev/null 2>&1
else
    check "start with --persist rdb: $(cat "$base/rdb.log")" false
fi
out=$("$LOCUS" db start --dir "$base/bad" --persist always 2>&1); check "bad --persist named" grep -q "persist 'always'" <<<"$out"
report launch_db
