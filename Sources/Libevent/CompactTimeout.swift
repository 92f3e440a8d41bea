#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An optional timeout in 8 bytes rather than the 24 of a `Duration?`: whole microseconds (the
/// precision of libevent's `timeval` timeouts), -1 for none. For state kept per connection, where
/// each byte counts thousands of times; shared by the modules of this package.
@usableFromInline package struct CompactTimeout: Equatable {
    /// The timeout in microseconds, -1 for none.
    package let microseconds: Int64

    /// `duration` rounded down to the microsecond, as `timeval` does (negative: zero); nil: none.
    @usableFromInline package init(_ duration: Duration?) {
        guard let duration else {
            microseconds = -1
            return
        }
        let time = timeval(duration)
        microseconds = Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_usec)
    }

    /// The timeout, or nil for none.
    @usableFromInline package var duration: Duration? { microseconds < 0 ? nil : .microseconds(microseconds) }
}
