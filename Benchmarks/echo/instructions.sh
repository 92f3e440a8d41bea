#!/usr/bin/env bash
# User-space instructions per echo message of each echo server, counted by valgrind (cachegrind
# without cache simulation) under the same open-loop load. Unlike time, the count does not move
# with the load of a shared machine, so it shows what a change to the code bought, and how far each
# server's own work is from the C raw-events peer's. It counts instructions, not their cost: a
# system call is one instruction here, a cache miss is free.
#
# Each server runs twice under valgrind, for SHORT and LONG seconds of load; the difference of the
# two counts over the difference of the messages echoed leaves out start-up and shutdown.
#
# Two loads by default. With one connection (1:64:1 at 2,000 msgs/s) every message has a loop
# iteration to itself, so the count is the same from run to run (within a few instructions): the
# figure for telling what a change bought. With 1,000 connections (1000:64:1 at 4,000 msgs/s)
# some iterations handle several messages and share the loop's cost among them, and how many do
# depends on how fast valgrind runs that minute: the same binaries have moved by up to 9% (c-events)
# and 32% (SwiftNIO) between two runs an hour apart.
#   usage: Benchmarks/echo/instructions.sh [CELL RATE]   (one load instead of the two)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -ge 2 ]; then loads=("$1 $2"); else loads=("1:64:1 2000" "1000:64:1 4000"); fi
short=2
long=5
if ! command -v valgrind >/dev/null; then
    echo "instructions per message: skipped, valgrind is not installed (scripts/ensure-bench-tools.sh installs it on Linux)"
    exit 0
fi
source Benchmarks/echo/peers.sh
# The completion echo once more, built the way an app that depends on the package is built by
# default: `swift build -c release`, without cross-module optimisation. Its row shows that the port
# specialises for the app's own types all the same (its code is inlinable); unspecialised, it took
# six times the instructions.
swift build -c release --product echo-server --scratch-path .build/default-release >/dev/null
servers[swift-completion-default-build]=".build/default-release/release/echo-server --model completion --port 0"
order+=(swift-completion-default-build)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Server $1's command line, run from a copy of its executable without debug info: valgrind 3.19
# gives up on the debug info of some Swift builds (SwiftNIO's).
without_debug_info() {
    local command=(${servers[$1]})
    local copy="$work/$(basename "${command[0]}")"
    [ -e "$copy" ] || objcopy --strip-debug "${command[0]}" "$copy"
    echo "$copy ${command[*]:1}"
}

# Runs server $1 under valgrind with $2 seconds of load; prints "instructions messages".
count_run() {
    local out log pid port line
    out=$(mktemp)
    log=$(mktemp)
    taskset -c 0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        $(without_debug_info "$1") >"$out" 2>"$log" &
    pid=$!
    for _ in $(seq 300); do grep -q "listening on" "$out" && break; sleep 0.1; done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
    if [ -z "$port" ]; then
        echo "instructions.sh: $1 did not start under valgrind: $(tail -1 "$log")" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    line=$(taskset -c 1 "$bin/loadgen" 127.0.0.1 "$port" "$connections" "$size" "$window" "$2" "$rate")
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    echo "$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$log" | tr -d ,) \
$(awk -v line="$line" -v seconds="$2" 'BEGIN { match(line, /msgs\/s=[0-9]+/); print substr(line, RSTART + 7, RLENGTH - 7) * seconds }')"
    rm -f "$out" "$log"
}

for load in "${loads[@]}"; do
    read -r cell rate <<<"$load"
    IFS=: read -r connections size window <<<"$cell"
    echo "User-space instructions per message, N:S:W = $cell at $rate msgs/s (valgrind), $(date -u +%F)"
    echo
    echo "| server | instructions per message | x c-events |"
    echo "|---|---|---|"
    reference=""
    for name in "${order[@]}"; do
        read -r short_count short_messages < <(count_run "$name" $short)
        read -r long_count long_messages < <(count_run "$name" $long)
        per_message=$(( (long_count - short_count) / (long_messages - short_messages) ))
        reference=${reference:-$per_message}
        echo "| $name | $per_message | $(awk -v a="$per_message" -v b="$reference" 'BEGIN { printf "%.2f", a / b }') |"
    done
    echo
done
