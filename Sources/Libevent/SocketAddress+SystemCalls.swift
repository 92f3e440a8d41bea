#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SocketAddress {
    /// Calls `body` with this address as a `sockaddr` pointer and its length, for system calls such
    /// as `connect`, `bind` or `sendto` in code ported from C. The pointer is valid only during `body`.
    public func withUnsafeSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withRawSockaddr { raw, length in
            try body(raw.assumingMemoryBound(to: sockaddr.self), socklen_t(length))
        }
    }
}
