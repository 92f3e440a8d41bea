public import Libevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The transport a listening socket serves, as named in its `listening on` line.
public enum Transport: Sendable {
    /// A TCP listener: `listening on HOST:PORT`.
    case tcp
    /// A UDP socket: `listening on udp HOST:PORT`.
    case udp
}

/// Prints `listening on HOST:PORT` (IPv6 as `[::1]:PORT`; `udp` before the address for UDP) and
/// flushes standard output at once, so a supervisor or test reading a pipe sees it immediately.
public func announceListening(on address: SocketAddress, transport: Transport = .tcp) {
    print(transport == .udp ? "listening on udp \(address)" : "listening on \(address)")
    fflush(nil)
}
