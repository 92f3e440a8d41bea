#!/usr/bin/env bash
# Echo benchmark: the Swift echo-server on both models beside C peers on raw libevent events and
# on libevent bufferevents, and a SwiftNIO echo with one event loop (Benchmarks/nio-echo, a package
# of its own so the library never depends on NIO). Each server is pinned to CPU 0, the C epoll load generator (verifies
# every byte) to CPU 1; servers run interleaved (A B C D A B C D ...) for REPS repetitions of
# SECONDS per cell. Reported per cell and server: median msgs/s with min-max, median p99 round trip
# after the first second (the load generator's warm-up, whose longest round trip is reported apart),
# the server's and the load generator's CPU share (a load generator near 1.00 is saturated: compare
# msgs per server CPU-second then), and ratios to the raw-events peer from the same run.
#
# A closed-loop round trip mostly measures queueing (mean round trip = N x W / rate), so a second
# table compares latency at equal load: per cell, every server gets the same fixed schedule of
# messages (open loop, OPEN_LOAD, default 0.25, of the raw-events peer's median rate in this run,
# divided by W: light enough that no server queues, so the round trip is each server's own delay),
# interleaved again, and the round trip is timed from when each message was due. (The division: in
# the closed loop W messages go out in one write and come back in one read, while the open loop's
# messages fall due one at a time and each costs the server a read and a write of its own.)
#
# Nine short repetitions rather than a few long ones: the VM's speed changes from one minute to the
# next, by 30% or more, so medians over more (interleaved) samples move less between runs.
#
# usage: [OPEN_LOAD=0.25] Benchmarks/echo/run.sh [SECONDS=3] [REPS=9] [CELLS="64:64:1 64:4096:16 1000:64:1 1000:4096:16"]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3}
reps=${2:-9}
cells=(${3:-64:64:1 64:4096:16 1000:64:1 1000:4096:16})
# The first second is the load generator's warm-up, left out of the p99: a shorter run has none.
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 2 ]] || { echo "echo bench: SECONDS must be a whole number of at least 2 (the first second is a warm-up, not sampled), not '$seconds'" >&2; exit 2; }
[[ $reps =~ ^[0-9]+$ && $reps -ge 1 ]] || { echo "echo bench: REPS must be a positive whole number, not '$reps'" >&2; exit 2; }
source Benchmarks/echo/peers.sh

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

median() { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }

# Pairs server $3's repetitions of cell $2 in results file $1 with c-events' repetitions of the same
# round (the two ran back to back, so they shared the machine's speed of that minute): one line per
# round, "rep|c-events' msgs/s|p99|server CPU|the server's msgs/s|p99|server CPU".
paired_rows() {
    local fields='{ print $10 "|" $3 "|" $4 "|" $5 }'
    join -t'|' <(awk -F'|' -v c="$2" "\$1 == c && \$2 == \"c-events\" $fields" "$1" | sort -t'|' -k1,1) \
               <(awk -F'|' -v c="$2" -v n="$3" "\$1 == c && \$2 == n $fields" "$1" | sort -t'|' -k1,1)
}

# Paired p99: in how many rounds the server's p99 was no worse than c-events', out of how many. A
# server no different from c-events wins about half; 8 or 9 of 9 either way happens by chance in
# under 4% of runs (a sign test).
paired_p99_wins() { paired_rows "$@" | awk -F'|' '{ wins += ($6 <= $3) } END { printf "%d/%d", wins, NR }'; }

# Paired work per server CPU-second: the median over rounds of the server's msgs per CPU-second
# over c-events' in the same round, and in how many rounds it was at least c-events'. Where the
# load generator saturates, the server's CPU share moves with the machine's speed from minute to
# minute (c-events' own msgs per CPU-second spread 30% over one run), and the ratio of the medians
# mixes rounds of different speeds; the paired ratio compares each round with itself.
paired_per_cpu() {
    paired_rows "$@" | awk -F'|' '$4 > 0 && $7 > 0 { print ($5 / $7) / ($2 / $4) }' | median_ratio_and_wins
}

# One interleaved series of runs per cell; $1 is the file to record into, $2 the open-loop rate of
# each cell (a name of a function printing it, or empty for the closed loop).
measure() {
    local into=$1 rate_of=$2 cell rep name open_rate
    for cell in "${cells[@]}"; do
        open_rate=${rate_of:+$($rate_of "$cell")}
        for rep in $(seq "$reps"); do
            for name in "${order[@]}"; do
                run_one "$into" "$cell" "$rep" "$name" $open_rate
            done
        done
    done
}

