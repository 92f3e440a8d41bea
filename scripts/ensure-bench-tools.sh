#!/usr/bin/env bash
# Installs what the benchmarks need beyond the build when it is missing: wrk (the HTTP load
# generator), nginx (an HTTP peer) and, on Linux, valgrind (which counts the echo servers'
# instructions). Debian/Ubuntu: apt-get (as root, or through sudo); macOS: Homebrew (no valgrind).
set -euo pipefail
PATH=$PATH:/usr/sbin

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
[ "$(uname -s)" = Darwin ] || command -v valgrind >/dev/null || missing+=(valgrind)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]} for the benchmarks" >&2
case "$(uname -s)" in
  Linux)
    command -v apt-get >/dev/null || { echo "error: install ${missing[*]} with your package manager" >&2; exit 1; }
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    packages=("${missing[@]/nginx/nginx-light}")
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
    ;;
  Darwin)
    brew install "${missing[@]}"
    ;;
  *)
    echo "error: unsupported system $(uname -s); install ${missing[*]} yourself" >&2
    exit 1
    ;;
esac
