#!/usr/bin/env bash
# End-to-end runs of `locus bench` with tiny parameters (2 ranks, 5 iterations) for each test and both
# languages: every expected file exists, each timing CSV has iterations rows per function and rank,
# the statistics agree with the raw rows, results.csv covers every session, the plots are PNGs, and no
# database is left running.
#   test_bench.sh LOCUS TEST [languages]
set -uo pipefail
LOCUS=$1
TEST=$2
LANGS=${3:-[c,fortran]}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../launch/common.sh"
out=$(mktemp -d /tmp/locus-benchtest-XXXXXX)
cleanup() {
    for d in "$out"/results/*/run-*/database-*; do [ -d "$d" ] && "$LOCUS" db stop --dir "$d" >/dev/null 2>&1; done
    rm -rf "$out"
}
trap cleanup EXIT
iters=5
port=$(free_ports 3)
common=(--launcher=local --iterations=$iters --tensor_bytes=[1024,4096] "--languages=$LANGS" --results-dir "$out/results")
case $TEST in inference*)
    iters=3
    common=(--launcher=local --iterations=$iters --device=CPU "--languages=$LANGS" --results-dir "$out/results") ;;
esac
case $TEST in
throughput_colocated)
    args=(--nodes=[1] --clients_per_node=[2] --db_cpus=[1] --pin_app_cpus=[False]) ;;
throughput_standard)
    args=(--client_nodes=[1] --clients_per_node=[2] --db_nodes=[1,2] --db_cpus=[1] --run_db_as_batch=False
          --net_ifname=lo --db_port=$port) ;;
aggregation)
    args=(--client_nodes=[1] --clients_per_node=[2] --db_nodes=[1] --db_cpus=[1] --run_db_as_batch=False
          --net_ifname=lo --db_port=$port --tensors_per_dataset=[2] --client_threads=[1,2]) ;;
inference_colocated)
    args=(--nodes=[1] --clients_per_node=[2] --db_cpus=[1] --batch_size=[1]) ;;
inference_standard)
    args=(--client_nodes=[1] --clients_per_node=[2] --db_nodes=[1,3] --db_cpus=[1] --batch_size=[1]
          --run_db_as_batch=False --net_ifname=lo --db_port=$port) ;;
esac
"$LOCUS" bench "$TEST" "${args[@]}" "${common[@]}" >"$out/stdout.txt" 2>"$out/stderr.txt"
rc=$?
check "$TEST: exit status 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { tail -n 30 "$out/stderr.txt"; for f in "$out"/results/*/run-*/*/app.log; do tail -n 5 "$f"; done; }
run=$(ls -d "$out"/results/*/run-* 2>/dev/null | head -1)
check "$TEST: run directory" [ -d "$run" ]
check "$TEST: run.cfg has flags and host" bash -c "grep -q '^\[flags\]' '$run/run.cfg' && grep -q '^hostname' '$run/run.cfg' && grep -q '^locus_version' '$run/run.cfg'"
check "$TEST: progress lines" grep -q '^\[1/' "$out/stderr.txt"
check "$TEST: run.cfg records the whole command" grep -q "^command = locus bench $TEST --" "$run/run.cfg"
nsess=$(ls -d "$run"/*/session.cfg 2>/dev/null | wc -l)
nlang=$(tr -cd ',' <<<"$LANGS" | wc -c); nlang=$((nlang + 1))
case $TEST in
throughput_standard) expect=$((2 * 2 * nlang)) ;;   # db_nodes x sizes x languages
inference_standard) expect=$((2 * nlang)) ;;        # db_nodes x languages
inference_colocated) expect=$nlang ;;
aggregation) expect=$((2 * 2 * nlang)) ;;           # threads x sizes x languages
*) expect=$((2 * nlang)) ;;
esac
check "$TEST: $expect sessions (got $nsess)" [ "$nsess" -eq "$expect" ]
case $TEST in
throughput*) fns="put_tensor unpack_tensor"; ranks="0 1" ;;
aggregation) fns="put_dataset append_to_list"; ranks="0 1" ;;
inference*) fns="put_tensor run_script run_model unpack_tensor"; ranks="0 1" ;;
esac
for s in "$run"/*/session.cfg; do
    sd=$(dirname "$s")
    for r in $ranks; do
        f=$sd/rank_${r}_timing.csv
        check "$(basename "$sd"): rank $r timing file" [ -f "$f" ]
        for fn in $fns; do
            check "$(basename "$sd"): rank $r has $iters $fn rows" [ "$(grep -c ",$fn," "$f" 2>/dev/null)" = "$iters" ]
        done
    done
    if [ "$TEST" = aggregation ]; then
        check "$(basename "$sd"): consumer rows" [ "$(grep -c ',get_list,' "$sd/rank_2_timing.csv" 2>/dev/null)" = "$iters" ]
    fi
    case $TEST in inference*|throughput*)
        for r in $ranks; do
            for fn in 'client()' loop_time 'main()'; do
                check "$(basename "$sd"): rank $r has one $fn row" [ "$(grep -cF ",$fn," "$sd/rank_${r}_timing.csv")" = 1 ]
            done
        done ;;
    esac
    if [ "$TEST" = inference_standard ]; then
        # only the model and the script are left on each shard, and no run copied a tensor between shards
        check "$(basename "$sd"): no keys left, no copies" /usr/bin/python3 - "$sd/database_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no shards"
for r in rows:
    assert r["keys"] == "2", r
    assert r["dump_calls"] == r["restore_calls"] == r["copy_calls"] == "0", r
PY
    fi
    # The statistics must agree with the raw rows (recomputed here independently).
    check "$(basename "$sd"): stats.csv agrees with the rows" /usr/bin/python3 - "$sd" <<'PY'
import csv, glob, sys, statistics
sd = sys.argv[1]
rows = {}
for f in glob.glob(sd + "/rank_*_timing.csv"):
    for r in csv.reader(open(f)):
        rows.setdefault(r[1], []).append(float(r[2]))
def q(v, p):
    v = sorted(v); pos = p * (len(v) - 1); lo = int(pos); hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)
stats = {r["function"]: r for r in csv.DictReader(open(sd + "/stats.csv"))}
assert set(stats) == set(rows), (set(stats), set(rows))
for fn, v in rows.items():
    s = stats[fn]
    assert int(s["count"]) == len(v)
    for key, val in (("min", min(v)), ("max", max(v)), ("mean", statistics.fmean(v)), ("p50", q(v, .5)), ("p99", q(v, .99))):
        assert abs(float(s[key]) - val) <= 1e-6 + 1e-6 * val, (fn, key, s[key], val)
PY
done
rate=aggregate_gb_s; rateplot=throughput; table='GB/s'
case $TEST in inference*) rate=inferences_per_s; rateplot=inferences; table='inf/s' ;; esac
check "$TEST: results.csv has a row per session and function" /usr/bin/python3 -c "
import csv,sys
rows=list(csv.DictReader(open('$run/results.csv')))
assert len({r['session'] for r in rows})==$expect
assert all(float(r['$rate'])>0 for r in rows)"
for png in "$run"/plots/*.png; do
    check "$(basename "$png") is a non-empty PNG" bash -c "[ -s '$png' ] && head -c 8 '$png' | od -An -tx1 | grep -q '89 50 4e 47'"
done
check "$TEST: $rateplot plot" [ -s "$run/plots/$rateplot.png" ]
check "$TEST: gnuplot ran without errors" bash -c "! grep -q 'gnuplot failed' '$out/stderr.txt' '$out/stdout.txt'"
check "$TEST: one latency plot per function" bash -c "for f in $fns; do [ -s '$run'/plots/latency_\$f.png ] || exit 1; done"
check "$TEST: summary table printed" grep -qF "$table" "$out/stdout.txt"
if [ "$TEST" = throughput_colocated ] || [ "$TEST" = inference_colocated ]; then
    check "$TEST: database logs kept per session" bash -c "ls '$run'/*/database-*.log >/dev/null 2>&1"
