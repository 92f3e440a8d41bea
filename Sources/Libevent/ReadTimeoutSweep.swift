internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The check of the read timeouts of one duration (a server's idle timeout) on one base, for every
/// socket reading with it: in rounds, by one timer, rather than by a timeout on each socket's read
/// event.
///
/// libevent re-adds a persistent event that has a timeout every time the event fires, so with an
/// idle timeout on every connection each read cost a timeout-queue update, and the loop a timer
/// check per iteration: about 400 instructions of a 64-byte echo's 3,100. A swept socket's read
/// event has no timeout; a read only zeroes the socket's count of idle rounds. The sweep's timer
/// ticks every `period` while any socket is watched; each tick counts a round on every watched
/// socket (one pass over the base's events) and times out those that reach `rounds`.
///
/// A timeout fires between its duration and one period after the last byte arrived: the period is
/// a fifteenth of the duration, and at most a second. The ticks come from a `PeriodicTick`, so the
/// loop's waits for events carry no timeout for them.
final class ReadTimeoutSweep {
    /// The duration whose sockets this sweep watches.
    let duration: CompactTimeout
    /// The rounds after which a socket that read nothing times out.
    let rounds: UInt16
    /// The base whose events a tick visits.
    private let basePointer: OpaquePointer
    /// The sockets watched now; the tick runs while there are any.
    private var watchedCount = 0
    /// Set at the end of `init`: its action refers to the sweep.
    private var tickSource: PeriodicTick!
    /// The sockets a tick found timed out, reported once its pass over the events is done.
    private var expired: [StreamSocket] = []

    /// The fewest periods a duration is divided into.
    static let fewestPeriods: Int64 = 15
    /// The longest period, unless the duration is above 18 hours (the count is 16 bits).
    static let longestPeriodMicroseconds: Int64 = 1_000_000

    /// A sweep for `duration` (positive) on `base`, idle until a socket is watched.
    init(base: EventBase, duration: Duration) {
        self.duration = CompactTimeout(duration)
        let micros = max(1, self.duration.microseconds)
        // n periods of at least `micros / n` each cover the duration; a count that reaches n + 1
        // was last reset at least n periods ago.
        let periods = min(max(Self.fewestPeriods, (micros + Self.longestPeriodMicroseconds - 1) / Self.longestPeriodMicroseconds),
                          Int64(UInt16.max) - 1)
        let periodMicros = (micros + periods - 1) / periods
        let period = timeval(tv_sec: .init(periodMicros / 1_000_000), tv_usec: .init(periodMicros % 1_000_000))
        rounds = UInt16(periods + 1)
        basePointer = base.pointer
        tickSource = PeriodicTick(base: base, period: period) { [unowned self] in self.tick() }
    }

    /// Frees the tick; called by the base before it frees itself.
    func freeTick() {
        tickSource.free()
    }

    /// One more socket reads with this duration; the tick starts with the first.
    func watch() {
        watchedCount += 1
        if watchedCount == 1 { tickSource.start() }
    }

    /// A socket stopped reading (or closed, or changed its timeout); the tick stops with the last.
    func unwatch() {
        watchedCount -= 1
        if watchedCount == 0 { tickSource.stop() }
    }

    /// Counts a round on every watched socket, then times out those idle for `rounds`.
    private func tick() {
        _ = event_base_foreach_event(basePointer, readTimeoutSweepVisit, Unmanaged.passUnretained(self).toOpaque())
        // Reported after the pass: libevent's events may not change during it, and a handler may
        // close or re-time other sockets of the list, which `readTimeoutExpired` checks again.
        let timedOut = expired
        expired = []
        for socket in timedOut { socket.readTimeoutExpired(in: self) }
    }

    /// Counts a round on the socket whose read event `event` is, if this sweep watches it.
    fileprivate func countRound(of event: OpaquePointer) {
        guard let socket = StreamSocket.readingSocket(of: event), socket.isWatchedByReadTimeoutSweep,
              socket.readTimeoutStorage == duration else { return }
        socket.idleReadRounds &+= 1
        if socket.idleReadRounds >= rounds { expired.append(socket) }
    }
}

private func readTimeoutSweepVisit(_: OpaquePointer?, _ event: OpaquePointer?, _ context: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<ReadTimeoutSweep>.fromOpaque(context!).takeUnretainedValue().countRound(of: event!)
    return 0
}

extension EventBase {
    /// The most distinct read-timeout durations a base sweeps; sockets with further ones get
    /// libevent's timeout on their read event.
    package static let sweptDurationLimit = 16

    /// The sweep for read timeouts of `timeout`, made on first use; nil for no timeout, one shorter
    /// than `sweptReadTimeoutMinimum`, or once `sweptDurationLimit` others exist. The answer for a
    /// duration never changes: sweeps are kept for the base's life.
    func readTimeoutSweep(for timeout: CompactTimeout) -> ReadTimeoutSweep? {
        for sweep in readTimeoutSweeps where sweep.duration == timeout { return sweep }
        return makeReadTimeoutSweep(for: timeout)
    }

    private func makeReadTimeoutSweep(for timeout: CompactTimeout) -> ReadTimeoutSweep? {
        guard let duration = timeout.duration, duration > .zero, duration >= sweptReadTimeoutMinimum,
              readTimeoutSweeps.count < Self.sweptDurationLimit else { return nil }
        let sweep = ReadTimeoutSweep(base: self, duration: duration)
        readTimeoutSweeps.append(sweep)
        return sweep
    }
}
