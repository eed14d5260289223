#!/bin/sh
# `locus sched simulate` as a researcher drives it: runs that must not end early (idle gaps between arrivals
# for every mechanism, static and Philly-arrival runs), bounds and how they end (summary, messages, exit
# status), Synergy's runner.py flag spellings, record file names, progress lines, the list of files written,
# and --plot end to end (every PNG drawn, gnuplot silent). usage: test_cli.sh LOCUS_SCHED DATA_DIR
set -eu
bin=$1
data=$2
tmp=$(mktemp -d /tmp/locus-sched-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$tmp"

# --- 1. idle gaps: job 0 ends long before job 1 arrives ---------------------------------------------------
printf '0,alexnet,817,3447,1\n1,gnmt,1900,34181,1\n' > gap.csv
for p in FIFO FIFO+fair FIFO+tune FIFO+opt SRTF+tune LAS LAS+place+tune DRF+fair TETRIS+tune FTF; do
    "$bin" simulate --quiet --replay_trace gap.csv --policies "$p" --out "gap-$p" > /dev/null ||
        fail "gap trace, $p: exit status $?"
    got=$(($(wc -l < "gap-$p/$p/jobs_all.csv") - 1))
    [ "$got" -eq 2 ] || fail "gap trace, $p: $got of 2 jobs finished"
done
# the same trace as a static run (first round at t = 1, then nothing to run until 817 s)
"$bin" simulate --quiet --static --replay_trace gap.csv --policies FIFO+tune --out gap-static > /dev/null
[ "$(($(wc -l < gap-static/FIFO+tune/jobs_all.csv) - 1))" -eq 2 ] || fail "static gap run lost a job"
# Philly arrivals (hand-made trace: 8 jobs days apart) with trace durations and with synthetic ones
for mode in --no_exp ""; do
    # shellcheck disable=SC2086
    "$bin" simulate --quiet --cluster_job_log "$data/philly/cluster_job_log.json" --multigpu $mode \
        --philly_arrival --policies FIFO+tune,LAS+fair --out "philly$mode" > /dev/null 2> philly.err ||
        fail "Philly-arrival run ($mode) failed: $(cat philly.err)"
    want=$(grep -c '^FIFO+tune,all,\([0-9]*\),\1,\1,' "philly$mode/summary.csv" || true)
    [ "$want" -eq 1 ] || fail "Philly-arrival run ($mode): not every job finished: $(cat "philly$mode/summary.csv")"
done
# exp mode keeps time monotonic: the trace is not in arrival order; ids follow arrival order here
sort -t, -k1,1n "philly/FIFO+tune/jobs_all.csv" | awk -F, 'NR > 1 && $4 + 0 < prev { bad = 1 } { prev = $4 + 0 }
    END { exit bad }' || fail "exp-mode Philly arrivals are not in id order"

# --- 2. bounds ----------------------------------------------------------------------------------------------
# asked for: partial results, the unfinished count in the table and summary.csv, exit 0
"$bin" simulate --quiet --policies SRTF+fair --jobs_per_hour 9 --max_sim_hours 100 --out bound > bound.table \
    2> bound.err || fail "--max_sim_hours run exited $?"
grep -q "stopped at --max_sim_hours 100: 1000 measured jobs unfinished" bound.err || fail "bound message: $(cat bound.err)"
grep -q unfinished bound.table || fail "the table has no unfinished column: $(cat bound.table)"
grep -q '^SRTF+fair,9,.*,1000,bound,' bound/summary.csv || fail "summary.csv: $(cat bound/summary.csv)"
# not asked for: an overloaded policy that starves measured jobs ends at the overrun bound, exit 1
if "$bin" simulate --policies LAS+fair --jobs_per_hour 9 --max_overrun_hours 500 --out overrun > overrun.table \
    2> overrun.err; then fail "an overrun run exited 0"; fi
grep -q "LAS+fair at load 9: [0-9]* measured jobs still unfinished 500 simulated hours after" overrun.err ||
    fail "overrun message: $(cat overrun.err)"
grep -q ',overrun,' overrun/summary.csv || fail "summary.csv lacks the stop reason: $(cat overrun/summary.csv)"
[ -s overrun/LAS+fair/jobs_9.csv ] || fail "no partial results after an overrun"
# a progress line on a run longer than 2 s, plain lines when stderr is not a terminal
"$bin" simulate --policies LAS+tune --jobs_per_hour 9 --max_sim_hours 20000 --out progress > /dev/null 2> progress.err
grep -q '^  [0-9.]* h simulated, [0-9]* jobs arrived, [0-9]* finished, [0-9-]* measured left, [0-9]* runnable, [0-9]* rounds/s$' \
    progress.err || fail "no plain progress line on a long run: $(head -c 600 progress.err)"
grep -q '^\[1/1\] LAS+tune load 9: [0-9]* jobs, [0-9]* rounds' progress.err || fail "no closing line: $(tail -3 progress.err)"

# --- 3. Synergy's flags -----------------------------------------------------------------------------------
"$bin" simulate --quiet --no_use_cache --no_cache_result --no_sum_attempts --no_placement --no_fair --tune --opt \
    --num-jobs-default 40 --policies "FIFO+fair, SRTF+tune ,LAS" --out synergy > synergy.table ||
    fail "Synergy no-op flags or a spaced --policies list refused"
for p in FIFO+fair SRTF+tune LAS; do [ -s "synergy/$p/jobs_9.csv" ] || fail "spaced --policies: $p missing"; done
for f in --no_simulate "--conn_file x.csv" --analyze_trace --debug --small_trace; do
    # shellcheck disable=SC2086
    if "$bin" simulate $f > /dev/null 2> refused.err; then fail "$f accepted"; fi
    grep -q "^locus sched simulate: ${f%% *}: " refused.err || fail "$f: message does not name it: $(cat refused.err)"
done
"$bin" simulate --no_simulate 2>&1 | grep -q "locus sched serve" || fail "--no_simulate does not name locus sched serve"
if "$bin" simulate --no_such_flag 2> unknown.err; then fail "an unknown flag was accepted"; fi
grep -q "unknown option '--no_such_flag'" unknown.err || fail "unknown flag message: $(cat unknown.err)"
if "$bin" simulate --philly_arrival 2> pa.err; then fail "--philly_arrival without a trace accepted"; fi
grep -q -- "--philly_arrival needs --cluster_job_log" pa.err || fail "--philly_arrival message: $(cat pa.err)"
"$bin" simulate --help | grep -q -- "--no_use_cache" || fail "--help does not list Synergy's flags"
# record files named as Synergy names them: <prefix><load as a Python float>[_fair|_tune|_opt]
"$bin" simulate --quiet --num-jobs-default 30 --jobs_per_hour 9,7.5 --policies FIFO+fair,LAS+tune,SRTF \
    --record_trace --rec_trace "$tmp/record" --out rec > /dev/null
for f in record9.0_fair record7.5_fair record9.0_tune record7.5_tune record9.0 record7.5; do
    [ -s "$f" ] || fail "record file $f missing ($(ls record* | tr '\n' ' '))"
done
if "$bin" simulate --replay_trace gap.csv --record_trace 2> rr.err; then fail "--record_trace with a replay accepted"; fi

# --- 4. the files written are listed; --plot draws every PNG ------------------------------------------
"$bin" simulate --num-jobs-default 60 --jobs_per_hour 6,9 --policies FIFO+fair,LAS+tune --plot --out sweep \
    > /dev/null 2> sweep.err || fail "Poisson sweep with --plot failed: $(cat sweep.err)"
grep -q '^files written:$' sweep.err || fail "no list of files written"
for f in sweep/summary.csv sweep/LAS+tune/jobs_9.csv sweep/avg_jct_vs_load.png sweep/jct_cdf_6.png \
    sweep/util_FIFO+fair_9.png; do
    grep -qx "  $f" sweep.err || fail "$f not listed: $(cat sweep.err)"
done
"$bin" simulate --quiet --replay_trace "$data/traces/dynamic_100job.csv" --config_file "$data/configs/static_trace.ini" \
    --policies SRTF+tune,FIFO+fair --plot --out replay-plot > /dev/null || fail "replay with --plot failed"
"$bin" simulate --quiet --static --num-jobs-default 50 --policies LAS+fair --plot --out static-plot > /dev/null ||
    fail "static run with --plot failed"
for d in sweep replay-plot static-plot; do
    n=0
    for png in "$d"/*.png; do
        [ -s "$png" ] || fail "$png is empty"
        n=$((n + 1))
    done
    [ ! -s "$d/plots.log" ] || fail "gnuplot complained for $d: $(cat "$d/plots.log")"
    echo "$d: $n PNGs"
done
[ -e replay-plot/avg_jct_vs_load.png ] && fail "a JCT-against-load plot for a run with one load"
[ -s sweep/avg_jct_vs_load.png ] || fail "no JCT-against-load plot for a two-load sweep"

# --- 5. bad inputs: refused at once, naming the file and line ------------------------------------------
refuse() { # refuse PATTERN ARGS...: the command must fail and print PATTERN
    pat=$1
    shift
    if timeout 20 "$bin" simulate --quiet "$@" --out bad > /dev/null 2> bad.err; then fail "accepted: $*"; fi
    grep -q -- "$pat" bad.err || fail "$*: expected '$pat', got: $(cat bad.err)"
}
refuse "round must be at least" --round_duration 0.5 --num-jobs-default 10 --static
refuse "round must be at least" --round_duration 1e-6 --num-jobs-default 10 --static
printf '[CLUSTER]\nracks = 100000\nservers_per_rack = 100000\n' > huge.ini
refuse "huge.ini: racks x servers_per_rack = 10000000000 servers" --config_file huge.ini \
    --replay_trace "$data/traces/static_100job.csv"
printf '[CLUSTER]\nservers_per_rack = 100000\ngpus_per_server = 100\n' > gpus.ini
refuse "gpus.ini: 100000 servers x 100 GPUs" --config_file gpus.ini
printf '[CLUSTER]\nracks = 1\nracks = 2\n' > dup.ini
refuse "dup.ini:3: duplicate key 'racks'" --config_file dup.ini
printf '[CLUSTER]\nracks = 1\n[SCHEDULER]\npolicy = BOGUS\nlease_time = 5\n' > sched.ini
refuse "sched.ini:4: policy = 'BOGUS'" --config_file sched.ini
printf '[CLUSTER]\nracks = 1\n[SCHEDULER]\npolicy = FIFO\nrounds = 5\n' > sched2.ini
refuse "sched2.ini:5: unknown key 'rounds' in \[SCHEDULER\]" --config_file sched2.ini
printf '[CLUSTER]\nracks = 1\n[OTHER]\nx = 1\n' > sect.ini
refuse "sect.ini:4: unknown section \[OTHER\]" --config_file sect.ini
printf '[CLUSTER]\nracks = 1\nservers\000_per_rack = 2\n' > nul.ini
refuse "nul.ini:3: NUL byte" --config_file nul.ini
printf '0,gnmt,1,100,1\n1,gnmt,1e300,100,1\n' > far.csv
refuse "far.csv:2: arrival '1e300'" --replay_trace far.csv
printf '0,gnmt,1,100,1\n1,gn\000mt,2,100,1\n' > nul.csv
refuse "nul.csv:2: NUL byte" --replay_trace nul.csv
refuse -- "--policies needs a value" --policies
refuse -- "--policies needs a value" --policies --seed 3
# Synergy's own configs load as they are
for f in "$data"/configs/*.ini; do
    "$bin" simulate --quiet --config_file "$f" --num-jobs-default 20 --out cfg > /dev/null || fail "$f refused"
done
# locus sched status: its options, and a scheduler that is not there named by its URL
"$bin" status --help | grep -q "usage: locus sched status --server HOST:PORT --token_file FILE" || fail "status --help"
"$bin" status > st.out 2>&1 && fail "status without --token_file accepted"
grep -q "token_file is required" st.out || fail "status without --token_file: $(cat st.out)"
echo t0k > st.token
rc=0
"$bin" status --server 127.0.0.1:1 --token_file st.token > st.out 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "http://127.0.0.1:1/status: Couldn't connect" st.out || fail "status of nothing: $(cat st.out)"
echo "sched CLI checks passed"