else
    check "$TEST: database logs in the run" bash -c "ls '$run'/database-*/shard-0/redis.log >/dev/null 2>&1"
    for p in $port $((port + 1)) $((port + 2)); do
        check "$TEST: nothing listens on $p after the run" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null"
    done
    for st in "$run"/database-*/locus-db.json; do
        check "$TEST: database $(basename "$(dirname "$st")") stopped" grep -q '"status": "stopped"' "$st"
    done
fi
# --plot (the suite's plot_type): the rate against a setting, one line per combination of the rest
case $TEST in
throughput_standard) byk=db_nodes; xs="1 2" ;;
inference_standard) byk=db_nodes; xs="1 3" ;;
aggregation) byk=db_nodes; xs="1" ;;
*) byk=db_cpus; xs="1" ;;
esac
check "$TEST: the default --plot drew ${rateplot}_by_$byk" [ -s "$run/plots/${rateplot}_by_$byk.png" ]
check "$TEST: ${rateplot}_by_$byk has the $byk values ($xs) on its x axis" bash -c \
    "[ \"\$(awk '!/^#/ && NF==2 {print \$1}' '$run/plots/${rateplot}_by_$byk.dat' | sort -nu | xargs)\" = '$xs' ]"
"$LOCUS" bench report --plot=client_total "$run" >/dev/null 2>&1
check "$TEST: report --plot=client_total" bash -c \
    "[ -s '$run/plots/${rateplot}_by_clients.png' ] && [ \"\$(awk '!/^#/ && NF==2 {print \$1}' '$run/plots/${rateplot}_by_clients.dat' | sort -nu | xargs)\" = 2 ]"
"$LOCUS" bench report --plot=colour "$run" >"$out/o" 2>&1
prc=$?
check "$TEST: report --plot=colour refused (exit 2, got $prc), naming the choices" bash -c \
    "[ $prc -eq 2 ] && grep -q 'one of: database_nodes' '$out/o'"
# report alone reproduces the CSV; the seed suite's process_scaling_results on the experiment does too.
cp "$run/results.csv" "$out/first.csv"
"$LOCUS" bench report --no-plots "$run" >/dev/null
check "$TEST: locus bench report reproduces results.csv" cmp -s "$run/results.csv" "$out/first.csv"
rm -f "$run/results.csv"
"$LOCUS" bench process_scaling_results --scaling_results_dir="$(dirname "$run")" --overwrite=True >/dev/null 2>&1
check "$TEST: process_scaling_results on the experiment reproduces results.csv" cmp -s "$run/results.csv" "$out/first.csv"
report "bench_$TEST"
