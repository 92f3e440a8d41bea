# Sourced by every benchmark: where the peers are built, the C compiler, and how the Swift servers
# are built (the way `make run` builds file-server: release, with cross-module optimisation; the
# SwiftNIO peers get the same flag). The completion port no longer needs the flag to be specialised
# for each server's key and context types (its code is inlinable): `instructions.sh` measures the
# completion echo built without it too.
bin=Benchmarks/bin
mkdir -p "$bin"
cc=${CC:-cc}
swift_release() { swift build -c release -Xswiftc -cross-module-optimization "$@" >/dev/null; }

# Prints the sum, over process $1 and its children (nginx's worker), of what the awk program $3 prints
# for each one's /proc/PID/$2.
sum_over_process_tree() {
    local total=0
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk "$3" "/proc/$p/$2")))
    done
    echo $total
}
