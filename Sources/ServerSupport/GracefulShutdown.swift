public import Libevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT / SIGTERM handling for a server: on the first signal, `begin` runs (close the listeners,
/// tell connections to finish), then the loop stops as soon as `isFinished` returns true, or when
/// the grace period ends, whichever comes first. A second signal stops the loop at once.
///
/// `EventBase.run()` then returns and the program exits 0. The object keeps itself alive through its
/// signal watchers until then: there is no need to store it.
public final class GracefulShutdown {
    /// Whether a signal has arrived and the server is finishing.
    public private(set) var isShuttingDown = false

    private let base: EventBase
    private let grace: Duration
    private let begin: () -> Void
    private let isFinished: () -> Bool
    private var watchers: [SignalWatcher] = []
    private var poll: EventTimer?
    private var deadline: ContinuousClock.Instant?

    /// Installs the signal watchers on `base`.
    ///
    /// - Parameters:
    ///   - grace: the longest the server may take to finish after the signal (default 5 s).
    ///   - begin: stops accepting and tells the work under way to finish; runs once, from the loop.
    ///   - isFinished: true once nothing is under way; polled every 10 ms during the grace period.
    public init(base: EventBase, grace: Duration = .seconds(5), begin: @escaping () -> Void,
                isFinished: @escaping () -> Bool) throws {
        self.base = base
        self.grace = grace
        self.begin = begin
        self.isFinished = isFinished
        for signal in [SIGINT, SIGTERM] {
            // Strong on purpose: the watchers keep the shutdown alive until `finish()` closes them.
            watchers.append(try SignalWatcher(base: base, signal: signal) { _, _ in self.signalled() })
        }
    }

    private func signalled() {
        guard !isShuttingDown else { return finish() }
        isShuttingDown = true
        deadline = .now + grace
        begin()
        let poll = EventTimer(base: base) { [unowned self] _ in self.check() }
        self.poll = poll
        poll.schedule(every: .milliseconds(10))
        check()
    }

    private func check() {
        if isFinished() || ContinuousClock.now >= deadline! { finish() }
    }

    private func finish() {
        poll?.close()
        watchers.forEach { $0.close() }
        base.stop()
    }
}
