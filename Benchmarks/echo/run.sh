#!/usr/bin/env bash
# Echo benchmark: the Swift echo-server on both models beside C peers on raw libevent events and
# on libevent bufferevents, and a SwiftNIO echo with one event loop (Benchmarks/nio-echo, a package
# of its own so the library never depends on NIO). Each server is pinned to CPU 0, the C epoll load generator (verifies
# every byte) to CPU 1; servers run interleaved (A B C D A B C D ...) for REPS repetitions of
# SECONDS per cell. Reported per cell and server: median msgs/s with min-max, median p99 round trip,
# the server's and the load generator's CPU share (a load generator near 1.00 is saturated: compare
# msgs per server CPU-second then), and ratios to the raw-events peer from the same run.
#
# usage: Benchmarks/echo/run.sh [SECONDS=5] [REPS=3] [CELLS="64:64:1 64:4096:16 1000:64:1 1000:4096:16"]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
reps=${2:-3}
cells=(${3:-64:64:1 64:4096:16 1000:64:1 1000:4096:16})
source Benchmarks/echo/peers.sh
$cc -O2 -Wall -Wextra -o "$bin/loadgen" Benchmarks/echo/loadgen.c
ticks=$(getconf CLK_TCK)

start_server() {  # name -> sets pid, port
    local out
    out=$(mktemp)
    taskset -c 0 ${servers[$1]} >"$out" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    rm -f "$out"
    [ -n "$port" ] || { echo "server $1 did not start" >&2; exit 1; }
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

results=$(mktemp)
for cell in "${cells[@]}"; do
    for rep in $(seq "$reps"); do
        for name in "${order[@]}"; do
            start_server "$name"
            before=$(cpu_ticks "$pid")
            line=$(taskset -c 1 "$bin/loadgen" 127.0.0.1 "$port" ${cell//:/ } "$seconds")
            after=$(cpu_ticks "$pid")
            kill "$pid"; wait "$pid" 2>/dev/null || true
            server_cpu=$(awk -v t=$((after - before)) -v hz="$ticks" -v s="$seconds" 'BEGIN { printf "%.2f", t / hz / s }')
            rate=$(sed -n 's/.*msgs\/s=\([0-9]*\).*/\1/p' <<<"$line")
            p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
            load_cpu=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' <<<"$line")
            echo "$cell|$name|$rate|$p99|$server_cpu|$load_cpu" >>"$results"
            echo "  $cell rep $rep $name: $line server_cpu=$server_cpu" >&2
        done
    done
done

median() { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }
echo
echo "Echo, $(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), median of $reps x ${seconds}s"
echo "(min-max); p99 in us; CPU shares server/loadgen; ratio = msgs/s vs c-events in this run"
echo
echo "| N:S:W | server | msgs/s (min-max) | p99 us | CPU server/loadgen | msgs per server CPU-s | ratio |"
echo "|---|---|---|---|---|---|---|"
for cell in "${cells[@]}"; do
    base_rate=$(grep "^$cell|c-events|" "$results" | cut -d'|' -f3 | median)
    for name in "${order[@]}"; do
        rows=$(grep "^$cell|$name|" "$results")
        rate=$(cut -d'|' -f3 <<<"$rows" | median)
        low=$(cut -d'|' -f3 <<<"$rows" | sort -n | head -1)
        high=$(cut -d'|' -f3 <<<"$rows" | sort -n | tail -1)
        p99=$(cut -d'|' -f4 <<<"$rows" | median)
        server_cpu=$(cut -d'|' -f5 <<<"$rows" | median)
        load_cpu=$(cut -d'|' -f6 <<<"$rows" | median)
        per_cpu=$(awk -v r="$rate" -v c="$server_cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
        ratio=$(awk -v r="$rate" -v b="$base_rate" 'BEGIN { printf "%.2f", r / b }')
        echo "| $cell | $name | $rate ($low-$high) | $p99 | $server_cpu/$load_cpu | $per_cpu | ${ratio}x |"
    done
done
rm -f "$results"
