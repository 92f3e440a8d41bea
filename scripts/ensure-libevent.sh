#!/usr/bin/env bash
# Installs libevent's headers and pkg-config files when pkg-config cannot find them.
# Debian/Ubuntu: apt-get (as root, or through sudo); macOS: Homebrew.
set -euo pipefail

if pkg-config --exists libevent libevent_pthreads 2>/dev/null; then
  exit 0
fi

echo "libevent not found by pkg-config; installing it" >&2
case "$(uname -s)" in
  Linux)
    if ! command -v apt-get >/dev/null; then
      echo "error: install libevent 2.1 development files (headers + pkg-config) with your package manager" >&2
      exit 1
    fi
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libevent-dev pkg-config >/dev/null
    ;;
  Darwin)
    brew install libevent pkg-config
    ;;
  *)
    echo "error: unsupported system $(uname -s); install libevent 2.1 yourself" >&2
    exit 1
    ;;
esac
pkg-config --exists libevent libevent_pthreads
