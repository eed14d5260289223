#!/bin/sh
# Golden outputs of `locus sched simulate`: reruns a fixed set of simulations and compares their per-job
# results (jobs_*.csv), per-round series (rounds_*.csv) and summary.csv byte for byte with the files checked in
# under tests/sched/golden/ (one gzip'ed text per case). They guard any refactoring of src/sched/core/: a change
# that moves one job by one round fails here.
#
# usage: golden.sh LOCUS_SCHED DATA_DIR GOLDEN_DIR [--update]
#   --update rewrites the golden files from this build (only after a change that is meant to alter results;
#   say why in the commit message).
set -eu
bin=$1
data=$2
golden=$3
update=${4:-}
tmp=$(mktemp -d /tmp/locus-sched-golden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

all18=FIFO,FIFO+fair,FIFO+tune,SRTF,SRTF+fair,SRTF+tune,LAS,LAS+fair,LAS+tune
all18=$all18,FTF,FTF+fair,FTF+tune,DRF,DRF+fair,DRF+tune,TETRIS,TETRIS+fair,TETRIS+tune
ini=$data/configs/static_trace.ini
philly=$data/philly/cluster_job_log.json

# name | arguments (word-split; paths have no spaces)
cases="
trace_static_100job|--static --replay_trace $data/traces/static_100job.csv --config_file $ini --policies $all18
trace_dynamic_100job|--replay_trace $data/traces/dynamic_100job.csv --config_file $ini --policies $all18
trace_8job_multigpu|--replay_trace $data/traces/test_8job_multigpu.csv --config_file $ini --policies $all18
poisson_single|--single_gpu --num-jobs-default 400 --jobs_per_hour 9 --seed 3 --policies FIFO,SRTF+fair,LAS+tune,TETRIS+place+tune
poisson_multi|--num-jobs-default 400 --jobs_per_hour 9 --seed 5 --policies SRTF,LAS+fair,FTF+tune,DRF+place+fair
poisson_opt|--num-jobs-default 60 --jobs_per_hour 6 --seed 11 --config_file $ini --policies FIFO+opt,SRTF+opt
philly_noexp|--cluster_job_log $philly --multigpu --no_exp --philly_arrival --config_file $ini --policies FIFO+fair,LAS+tune
philly_exp|--cluster_job_log $philly --num-jobs-default 200 --jobs_per_hour 8 --seed 2 --policies SRTF+tune
"

# Concatenates a run's result files (sorted by path) into one text with a header line per file.
collect() {
    (cd "$1" && find . -name 'jobs_*.csv' -o -name 'rounds_*.csv' -o -name summary.csv | LC_ALL=C sort |
        while read -r f; do echo "== $f"; cat "$f"; done)
}

echo "$cases" | while IFS='|' read -r name args; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    if ! "$bin" simulate --quiet $args --out "$tmp/$name" > /dev/null 2> "$tmp/$name.err"; then
        echo "FAIL: $name: simulate exited non-zero: $(cat "$tmp/$name.err")" >&2
        exit 1
    fi
    collect "$tmp/$name" > "$tmp/$name.txt"
    if [ "$update" = --update ]; then
        mkdir -p "$golden"
        gzip -n -9 -c "$tmp/$name.txt" > "$golden/$name.txt.gz"
        echo "updated $golden/$name.txt.gz ($(wc -l < "$tmp/$name.txt") lines)"
        continue
    fi
    [ -f "$golden/$name.txt.gz" ] || { echo "FAIL: $name: no golden file $golden/$name.txt.gz" >&2; exit 1; }
    gzip -dc "$golden/$name.txt.gz" > "$tmp/$name.want"
    if ! cmp -s "$tmp/$name.want" "$tmp/$name.txt"; then
        echo "FAIL: $name differs from $golden/$name.txt.gz (args: $args); first differences:" >&2
        diff "$tmp/$name.want" "$tmp/$name.txt" | head -20 >&2
        exit 1
    fi
    echo "ok: $name ($(wc -l < "$tmp/$name.txt") lines)"
done
[ "$update" = --update ] || echo "sched golden outputs: all cases identical"
