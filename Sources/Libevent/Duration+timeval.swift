#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension timeval {
    /// The `timeval` nearest below `duration` (microsecond precision; negative durations become zero).
    /// Package access: the tests' socket timeouts are built with it too.
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds.multipliedReportingOverflow(by: 1_000_000).partialValue
                            + attoseconds / 1_000_000_000_000)
        self.init(tv_sec: .init(micros / 1_000_000), tv_usec: .init(micros % 1_000_000))
    }
}
