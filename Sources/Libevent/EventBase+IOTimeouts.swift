internal import CLibevent

/// How the base registers descriptor events that have a timeout (a socket's write event, its read
/// event when the read timeout is too short for the base's sweep, a `DescriptorWatcher`): through
/// libevent's common-timeout queues while few distinct durations are in use.
///
/// libevent re-adds a persistent event with its timeout every time it fires, so such a timeout is
/// re-armed after every event. In the timer heap that is an O(log n) update (about 250
/// instructions a message with 1,000 connections); events that share a common timeout sit in a
/// queue in expiry order, where re-arming is a move to its tail (still about 240).
extension EventBase {
    /// The most distinct durations given a common-timeout queue (libevent allows 256 a base);
    /// events with further ones go into the timer heap.
    package static let commonTimeoutLimit = 16

    /// Registers `event` (assigned to this base) with `timeout` (nil: none); returns what
    /// `event_add` returns.
    func addIOEvent(_ event: OpaquePointer, timeout: Duration?) -> Int32 {
        guard let timeout else { return event_add(event, nil) }
        var time = commonTimeout(timeval(timeout))
        return event_add(event, &time)
    }

    /// `time` in libevent's common-timeout form for this base, made on first use, while fewer than
    /// `commonTimeoutLimit` exist; otherwise (or for zero) `time` itself.
    private func commonTimeout(_ time: timeval) -> timeval {
        for entry in commonTimeouts where entry.requested.tv_sec == time.tv_sec && entry.requested.tv_usec == time.tv_usec {
            return entry.common
        }
        var requested = time
        guard commonTimeouts.count < Self.commonTimeoutLimit, time.tv_sec > 0 || time.tv_usec > 0,
              let common = event_base_init_common_timeout(pointer, &requested) else { return time }
        commonTimeouts.append((time, common.pointee))
        return common.pointee
    }
}
