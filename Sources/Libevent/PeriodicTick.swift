internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A repeating tick on one base for the library's housekeeping (the read-timeout sweeps), which
/// costs the loop nothing between ticks.
///
/// Where the system has timer descriptors (Linux's timerfd), the tick is a kernel timer that the
/// base watches like a socket. A libevent timer would make every wait for events carry a timeout,
/// and the kernel arm and cancel a timer around each wait that sleeps: about 1 us of a 4 KiB
/// echo's 20 us at a light load on this project's benchmark machine. Elsewhere, or when no
/// descriptor can be had, the tick is a persistent libevent timer.
final class PeriodicTick {
    private let period: timeval
    /// The timer descriptor, or -1 for a libevent timer.
    private let descriptor: Int32
    private var event: OpaquePointer?
    private let action: () -> Void

    /// A stopped tick that will call `action` from `base`'s loop every `period` once started.
    init(base: EventBase, period: timeval, action: @escaping () -> Void) {
        self.period = period
        self.action = action
        descriptor = shim_periodic_timer_open()
        let context = Unmanaged.passUnretained(self).toOpaque()
        event = descriptor >= 0
            ? event_new(base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), periodicTickCallback, context)
            : event_new(base.pointer, -1, Int16(EV_PERSIST), periodicTickCallback, context)
        precondition(event != nil, "event_new: out of memory")
    }

    /// Ticks every period from now on, the first time a period from now.
    func start() {
        if descriptor >= 0 {
            // Fails only for an invalid descriptor or period, which this type never passes.
            precondition(shim_periodic_timer_set(descriptor, Int64(period.tv_sec) * 1_000_000 + Int64(period.tv_usec)) == 0,
                         "timerfd_settime failed")
            event_add(event, nil)
        } else {
            var period = period
            event_add(event, &period)
        }
    }

    /// Stops ticking until started again.
    func stop() {
        event_del(event)
        if descriptor >= 0 { _ = shim_periodic_timer_set(descriptor, 0) }
    }

    /// Frees the event and closes the descriptor; called before the base frees itself.
    func free() {
        guard let event else { return }
        event_free(event)
        self.event = nil
        if descriptor >= 0 { close(descriptor) }
    }

    fileprivate func fire() {
        if descriptor >= 0 { shim_periodic_timer_drain(descriptor) }
        action()
    }
}

private func periodicTickCallback(_: Int32, _: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<PeriodicTick>.fromOpaque(context!).takeUnretainedValue().fire()
}
