#!/usr/bin/env bash
# Echo overhead benchmark: the Swift echo-server (readiness model, BufferedSocket) beside the same
# server in C on libevent bufferevents. Servers pinned to CPU 0, the load generator to CPU 1; servers
# interleaved (C, Swift, C, Swift...) for REPS repetitions of SECONDS each per cell; medians and
# min-max reported, ratio Swift/C computed from the medians of this run.
#
# usage: Benchmarks/echo/run.sh [SECONDS=5] [REPS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
reps=${2:-3}
bin=Benchmarks/bin
mkdir -p "$bin"
cc=${CC:-cc}
$cc -O2 -Wall -Wextra -o "$bin/loadgen" Benchmarks/echo/loadgen.c
$cc -O2 -Wall -Wextra -o "$bin/echo-bufferevent" Benchmarks/echo/echo-bufferevent.c $(pkg-config --cflags --libs libevent)
swift build -c release --product echo-server >/dev/null

declare -A servers=(
    [c-bufferevent]="$bin/echo-bufferevent 0"
    [swift-readiness]=".build/release/echo-server --model readiness --port 0"
)
order=(c-bufferevent swift-readiness)
cells=("64 64 1" "64 4096 16")

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

results=$(mktemp)
for cell in "${cells[@]}"; do
    for rep in $(seq "$reps"); do
        for name in "${order[@]}"; do
            start_server "$name"
            line=$(taskset -c 1 "$bin/loadgen" 127.0.0.1 "$port" $cell "$seconds")
            kill "$pid"; wait "$pid" 2>/dev/null || true
            rate=$(sed -n 's/.*msgs\/s=\([0-9]*\).*/\1/p' <<<"$line")
            p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
            echo "$cell|$name|$rate|$p99" >>"$results"
            echo "  cell ${cell// /:} rep $rep $name: $line" >&2
        done
    done
done

echo
echo "echo msgs/s (median of $reps x ${seconds}s; min-max), $(date -u +%F), $(nproc) cores"
printf '| N:S:W | %s | %s | ratio swift/c |\n' "${order[@]}"
echo "|---|---|---|---|"
for cell in "${cells[@]}"; do
    row="| ${cell// /:} |"
    declare -A median=()
    for name in "${order[@]}"; do
        sorted=$(grep "^$cell|$name|" "$results" | cut -d'|' -f3 | sort -n)
        median[$name]=$(sed -n "$(( (reps + 1) / 2 ))p" <<<"$sorted")
        row+=" ${median[$name]} ($(head -1 <<<"$sorted")-$(tail -1 <<<"$sorted")) |"
    done
    ratio=$(awk -v s="${median[swift-readiness]}" -v c="${median[c-bufferevent]}" 'BEGIN { printf "%.2f", s / c }')
    echo "$row ${ratio}x |"
done
rm -f "$results"
