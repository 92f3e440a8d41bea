#!/usr/bin/env bash
# Start-up: how long each server takes from exec to its first `listening on` line, and to the first
# connection its port accepts, beside the echo and HTTP peers of the other benchmarks (release
# builds, pinned to CPU 0, REPS starts each, interleaved; Benchmarks/startup/startup.py measures).
# Issue #6's target: the first `listening on` line within 50 ms of exec.
#   usage: Benchmarks/startup/run.sh [REPS=7]
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-7}
source Benchmarks/echo/peers.sh
source Benchmarks/http/servers.sh
swift_release --product daytime-server
swift_release --product select-echo
nginx_binary=$(command -v nginx)
spec="$work/startup.json"
mkdir -p "$work/nginx"  # nginx's prefix: its configuration's pid file, logs and temporary paths
SITE="$work/root" NGINX_CONFIG="$(nginx_config nginx '{port}')" NGINX="$nginx_binary" NGINX_PREFIX="$work/nginx" \
    BIN="$bin" python3 - >"$spec" <<'PY'
import json, os
site, bin = os.environ["SITE"], os.environ["BIN"]
print(json.dumps([
    ["c-events", [f"{bin}/echo-events", "{port}"], True, None],
    ["c-bufferevent", [f"{bin}/echo-bufferevent", "{port}"], True, None],
    ["swift-nio (echo)", ["Benchmarks/nio-echo/.build/release/nio-echo", "{port}"], True, None],
    ["echo-server --model completion", [".build/release/echo-server", "--model", "completion", "--port", "{port}"], True, None],
    ["echo-server --model readiness", [".build/release/echo-server", "--model", "readiness", "--port", "{port}"], True, None],
    ["select-echo", [".build/release/select-echo", "--port", "{port}"], True, None],
    ["daytime-server", [".build/release/daytime-server", "--port", "{port}"], True, None],
    ["nginx (http)", [os.environ["NGINX"], "-c", "{config}", "-p", os.environ["NGINX_PREFIX"]], False,
     os.environ["NGINX_CONFIG"]],
    ["evhttp (http)", [f"{bin}/evhttp-server", "{port}", site], True, None],
    ["swift-nio (http)", ["Benchmarks/nio-file-server/.build/release/nio-file-server", "{port}", site], True, None],
    ["file-server", [".build/release/file-server", "--port", "{port}", "--root", site], True, None],
]))
PY
echo "Start-up, exec to the first \`listening on\` line and to the first accepted connection, $reps starts each, $(date -u '+%F %H:%M') UTC, $(git rev-parse --short HEAD)"
echo
python3 Benchmarks/startup/startup.py "$reps" "$spec"
