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
# The servers as the echo and HTTP benchmarks start them, with "{port}" for the port (an echo
# command line ends with its port); nginx prints no `listening on` line, and its configuration is
# made anew for each start.
spec="$work/startup.tsv"
nginx_config nginx '{port}' >"$work/nginx/nginx.conf.template"
{
    for name in "${order[@]}"; do printf '%s\t1\t%s {port}\n' "$name" "${servers[$name]% 0}"; done
    printf 'select-echo\t1\t.build/release/select-echo --port {port}\n'
    printf 'daytime-server\t1\t.build/release/daytime-server --port {port}\n'
    printf 'nginx (http)\t0\t%s\t%s\t%s\n' "$(http_server_command nginx '{port}')" \
        "$work/nginx/nginx.conf.template" "$work/nginx/nginx.conf"
    for name in evhttp swift-nio file-server; do
        printf '%s (http)\t1\t%s\n' "$name" "$(http_server_command "$name" '{port}')"
    done
} >"$spec"
echo "Start-up, exec to the first \`listening on\` line and to the first accepted connection, $reps starts each, $(date -u '+%F %H:%M') UTC, $(git rev-parse --short HEAD)"
echo
python3 Benchmarks/startup/startup.py "$reps" "$spec"
