#!/usr/bin/env bash
# Memory per idle connection: each server's RSS idle, and with CONNECTIONS (default 5000) idle
# connections open (each has echoed one byte, or answered one HTTP request, so it is fully set up).
#   usage: Benchmarks/memory/run.sh [CONNECTIONS=5000]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}
source Benchmarks/echo/peers.sh
swift_release --product file-server
ulimit -n $((count * 2 + 1000))
servers[file-server]=".build/release/file-server --port 0"
order+=(file-server)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

echo "RSS with $count idle connections, $(date -u +%F)"
echo
echo "| server | idle RSS KiB | RSS with $count connections KiB | bytes per connection |"
echo "|---|---|---|---|"
for name in "${order[@]}"; do
    out=$(mktemp)
    ${servers[$name]} >"$out" &
    pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
    rm -f "$out"
    sleep 0.2
    idle=$(rss "$pid")
    loaded=$(python3 - "$port" "$count" "$pid" "$name" <<'PY'
import socket, sys, time
port, count, pid, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
clients = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    if name == "file-server":
        s.sendall(b"GET /notes/hello.txt HTTP/1.1\r\nHost: m\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
    else:
        s.sendall(b"x")
        s.recv(1)
    clients.append(s)
time.sleep(0.5)
with open(f"/proc/{pid}/status") as f:
    print(next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")))
PY
)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "| $name | $idle | $loaded | $(( (loaded - idle) * 1024 / count )) |"
done
