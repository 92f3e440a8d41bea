public import ArgumentParser
public import Libevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The command-line options every example server shares: `--host`, `--idle-timeout` and
/// `--max-connections`. Each server declares its own `--port`, whose default differs.
///
/// Numeric options parse `.unconditional`ly, so that `--idle-timeout -1` reads `-1` as the value and
/// is rejected by `validate()` for what it is, not as a missing value followed by an unknown option.
public struct ServerOptions: ParsableArguments {
    /// The address to listen on: an IPv4 or IPv6 literal such as `127.0.0.1`, `0.0.0.0` or `::1`, or
    /// a name such as `localhost`, looked up once at start.
    @Option(help: "Address to listen on: an IPv4 or IPv6 literal, or a name such as localhost.")
    public var host = "127.0.0.1"

    /// Seconds a connection may stay idle before the server closes it.
    @Option(name: .customLong("idle-timeout"), parsing: .unconditional, help: "Close a connection idle for this many seconds.")
    public var idleTimeoutSeconds: Double = 60

    /// The most connections served at once; further clients wait in the kernel's backlog.
    @Option(name: .customLong("max-connections"), parsing: .unconditional, help: "Serve at most this many connections at once; others wait.")
    public var maxConnections = 10_000

    /// Options with their defaults.
    public init() {}

    /// Rejects a host that is neither an IP literal nor a name the system resolves, a non-positive
    /// or non-finite timeout, and a connection limit below 1.
    public func validate() throws {
        _ = try address(port: 0)
        guard idleTimeoutSeconds.isFinite, idleTimeoutSeconds > 0, idleTimeoutSeconds <= 31_536_000 else {
            throw ValidationError("--idle-timeout must be a number of seconds above 0 (got \(idleTimeoutSeconds))")
        }
        guard maxConnections >= 1 else {
            throw ValidationError("--max-connections must be at least 1 (got \(maxConnections))")
        }
    }

    /// The idle timeout as a duration.
    public var idleTimeout: Duration { .milliseconds(Int64((idleTimeoutSeconds * 1000).rounded(.up))) }

    /// `maxConnections`, lowered if needed so that that many connections fit under the process's
    /// descriptor limit (RLIMIT_NOFILE) with an eighth of it (at least 16) to spare for everything
    /// else (files being sent, the listener, the loop). The soft
    /// limit is first raised to the hard limit, as most servers do. A server that stays under the
    /// result does not run out of descriptors for its own connections: further clients wait in the
    /// backlog. When it lowers the limit, it says so on standard error, prefixed with `program`.
    public func connectionLimit(program: String) -> Int {
        var limit = rlimit()
        guard getrlimit(descriptorLimitResource, &limit) == 0 else { return maxConnections }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(descriptorLimitResource, &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur != rlim_t.max else { return maxConnections }  // RLIM_INFINITY
        let descriptors = Int(clamping: limit.rlim_cur)
        let available = max(1, descriptors - max(16, descriptors / 8))
        guard available < maxConnections else { return maxConnections }
        printError("\(program): serving at most \(available) connections at once to stay within the descriptor limit of \(descriptors)")
        return available
    }

    /// The address to bind: `host` with `port` (0 lets the kernel pick). A name is resolved with
    /// `getaddrinfo` (blocking: call this before the loop runs) to the first address it gives.
    ///
    /// - Throws: `ValidationError` when `host` is not a literal and does not resolve.
    public func address(port: UInt16) throws -> SocketAddress {
        if let literal = try? SocketAddress(host: host, port: port) { return literal }
        return try SocketAddress(host: Self.firstAddress(ofName: host), port: port)
    }

    /// The numeric form (`127.0.0.1`, `::1`) of the first IPv4 or IPv6 address that the system's
    /// resolver (`/etc/hosts`, then DNS) gives for `name`.
    private static func firstAddress(ofName name: String) throws -> String {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_ADDRCONFIG
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &results)
        defer { if let results { freeaddrinfo(results) } }
        guard status == 0, let first = results?.pointee else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw ValidationError("--host '\(name)' is neither an IP address nor a name that resolves (\(reason))")
        }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(first.ai_addr, first.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else {
            throw ValidationError("--host '\(name)' resolves to an address that is not IPv4 or IPv6")
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

#if canImport(Glibc)
/// `RLIMIT_NOFILE` as `getrlimit` takes it (Glibc imports the resources as an enum, Darwin as plain
/// integers).
private let descriptorLimitResource = Int32(RLIMIT_NOFILE.rawValue)
#else
private let descriptorLimitResource = RLIMIT_NOFILE
#endif
