public import Libevent

/// An I/O completion port on an event base: operations are issued on connections and listeners
/// associated with the port, and each one later produces a `Packet`, delivered from the loop.
///
/// `Key` is the completion key you associate with each connection or listener; `Context` is the
/// per-operation value (the role of OVERLAPPED) you pass when issuing and get back in the packet.
/// Several ports may share one event base.
///
/// Delivery is push or pull: set `onCompletion` and every packet is handed to it from the loop
/// (what an IOCP worker does after GetQueuedCompletionStatus returns), or leave it nil and call
/// `next(timeout:)` (GetQueuedCompletionStatus with a timeout). Packets are never delivered from
/// inside the call that issued the operation, nor from inside another handler. In push mode, what
/// a socket completes (a read, a drained write) is delivered from that socket's own callback, so
/// the answer a handler writes leaves before the loop reads the next socket; other packets (posted,
/// cancelled, results known when issued) come from the loop a moment later. For one connection,
/// reads complete in the order they were issued, and so do writes and file transmissions; a reset
/// completes after the cancellations of everything pending before it.
///
/// Like everything on an event base, a port and its connections belong to the base's thread.
///
/// (The port's code, its connections' and listeners', is `@inlinable`, and the state it uses
/// `@usableFromInline`: so your own build specialises it for your `Key` and `Context` types, with
/// or without cross-module optimisation. Unspecialised, every packet looked generic metadata up at
/// run time: about six times the user-space instructions of an echoed message.)
public final class CompletionPort<Key, Context> {
    /// The event base the port's operations run on.
    public let base: EventBase

    /// When set, every packet is delivered to it from the loop, in completion order (push mode).
    /// When nil, packets wait in the port for `next(timeout:)` (pull mode). Like the port, use it on
    /// the base's thread only. A handler may replace or clear it; packets delivered after that go
    /// to the new handler, or wait.
    public var onCompletion: ((Packet) -> Void)? {
        get { handler?.deliver }
        set {
            // The running handler is called borrowed, so it must outlive its own replacement.
            if isDelivering, replacedHandler == nil { replacedHandler = handler }
            guard let newValue else {
                handler = nil
                return
            }
            // (Not `newValue.map(Handler.init)`: passing the closure through the generic `map`
            // wraps it in two conversion thunks, run on every packet.)
            handler = Handler(newValue)
            if !packets.isEmpty { scheduleDispatch() }
        }
    }

    /// `onCompletion` in an object of its own, so that delivery can call it borrowed: copying the
    /// closure out of the port for each call cost a retain and a release of its context, about 40
    /// instructions a packet.
    @usableFromInline final class Handler {
        @usableFromInline let deliver: (Packet) -> Void
        @usableFromInline init(_ deliver: @escaping (Packet) -> Void) { self.deliver = deliver }
    }

    // The hot stored properties below skip Swift's run-time exclusivity check (which cost ~7% of
    // the CPU of a completion-model echo): only this object uses them (they are internal only to
    // be usable from its inlinable code), on the base's thread, and no access to them spans a
    // call that could reach back into them.
    @usableFromInline @exclusivity(unchecked) var packets = FIFO<Packet>(keepingStorage: true)
    @usableFromInline @exclusivity(unchecked) var handler: Handler?
    /// The handler that was running when `onCompletion` was replaced, kept until it returns.
    @usableFromInline @exclusivity(unchecked) var replacedHandler: Handler?
    @usableFromInline @exclusivity(unchecked) var connectionsToService: [Connection] = []
    @usableFromInline @exclusivity(unchecked) var dispatchScheduled = false
    /// Set while a handler runs, so that packets are never delivered from inside another handler.
    @usableFromInline @exclusivity(unchecked) var isDelivering = false
    /// Set while a connection handles a report of its socket; the packets it queues are delivered
    /// when it is done, not by the dispatcher.
    @usableFromInline @exclusivity(unchecked) var isHandlingSocketReport = false
    /// Runs `dispatch()` from the loop; made when first needed.
    @usableFromInline @exclusivity(unchecked) var dispatcher: EventTimer?

    /// A port on `base`.
    public init(base: EventBase) {
        self.base = base
    }

    deinit {
        dispatcher?.close()
    }

    /// The number of packets waiting to be delivered or pulled.
    @inlinable public var queuedPacketCount: Int { packets.count }

