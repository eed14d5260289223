#!/usr/bin/env bash
# The installed copy, used as a new user would: `cmake --install` into a temporary prefix, then from there
# `locus db start` with 1 and 3 shards (the module found beside the installed `locus`, with its execute bit),
# the C and Fortran examples built with pkg-config and with find_package(Locus) and run against the database,
# the installed bench apps' libraries resolved, and `locus bench throughput_colocated`.
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1
src=$2
here=$(dirname "$0")
. "$here/common.sh"
tmp=$(mktemp -d /tmp/locus-install-XXXXXX)
cleanup() {
    for d in "$tmp"/db*; do [ -d "$d" ] && "$tmp/pfx/bin/locus" db stop --dir "$d" > /dev/null 2>&1; done
    rm -rf "$tmp"
}
trap cleanup EXIT
unset LOCUS_MODULE_PATH # the installed locus must find its own module
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
pfx=$tmp/pfx

cmake --install "$build" --prefix "$pfx" > "$tmp/install.log" 2>&1
check "cmake --install succeeds" [ $? -eq 0 ]
mod=$(find "$pfx" -name locus_ai.so | head -1)
check "locus_ai.so installed with the execute bit (Redis 7 refuses it without)" [ -n "$mod" ] && [ -x "$mod" ]
for so in $(find "$pfx" -path '*/backends/*.so'); do
    check "$(basename "$so") installed with the execute bit" [ -x "$so" ]
done
for exe in "$pfx"/bin/*; do
    check "$(basename "$exe"): every library found" bash -c "! ldd '$exe' | grep -q 'not found'"
done

pc=$(dirname "$(find "$pfx" -name locus.pc | head -1)")
check "locus.pc and locus-fortran.pc installed" [ -f "$pc/locus.pc" ] && [ -f "$pc/locus-fortran.pc" ]
export PKG_CONFIG_PATH=$pc
cc "$src/examples/put_get.c" -o "$tmp/ex_c_pc" $(pkg-config --cflags --libs locus) $(pkg-config --variable=rpath locus) \
    > "$tmp/cc.log" 2>&1
check "C example builds with pkg-config: $(head -3 "$tmp/cc.log")" [ -x "$tmp/ex_c_pc" ]
if command -v gfortran > /dev/null && [ -f "$src/examples/put_get.f90" ]; then
    gfortran "$src/examples/put_get.f90" -o "$tmp/ex_f_pc" $(pkg-config --cflags --libs locus-fortran) \
        $(pkg-config --variable=rpath locus-fortran) > "$tmp/fc.log" 2>&1
    check "Fortran example builds with pkg-config: $(head -3 "$tmp/fc.log")" [ -x "$tmp/ex_f_pc" ]
fi
cmake -S "$src/examples" -B "$tmp/exbuild" -DCMAKE_PREFIX_PATH="$pfx" > "$tmp/excmake.log" 2>&1 &&
    cmake --build "$tmp/exbuild" > "$tmp/exbuild.log" 2>&1
check "examples build with find_package(Locus): $(tail -3 "$tmp/exbuild.log" 2>/dev/null)" [ -x "$tmp/exbuild/locus_example_c" ]

for n in 1 3; do
    port=$(free_ports "$n")
    if "$pfx/bin/locus" db start --dir "$tmp/db$n" --shards "$n" --port "$port" > "$tmp/env$n.sh" 2> "$tmp/start$n.log"; then
        check "installed locus db start, $n shard(s)" true
        for ex in "$tmp/ex_c_pc" "$tmp/ex_f_pc" "$tmp/exbuild/locus_example_c" "$tmp/exbuild/locus_example_fortran"; do
            [ -x "$ex" ] || continue
            (. "$tmp/env$n.sh" && "$ex") > "$tmp/run.log" 2>&1
            check "$n shard(s): $(basename "$(dirname "$ex")")/$(basename "$ex") runs: $(tail -2 "$tmp/run.log")" [ $? -eq 0 ]
        done
        "$pfx/bin/locus" db stop --dir "$tmp/db$n" > /dev/null 2>&1
    else
        check "installed locus db start, $n shard(s): $(tail -3 "$tmp/start$n.log")" false
    fi
done

"$pfx/bin/locus" bench throughput_colocated --launcher=local --nodes=[1] --clients_per_node=[2] --db_cpus=[1] \
    --tensor_bytes=[1024] --iterations=20 --languages=[c] --results-dir "$tmp/results" > "$tmp/bench.log" 2>&1
check "installed locus bench throughput_colocated: $(tail -3 "$tmp/bench.log")" [ $? -eq 0 ]
report launch_install
