internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a handler from the loop when the process receives a signal (SIGINT, SIGTERM, SIGHUP...).
///
/// The handler runs as an ordinary callback, not in signal context, so it may do anything. The
/// watcher starts watching when created and keeps itself alive until `stop()` or `close()`; a
/// watching signal watcher keeps `run()` from returning `.noMoreEvents`, so servers close it when
/// they shut down. Only one event base per process should watch a given signal.
///
/// Starting to watch also unblocks the signal on the calling thread: a process started with the
/// signal blocked (an inherited signal mask, common under test runners and some supervisors) would
/// otherwise never see it arrive.
public final class SignalWatcher {
    /// Runs from the loop with the watcher and the signal number.
    public typealias Handler = (SignalWatcher, Int32) -> Void

    /// The watched signal number.
    public let signalNumber: Int32

    let base: EventBase
    private let event: OpaquePointer
    private var handler: Handler?
    private var keepAlive = SelfRetain<SignalWatcher>()

    /// Starts watching `signalNumber` on `base`.
    ///
    /// - Throws: `LibeventError` when libevent cannot install its handler for the signal.
    public init(base: EventBase, signal signalNumber: Int32, handler: @escaping Handler) throws {
        base.confinement.check()
        self.base = base
        self.signalNumber = signalNumber
        self.handler = handler
        self.event = OpaquePointer(malloc(event_get_struct_event_size()))
        event_assign(event, base.pointer, signalNumber, Int16(EV_SIGNAL | EV_PERSIST), signalWatcherCallback,
                     Unmanaged.passUnretained(self).toOpaque())
        try resume()
    }

    deinit {
        event_del(event)
        free(UnsafeMutableRawPointer(event))
    }

    /// Whether the watcher is watching its signal.
    public var isWatching: Bool { keepAlive.isHeld }

    /// Stops watching; libevent restores the signal's previous disposition.
    public func stop() {
        base.confinement.check()
        event_del(event)
        keepAlive.release()
    }

    /// Watches again after `stop()`. Does nothing after `close()`.
    public func resume() throws {
        base.confinement.check()
        guard handler != nil else { return }
        guard event_add(event, nil) == 0 else { throw LibeventError.lastError("event_add") }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        keepAlive.hold(self)
    }

    /// Stops watching for good and drops the handler. Safe to call from the handler.
    public func close() {
        stop()
        handler = nil
    }

    fileprivate func fire() {
        handler?(self, signalNumber)
    }
}

private func signalWatcherCallback(_ signalNumber: Int32, _: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<SignalWatcher>.fromOpaque(context!).takeUnretainedValue().fire()
}
