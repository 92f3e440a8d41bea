# Sourced by every benchmark: where the peers are built, the C compiler, and how the Swift servers
# are built (the way `make run` builds file-server: release, with cross-module optimisation, which
# lets the compiler specialise the library's generic completion port for each server's key and
# context types; the SwiftNIO peers get the same flag).
bin=Benchmarks/bin
mkdir -p "$bin"
cc=${CC:-cc}
swift_release() { swift build -c release -Xswiftc -cross-module-optimization "$@" >/dev/null; }
