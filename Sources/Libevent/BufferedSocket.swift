internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected (or connecting) TCP socket with an input and an output `Buffer`: libevent's socket
/// bufferevent.
///
/// Bytes that arrive are appended to `input` and `onRead` runs; bytes appended to `output` are written
/// by the loop, and `onWrite` runs when the output has drained (to its low-water mark, 0 by default).
/// `onEvent` reports the connection's life: connected, end of stream, a timeout, or an error.
///
/// The socket owns its descriptor and keeps itself alive until `close()`, like the descriptor it
/// wraps: there is no need to store it, and it must be closed. Writing is enabled from the start;
/// reading starts with `enable(.read)`.
///
/// Backpressure: a socket bufferevent ignores the write high-water mark, so a peer that sends without
/// reading could make the output grow without bound. Set `outputLimit` and the socket stops reading
/// while its output holds more than that, resuming when the output has drained to half of it.
public final class BufferedSocket {
    /// What happened to the connection, as reported to `onEvent`.
    public enum Event: Equatable, Sendable {
        /// `connect(to:)` succeeded.
        case connected
        /// The peer closed its side (read returned 0). Reading is disabled.
        case endOfStream
        /// No byte arrived within the read timeout. Reading is disabled; `enable(.read)` restarts it.
        case readTimeout
        /// The output did not drain within the write timeout. Writing is disabled.
        case writeTimeout
        /// The connection failed (connect, read or write error, such as ECONNRESET or EPIPE).
        case failed(LibeventError)
    }

    /// Directions of I/O: reading, writing, or both.
    public struct Directions: OptionSet, Sendable {
        /// The raw `EV_READ` / `EV_WRITE` bits.
        public let rawValue: Int16
        /// Directions from raw `EV_*` bits.
        public init(rawValue: Int16) { self.rawValue = rawValue }

        /// Reading from the socket into `input`.
        public static let read = Directions(rawValue: Int16(EV_READ))
        /// Writing `output` to the socket.
        public static let write = Directions(rawValue: Int16(EV_WRITE))
    }

    /// Runs from the loop after bytes were appended to `input`.
    public var onRead: ((BufferedSocket) -> Void)?
    /// Runs from the loop when the output has drained to its low-water mark (0: fully written).
    public var onWrite: ((BufferedSocket) -> Void)? {
        didSet { installCallbacks() }
    }
    /// Runs from the loop when the connection connects, ends, times out or fails.
    public var onEvent: ((BufferedSocket, Event) -> Void)?
    /// Runs once when the socket closes, whether by `close()` or when `closeAfterFlushing()` finishes;
    /// the socket is already closed when it runs.
    public var onClose: ((BufferedSocket) -> Void)?

    /// Bytes received and not yet consumed. Valid until `close()`.
    public let input: Buffer
    /// Bytes queued for sending. Valid until `close()`.
    public let output: Buffer

    /// When set, reading stops while `output` holds more than this many bytes and resumes when it has
    /// drained to half of it (the socket manages the write low-water mark meanwhile).
    public var outputLimit: Int?

    let base: EventBase
    private var bufferevent: OpaquePointer?
    private var keepAlive = SelfRetain<BufferedSocket>()
    private var readingPausedForOutput = false
    private var closesWhenFlushed = false
    private var isConnecting = false

    /// Wraps the connected, non-blocking socket `descriptor`, which the new object owns and closes.
    ///
    /// - Throws: `LibeventError` when libevent cannot allocate the bufferevent (the descriptor is
    ///   then closed too).
    public convenience init(base: EventBase, descriptor: Int32) throws {
        try self.init(base: base, adopting: descriptor)
    }

    /// An unconnected socket; call `connect(to:)` to open a connection.
    ///
    /// - Throws: `LibeventError` when libevent cannot allocate the bufferevent.
    public convenience init(base: EventBase) throws {
        try self.init(base: base, adopting: -1)
    }

