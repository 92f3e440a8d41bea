internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Closing a TCP socket whose peer may still be sending, without destroying what was sent to it.
///
/// `close()` on a socket whose input holds unread bytes (or that receives bytes later) makes the
/// kernel answer with a reset, which throws away the output it has not yet delivered: the end of a
/// response, an error page, and on some systems what the peer had received but not yet read. A
/// server that closes after answering (HTTP/1.0, `Connection: close`, a 413 to a long body, a
/// client pipelining past its own `close`) would cut its last answer short. So such a socket is
/// closed as nginx's lingering close does it: `shutdown(SHUT_WR)` sends the end of stream after
/// the output, then the input is read and thrown away until the peer closes too, stays quiet for
/// `quietLimit`, or `totalLimit` has passed; only then is the descriptor closed. When nothing is
/// at risk (no input waiting, all output acknowledged), the descriptor is closed at once: a
/// connection per request costs two system calls more than a plain close, not a lingering wait.
///
/// The base owns its lingering closes and closes their descriptors when it goes away. While one
/// lingers, `EventBase.run()` keeps running (at most `totalLimit`).
final class LingeringClose {
    /// How long the peer may send nothing before the descriptor is closed.
    static let quietLimit: Duration = .seconds(2)
    /// The longest a descriptor lingers, however much the peer keeps sending.
    static let totalLimit: Duration = .seconds(5)
    /// The most descriptors a base lets linger at once: 4,096, or a sixteenth of the process's
    /// descriptor limit if that is less (lingering descriptors count against the limit; the example
    /// servers keep an eighth of it spare beyond their connections). Beyond it, sockets close at
    /// once, so clients that never stop sending cannot pin descriptors this way.
    static let mostAtOnce: Int = {
        let descriptorLimit = sysconf(Int32(_SC_OPEN_MAX))  // RLIMIT_NOFILE's soft limit
        return descriptorLimit > 0 ? min(4096, max(4, descriptorLimit / 16)) : 4096
    }()
    /// The most bytes thrown away per wake-up, so that one fast sender cannot hold the loop.
    static let mostBytesPerWakeUp = 256 * 1024

    let descriptor: Int32
    /// The base that owns this close (and frees it before it goes away itself).
    private unowned let base: EventBase
    private let deadline: ContinuousClock.Instant
    private var event: OpaquePointer?

    private init(descriptor: Int32, base: EventBase) {
        self.descriptor = descriptor
        self.base = base
        deadline = .now + Self.totalLimit
    }

    /// Sends the end of stream on `descriptor` after its output, then closes it once the peer has
    /// finished sending. Closes at once when nothing is at risk (no input has arrived and the peer
    /// has acknowledged all the output: a client that asked for a small answer and waits for the
    /// end of stream), when the peer has already finished, or when the socket is unusable.
    static func start(_ descriptor: Int32, on base: EventBase) {
        let input = discardInput(of: descriptor)
        guard input != .peerDone, input == .discarded || hasUndeliveredOutput(descriptor),
              base.lingeringCloses.count < mostAtOnce, shutdown(descriptor, Int32(SHUT_WR)) == 0 else {
            return SocketCalls.closeDescriptor(descriptor)
        }
        let lingering = LingeringClose(descriptor: descriptor, base: base)
        guard let event = event_new(base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), lingeringCloseReady,
                                    Unmanaged.passUnretained(lingering).toOpaque()) else {
            return SocketCalls.closeDescriptor(descriptor)
        }
        var quiet = timeval(quietLimit)
        guard event_add(event, &quiet) == 0 else {
            event_free(event)
            return SocketCalls.closeDescriptor(descriptor)
        }
        lingering.event = event
        base.lingeringCloses[descriptor] = lingering
    }

    /// Frees the event and closes the descriptor (the base forgets it separately).
    func finish() {
        if let event { event_free(event) }
        event = nil
        SocketCalls.closeDescriptor(descriptor)
    }

    /// The input is readable, or the peer stayed quiet for `quietLimit`.
    fileprivate func ready(_ what: Int32) {
        if what & EV_TIMEOUT == 0, ContinuousClock.now < deadline,
           Self.discardInput(of: descriptor) != .peerDone { return }
        finish()
        base.lingeringCloses[descriptor] = nil
    }

    /// What `discardInput(of:)` found.
    enum InputState {
        /// Nothing to read yet.
        case empty
        /// Bytes were read and thrown away; the stream goes on.
        case discarded
        /// The end of stream, or a failure: nothing more can arrive.
        case peerDone
    }

    /// Reads and throws away what the input holds now (up to `mostBytesPerWakeUp`).
    static func discardInput(of descriptor: Int32) -> InputState {
        withUnsafeTemporaryAllocation(byteCount: 16_384, alignment: 16) { scratch in
            var discarded = 0
            while discarded < mostBytesPerWakeUp {
                let count = read(descriptor, scratch.baseAddress, scratch.count)
                if count > 0 {
                    discarded += count
                } else if count < 0, SocketCalls.failedForNow() {
                    break
                } else {
                    return .peerDone
                }
            }
            return discarded > 0 ? .discarded : .empty
        }
    }

    /// Whether the kernel still holds output of `descriptor` that the peer has not acknowledged
    /// (Linux's SIOCOUTQ; elsewhere assumed, so that those systems always linger).
    static func hasUndeliveredOutput(_ descriptor: Int32) -> Bool {
        #if os(Linux)
        var unacknowledged: Int32 = 0
        return ioctl(descriptor, UInt(TIOCOUTQ), &unacknowledged) != 0 || unacknowledged > 0
        #else
        return true
        #endif
    }
}

extension EventBase {
    /// Closes `descriptor`, a connected stream socket whose output the kernel may still be sending,
    /// without the reset that would destroy that output (LingeringClose.swift).
    func closeLingering(_ descriptor: Int32) {
        LingeringClose.start(descriptor, on: self)
    }
}

private func lingeringCloseReady(_: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    // A strong reference for the call: `ready` may remove the last other one, the base's.
    let lingering = Unmanaged<LingeringClose>.fromOpaque(context!).takeUnretainedValue()
    lingering.ready(Int32(what))
}
