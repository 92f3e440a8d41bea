#!/usr/bin/env bash
# Soak: echo-server (both models) and file-server (release builds) under a mixed load for
# SECONDS (default 600): echo and HTTP clients opening and closing connections, some resetting
# mid-transfer (scripts/mixed_load.py). Passes with zero wrong bytes, zero server errors, each
# server's RSS flat within 10% after a 60 s warm-up, and exit status 0 from each on SIGTERM.
#   usage: scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
source Benchmarks/common.sh   # swift_release: the release build the benchmarks and `make run` use
swift_release --product echo-server
swift_release --product file-server
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/root"
head -c 1024 /dev/urandom > "$work/root/1k.bin"
head -c 65536 /dev/urandom > "$work/root/64k.bin"
head -c 1048576 /dev/urandom > "$work/root/1m.bin"
echo "<h1>soak</h1>" > "$work/root/index.html"

start() {  # name, command... -> sets address, appends pid
    "${@:2}" --port 0 >"$work/$1.out" &
    pids+=($!)
    for _ in $(seq 1 100); do grep -q "listening on" "$work/$1.out" && break; sleep 0.1; done
    address=$(sed -n 's/^listening on //p' "$work/$1.out" | head -1)
}
start echo-completion .build/release/echo-server --model completion
echo_completion=$address
start echo-readiness .build/release/echo-server --model readiness
echo_readiness=$address
start file-server .build/release/file-server --root "$work/root"
http=$address

status=0
python3 scripts/mixed_load.py --echo "$echo_completion" --echo "$echo_readiness" --http "$http" --root "$work/root" \
    --seconds "$seconds" --workers 6 --report-every 30 --warmup 60 \
    --rss "${pids[0]}" --rss "${pids[1]}" --rss "${pids[2]}" || status=1
names=(echo-completion echo-readiness file-server)
for i in 0 1 2; do
    kill -TERM "${pids[$i]}"
    exit_status=0
    wait "${pids[$i]}" || exit_status=$?
    echo "${names[$i]} (pid ${pids[$i]}): exit $exit_status on SIGTERM"
    [ "$exit_status" = 0 ] || status=1
done
pids=()
echo "soak: $([ $status = 0 ] && echo PASSED || echo FAILED) after ${seconds}s"
exit $status
