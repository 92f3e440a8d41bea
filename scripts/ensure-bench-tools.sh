#!/usr/bin/env bash
# Installs what the HTTP benchmark runs beside file-server when it is missing: wrk (the load
# generator) and nginx (a peer). Debian/Ubuntu: apt-get (as root, or through sudo); macOS: Homebrew.
set -euo pipefail
PATH=$PATH:/usr/sbin

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]} for the HTTP benchmark" >&2
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
