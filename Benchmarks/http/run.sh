#!/usr/bin/env bash
# HTTP benchmark: file-server beside nginx (one worker, sendfile on, access_log off, foreground with
# its own config and temp paths), a C server on libevent's evhttp and a SwiftNIO static file server
# with one event loop (Benchmarks/nio-file-server, a package of its own). wrk -t1 at 32 and 256
# connections on 1 KiB, 64 KiB and 1 MiB files; server (all its processes) pinned to CPU 0, wrk to
# CPU 1; servers interleaved, REPS x SECONDS per cell; medians with min-max, CPU shares of server
# and wrk, requests per server CPU-second, and ratios to nginx from the same run.
# Seven short repetitions rather than a few long ones, as in the echo benchmark: the VM's speed
# changes from one minute to the next, so more interleaved samples give steadier medians.
#   usage: Benchmarks/http/run.sh [SECONDS=3] [REPS=7]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3}
reps=${2:-7}
source Benchmarks/http/servers.sh
ticks=$(getconf CLK_TCK)  # wrk's CPU, read from its shell's /proc stat (children's ticks)

order=("${http_order[@]}")
files=(1k.bin 64k.bin 1m.bin)
results=$(mktemp)
for connections in 32 256; do
    for file in "${files[@]}"; do
        for rep in $(seq "$reps"); do
            for name in "${order[@]}"; do
                start_http_server "$name"
                before=$(cpu_nanoseconds "$pid")
                ticks_before=$(cpu_ticks 0)
                out=$(taskset -c 1 bash -c "wrk -t1 -c$connections -d${seconds}s http://127.0.0.1:$port/$file; awk '{ print \"wrk_ticks=\" \$16 + \$17 }' /proc/\$\$/stat")
                stolen=$(stolen_percent "$ticks_before" "$(cpu_ticks 0)")
                after=$(cpu_nanoseconds "$pid")
                kill "$pid"; wait "$pid" 2>/dev/null || true
                rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
                errors=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
                wrk_cpu=$(awk -v t="$(sed -n 's/^wrk_ticks=//p' <<<"$out")" -v hz="$ticks" -v s="$seconds" 'BEGIN { printf "%.2f", t / hz / s }')
                server_cpu=$(cpu_share $((after - before)) "$seconds")
                if [ -n "$errors" ] && [ "$errors" != 0 ]; then
                    echo "http bench: $name answered $errors non-2xx responses for /$file; not a valid run" >&2
                    exit 1
                fi
                echo "$connections|$file|$name|${rate%.*}|$server_cpu|$wrk_cpu|$stolen|$rep" >>"$results"
                echo "  c=$connections $file rep $rep $name: ${rate} req/s, server cpu $server_cpu, wrk cpu $wrk_cpu, non-2xx ${errors:-0}, stolen on cpu0 $stolen%" >&2
            done
        done
    done
done

median() { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }

# Pairs server $3's repetitions for connections $1 and file $2 with nginx's of the same round (the
# two ran back to back, so they shared the machine's speed of that minute): one line per round,
# "rep|nginx's req/s|server CPU|the server's req/s|server CPU".
paired_rows() {
    local fields='{ print $8 "|" $4 "|" $5 }'
    join -t'|' <(awk -F'|' -v c="$1" -v f="$2" "\$1 == c && \$2 == f && \$3 == \"nginx\" $fields" "$results" | sort -t'|' -k1,1) \
               <(awk -F'|' -v c="$1" -v f="$2" -v n="$3" "\$1 == c && \$2 == f && \$3 == n $fields" "$results" | sort -t'|' -k1,1)
}

# Paired with nginx, req/s and then req per server CPU-second: each round's ratio to nginx's in the
# same round, as `median_ratio_and_wins` (common.sh) prints them; 7 of 7 (or 0 of 7) happens by
# chance in under 2% of runs (a sign test). Where wrk saturates, a server's CPU share moves with
# the machine's speed from minute to minute, and the ratio of the medians mixes rounds of
# different speeds; the paired ratio compares each round with itself.
paired_with_nginx() {
    local rows
    rows=$(paired_rows "$@")
    printf "%s | %s" \
        "$(awk -F'|' '$2 > 0 { print $4 / $2 }' <<<"$rows" | median_ratio_and_wins)" \
        "$(awk -F'|' '$3 > 0 && $5 > 0 && $2 > 0 { print ($4 / $5) / ($2 / $3) }' <<<"$rows" | median_ratio_and_wins)"
}
echo
echo "HTTP, $(date -u +%F), $(nproc) cores, wrk -t1, median of $reps x ${seconds}s (min-max); ratio vs nginx in this run;"
echo "stolen = the share of the server's CPU (0) the hypervisor took during a repetition, median (max);"
echo "paired = the median over repetitions of the ratio to nginx in the same repetition, and in how many it was at least 1"
echo
echo "| conns | file | server | req/s (min-max) | CPU server/wrk | req per server CPU-s | ratio req/s | ratio per CPU-s | paired req/s | paired per CPU-s | stolen % |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for connections in 32 256; do
    for file in "${files[@]}"; do
        nginx_rate=$(grep "^$connections|$file|nginx|" "$results" | cut -d'|' -f4 | median)
        nginx_cpu=$(grep "^$connections|$file|nginx|" "$results" | cut -d'|' -f5 | median)
        for name in "${order[@]}"; do
            rows=$(grep "^$connections|$file|$name|" "$results")
            rate=$(cut -d'|' -f4 <<<"$rows" | median)
            low=$(cut -d'|' -f4 <<<"$rows" | sort -n | head -1)
            high=$(cut -d'|' -f4 <<<"$rows" | sort -n | tail -1)
            server_cpu=$(cut -d'|' -f5 <<<"$rows" | median)
            wrk_cpu=$(cut -d'|' -f6 <<<"$rows" | median)
            per_cpu=$(awk -v r="$rate" -v c="$server_cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
            ratio=$(awk -v r="$rate" -v b="$nginx_rate" 'BEGIN { printf "%.2f", r / b }')
            ratio_cpu=$(awk -v r="$rate" -v c="$server_cpu" -v b="$nginx_rate" -v bc="$nginx_cpu" 'BEGIN { printf "%.2f", (c > 0 && bc > 0 ? (r / c) / (b / bc) : 0) }')
            stolen=$(cut -d'|' -f7 <<<"$rows" | median)
            stolen_max=$(cut -d'|' -f7 <<<"$rows" | sort -n | tail -1)
            echo "| $connections | $file | $name | $rate ($low-$high) | $server_cpu/$wrk_cpu | $per_cpu | ${ratio}x | ${ratio_cpu}x | $(paired_with_nginx "$connections" "$file" "$name") | $stolen ($stolen_max) |"
        done
    done
done
rm -f "$results"
