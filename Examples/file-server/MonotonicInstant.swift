#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reading of a cheap monotonic clock in nanoseconds: the clock of the request deadlines and
/// cache expiry times that the file server reads and sets for every request. Reading it and adding
/// to it cost a few dozen instructions, where `ContinuousClock.now` and `Instant` arithmetic
/// (128-bit attoseconds) cost several hundred, and it fits in 8 bytes. On Linux it is
/// CLOCK_MONOTONIC_COARSE, which advances once per kernel tick (1 to 10 ms): precise enough for
/// deadlines of tens of milliseconds and more, and never behind a real deadline by more than a tick.
struct MonotonicInstant: Comparable {
    /// A length of time on this clock, converted from a `Duration` once so that adding it costs
    /// an integer addition.
    struct Interval {
        /// Whole nanoseconds, rounded down; never negative.
        let nanoseconds: Int64

        /// `duration` in whole nanoseconds (a negative duration counts as zero).
        init(_ duration: Duration) {
            let (seconds, attoseconds) = duration.components
            nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
    }

    /// Nanoseconds since the clock's origin (the system's boot); never negative.
    let nanoseconds: Int64

    #if os(Linux)
    private static let clock = CLOCK_MONOTONIC_COARSE
    #else
    private static let clock = CLOCK_MONOTONIC
    #endif

    /// The clock's reading now.
    static var now: MonotonicInstant {
        var time = timespec()
        clock_gettime(clock, &time)
        return MonotonicInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    /// The instant `interval` after `instant`.
    static func + (instant: MonotonicInstant, interval: Interval) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: instant.nanoseconds + interval.nanoseconds)
    }

    static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
