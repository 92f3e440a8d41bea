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
# for each one's /proc/PID/$2 ($2 may be a pattern, such as task/*/schedstat for every thread).
sum_over_process_tree() {
    local p total=0
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk "$3" /proc/"$p"/$2)))
    done
    echo $total
}

# Prints the nanoseconds process $1 and its children have run on a CPU, every thread counted
# (SwiftNIO's event loop is not its main thread): the scheduler's own account in
# /proc/PID/task/TID/schedstat. (/proc/PID/stat counts 10 ms ticks: at a server CPU share of 0.25
# over 3 s that is 75 ticks, and one tick more or less moved a per-CPU-second ratio by 1.3%.)
# (awk prints the sum with %.0f: Debian's mawk caps %d at 2^31 - 1, about 2.1 s.)
cpu_nanoseconds() { sum_over_process_tree "$1" 'task/*/schedstat' '{ s += $1 } END { printf "%.0f", s }'; }

# Prints "TICKS STOLEN" for CPU $1 from /proc/stat: the ticks it has counted so far and, of them,
# the ticks the hypervisor ran something else while this VM wanted the CPU (steal time).
cpu_ticks() { awk -v cpu="cpu$1" '$1 == cpu { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }

# The percentage of CPU time stolen between two `cpu_ticks` readings $1 and $2, to one decimal.
stolen_percent() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "%.1f", (y[1] > x[1] ? 100 * (y[2] - x[2]) / (y[1] - x[1]) : 0) }'; }

# The CPU share of $1 nanoseconds over $2 seconds, to three decimals (at a share of 0.25, two
# decimals alone would move a per-CPU-second ratio by up to 2%).
cpu_share() { awk -v ns="$1" -v s="$2" 'BEGIN { printf "%.3f", ns / 1e9 / s }'; }

# Prints the median of the paired ratios on standard input (one a line: a server's figure over the
# peer's in the same round of the interleaving) and in how many rounds it was at least 1: "1.13x
# (6/7)". A server no different from its peer wins about half the rounds.
median_ratio_and_wins() {
    sort -g | awk '{ r[NR] = $1; wins += ($1 >= 1) } END { printf "%.2fx (%d/%d)", r[int((NR + 1) / 2)], wins, NR }'
}
