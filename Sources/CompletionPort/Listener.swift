public import Libevent

extension CompletionPort {
    /// A listening socket associated with a completion port under a key, accepting only into
    /// connections you hand it with `accept(into:context:)` (AcceptEx).
    ///
    /// The pending accepts form the server's pool: each accepted connection consumes one, and when
    /// none is pending the listener stops accepting, so new clients wait in the kernel's backlog.
    /// The number of live connections is bounded by the pool size.
    public final class Listener {
        /// The completion key that accept packets carry.
        public let key: Key
        /// The port accept packets go to.
        public let port: CompletionPort
        /// The bound address; with port 0, the port the kernel picked.
        public let localAddress: SocketAddress

        @usableFromInline var listener: Libevent.Listener?
        @usableFromInline var pendingAccepts = FIFO<(connection: Connection, context: Context)>()

        @inlinable init(port: CompletionPort, key: Key, address: SocketAddress, backlog: Int32) throws {
            self.port = port
            self.key = key
            let listener = try Libevent.Listener(base: port.base, address: address, backlog: backlog) { _, _, _ in }
            localAddress = listener.localAddress
            self.listener = listener
            listener.pause()
            listener.onAccept = { [unowned self] _, descriptor, _ in self.accepted(descriptor) }
        }

        deinit {
            listener?.close()
        }

        /// How many accepts are waiting for a client.
        @inlinable public var pendingAcceptCount: Int { pendingAccepts.count }

        /// Whether the listener is taking connections (at least one accept is pending).
        @inlinable public var isAccepting: Bool { listener != nil && !pendingAccepts.isEmpty }

        /// Called when accepting fails (EMFILE, ENFILE...): the listener pauses and retries by itself.
        public var onAcceptError: ((LibeventError) -> Void)? {
            didSet {
                let handler = onAcceptError
                listener?.onAcceptError = handler.map { handler in { _, error in handler(error) } }
            }
        }

        /// Issues an accept into the idle `connection` (AcceptEx): when a client connects, the
        /// connection takes it over and a packet with this listener's key, `.accept`, `.success` and
        /// `context` is delivered. Accepts complete in the order they were issued.
        @inlinable public func accept(into connection: Connection, context: Context) {
            precondition(!connection.isConnected, "accept into a connection that is still connected; reset it first")
            guard let listener else {
                return port.enqueue(Packet(key: key, operation: .accept, bytesTransferred: 0, status: .cancelled,
                                           context: context, connection: connection))
            }
            pendingAccepts.push((connection, context))
            if pendingAccepts.count == 1 { listener.resume() }
        }

        /// Stops listening: pending accepts complete with `.cancelled`; connections already accepted
        /// are not affected.
        @inlinable public func close() {
            listener?.close()
            listener = nil
            while let (connection, context) = pendingAccepts.pop() {
                port.enqueue(Packet(key: key, operation: .accept, bytesTransferred: 0, status: .cancelled,
                                    context: context, connection: connection))
            }
        }

        @inlinable func accepted(_ descriptor: Int32) {
            guard let (connection, context) = pendingAccepts.pop() else {
                preconditionFailure("a paused listener delivered a connection")
            }
            if pendingAccepts.isEmpty { listener?.pause() }
            let status: CompletionStatus
            do {
                try connection.attachAccepted(descriptor: descriptor)
                status = .success
            } catch {
                status = .failed(error as? LibeventError ?? LibeventError("accept", code: 0))
            }
            port.enqueue(Packet(key: key, operation: .accept, bytesTransferred: 0, status: status,
                                context: context, connection: connection))
        }
    }
}
