#!/usr/bin/env bash
# bench/throughput_vs_redis: aggregate GB/s of `locus bench throughput_colocated` (Unix socket, 2 clients,
# 1 KiB / 64 KiB / 1 MiB float tensors, put_tensor + unpack_tensor per iteration) against redis-benchmark
# SET + GET with the same value size and client count, on the same kind of server: a database started by
# `locus run --colocated-db` (same configuration, module loaded, pinned to one CPU, the clients pinned to the
# others). Rounds alternate the two sides; the ratio reported is the median over rounds. Target: >= 0.85.
#
# redis-benchmark's GB/s for a SET+GET pair of V bytes: 2 V / (1/SET_rps + 1/GET_rps), the same bytes over
# the same sequence of calls that one locus iteration (put then unpack) makes; locus's figure is the run's
# aggregate_gb_s (bytes moved by all ranks over the slowest rank's time in the two calls).
#
#   throughput_vs_redis [--rounds R] [--seconds S] [--sizes 1024,65536,1048576] [--clients N] [--no-pin]
#                       [--out DIR]
set -uo pipefail
LOCUS=${LOCUS:-locus}
rounds=5 seconds=2 sizes=1024,65536,1048576 clients=2 pin=True out=""
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --no-pin) pin=False; shift ;;
    --out) out=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "throughput_vs_redis: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
command -v redis-benchmark >/dev/null || { echo "throughput_vs_redis: redis-benchmark not found (apt-get install redis-tools)" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d /tmp/locus-tvr-XXXXXX)
mkdir -p "$out"
csv=$out/rounds.csv
echo "round,bytes,side,gb_s" >"$csv"
pin_flag=(); [ "$pin" = True ] && pin_flag=(--pin-app-cpus)

# Iterations (locus) and requests (redis-benchmark) per size so that one side takes about --seconds; sized
# by a short probe of redis-benchmark in the first round.
declare -A reqs
rb() { # rb BYTES REQUESTS -> "SET_rps GET_rps"
    "$LOCUS" run --colocated-db --db-cpus 1 "${pin_flag[@]}" -- sh -c \
        'exec redis-benchmark -s "${SSDB#unix://}" ${LOCUS_DB_PASSWORD:+-a "$LOCUS_DB_PASSWORD"} -c "$1" -n "$2" -d "$3" -t set,get --csv' \
        sh "$clients" "$2" "$1" 2>/dev/null |
        awk -F'"' '$2 == "SET" { s = $4 } $2 == "GET" { g = $4 } END { print s, g }'
}
gbs_of() { awk -v b="$1" -v s="$2" -v g="$3" 'BEGIN { if (s > 0 && g > 0) printf "%.6f", 2 * b / (1 / s + 1 / g) / 1e9; else print 0 }'; }

IFS=, read -r -a size_list <<<"$sizes"
for b in "${size_list[@]}"; do
    read -r s g < <(rb "$b" 2000)
    [ -n "$s" ] || { echo "throughput_vs_redis: redis-benchmark gave no result (is the module built? LOCUS_MODULE_PATH)" >&2; exit 1; }
    # pairs per second ~ 1 / (1/s + 1/g); requests for `seconds` of SET + GET
    reqs[$b]=$(awk -v s="$s" -v g="$g" -v t="$seconds" 'BEGIN { n = int(t / (1 / s + 1 / g)); if (n < 200) n = 200; print n }')
done

for r in $(seq 1 "$rounds"); do
    for b in "${size_list[@]}"; do
        n=${reqs[$b]}
        iters=$(( (n + clients - 1) / clients ))
        sides=(locus redis)
        [ $((r % 2)) -eq 0 ] && sides=(redis locus) # alternate which side goes first
        for side in "${sides[@]}"; do
            if [ "$side" = redis ]; then
                read -r s g < <(rb "$b" "$n")
                v=$(gbs_of "$b" "$s" "$g")
            else
                rd="$out/locus-r$r-b$b"
                rm -rf "$rd"
                "$LOCUS" bench throughput_colocated --launcher=local --nodes=[1] --clients_per_node=[$clients] \
                    --db_cpus=[1] --pin_app_cpus=[$pin] --tensor_bytes=[$b] --iterations=$iters --languages=[c] \
                    --results-dir "$rd" >"$rd.log" 2>&1 ||
                    { echo "throughput_vs_redis: locus bench failed, see $rd.log" >&2; exit 1; }
                v=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "aggregate_gb_s") c = i; next }
                             $c > 0 { print $c; exit }' "$rd"/*/run-*/results.csv)
            fi
            echo "$r,$b,$side,$v" >>"$csv"
            printf '\rround %d/%d  %8d bytes  %-5s %.3f GB/s   ' "$r" "$rounds" "$b" "$side" "$v" >&2
        done
    done
done
printf '\r%60s\r' '' >&2

/usr/bin/python3 - "$csv" "$out" <<'PY'
import csv, statistics, subprocess, sys
path, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
sizes = sorted({int(r["bytes"]) for r in rows})
table = []
print(f"{'bytes':>9} {'locus GB/s':>11} {'redis GB/s':>11} {'ratio':>7} {'worst':>7}   (median over {len({r['round'] for r in rows})} rounds)")
ok = True
for b in sizes:
    per = {}
    for r in rows:
        if int(r["bytes"]) == b:
            per.setdefault(r["round"], {})[r["side"]] = float(r["gb_s"])
    ratios = [v["locus"] / v["redis"] for v in per.values() if v.get("redis")]
    loc = statistics.median(v["locus"] for v in per.values())
    red = statistics.median(v["redis"] for v in per.values())
    med = statistics.median(ratios)
    ok &= med >= 0.85
    table.append((b, loc, red, med))
    print(f"{b:>9} {loc:>11.3f} {red:>11.3f} {med:>7.3f} {min(ratios):>7.3f}")
with open(out + "/summary.csv", "w") as f:
    f.write("bytes,locus_gb_s,redis_gb_s,ratio\n")
    for t in table:
        f.write("%d,%.6f,%.6f,%.4f\n" % t)
gp = f"""set terminal pngcairo size 800,500
set output '{out}/throughput_vs_redis.png'
set datafile separator ','
set logscale x 2
set logscale y
set format x '%.0b %BB'
set offsets graph 0.05, graph 0.05, 0, 0
set grid
set key top left
set xlabel 'value / tensor bytes'
set ylabel 'aggregate GB/s'
set title 'throughput_colocated vs redis-benchmark SET+GET (Unix socket, same server)' noenhanced
plot '{out}/summary.csv' every ::1 using 1:2 with linespoints title 'locus put+unpack', \\
     '' every ::1 using 1:3 with linespoints title 'redis-benchmark SET+GET'
"""
try:
    subprocess.run(["gnuplot"], input=gp.encode(), check=True)
    print(f"plot: {out}/throughput_vs_redis.png")
except (OSError, subprocess.CalledProcessError) as e:
    print(f"no plot ({e})")
print(f"rounds: {path}; locus runs (tables, plots): {out}/locus-r*")
print("target >= 0.85 at every size: " + ("met" if ok else "NOT met"))
PY
