internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches a file descriptor (socket, pipe, terminal...) for readability and writability: the
/// `select()` / `FD_SET` of this package.
///
/// A watcher starts watching when it is created, the way `FD_SET` adds a descriptor to the set, and
/// its handler runs from the loop with the events that fired, the way an `FD_ISSET` branch runs after
/// `select()` returns. `stop()` is `FD_CLR`; `resume()` puts the descriptor back; `close()` ends the
/// watcher for good. While watching, the watcher keeps itself alive: there is no need to store it.
/// The descriptor itself stays the caller's to close.
public final class DescriptorWatcher {
    /// Runs from the loop with the watcher and the events that fired.
    public typealias Handler = (DescriptorWatcher, IOEvents) -> Void

    /// The watched descriptor.
    public let descriptor: Int32
    /// What the watcher waits for.
    public let events: IOEvents
    /// Whether the watcher keeps watching after it fires (`true`), or fires once and stops.
    public let isPersistent: Bool

    let base: EventBase
    private let event: OpaquePointer
    private var timeout: Duration?
    private var handler: Handler?
    private var keepAlive = SelfRetain<DescriptorWatcher>()

    /// Starts watching `descriptor` for `events` (`.read`, `.write` or both).
    ///
    /// - Parameters:
    ///   - base: the loop that runs the handler.
    ///   - descriptor: the descriptor to watch; it stays the caller's to close.
    ///   - events: `.read`, `.write` or both.
    ///   - persistent: keep watching after each callback (select-style). When false, the watcher fires
    ///     once and stops; `resume()` arms it again.
    ///   - edgeTriggered: report only changes of readiness (EV_ET, epoll's EPOLLET); the handler must
    ///     then read or write until the descriptor would block.
    ///   - timeout: fire with `.timeout` when nothing happened for this long (restarted by each event
    ///     of a persistent watcher).
    ///   - handler: runs from the loop with the events that fired.
    /// - Throws: `LibeventError` when libevent cannot watch the descriptor (for example, a closed one),
    ///   and EBADF for a negative one (the -1 of a failed `accept`), which libevent would accept and
    ///   never report.
    public init(base: EventBase, descriptor: Int32, events: IOEvents, persistent: Bool = true,
                edgeTriggered: Bool = false, timeout: Duration? = nil, handler: @escaping Handler) throws {
        base.confinement.check()
        guard descriptor >= 0 else { throw LibeventError("event_add", code: EBADF) }
        self.base = base
        self.descriptor = descriptor
        self.events = events.subtracting(.timeout)
        self.isPersistent = persistent
        self.timeout = timeout
        self.handler = handler
        self.event = OpaquePointer(malloc(event_get_struct_event_size()))
        var flags = self.events.rawValue
        if persistent { flags |= Int16(EV_PERSIST) }
        if edgeTriggered { flags |= Int16(EV_ET) }
        event_assign(event, base.pointer, descriptor, flags, descriptorWatcherCallback,
                     Unmanaged.passUnretained(self).toOpaque())
        try resume()
    }

    deinit {
        event_del(event)
        free(UnsafeMutableRawPointer(event))
    }

    /// Whether the watcher is waiting for its events.
    public var isWatching: Bool { keepAlive.isHeld }

    /// Stops watching until `resume()`; the handler is not called meanwhile (`FD_CLR`).
    public func stop() {
        base.confinement.check()
        event_del(event)
        keepAlive.release()
    }

    /// Watches again after `stop()` (or after a one-shot watcher fired), with the same events and
    /// timeout. Does nothing after `close()`.
    public func resume() throws {
        base.confinement.check()
        guard handler != nil else { return }
        guard base.addIOEvent(event, timeout: timeout) == 0 else { throw LibeventError.lastError("event_add") }
        keepAlive.hold(self)
    }

    /// Watches again with a new timeout (nil: none), which also applies to later `resume()` calls.
    public func resume(timeout newTimeout: Duration?) throws {
        timeout = newTimeout
        try resume()
    }

    /// Stops watching for good and drops the handler (and what it captured). The descriptor is not
    /// closed. Safe to call from the watcher's own handler, and more than once.
    public func close() {
        stop()
        handler = nil
    }

    fileprivate func fire(_ fired: IOEvents) {
        if !isPersistent { keepAlive.release() }
        handler?(self, fired)
    }
}

private func descriptorWatcherCallback(_ descriptor: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    let watcher = Unmanaged<DescriptorWatcher>.fromOpaque(context!).takeUnretainedValue()
    watcher.fire(IOEvents(rawValue: what))
}