    /// Queues a packet of your own (PostQueuedCompletionStatus), for example a shutdown request.
    /// It is delivered from the loop, after the packets already queued.
    @inlinable public func post(key: Key, context: Context, bytesTransferred: Int = 0,
                                status: CompletionStatus = .success) {
        enqueue(Packet(key: key, operation: .posted, bytesTransferred: bytesTransferred, status: status,
                       context: context, connection: nil))
    }

    /// A connection associated with this port under `key`, not yet connected: accept into it with a
    /// `Listener`, or `connect(to:context:)` it (CreateIoCompletionPort on a new socket).
    @inlinable public func makeConnection(key: Key) -> Connection {
        Connection(port: self, key: key)
    }

    /// A listening socket on `address` (port 0: any free port) associated with this port under
    /// `key`. It accepts only while accepts are issued on it (AcceptEx).
    /// - Throws: `LibeventError` naming the failing step (`bind 127.0.0.1:80`...).
    @inlinable public func listen(on address: SocketAddress, key: Key, backlog: Int32 = 511) throws -> Listener {
        try Listener(port: self, key: key, address: address, backlog: backlog)
    }

    /// Waits for the next packet (GetQueuedCompletionStatus): returns one already queued, or runs the
    /// loop until one is, or until `timeout` passes (nil: no limit). Returns nil on timeout, or when
    /// the loop has nothing left that could ever complete. For ports without `onCompletion`.
    @inlinable public func next(timeout: Duration? = nil) throws -> Packet? {
        precondition(handler == nil, "next(timeout:) is for ports in pull mode (onCompletion == nil)")
        if let packet = packets.pop() { return packet }
        var timedOut = false
        let deadline = timeout.map { timeout in
            let timer = EventTimer(base: base) { _ in timedOut = true }
            timer.schedule(after: timeout)
            return timer
        }
        defer { deadline?.close() }
        while packets.isEmpty, !timedOut {
            if try base.runOnce() == .noMoreEvents { break }
        }
        return packets.pop()
    }

    // MARK: Internal plumbing for connections and listeners

    /// Queues `packet` for delivery from the loop.
    @inlinable func enqueue(_ packet: consuming Packet) {
        packets.push(packet)
        if handler != nil, !isHandlingSocketReport { scheduleDispatch() }
    }

    /// Runs `handleReport` (a connection handling a report of its socket, called from the loop),
    /// then, in push mode, delivers the packets queued so far at once, instead of after every other
    /// socket's callbacks: a handler's answer then leaves with this socket's flush, while the
    /// socket is still in the CPU's cache, as a readiness server's would.
    @inlinable func handleSocketReport(_ handleReport: () -> Void) {
        guard handler != nil, !isDelivering, !isHandlingSocketReport else { return handleReport() }
        isHandlingSocketReport = true
        handleReport()
        isHandlingSocketReport = false
        deliverQueuedPackets()
    }

    /// Asks the loop to let `connection` complete operations whose results are already known (data
    /// already buffered, end of stream already seen), so that none completes inside its issuing call.
    @inlinable func scheduleService(_ connection: Connection) {
        connectionsToService.append(connection)
        scheduleDispatch()
    }

    @inlinable func scheduleDispatch() {
        guard !dispatchScheduled else { return }
        dispatchScheduled = true
        if dispatcher == nil { dispatcher = EventTimer(base: base) { [weak self] _ in self?.dispatch() } }
        dispatcher?.activate()
    }

    @inlinable func dispatch() {
        dispatchScheduled = false
        if !connectionsToService.isEmpty {
            var toService: [Connection] = []
            swap(&toService, &connectionsToService)
            for connection in toService { connection.serviceCompletedOperations() }
            if connectionsToService.isEmpty {
                toService.removeAll(keepingCapacity: true)  // keep the storage for the next round
                swap(&toService, &connectionsToService)
            }
        }
        deliverQueuedPackets()
    }

    /// Delivers the packets queued now; those queued by the handlers wait for the dispatcher, so a
    /// busy port cannot starve the sockets of the loop.
    @inlinable func deliverQueuedPackets() {
        isDelivering = true
        defer { isDelivering = false }
        var budget = packets.count
        while budget > 0, handler != nil, let packet = packets.pop() {
            // Borrowed: the port holds the handler, and `replacedHandler` holds it once the call
            // replaces it; the port outlives the call (its caller holds a connection or the port).
            Unmanaged.passUnretained(handler.unsafelyUnwrapped)._withUnsafeGuaranteedRef { $0.deliver(packet) }
            if replacedHandler != nil { replacedHandler = nil }
            budget -= 1
        }
        if handler != nil, !packets.isEmpty { scheduleDispatch() }
    }
}
