internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-shot or repeating timer on an event base.
///
/// A new timer is idle; `schedule(after:)` or `schedule(every:)` arms it, and scheduling an armed
/// timer again reschedules it. While armed, the timer keeps itself alive. Timers due at the same
/// time fire in the order they were scheduled.
public final class EventTimer {
    /// Runs from the loop each time the timer fires.
    public typealias Handler = (EventTimer) -> Void

    let base: EventBase
    private let event: OpaquePointer
    private var handler: Handler?
    private var isRepeating = false
    private var keepAlive = SelfRetain<EventTimer>()

    /// An idle timer that will call `handler` on `base` once scheduled.
    public init(base: EventBase, handler: @escaping Handler) {
        base.confinement.check()
        self.base = base
        self.handler = handler
        self.event = OpaquePointer(malloc(event_get_struct_event_size()))
        assign(repeating: false)
    }

    deinit {
        event_del(event)
        free(UnsafeMutableRawPointer(event))
    }

    /// Whether the timer is armed.
    public var isScheduled: Bool { keepAlive.isHeld }

    /// Fires once, `delay` from now (replacing any earlier schedule). Does nothing after `close()`.
    public func schedule(after delay: Duration) {
        arm(delay, repeating: false)
    }

    /// Fires every `interval`, the first time `interval` from now (replacing any earlier schedule).
    /// Does nothing after `close()`.
    public func schedule(every interval: Duration) {
        arm(interval, repeating: true)
    }

    /// Runs the handler from the loop as soon as the callbacks already running are done, as if the
    /// timer had expired now; never from inside this call. Replaces a pending one-shot schedule.
    /// Does nothing after `close()`.
    public func activate() {
        base.confinement.check()
        guard handler != nil else { return }
        if !isRepeating { event_del(event) }
        event_active(event, EV_TIMEOUT, 0)
        keepAlive.hold(self)
    }

    /// Disarms the timer; it can be scheduled again.
    public func cancel() {
        base.confinement.check()
        event_del(event)
        keepAlive.release()
    }

    /// Disarms the timer for good and drops its handler (and what it captured). Safe to call from
    /// the timer's own handler.
    public func close() {
        cancel()
        handler = nil
    }

    private func arm(_ delay: Duration, repeating: Bool) {
        base.confinement.check()
        guard handler != nil else { return }
        event_del(event)
        if repeating != isRepeating { assign(repeating: repeating) }
        var time = timeval(delay)
        // event_add on an assigned timer fails only on allocation failure of the timer heap.
        precondition(event_add(event, &time) == 0, "event_add failed for a timer")
        keepAlive.hold(self)
    }

    private func assign(repeating: Bool) {
        isRepeating = repeating
        event_assign(event, base.pointer, -1, repeating ? Int16(EV_PERSIST) : 0, eventTimerCallback,
                     Unmanaged.passUnretained(self).toOpaque())
    }

    fileprivate func fire() {
        if !isRepeating { keepAlive.release() }
        handler?(self)
    }
}

private func eventTimerCallback(_: Int32, _: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<EventTimer>.fromOpaque(context!).takeUnretainedValue().fire()
}