    private init(base: EventBase, adopting descriptor: Int32) throws {
        base.confinement.check()
        guard let bufferevent = bufferevent_socket_new(base.pointer, descriptor, Int32(BEV_OPT_CLOSE_ON_FREE.rawValue)) else {
            if descriptor >= 0 { SocketCalls.closeDescriptor(descriptor) }
            throw LibeventError.lastError("bufferevent_socket_new")
        }
        self.base = base
        self.bufferevent = bufferevent
        self.input = Buffer(borrowing: bufferevent_get_input(bufferevent))
        self.output = Buffer(borrowing: bufferevent_get_output(bufferevent))
        installCallbacks()
        keepAlive.hold(self)
    }

    deinit {
        if let bufferevent { bufferevent_free(bufferevent) }
    }

    /// Whether `close()` has not been called yet.
    public var isOpen: Bool { bufferevent != nil }

    /// The socket's descriptor, or -1 once closed (or before `connect(to:)`).
    public var descriptor: Int32 {
        guard let bufferevent else { return -1 }
        return bufferevent_getfd(bufferevent)
    }

    /// Starts connecting to `address`; `onEvent` later reports `.connected` or `.failed`.
    ///
    /// - Throws: `LibeventError` when the connection cannot even be started.
    public func connect(to address: SocketAddress) throws {
        let bufferevent = checkedBufferevent()
        isConnecting = true
        let result = address.withSockaddr { pointer, length in
            bufferevent_socket_connect(bufferevent, UnsafeMutablePointer(mutating: pointer), Int32(length))
        }
        guard result == 0 else {
            isConnecting = false
            throw LibeventError.lastError("connect \(address)")
        }
    }

    /// Starts reading and/or writing.
    public func enable(_ directions: Directions) {
        guard bufferevent_enable(checkedBufferevent(), directions.rawValue) == 0 else {
            preconditionFailure("bufferevent_enable failed")
        }
    }

    /// Stops reading and/or writing (bytes stay queued).
    public func disable(_ directions: Directions) {
        bufferevent_disable(checkedBufferevent(), directions.rawValue)
    }

    /// Sets the read watermarks: `onRead` runs only once `input` holds at least `low` bytes, and
    /// reading pauses while it holds `high` or more (0: no limit). Drain the input in `onRead` when
    /// you set `high`: a high mark reached and never drained keeps libevent 2.1 calling back.
    public func setReadWatermarks(low: Int, high: Int = 0) {
        bufferevent_setwatermark(checkedBufferevent(), Int16(EV_READ), low, high)
    }

    /// Sets the write low-water mark: `onWrite` runs when `output` has drained to `low` bytes or fewer.
    public func setWriteLowWatermark(_ low: Int) {
        bufferevent_setwatermark(checkedBufferevent(), Int16(EV_WRITE), low, 0)
    }

    /// Sets the read and write timeouts (nil: none). A timeout is reported to `onEvent` and disables
    /// that direction.
    public func setTimeouts(read: Duration?, write: Duration?) {
        let bufferevent = checkedBufferevent()
        withOptionalTimeval(read) { readTime in
            withOptionalTimeval(write) { writeTime in
                _ = bufferevent_set_timeouts(bufferevent, readTime, writeTime)
            }
        }
    }

    /// Turns Nagle's algorithm off (TCP_NODELAY) or back on. With it on (the kernel's default), a
    /// small write that follows another waits for the peer's acknowledgement, which a peer that
    /// delays its ACKs holds for up to 40 ms: a response head and a small body written separately
    /// then take 40 ms. Request/response servers want it off.
    ///
    /// - Throws: `LibeventError` when the option cannot be set (not a TCP socket, say).
    public func setNoDelay(_ enabled: Bool) throws {
        let bufferevent = checkedBufferevent()
        try SocketCalls.setOption(bufferevent_getfd(bufferevent), Int32(IPPROTO_TCP), TCP_NODELAY, enabled ? 1 : 0, "TCP_NODELAY")
    }

