#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address, each with the StaticHTTP sources)
# and runs each for SECONDS (default 60), starting from the seed corpus in Fuzz/corpus/<target>.
# New corpus entries go to .build-fuzz/corpus, crash inputs to .build-fuzz/crashes; the tree stays
# clean. Exits non-zero if any target finds a crash.
#   usage: scripts/fuzz.sh [SECONDS] [TARGET...]     targets: request-head request-target byte-ranges
# With FUZZ_RUNS=N each target stops after N executions (or SECONDS, whichever comes first).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
declare -A sources=(
    [request-head]=Fuzz/RequestHeadFuzz.swift
    [request-target]=Fuzz/RequestTargetFuzz.swift
    [byte-ranges]=Fuzz/ByteRangeFuzz.swift
)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request-head request-target byte-ranges)
out=.build-fuzz
# The Swift backtracer reads memory in ways ASan reports as a second crash; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no
mkdir -p "$out/crashes"
status=0
for target in "${targets[@]}"; do
    source=${sources[$target]:?unknown fuzz target $target}
    # ld.gold warns about asan symbols it cannot export; those warnings are harmless.
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name StaticHTTPFuzz \
        "$source" Sources/StaticHTTP/*.swift -o "$out/$target" 2> >(grep -v "Cannot export local symbol" >&2)
    mkdir -p "$out/corpus/$target"
    cp -n Fuzz/corpus/"$target"/* "$out/corpus/$target/" 2>/dev/null || true
    rm -f "$out/crashes/$target-"*
    log="$out/$target.log"
    if "$out/$target" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/crashes/$target-" "$out/corpus/$target" > "$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $target: $runs executions ($rate/s), no crash"
    else
        echo "fuzz $target: CRASH; see $log and $out/crashes/"
        grep -m3 -E "Fatal error|ERROR: AddressSanitizer|Precondition failed|deadly signal" "$log" || true
        status=1
    fi
done
exit $status
