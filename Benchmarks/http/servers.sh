# Sourced by the HTTP and memory benchmarks: builds the HTTP servers under comparison, makes a
# temporary site in $work/root (1k.bin, 64k.bin, 1m.bin; removed on exit) and defines `http_order`
# and start_http_server NAME, which starts one on CPU 0 serving the site and sets `pid` and `port`.
source Benchmarks/common.sh
PATH=$PATH:/usr/sbin
for tool in wrk nginx; do
    command -v $tool >/dev/null || { echo "benchmark: $tool is missing (scripts/ensure-bench-tools.sh installs it)" >&2; exit 2; }
done
$cc -O2 -Wall -Wextra -o "$bin/evhttp-server" Benchmarks/http/evhttp-server.c $(pkg-config --cflags --libs libevent)
swift_release --product file-server
swift_release --package-path Benchmarks/nio-file-server
# nginx-cached is nginx with its open-file cache on, revalidated every second: the fair peer for
# file-server, whose cache (--cache-seconds, default 1) is on by default.
http_order=(nginx nginx-cached evhttp swift-nio file-server)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # nginx's worker runs as nobody
mkdir -p "$work/root"
head -c 1024 /dev/urandom > "$work/root/1k.bin"
head -c 65536 /dev/urandom > "$work/root/64k.bin"
head -c 1048576 /dev/urandom > "$work/root/1m.bin"
chmod 644 "$work/root"/*

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Prints the configuration of nginx ($1: nginx or nginx-cached) serving the site on 127.0.0.1:$2,
# with its pid file, logs and temporary paths under $work/nginx.
nginx_config() {
    local cache=""
    [ "$1" = nginx-cached ] && cache="open_file_cache max=10000 inactive=60s; open_file_cache_valid 1s;"
    cat <<CONF
worker_processes 1;
worker_rlimit_nofile 30000;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 20000; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000000;
    $cache
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    default_type application/octet-stream;
    server { listen 127.0.0.1:$2; root $work/root; }
}
CONF
}

start_http_server() {  # name -> sets pid, port
    port=$(free_port)
    case $1 in
        file-server) taskset -c 0 .build/release/file-server --port "$port" --root "$work/root" >/dev/null & pid=$! ;;
        evhttp) taskset -c 0 "$bin/evhttp-server" "$port" "$work/root" >/dev/null & pid=$! ;;
        swift-nio)
            taskset -c 0 Benchmarks/nio-file-server/.build/release/nio-file-server "$port" "$work/root" >/dev/null &
            pid=$! ;;
        nginx | nginx-cached)
            mkdir -p "$work/nginx"
            nginx_config "$1" "$port" >"$work/nginx/nginx.conf"
            taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>/dev/null & pid=$! ;;
    esac
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/1k.bin" && return
        sleep 0.05
    done
    echo "server $1 did not start" >&2
    exit 1
}
