# Sourced by the echo and memory benchmarks: builds the load generator and the echo servers under
# comparison and defines `servers` (name -> command line printing "listening on 127.0.0.1:PORT"; the
# last argument is the port, 0 for any free one) and `order`.
source Benchmarks/common.sh
# -O3: the generator's loops that make and check the bytes then vectorise (-O2 leaves them scalar).
$cc -O3 -Wall -Wextra -o "$bin/loadgen" Benchmarks/echo/loadgen.c
$cc -O2 -Wall -Wextra -o "$bin/echo-bufferevent" Benchmarks/echo/echo-bufferevent.c $(pkg-config --cflags --libs libevent)
$cc -O2 -Wall -Wextra -o "$bin/echo-events" Benchmarks/echo/echo-events.c $(pkg-config --cflags --libs libevent)
swift_release --product echo-server
swift_release --package-path Benchmarks/nio-echo

declare -A servers=(
    [c-events]="$bin/echo-events 0"
    [c-bufferevent]="$bin/echo-bufferevent 0"
    [swift-completion]=".build/release/echo-server --model completion --port 0"
    [swift-readiness]=".build/release/echo-server --model readiness --port 0"
    [swift-nio]="Benchmarks/nio-echo/.build/release/nio-echo 0"
)
order=(c-events c-bufferevent swift-nio swift-completion swift-readiness)