run_one() {  # file-to-record-into cell rep name [open-loop rate]
    local into=$1 cell=$2 rep=$3 name=$4 before after ticks_before line server_cpu rate p50 p99 load_cpu warmup stolen
    start_server "$name"
    before=$(cpu_nanoseconds "$pid")
    ticks_before=$(cpu_ticks 0)
    line=$(taskset -c 1 "$bin/loadgen" 127.0.0.1 "$port" ${cell//:/ } "$seconds" ${5:-})
    stolen=$(stolen_percent "$ticks_before" "$(cpu_ticks 0)")
    after=$(cpu_nanoseconds "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    server_cpu=$(cpu_share $((after - before)) "$seconds")
    rate=$(sed -n 's/.*msgs\/s=\([0-9]*\).*/\1/p' <<<"$line")
    p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$line")
    p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")
    load_cpu=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' <<<"$line")
    warmup=$(sed -n 's/.*warmup_max_us=\([0-9.]*\).*/\1/p' <<<"$line")
    echo "$cell|$name|$rate|$p99|$server_cpu|$load_cpu|$p50|$warmup|$stolen|$rep" >>"$into"
    echo "  $cell rep $rep $name${5:+ at $5 msgs/s}: $line server_cpu=$server_cpu stolen_cpu0=$stolen%" >&2
}

results=$(mktemp)
measure "$results" ""
open_load=${OPEN_LOAD:-0.25}
offered_rate() {  # cell
    local window=${1##*:}
    grep "^$1|c-events|" "$results" | cut -d'|' -f3 | median | awk -v f="$open_load" -v w="$window" '{ printf "%d", $1 * f / w }'
}
open_results=$(mktemp)
measure "$open_results" offered_rate

echo
echo "Echo, $(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), median of $reps x ${seconds}s"
echo "(min-max); p99 in us after the first second, and its ratio to c-events'; the first second's longest"
echo "round trip (warm-up max); CPU shares server/loadgen; ratio = msgs/s vs c-events in this run;"
echo "stolen = the share of the server's CPU (0) the hypervisor took during a repetition, median (max);"
echo "paired = in how many repetitions the p99 was no worse than c-events' in the same repetition;"
echo "per CPU-s ratio = msgs per server CPU-second vs c-events' (from the medians), and paired: the median of"
echo "the ratios of each repetition to c-events' in the same round (in how many it was at least 1)"
echo
echo "| N:S:W | server | msgs/s (min-max) | p99 us | p99 ratio | paired | warm-up max us | CPU server/loadgen | msgs per server CPU-s | ratio | per CPU-s ratio | per CPU-s paired | stolen % |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for cell in "${cells[@]}"; do
    base_rate=$(grep "^$cell|c-events|" "$results" | cut -d'|' -f3 | median)
    base_p99=$(grep "^$cell|c-events|" "$results" | cut -d'|' -f4 | median)
    base_cpu=$(grep "^$cell|c-events|" "$results" | cut -d'|' -f5 | median)
    for name in "${order[@]}"; do
        rows=$(grep "^$cell|$name|" "$results")
        rate=$(cut -d'|' -f3 <<<"$rows" | median)
        low=$(cut -d'|' -f3 <<<"$rows" | sort -n | head -1)
        high=$(cut -d'|' -f3 <<<"$rows" | sort -n | tail -1)
        p99=$(cut -d'|' -f4 <<<"$rows" | median)
        p99_ratio=$(awk -v p="$p99" -v b="$base_p99" 'BEGIN { printf "%.2f", p / b }')
        warmup=$(cut -d'|' -f8 <<<"$rows" | median)
        server_cpu=$(cut -d'|' -f5 <<<"$rows" | median)
        load_cpu=$(cut -d'|' -f6 <<<"$rows" | median)
        per_cpu=$(awk -v r="$rate" -v c="$server_cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
        ratio=$(awk -v r="$rate" -v b="$base_rate" 'BEGIN { printf "%.2f", r / b }')
        cpu_ratio=$(awk -v p="$per_cpu" -v r="$base_rate" -v c="$base_cpu" 'BEGIN { printf "%.2f", (r > 0 ? p * c / r : 0) }')
        stolen=$(cut -d'|' -f9 <<<"$rows" | median)
        stolen_max=$(cut -d'|' -f9 <<<"$rows" | sort -n | tail -1)
        echo "| $cell | $name | $rate ($low-$high) | $p99 | ${p99_ratio}x | $(paired_p99_wins "$results" "$cell" "$name") | $warmup | $server_cpu/$load_cpu | $per_cpu | ${ratio}x | ${cpu_ratio}x | $(paired_per_cpu "$results" "$cell" "$name") | $stolen ($stolen_max) |"
    done
done

echo
echo "Round trip at equal load (open loop: $open_load x the c-events median rate above / W, the same schedule"
echo "for every server; first second not sampled), median of $reps x ${seconds}s; us; ratio = p99 vs c-events;"
echo "paired and stolen as above; the last column is the p99 of the repetition in which the most was stolen"
echo
echo "| N:S:W | offered msgs/s | server | achieved msgs/s | server CPU | p50 us | p99 us (min-max) | p99 ratio | paired | stolen % | p99 us when most stolen |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for cell in "${cells[@]}"; do
    offered=$(offered_rate "$cell")
    base_p99=$(grep "^$cell|c-events|" "$open_results" | cut -d'|' -f4 | median)
    for name in "${order[@]}"; do
        rows=$(grep "^$cell|$name|" "$open_results")
        achieved=$(cut -d'|' -f3 <<<"$rows" | median)
        server_cpu=$(cut -d'|' -f5 <<<"$rows" | median)
        p50=$(cut -d'|' -f7 <<<"$rows" | median)
        p99=$(cut -d'|' -f4 <<<"$rows" | median)
        low=$(cut -d'|' -f4 <<<"$rows" | sort -n | head -1)
        high=$(cut -d'|' -f4 <<<"$rows" | sort -n | tail -1)
        ratio=$(awk -v p="$p99" -v b="$base_p99" 'BEGIN { printf "%.2f", p / b }')
        stolen=$(cut -d'|' -f9 <<<"$rows" | median)
        most_stolen=$(sort -t'|' -k9,9n <<<"$rows" | tail -1)
        echo "| $cell | $offered | $name | $achieved | $server_cpu | $p50 | $p99 ($low-$high) | ${ratio}x | $(paired_p99_wins "$open_results" "$cell" "$name") | $stolen ($(cut -d'|' -f9 <<<"$most_stolen")) | $(cut -d'|' -f4 <<<"$most_stolen") |"
    done
done
rm -f "$results" "$open_results"
