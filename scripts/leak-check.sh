#!/usr/bin/env bash
# Leak check: runs echo-server (both models), select-echo and file-server under valgrind memcheck,
# puts them through a short mixed load (scripts/mixed_load.py: echo, HTTP, resets mid-transfer),
# stops them with SIGTERM, and requires exit status 0 and "definitely lost: 0 bytes" from each.
#   usage: scripts/leak-check.sh [LOAD_SECONDS]      (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
command -v valgrind >/dev/null || { echo "leak-check: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
source Benchmarks/common.sh   # swift_release: the release build the benchmarks and `make run` use
swift_release --product echo-server
swift_release --product select-echo
swift_release --product file-server
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root"
head -c 1000 /dev/urandom > "$work/root/small.bin"
head -c 300000 /dev/urandom > "$work/root/large.bin"
echo "<h1>index</h1>" > "$work/root/index.html"

status=0
run() {  # name, kind (echo|http), command...
    local name=$1 kind=$2
    shift 2
    local log="$work/$name.valgrind" out="$work/$name.out"
    SWIFT_BACKTRACE=enable=no valgrind --leak-check=full --show-leak-kinds=definite --log-file="$log" "$@" --port 0 >"$out" &
    local pid=$!
    for _ in $(seq 1 600); do grep -q "listening on" "$out" && break; sleep 0.1; done
    local address
    address=$(sed -n 's/^listening on //p' "$out" | head -1)
    if [ "$kind" = echo ]; then
        python3 scripts/mixed_load.py --echo "$address" --seconds "$seconds" --workers 2 --report-every "$seconds" --warmup 1e9 >"$work/$name.load" || true
    else
        python3 scripts/mixed_load.py --http "$address" --root "$work/root" --seconds "$seconds" --workers 2 --report-every "$seconds" --warmup 1e9 >"$work/$name.load" || true
    fi
    kill -TERM "$pid"
    local exit_status=0
    wait "$pid" || exit_status=$?
    local lost
    lost=$(grep -o "definitely lost: [0-9,]* bytes in [0-9,]* blocks" "$log" \
        || { grep -q "All heap blocks were freed" "$log" && echo "definitely lost: 0 bytes (all heap blocks freed)"; } \
        || echo "no leak summary from valgrind")
    local load
    load=$(grep RESULT "$work/$name.load" || echo "RESULT missing")
    echo "$name: exit $exit_status; $lost; load: $load"
    if [ "$exit_status" != 0 ] || ! grep -q "definitely lost: 0 bytes" <<<"$lost"; then
        status=1
        grep -A20 "definitely lost in" "$log" | head -60 || true
    fi
}
run echo-completion echo .build/release/echo-server --model completion
run echo-readiness echo .build/release/echo-server --model readiness
run select-echo echo .build/release/select-echo
run file-server http .build/release/file-server --root "$work/root"
exit $status
