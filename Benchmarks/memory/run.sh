#!/usr/bin/env bash
# Memory per idle connection: each server's RSS idle, and with CONNECTIONS (default 5000) idle
# connections open, each of which has echoed one byte or answered one HTTP request (GET /1k.bin), so
# it is fully set up. The echo servers and the HTTP servers of the other two benchmarks; a server's
# RSS includes its child processes (nginx's worker).
#   usage: Benchmarks/memory/run.sh [CONNECTIONS=5000]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}
source Benchmarks/echo/peers.sh
source Benchmarks/http/servers.sh
ulimit -n $((count * 2 + 1000))

# RSS in KiB of a process and its children.
rss() { sum_over_process_tree "$1" status '/^VmRSS:/ { print $2 }'; }

# Opens $count connections to 127.0.0.1:$1, each doing one exchange ($2: echo or http), and prints
# the RSS in KiB of process $3 and its children while they are all open and idle.
loaded_rss() {
    python3 - "$1" "$count" "$2" "$3" <<'PY'
import os, socket, sys, time
port, count, kind, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
clients = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    if kind == "http":
        s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: m\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 1024:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("connection closed early")
            data += chunk
    else:
        s.sendall(b"x")
        s.recv(1)
    clients.append(s)
time.sleep(0.5)
def rss(p):
    with open(f"/proc/{p}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
children = [d for d in os.listdir("/proc") if d.isdigit() and open(f"/proc/{d}/stat").read().split(")")[1].split()[1] == pid]
print(rss(pid) + sum(rss(c) for c in children))
PY
}

measure() {  # name kind -> one table row; needs pid and port
    local idle loaded
    sleep 0.2
    idle=$(rss "$pid")
    loaded=$(loaded_rss "$port" "$2" "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "| $1 | $idle | $loaded | $(( (loaded - idle) * 1024 / count )) |"
}

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
    measure "$name" echo
done
for name in "${http_order[@]}"; do
    start_http_server "$name"
    measure "$name (http)" http
done