    /// Closes the connection now: pending output is discarded, the descriptor is closed, handlers are
    /// dropped and the socket stops keeping itself alive. Safe from inside its own callbacks, and more
    /// than once.
    public func close() {
        base.confinement.check()
        guard let bufferevent else { return }
        bufferevent_free(bufferevent)
        self.bufferevent = nil
        input.detach()
        output.detach()
        onRead = nil
        onWrite = nil
        onEvent = nil
        let onClose = self.onClose
        self.onClose = nil
        onClose?(self)
        keepAlive.release()
    }

    /// Stops reading, then closes once everything queued in `output` has been written (or at once if
    /// it is empty, or when writing fails or times out). `onWrite` and `onEvent` still run meanwhile.
    public func closeAfterFlushing() {
        guard let bufferevent else { return }
        guard !output.isEmpty else { return close() }
        closesWhenFlushed = true
        installCallbacks()
        bufferevent_disable(bufferevent, Int16(EV_READ))
        bufferevent_setwatermark(bufferevent, Int16(EV_WRITE), 0, 0)
        bufferevent_enable(bufferevent, Int16(EV_WRITE))
    }

    /// Registers the C callbacks; the write callback only while something needs it, so a plain
    /// echo does not pay a call per drained write.
    private func installCallbacks() {
        guard let bufferevent else { return }
        let needsWrite = onWrite != nil || readingPausedForOutput || closesWhenFlushed
        bufferevent_setcb(bufferevent, bufferedSocketReadCallback, needsWrite ? bufferedSocketWriteCallback : nil,
                          bufferedSocketEventCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    private func checkedBufferevent() -> OpaquePointer {
        base.confinement.check()
        guard let bufferevent else { preconditionFailure("BufferedSocket used after close()") }
        return bufferevent
    }

    fileprivate func readReady() {
        onRead?(self)
        guard let bufferevent, let outputLimit, !readingPausedForOutput, output.count > outputLimit else { return }
        readingPausedForOutput = true
        installCallbacks()
        bufferevent_disable(bufferevent, Int16(EV_READ))
        bufferevent_setwatermark(bufferevent, Int16(EV_WRITE), outputLimit / 2, 0)
    }

    fileprivate func writeDrained() {
        if readingPausedForOutput, let bufferevent {
            readingPausedForOutput = false
            installCallbacks()
            bufferevent_setwatermark(bufferevent, Int16(EV_WRITE), 0, 0)
            bufferevent_enable(bufferevent, Int16(EV_READ))
        }
        onWrite?(self)
        if closesWhenFlushed, isOpen, output.isEmpty { close() }
    }

    fileprivate func eventOccurred(_ what: Int16, errorCode: Int32) {
        let flags = Int32(what)
        let event: Event
        if flags & BEV_EVENT_CONNECTED != 0 {
            event = .connected
        } else if flags & BEV_EVENT_EOF != 0 {
            event = .endOfStream
        } else if flags & BEV_EVENT_TIMEOUT != 0 {
            event = flags & BEV_EVENT_READING != 0 ? .readTimeout : .writeTimeout
        } else {
            let operation = isConnecting ? "connect" : flags & BEV_EVENT_READING != 0 ? "read" : "write"
            // A connect refused at once is reported later by libevent without errno.
            let code = errorCode == 0 && isConnecting ? ECONNREFUSED : errorCode
            event = .failed(LibeventError(operation, code: code))
        }
        isConnecting = false
        onEvent?(self, event)
        if closesWhenFlushed, event != .connected { close() }
    }
}

private func bufferedSocketReadCallback(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().readReady()
}

private func bufferedSocketWriteCallback(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().writeDrained()
}

private func bufferedSocketEventCallback(_: OpaquePointer?, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    let errorCode = errno
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().eventOccurred(what, errorCode: errorCode)
}
