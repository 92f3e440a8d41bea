internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening TCP socket that accepts connections from the loop: libevent's evconnlistener.
///
/// Each accepted connection is handed to `onAccept` as a non-blocking descriptor (the handler owns
/// it) with the peer's address. When accepting fails for lack of descriptors or memory (EMFILE,
/// ENFILE, ENOBUFS, ENOMEM), the listener pauses, reports the error to `onAcceptError`, and tries
/// again after `acceptRetryDelay`, instead of spinning on a connection it cannot take; established
/// connections are unaffected. The listener keeps itself alive until `close()`.
public final class Listener {
    /// Runs from the loop with the listener, the accepted descriptor and the peer's address.
    public typealias AcceptHandler = (Listener, Int32, SocketAddress) -> Void

    /// The address the listener is bound to; with port 0, the port the kernel picked.
    public let localAddress: SocketAddress
    /// How long to wait before accepting again after EMFILE/ENFILE/ENOBUFS/ENOMEM (default 100 ms).
    public var acceptRetryDelay: Duration = .milliseconds(100)
    /// Runs from the loop when `accept` fails; the listener has already paused itself if the error
    /// was a lack of resources.
    public var onAcceptError: ((Listener, LibeventError) -> Void)?

    let base: EventBase
    private var listener: OpaquePointer?
    /// Runs from the loop for each accepted connection; replacing it applies to the next one.
    /// Dropped by `close()`.
    public var onAccept: AcceptHandler?
    private var isPausedByUser = false
    private var heldConnections: [(descriptor: Int32, peer: SocketAddress)] = []
    private lazy var heldConnectionsDelivery = EventTimer(base: base) { [unowned self] _ in
        self.deliverHeldConnections()
    }
    private var keepAlive = SelfRetain<Listener>()
    private lazy var retryTimer = EventTimer(base: base) { [unowned self] _ in
        if !self.isPausedByUser, let listener = self.listener { evconnlistener_enable(listener) }
    }

    /// Binds a TCP socket to `address` (port 0: any free port), listens, and starts accepting.
    ///
    /// - Parameters:
    ///   - base: the loop that accepts and runs the handlers.
    ///   - address: where to listen; port 0 lets the kernel pick one (see `localAddress`).
    ///   - backlog: the kernel's queue of connections not yet accepted.
    ///   - reuseAddress: set SO_REUSEADDR, so a restarted server can bind at once.
    ///   - onAccept: runs from the loop for each new connection.
    /// - Throws: `LibeventError` naming the failing step (`socket`, `bind 127.0.0.1:80`, `listen`).
    public init(base: EventBase, address: SocketAddress, backlog: Int32 = 511, reuseAddress: Bool = true,
                onAccept: @escaping AcceptHandler) throws {
        base.confinement.check()
        let descriptor = try SocketCalls.makeSocket(for: address, type: SocketCalls.streamType)
        localAddress = try SocketCalls.closingOnError(descriptor) {
            if reuseAddress { try SocketCalls.setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
            try SocketCalls.bindSocket(descriptor, to: address)
            guard listen(descriptor, backlog) == 0 else { throw LibeventError.lastError("listen") }
            return try SocketAddress(localAddressOf: descriptor)
        }
        let flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC
        guard let listener = evconnlistener_new(base.pointer, nil, nil, flags, 0, descriptor) else {
            SocketCalls.closeDescriptor(descriptor)
            throw LibeventError.lastError("evconnlistener_new")
        }
        self.base = base
        self.listener = listener
        self.onAccept = onAccept
        let context = Unmanaged.passUnretained(self).toOpaque()
        evconnlistener_set_error_cb(listener, listenerErrorCallback)
        evconnlistener_set_cb(listener, listenerAcceptCallback, context)
        keepAlive.hold(self)
    }

    deinit {
        if let listener { evconnlistener_free(listener) }
    }

    /// The listening descriptor, or -1 once closed.
    public var descriptor: Int32 {
        guard let listener else { return -1 }
        return evconnlistener_get_fd(listener)
    }

    /// Stops accepting; new connections wait in the kernel's backlog. Connections that libevent had
    /// already accepted in the same batch are held (not delivered) until `resume()`.
    public func pause() {
        base.confinement.check()
        isPausedByUser = true
        if let listener { evconnlistener_disable(listener) }
    }

    /// Accepts again after `pause()`; connections held meanwhile are delivered first, from the loop.
    public func resume() {
        base.confinement.check()
        isPausedByUser = false
        if !heldConnections.isEmpty { heldConnectionsDelivery.activate() }
        if let listener, !retryTimer.isScheduled { evconnlistener_enable(listener) }
    }

    /// Closes the listening socket and drops the handlers. Safe from inside `onAccept`.
    public func close() {
        base.confinement.check()
        guard let listener else { return }
        evconnlistener_free(listener)
        self.listener = nil
        retryTimer.close()
        heldConnectionsDelivery.close()
        heldConnections.forEach { SocketCalls.closeDescriptor($0.descriptor) }
        heldConnections.removeAll()
        onAccept = nil
        onAcceptError = nil
        keepAlive.release()
    }

    fileprivate func accepted(_ descriptor: Int32, _ peer: UnsafeMutablePointer<sockaddr>?) {
        guard let onAccept else { return SocketCalls.closeDescriptor(descriptor) }
        let address = peer.flatMap { SocketAddress($0) } ?? localAddress
        // libevent 2.1 keeps accepting the rest of a batch after the handler paused the listener.
        guard !isPausedByUser else { return heldConnections.append((descriptor, address)) }
        onAccept(self, descriptor, address)
    }

    private func deliverHeldConnections() {
        while !isPausedByUser, !heldConnections.isEmpty, let onAccept {
            let (descriptor, peer) = heldConnections.removeFirst()
            onAccept(self, descriptor, peer)
        }
    }

    fileprivate func acceptFailed(errorCode: Int32) {
        switch errorCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            if let listener { evconnlistener_disable(listener) }
            retryTimer.schedule(after: acceptRetryDelay)
        default:
            break
        }
        onAcceptError?(self, LibeventError("accept", code: errorCode))
    }
}

private func listenerAcceptCallback(_: OpaquePointer?, _ descriptor: Int32, _ peer: UnsafeMutablePointer<sockaddr>?,
                                    _: Int32, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<Listener>.fromOpaque(context!).takeUnretainedValue().accepted(descriptor, peer)
}

private func listenerErrorCallback(_ listener: OpaquePointer?, _ context: UnsafeMutableRawPointer?) {
    let errorCode = errno
    Unmanaged<Listener>.fromOpaque(context!).takeUnretainedValue().acceptFailed(errorCode: errorCode)
}
