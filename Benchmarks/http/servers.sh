# Sourced by the HTTP and memory benchmarks: builds the HTTP servers under comparison, makes a
# temporary site in $work/root (1k.bin, 64k.bin, 1m.bin; removed on exit) and defines `http_order`,
# http_server_command NAME PORT and start_http_server NAME, which starts one on CPU 0 serving the
# site and sets `pid` and `port`.
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
mkdir -p "$work/nginx"  # nginx's prefix: its configuration, pid file, logs and temporary paths

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

# Prints the command line of HTTP server $1 serving the site on 127.0.0.1:$2 (nginx reads the
# configuration that `nginx_config` makes from $work/nginx/nginx.conf).
http_server_command() {
    case $1 in
        file-server) echo ".build/release/file-server --port $2 --root $work/root" ;;
        evhttp) echo "$bin/evhttp-server $2 $work/root" ;;
        swift-nio) echo "Benchmarks/nio-file-server/.build/release/nio-file-server $2 $work/root" ;;
        nginx | nginx-cached) echo "nginx -c $work/nginx/nginx.conf -p $work/nginx" ;;
    esac
}

start_http_server() {  # name -> sets pid, port
    port=$(free_port)
    case $1 in
        nginx | nginx-cached)
            nginx_config "$1" "$port" >"$work/nginx/nginx.conf"
            taskset -c 0 $(http_server_command "$1" "$port") 2>/dev/null & pid=$! ;;
        *) taskset -c 0 $(http_server_command "$1" "$port") >/dev/null & pid=$! ;;
    esac
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/1k.bin" && return
        sleep 0.05
    done
    echo "server $1 did not start" >&2
    exit 1
}
