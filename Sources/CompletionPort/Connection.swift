public import Libevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CompletionPort {
    /// A TCP connection associated with a completion port under a key: the accept socket of AcceptEx,
    /// reusable after `reset(context:)` (TF_REUSE_SOCKET).
    ///
    /// Reads, writes and file transmissions may be issued back to back: reads complete in issue
    /// order, and so do writes and transmissions. Between reads the connection reads ahead until
    /// `readAheadLimit` bytes are buffered (so the next read can complete without a system call,
    /// and the socket need not be unregistered and registered again between requests), so a peer
    /// cannot make it buffer without bound.
    ///
    /// An idle connection is small (it is kept per client, so each byte counts thousands of times):
    /// its rarely used state (failures, a connect in progress) lives in a box made only when needed,
    /// timeouts take 8 bytes each, and the small fields sit together.
    public final class Connection {
        /// The port its packets go to.
        public let port: CompletionPort
        /// The peer's address while accepted or connected (asked of the kernel, so an idle pooled
        /// connection stores none); nil when idle or not yet connected.
        public var peerAddress: SocketAddress? {
            guard let socket, socket.descriptor >= 0 else { return nil }
            return try? SocketAddress(peerAddressOf: socket.descriptor)
        }

        /// Reading ahead of any pending read stops once this many bytes are buffered (a read event
        /// can take the input past it by what it read: at most 120 KiB).
        public static var readAheadLimit: Int { 65_536 }

        /// Transmissions of at least this many file bytes cork the socket until they are written.
        public static var corkThreshold: Int64 { 65_536 }
        /// File ranges of at most this many bytes are copied into the output rather than sent with
        /// sendfile (which costs more than the copy for small ranges, and a second segment).
        public static var copyThreshold: Int64 { 16_384 }

        // The hot stored properties below skip Swift's run-time exclusivity check (which cost ~7% of
        // the CPU of a completion-model echo): only this object uses them (they are internal only to
        // be usable from its inlinable code), on the base's thread, and no access to them spans a
        // call that could reach back into them.
        //
        // The order of the stored properties is the layout: the small fields fill the gap after
        // `pendingReads`, so that with a one-byte key and a reference context the object takes 116
        // bytes, a 128-byte allocation.
        @usableFromInline @exclusivity(unchecked) var socket: ConnectionSocket?
        @usableFromInline @exclusivity(unchecked) var uncommon: UncommonState?
        @usableFromInline var readTimeout = CompactTimeout(nil)
        @usableFromInline var writeTimeout = CompactTimeout(nil)
        @usableFromInline @exclusivity(unchecked) var pendingReads = FIFO<PendingRead>()
        /// The completion key the connection was associated with.
        public let key: Key
        @usableFromInline @exclusivity(unchecked) var isCorked = false
        @usableFromInline @exclusivity(unchecked) var sawEndOfStream = false
        @usableFromInline @exclusivity(unchecked) var pendingWrites = FIFO<PendingWrite>()

        @usableFromInline struct PendingRead {
            @usableFromInline let buffer: Buffer
            @usableFromInline let context: Context
            /// At most 2 GiB (a larger `maxCount` counts as 2 GiB), in 32 bits to keep the queue small.
            @usableFromInline let maxCount: Int32

            @inlinable init(buffer: Buffer, context: Context, maxCount: Int32) {
                self.buffer = buffer
                self.context = context
                self.maxCount = maxCount
            }

            /// The read's fields, moved out of it: the packet that completes the read then takes
            /// over the reference to the context, where a copy of it cost a retain and a release.
            @inlinable consuming func parts() -> (buffer: Buffer, context: Context, maxCount: Int32) {
                (buffer, context, maxCount)
            }
        }

        @usableFromInline struct PendingWrite {
            @usableFromInline let byteCount: Int
            @usableFromInline let context: Context
            @usableFromInline let operation: CompletionOperation
            @usableFromInline let disconnectAfterwards: Bool

            @inlinable init(byteCount: Int, context: Context, operation: CompletionOperation,
                            disconnectAfterwards: Bool) {
                self.byteCount = byteCount
                self.context = context
                self.operation = operation
                self.disconnectAfterwards = disconnectAfterwards
            }
        }

        /// What most connections never need (a server's accepted connections have neither a
        /// connect in progress nor, usually, a failure), in a box made only when needed.
        ///
        /// Its properties skip the run-time exclusivity check (read on every read and write: whether
        /// something has failed), for the same reasons as the connection's own.
        @usableFromInline final class UncommonState {
            /// Why reads can no longer succeed, once something has failed.
            @usableFromInline @exclusivity(unchecked) var readFailure: CompletionStatus?
            /// Why writes can no longer succeed, once something has failed.
            @usableFromInline @exclusivity(unchecked) var writeFailure: CompletionStatus?
            /// The context of a `connect(to:context:)` that has not completed yet.
            @usableFromInline @exclusivity(unchecked) var pendingConnect: Context?

            @inlinable init() {}
        }

        /// Reads fail with this status from now on (nil: they may succeed).
        @inlinable var readFailure: CompletionStatus? {
            get { uncommon?.readFailure }
            set { uncommonState(creatingIf: newValue != nil)?.readFailure = newValue }
        }

        /// Writes fail with this status from now on (nil: they may succeed).
        @inlinable var writeFailure: CompletionStatus? {
            get { uncommon?.writeFailure }
            set { uncommonState(creatingIf: newValue != nil)?.writeFailure = newValue }
        }

        /// The context of a connect in progress, if any.
        @inlinable var pendingConnect: Context? {
            get { uncommon?.pendingConnect }
            set { uncommonState(creatingIf: newValue != nil)?.pendingConnect = newValue }
        }

        @inlinable func uncommonState(creatingIf needed: Bool) -> UncommonState? {
            if uncommon == nil, needed { uncommon = UncommonState() }
            return uncommon
        }

        @usableFromInline init(port: CompletionPort, key: Key) {
            self.port = port
            self.key = key
        }

        deinit {
            socket?.close()
        }

        /// Whether the connection has a socket (accepted or connecting/connected, not yet reset).
        @inlinable public var isConnected: Bool { socket != nil }

        /// The socket's descriptor, or -1 when idle.
        @inlinable public var descriptor: Int32 { socket?.descriptor ?? -1 }

        /// Whether this and later sockets of the connection send small writes at once (TCP_NODELAY,
        /// Nagle's algorithm off). Request/response servers want this: otherwise a response head
        /// and a small body sent separately can wait 40 ms for a delayed acknowledgement.
        public var sendsImmediately = false {
            didSet { try? socket?.setNoDelay(sendsImmediately) }
        }

        /// Whether a write the kernel takes whole the moment it is issued finishes then and there,
        /// without a packet: `write` returns `.completed` with its byte count (IOCP's
        /// SetFileCompletionNotificationModes with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS). A write
        /// issued while earlier writes or transmissions are pending, or one the kernel takes only in
        /// part, returns `.pending` and completes with a packet as before. Off by default, so that
        /// every operation has its packet. It spares a server that answers each read with a write
        /// the write's packet: about a fifth of the instructions of a completion-model echo.
        /// (Declared beside `sendsImmediately`, at the end of the layout: among the small fields after
        /// `pendingReads` it pushed the object past its 128-byte allocation. Read on every write, it
        /// skips the run-time exclusivity check as the hot properties above do.)
        @exclusivity(unchecked) public var skipsCompletionOnSuccess = false

        /// Sets how long a pending read may wait for data, and a pending write for the peer to take
        /// bytes, before completing with `.failed` (errno ETIMEDOUT). Nil: no limit. Applies to this
        /// and later sockets of the connection. A read timeout of a second or more may fire up to a
        /// fifteenth of it (at most a second) late, as `StreamSocket.setTimeouts` explains.
        @inlinable public func setTimeouts(read: Duration?, write: Duration?) {
            readTimeout = CompactTimeout(read)
            writeTimeout = CompactTimeout(write)
            socket?.setTimeouts(read: read, write: write)
        }

        // MARK: Operations

        /// Connects to `address` (ConnectEx); completes with `.connect` and `.success` or `.failed`.
        @inlinable public func connect(to address: SocketAddress, context: Context) {
            precondition(socket == nil, "connect on a connection that is already connected; reset it first")
            do {
                let socket = try ConnectionSocket(base: port.base, owner: self, report: Self.reportToConnection)
                attach(socket)
                pendingConnect = context
                try socket.connect(to: address)
            } catch let error as LibeventError {
                pendingConnect = nil
                detachSocket()
                complete(.connect, 0, .failed(error), context)
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
        }

        /// Reads up to `maxCount` bytes into `buffer` (WSARecv): completes with the count once at
        /// least one byte is there, with 0 and `.endOfStream` once the peer has closed, or with
        /// `.failed` (including ETIMEDOUT after the read timeout). `maxCount` must be positive (the
        /// process stops otherwise): a read of 0 bytes could not be told from an end of stream.
        @inlinable public func read(into buffer: Buffer, maxCount: Int = 65_536, context: Context) {
            precondition(maxCount > 0, "read maxCount must be positive")
            pendingReads.push(PendingRead(buffer: buffer, context: context, maxCount: Int32(clamping: maxCount)))
            guard readFailure == nil, !sawEndOfStream, withSocket({ $0.inputCount == 0 }) == true else {
                return port.scheduleService(self)
            }
            withSocket { $0.enable(.read) }
        }

        /// Sends every byte of `buffer` (WSASend), moving them out of it without copying; completes
        /// with the count once all have been handed to the kernel. When the connection has already
        /// failed or is not connected, the write completes with the error and the bytes stay in
        /// `buffer`: empty it before reusing it for another client. Returns `.pending`, or with
        /// `skipsCompletionOnSuccess` possibly `.completed`: then no packet comes for this write.
        @inlinable @discardableResult public func write(_ buffer: Buffer, context: Context) -> IssueOutcome {
            let count = buffer.count
            if completesAtOnce(count, { $0.writeAtOnce(from: buffer) }) { return .completed(bytesTransferred: count) }
            queueWrite(.write, byteCount: count, disconnectAfterwards: false, context: context) {
                $0.output.moveAll(from: buffer)
            }
            return .pending
        }

        /// Sends a copy of `bytes` (WSASend); returns as `write(_:context:)` of a buffer does.
        @inlinable @discardableResult public func write(_ bytes: [UInt8], context: Context) -> IssueOutcome {
            bytes.withUnsafeBytes { writeCopy(of: $0, context: context) }
        }

        /// Sends the UTF-8 bytes of `text` (WSASend); returns as `write(_:context:)` of a buffer does.
        @inlinable @discardableResult public func write(_ text: String, context: Context) -> IssueOutcome {
            var text = text
            return text.withUTF8 { writeCopy(of: UnsafeRawBufferPointer($0), context: context) }
        }

        /// Sends a copy of `bytes`: at once where `completesAtOnce` allows, the rest queued.
        @inlinable func writeCopy(of bytes: UnsafeRawBufferPointer, context: Context) -> IssueOutcome {
            var sent = 0
            if completesAtOnce(bytes.count, { socket in
                sent = socket.writeAtOnce(bytes)
                return sent
            }) {
                return .completed(bytesTransferred: bytes.count)
            }
            queueWrite(.write, byteCount: bytes.count, disconnectAfterwards: false, context: context) {
                $0.output.append(UnsafeRawBufferPointer(rebasing: bytes[sent...]))
            }
            return .pending
        }

        /// With `skipsCompletionOnSuccess`, has `send` hand a write of `count` bytes straight to the
        /// kernel, if nothing is queued before it; returns whether the kernel took all of them (the
        /// write is then complete, with no packet). Otherwise the caller queues what is left as a
        /// pending write of all `count` bytes: the bytes sent at once have left first, in order.
        @inlinable func completesAtOnce(_ count: Int, _ send: (ConnectionSocket) -> Int) -> Bool {
            guard skipsCompletionOnSuccess, count > 0, pendingWrites.isEmpty, writeFailure == nil, !isCorked else {
                return false
            }
            return withSocket { send($0) == count } ?? false
        }

        /// Sends `head`, then `length` bytes of the open file `descriptor` from `offset`, then `tail`
        /// (TransmitFile). Ranges up to `copyThreshold` bytes are read into the socket's output and
        /// leave with the head in one write; larger ones go with `sendfile`, never through user
        /// memory. Completes with the
        /// total count once everything has been handed to the kernel. With `disconnectAfterwards`
        /// (TF_DISCONNECT | TF_REUSE_SOCKET) the socket is then closed and the connection is ready
        /// for a new accept, all in this one completion. From `corkThreshold` file bytes on, the
        /// socket is corked until the transmission is written, so the file leaves in full segments.
        ///
        /// The connection takes ownership of `descriptor` and closes it, whatever happens. If the file
        /// range cannot be queued (a bad descriptor, a negative offset or length, say), the connection
        /// is closed and its pending writes complete with the error. If the file is cut shorter while
        /// it is sent, the transmission completes with `.failed(.fileTruncated)`.
        @inlinable public func transmitFile(descriptor: Int32, offset: Int64 = 0, length: Int64, head: [UInt8] = [],
                                            tail: [UInt8] = [], disconnectAfterwards: Bool = false, context: Context) {
            var ownsDescriptor = true
            transmit(length: length, head: head, tail: tail, disconnectAfterwards: disconnectAfterwards,
                     context: context) { output in
                if length > Self.copyThreshold {
                    try output.appendFile(descriptor: descriptor, offset: offset, length: length)
                    ownsDescriptor = false
                } else {
                    try output.appendContents(ofFile: descriptor, offset: offset, length: Int(length))
                }
            }
            if ownsDescriptor { closeFileDescriptor(descriptor) }
        }

        /// `transmitFile(descriptor:...)` for `length` bytes of `segment` from `offset` within it,
        /// which the connection shares instead of owning: the same segment can go out on many
        /// connections at once, and stays the caller's.
        @inlinable public func transmitFile(_ segment: FileSegment, offset: Int64 = 0, length: Int64,
                                            head: [UInt8] = [], tail: [UInt8] = [], disconnectAfterwards: Bool = false,
                                            context: Context) {
            transmit(length: length, head: head, tail: tail, disconnectAfterwards: disconnectAfterwards,
                     context: context) { output in
                if length > Self.copyThreshold {
                    try output.append(segment, offset: offset, length: length)
                } else {
                    guard segment.contains(offset: offset, length: length) else {
                        throw LibeventError("transmitFile", code: EINVAL)
                    }
                    try output.appendContents(ofFile: segment.descriptor, offset: segment.offset + offset, length: Int(length))
                }
            }
        }

        /// Queues `head`, the `length` file bytes that `appendFileRange` adds to the output, and
        /// `tail` as one transmission; if the range cannot be added, fails the connection.
        @inlinable func transmit(length: Int64, head: [UInt8], tail: [UInt8], disconnectAfterwards: Bool,
                                 context: Context, appendFileRange: (Buffer) throws -> Void) {
            // A negative length is a range that cannot be queued: it fails below, counting nothing.
            let total = head.count + Int(max(0, length)) + tail.count
            var fileError: LibeventError?
            queueWrite(.transmitFile, byteCount: total, disconnectAfterwards: disconnectAfterwards, context: context) { socket in
                // Full segments for large files (TransmitFile's own behaviour, nginx's tcp_nopush);
                // the cork comes off once everything queued has been written.
                if length >= Self.corkThreshold, !isCorked { isCorked = (try? socket.setCorked(true)) != nil }
                socket.output.append(head)
                do {
                    try appendFileRange(socket.output)
                } catch {
                    fileError = error as? LibeventError
                }
                socket.output.append(tail)
            }
            if let fileError {
                // The head is already queued, so the byte stream is broken: fail the writes and drop
                // the connection rather than send a response with a hole in it.
                writeFailure = .failed(fileError)
                failWrites(.failed(fileError))
                cancelAndClose()
            }
        }

        /// Closes the socket and makes the connection reusable for a new accept or connect
        /// (DisconnectEx / TF_REUSE_SOCKET): pending operations complete with `.cancelled`, then the
        /// reset completes with `.success`. Once every write has completed, the close is graceful,
        /// as DisconnectEx's: the peer receives all that was written, then the end of stream, even
        /// if it is still sending (what it sends is read and thrown away for up to 5 s instead of
        /// answered with a reset); with writes cancelled, or a failed socket, it is abortive.
        @inlinable public func reset(context: Context) {
            cancelAndClose()
            complete(.reset, 0, .success, context)
        }

        /// Closes the socket now; pending operations complete with `.cancelled` (CancelIo followed by
        /// closesocket). The connection can be accepted into or connected again later. Graceful or
        /// abortive as for `reset(context:)`.
        @inlinable public func close() {
            cancelAndClose()
        }

        // MARK: Completion

        /// Completes the operations whose outcome is already known; called from the loop.
        @inlinable func serviceCompletedOperations() {
            serviceReads()
            // Writes complete once the output has drained, or at once when they can no longer
            // succeed (a failed write can leave bytes in the output that will never leave).
            if socket == nil || writeFailure != nil || socket?.outputCount == 0 { serviceWrites() }
        }

        @inlinable func complete(_ operation: CompletionOperation, _ bytes: Int, _ status: CompletionStatus,
                                 _ context: consuming Context) {
            port.enqueue(Packet(key: key, operation: operation, bytesTransferred: bytes, status: status,
                                context: context, connection: self))
        }

        @inlinable func serviceReads() {
            while !pendingReads.isEmpty {
                if withSocket({ $0.inputCount > 0 }) == true, let (buffer, context, maxCount) = pendingReads.pop()?.parts() {
                    let moved = withSocket { $0.moveInput(upTo: Int(maxCount), into: buffer) } ?? 0
                    // `consume`: without it the context lives to the end of the block, and the
                    // packet gets a copy of it (a retain and a release, about 50 instructions).
                    complete(.read, moved, .success, consume context)
                } else if let status = finalReadStatus, let read = pendingReads.pop() {
                    complete(.read, 0, status, read.context)
                } else {
                    break
                }
            }
            guard readFailure == nil, !sawEndOfStream else { return }
            withSocket { socket in
                if pendingReads.isEmpty, socket.inputCount >= Self.readAheadLimit {
                    socket.disable(.read)
                } else {
                    socket.enable(.read)
                }
            }
        }

        /// The status every further read completes with once reads can no longer succeed (a
        /// failure, the peer's end of stream, no socket), when nothing buffered is left to read;
        /// nil while reads may still succeed.
        @inlinable var finalReadStatus: CompletionStatus? {
            if let readFailure { return readFailure }
            if sawEndOfStream { return .endOfStream }
            if socket == nil { return .failed(LibeventError("read", code: ENOTCONN)) }
            return nil
        }

        /// Completes every pending write: with success once the output has drained, or with the
        /// failure once writes can no longer succeed (a failed socket, or none).
        @inlinable func serviceWrites() {
            guard socket != nil, writeFailure == nil else {
                return failWrites(writeFailure ?? .failed(LibeventError("write", code: ENOTCONN)))
            }
            if isCorked {
                isCorked = false
                try? socket?.setCorked(false)
            }
            var disconnect = false
            while let write = pendingWrites.pop() {
                complete(write.operation, write.byteCount, .success, write.context)
                disconnect = disconnect || write.disconnectAfterwards
            }
            if disconnect { cancelAndClose() }
        }

        /// Completes every pending write with `status`. Each reports the bytes of it the kernel had
        /// taken, as a failed WSASend reports its partial count: the writes' bytes leave the output in
        /// issue order, so all but the `unsent` bytes still in it were taken (nil: none were).
        @inlinable func failWrites(_ status: CompletionStatus, unsent: Int? = nil) {
            guard !pendingWrites.isEmpty else { return }
            var writes: [PendingWrite] = []
            while let write = pendingWrites.pop() { writes.append(write) }
            let queued = writes.reduce(0) { $0 + $1.byteCount }
            var taken = unsent.map { max(0, queued - $0) } ?? 0
            for write in writes {
                let sent = min(write.byteCount, taken)
                taken -= sent
                complete(write.operation, sent, status, write.context)
            }
        }

        /// The bytes the socket's output still holds, while it holds exactly the unsent part of the
        /// pending writes (nothing has failed yet); nil when not.
        @inlinable var unsentBytesOfPendingWrites: Int? {
            writeFailure == nil ? socket?.outputCount : nil
        }

        @inlinable func queueWrite(_ operation: CompletionOperation, byteCount: Int, disconnectAfterwards: Bool,
                                   context: Context, fill: (ConnectionSocket) -> Void) {
            pendingWrites.push(PendingWrite(byteCount: byteCount, context: context, operation: operation,
                                            disconnectAfterwards: disconnectAfterwards))
            guard writeFailure == nil, let outputCount = withSocket({ fill($0); return $0.outputCount }) else {
                return port.scheduleService(self)
            }
            if outputCount == 0 { port.scheduleService(self) }
        }

        /// Runs `body` with the socket borrowed, without the retain and release of a strong copy
        /// (two calls, about 45 instructions; the per-operation paths made four such copies an
        /// echo); nil when there is no socket. Safe because nothing but `detachSocket()` lets go of
        /// the socket, and `body` does only the socket's own bookkeeping (interest, counts, moving
        /// bytes into or out of its buffers or straight to the kernel, options), which runs no user
        /// code and cannot close it or make it report. (`Buffer` reaches its socket the same way.)
        @inlinable func withSocket<Result>(_ body: (ConnectionSocket) -> Result) -> Result? {
            guard socket != nil else { return nil }
            return Unmanaged.passUnretained(socket.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
        }

        // MARK: The socket beneath

        /// Takes the descriptor of an accepted connection; called by the listener.
        @inlinable func attachAccepted(descriptor: Int32) throws {
            precondition(socket == nil, "accept into a connection that is still connected; reset it first")
            attach(try ConnectionSocket(base: port.base, descriptor: descriptor, owner: self, report: Self.reportToConnection))
        }

        /// Hands a socket's report to its connection. It captures nothing, so (once specialised for
        /// the port's key and context types) it is a plain function, with no context to allocate.
        @inlinable static var reportToConnection: (AnyObject, ConnectionSocket.Report) -> Void {
            { connection, report in unsafeDowncast(connection, to: Connection.self).socketReported(report) }
        }

        @inlinable func attach(_ socket: ConnectionSocket) {
            self.socket = socket
            isCorked = false
            uncommon = nil
            sawEndOfStream = false
            socket.setTimeouts(read: readTimeout.duration, write: writeTimeout.duration)
            if sendsImmediately { try? socket.setNoDelay(true) }
        }

        @inlinable func socketReported(_ report: ConnectionSocket.Report) {
            port.handleSocketReport {
                switch report {
                case .input: serviceReads()
                case .drained: serviceWrites()
                case .event(let event): socketEvent(event)
                }
            }
        }

        @inlinable func socketEvent(_ event: StreamSocket.Event) {
            switch event {
            case .connected:
                if let context = pendingConnect {
                    pendingConnect = nil
                    complete(.connect, 0, .success, context)
                }
            case .endOfStream:
                sawEndOfStream = true
                serviceReads()
            case .readTimeout:
                let timedOut = CompletionStatus.failed(LibeventError("read", code: ETIMEDOUT))
                while let read = pendingReads.pop() { complete(.read, 0, timedOut, read.context) }
            case .writeTimeout:
                let unsent = unsentBytesOfPendingWrites
                writeFailure = .failed(LibeventError("write", code: ETIMEDOUT))
                failWrites(writeFailure!, unsent: unsent)
            case .failed(let error):
                if let context = pendingConnect {
                    pendingConnect = nil
                    complete(.connect, 0, .failed(error), context)
                }
                let unsent = unsentBytesOfPendingWrites
                readFailure = .failed(error)
                writeFailure = .failed(error)
                serviceReads()
                failWrites(.failed(error), unsent: unsent)
            }
        }

        @inlinable func cancelAndClose() {
            if let context = pendingConnect {
                pendingConnect = nil
                complete(.connect, 0, .cancelled, context)
            }
            while let read = pendingReads.pop() { complete(.read, 0, .cancelled, read.context) }
            failWrites(.cancelled, unsent: unsentBytesOfPendingWrites)
            detachSocket()
        }

        /// Lets go of the socket, closing it: gracefully when everything written has left the
        /// output and the socket works (the kernel still delivers what it holds, and the peer's
        /// further bytes are read and thrown away instead of answered with a reset that would
        /// destroy it; see `StreamSocket.closeAfterFlushing()`), abortively otherwise (cancelled
        /// writes, a failure).
        @inlinable func detachSocket() {
            guard let socket else { return }
            if socket.outputCount == 0, readFailure == nil, writeFailure == nil {
                socket.closeAfterFlushing()  // with nothing to flush, this closes at once
            } else {
                socket.close()
            }
            self.socket = nil
        }
    }
}

/// A connection's socket: a `StreamSocket` that hands its three reports to its connection, with no
/// closure slots of its own. (Not generic: overrides in a generic subclass would run unspecialised,
/// looking up type metadata on every call. For the same reason the connection is reached through a
/// function made in specialised code, not through a protocol.)
@usableFromInline final class ConnectionSocket: StreamSocket {
    /// What the socket reports.
    @usableFromInline enum Report {
        case input, drained, event(Event)
    }

    /// Unowned and unchecked: a connection closes its socket (which then reports nothing more)
    /// before it can go away, in `detachSocket()` or its deinit.
    private unowned(unsafe) let owner: AnyObject
    /// Passes a report to `owner`.
    private let report: (AnyObject, Report) -> Void

    @usableFromInline init(base: EventBase, descriptor: Int32, owner: AnyObject,
                           report: @escaping (AnyObject, Report) -> Void) throws {
        self.owner = owner
        self.report = report
        try super.init(base: base, descriptor: descriptor)
    }

    @usableFromInline init(base: EventBase, owner: AnyObject, report: @escaping (AnyObject, Report) -> Void) throws {
        self.owner = owner
        self.report = report
        try super.init(base: base)
    }

    override func didReceiveInput() { passToOwner(.input) }
    override func didDrainOutput() { passToOwner(.drained) }
    override func didReport(_ event: Event) { passToOwner(.event(event)) }

    /// Passes `report` to the owner, holding a strong reference to it meanwhile: the port's
    /// handlers run inside the call and may drop the last references to the connection and its
    /// port, which must outlive the call. (The one retain is that reference; the call borrows it,
    /// where a plain strong copy cost a second retain and release, about 60 instructions per echo.)
    private func passToOwner(_ report: Report) {
        let retainedOwner = Unmanaged.passUnretained(owner).retain()
        retainedOwner._withUnsafeGuaranteedRef { self.report($0, report) }
        retainedOwner.release()
    }
}

/// Closes a descriptor the connection took ownership of (`close` inside the class is its own method).
@usableFromInline func closeFileDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
