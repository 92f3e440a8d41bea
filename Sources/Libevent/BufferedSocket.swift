/// A `StreamSocket` that reports to closures, as libevent's bufferevent reports to its callbacks.
///
/// Bytes that arrive are appended to `input` and `onRead` runs; bytes appended to `output` are written
/// by the loop, and `onWrite` runs when the output has drained (to its low-water mark, 0 by default).
/// `onEvent` reports the connection's life: connected, end of stream, a timeout, or an error, and
/// `onClose` runs once it is closed. The closures are dropped when the socket closes, so they may
/// capture what they like.
///
/// Each closure slot costs 16 bytes per socket, and a closure that captures costs an allocation: a
/// type that owns many sockets can subclass `StreamSocket` and override its methods instead.
///
/// The closure slots skip Swift's run-time exclusivity check (one per callback, which cost more than
/// the call): like the socket, they belong to the base's thread, and each access is a plain load
/// or store that spans no call.
public final class BufferedSocket: StreamSocket {
    /// Runs from the loop after bytes were appended to `input` (once it holds at least the read
    /// low-water mark).
    @exclusivity(unchecked) public var onRead: ((BufferedSocket) -> Void)?
    /// Runs from the loop when a write has drained the output to its low-water mark (0: fully
    /// written).
    @exclusivity(unchecked) public var onWrite: ((BufferedSocket) -> Void)?
    /// Runs from the loop when the connection connects, ends, times out or fails.
    @exclusivity(unchecked) public var onEvent: ((BufferedSocket, Event) -> Void)?
    /// Runs once when the socket closes, whether by `close()` or when `closeAfterFlushing()` finishes;
    /// the socket is already closed when it runs.
    @exclusivity(unchecked) public var onClose: ((BufferedSocket) -> Void)?

    /// Calls `onRead`.
    override public func didReceiveInput() {
        onRead?(self)
    }

    /// Calls `onWrite`.
    override public func didDrainOutput() {
        onWrite?(self)
    }

    /// Calls `onEvent`.
    override public func didReport(_ event: Event) {
        onEvent?(self, event)
    }

    /// Drops the closures, then calls `onClose`.
    override public func didClose() {
        onRead = nil
        onWrite = nil
        onEvent = nil
        let onClose = self.onClose
        self.onClose = nil
        onClose?(self)
    }
}
