import Glibc
import Libevent
import TestSupport
import Testing

/// Read timeouts counted in rounds by the base's sweep (those of a second and more; these tests
/// lower the threshold to sweep short ones): never early, at most a period (a fifteenth) late,
/// restarted by each read, and without keeping the loop alive once no socket needs them.
@Suite struct ReadTimeoutSweepTests {
    /// A socket on one end of a new socket pair, recording when its read timeout fires.
    private final class TimedSocket {
        let socket: BufferedSocket
        let peer: Int32
        var timedOutAfter: Duration?
        var bytesRead = 0

        init(base: EventBase, timeout: Duration, started: ContinuousClock.Instant) throws {
            let (mine, theirs) = try socketPair()
            peer = theirs
            socket = try BufferedSocket(base: base, descriptor: mine)
            socket.onRead = { [unowned self] socket in
                bytesRead += socket.input.count
                socket.input.drain(socket.input.count)
            }
            socket.onEvent = { [unowned self] socket, event in
                if event == .readTimeout { timedOutAfter = ContinuousClock.now - started }
                socket.close()
            }
            socket.setTimeouts(read: timeout, write: nil)
            socket.enable(.read)
        }

        deinit { close(peer) }
    }

    /// How late a timeout may be on a loaded machine.
    private let schedulingSlack = Duration.milliseconds(150)
    /// How early a timeout may seem: libevent times with the coarse monotonic clock (one kernel
    /// tick, 1-4 ms, behind the precise one that the tests read).
    private let coarseClock = Duration.milliseconds(10)

    /// A socket that starts reading halfway through one of the sweep's periods (40 ms for 600 ms)
    /// is counted from there: its first round is half a period, so it needs one round more.
    @Test func aSweptTimeoutFiresNoEarlierThanItsDurationAndAtMostAPeriodLater() throws {
        let base = try EventBase()
        base.sweptReadTimeoutMinimum = .zero
        let timeout = Duration.milliseconds(600)
        let first = try TimedSocket(base: base, timeout: timeout, started: .now)
        let halfPeriodLater = ContinuousClock.now + .milliseconds(20)
        try runBounded(base) { ContinuousClock.now > halfPeriodLater }
        let socket = try TimedSocket(base: base, timeout: timeout, started: .now)
        try runBounded(base) { !socket.socket.isOpen && !first.socket.isOpen }
        let elapsed = try #require(socket.timedOutAfter)
        #expect(elapsed >= timeout - coarseClock && elapsed <= timeout + timeout / 15 + schedulingSlack, "\(elapsed)")
    }

    @Test func eachReadRestartsTheTimeoutAndOnlyIdleSocketsTimeOut() throws {
        let base = try EventBase()
        base.sweptReadTimeoutMinimum = .zero
        let timeout = Duration.milliseconds(200)
        let started = ContinuousClock.now
        let sockets = try (0..<3).map { _ in try TimedSocket(base: base, timeout: timeout, started: started) }
        let fed = sockets[0]
        var lastWrite = Duration.zero
        let writer = EventTimer(base: base) { timer in
            writeAll(fed.peer, [1])
            lastWrite = ContinuousClock.now - started
            if fed.bytesRead >= 7 { timer.close() }
        }
        writer.schedule(every: .milliseconds(50))
        try runBounded(base) { sockets.allSatisfy { !$0.socket.isOpen } }
        #expect(fed.bytesRead == 8, "bytes every 50 ms kept the socket reading")
        let fedTimeout = try #require(fed.timedOutAfter)
        #expect(fedTimeout >= lastWrite + timeout - coarseClock, "\(fedTimeout) after a last write at \(lastWrite)")
        for idle in sockets.dropFirst() {
            let elapsed = try #require(idle.timedOutAfter)
            #expect(elapsed >= timeout - coarseClock && elapsed < lastWrite, "\(elapsed)")
        }
    }

    /// The sweep's timer runs only while a socket needs it, so `run()` can still end by itself.
    @Test func theLoopCanEndOnceTheLastSweptSocketCloses() throws {
        let base = try EventBase()
        let sockets = try (0..<2).map { _ in try TimedSocket(base: base, timeout: .seconds(10), started: .now) }
        try base.runOnce(blocking: false)
        sockets.forEach { $0.socket.close() }
        #expect(try base.runOnce() == .noMoreEvents)
    }

    /// A timeout moved from libevent's timeout on the read event (below the threshold) to the sweep
    /// leaves no timeout on the event, and moving it back puts one there.
    @Test func aTimeoutMovedBetweenTheEventAndTheSweepKeepsOnlyTheNewOne() throws {
        let base = try EventBase()
        let started = ContinuousClock.now
        let socket = try TimedSocket(base: base, timeout: .milliseconds(30), started: started)
        socket.socket.setTimeouts(read: .seconds(10), write: nil)
        let waitPast = started + .milliseconds(150)
        try runBounded(base) { ContinuousClock.now > waitPast }
        #expect(socket.socket.isOpen, "the 30 ms timeout was replaced")
        let changed = ContinuousClock.now
        socket.socket.setTimeouts(read: .milliseconds(40), write: nil)
        try runBounded(base) { !socket.socket.isOpen }
        let firedAfterChange = try #require(socket.timedOutAfter) - (changed - started)
        #expect(firedAfterChange >= .milliseconds(40) - coarseClock && firedAfterChange <= .milliseconds(40) + schedulingSlack,
                "\(firedAfterChange)")
    }

    /// Durations beyond the base's limit of sweeps get libevent's timeouts; every socket times out
    /// within its own window either way.
    @Test func durationsBeyondTheSweepLimitStillTimeOut() throws {
        let base = try EventBase()
        base.sweptReadTimeoutMinimum = .zero
        let started = ContinuousClock.now
        let timeouts = (0..<EventBase.sweptDurationLimit + 4).map { Duration.milliseconds(30 * ($0 + 1)) }
        let sockets = try timeouts.map { try TimedSocket(base: base, timeout: $0, started: started) }
        try runBounded(base) { sockets.allSatisfy { !$0.socket.isOpen } }
        for (socket, timeout) in zip(sockets, timeouts) {
            let elapsed = try #require(socket.timedOutAfter)
            #expect(elapsed >= timeout - coarseClock && elapsed <= timeout + timeout / 15 + schedulingSlack,
                    "\(timeout): \(elapsed)")
        }
    }
}
