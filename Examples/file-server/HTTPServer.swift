import CompletionPort
import Libevent
import ServerSupport
import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The static file server on the completion model: a pool of pre-issued accepts on one port, each
/// connection an `HTTPSession` driven by its completion packets through
/// accept -> request -> transmit -> reset. Files come through a `FileCache`: small ones leave from
/// memory with their head, larger ones with `transmitFile` (sendfile).
final class HTTPServer {
    typealias Port = CompletionPort<Handle, HTTPSession>

    /// Which handle a completion key names.
    enum Handle {
        case listener, client
    }

    /// Request bodies are read and discarded; longer ones get 413 and a close.
    static let maxDiscardedBody = 1 << 20

    let localAddress: SocketAddress
    private let base: EventBase
    private let port: Port
    private let pool: AcceptPool<Handle, HTTPSession>
    private let root: DocumentRoot
    private let fileCache: FileCache
    private let idleTimeout: Duration
    /// `idleTimeout` on the clock of request deadlines.
    private let requestTimeLimit: MonotonicInstant.Interval
    private let boundary = "swift-libevent-" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
    private var isShuttingDown = false
    private var cachedDate = (second: 0, text: "")

    init(base: EventBase, address: SocketAddress, root: DocumentRoot, fileCache: FileCache, options: ServerOptions,
         logsAccess: Bool) throws {
        let port = Port(base: base)
        let listener = try port.listen(on: address, key: .listener)
        listener.onAcceptError = { error in printError("file-server: \(error); retrying") }
        let idleTimeout = options.idleTimeout
        pool = AcceptPool(listener: listener, limit: options.connectionLimit(program: "file-server")) {
            let connection = port.makeConnection(key: .client)
            // Write timeout: a client that takes no bytes of a response for this long is dropped.
            connection.setTimeouts(read: nil, write: idleTimeout)
            // A write that follows another one not yet acknowledged (a head and a large file,
            // pipelined responses) would otherwise wait for the client's delayed ACK: 40 ms.
            connection.sendsImmediately = true
            return (connection, HTTPSession(connection: connection, logsAccess: logsAccess))
        }
        self.base = base
        self.port = port
        self.root = root
        self.fileCache = fileCache
        self.idleTimeout = idleTimeout
        requestTimeLimit = MonotonicInstant.Interval(idleTimeout)
        localAddress = listener.localAddress
        port.onCompletion = { [unowned self] packet in self.completed(packet) }
        pool.start()
        deadlineSweep.schedule(every: min(max(idleTimeout / 4, .milliseconds(10)), .seconds(1)))
    }

    /// One timer for all sessions, a few times per idle timeout: it resets those whose request has
    /// not arrived complete by their deadline (slowloris included), and lets the file cache return
    /// the memory of expired files. A timer per session would cost each connection about 250 bytes.
    private lazy var deadlineSweep = EventTimer(base: base) { [unowned self] _ in self.sweep() }

    private func sweep() {
        let now = MonotonicInstant.now
        fileCache.removeExpired(now: now)
        let overdue = pool.liveContexts.filter { session in
            guard session.state == .waitingForRequest, let deadline = session.requestDeadline else { return false }
            return deadline <= now
        }
        for session in overdue { reset(session) }
    }

    // MARK: Lifecycle

    /// Stops accepting; idle connections close now, responses under way finish first.
    func beginShutdown() {
        isShuttingDown = true
        pool.stop()
        for session in pool.liveContexts {
            if session.state == .waitingForRequest { reset(session) } else { session.closesAfterResponse = true }
        }
    }

    /// True once no connection is live.
    var isFinished: Bool { pool.liveCount == 0 }

    // MARK: Completions

    private func completed(_ packet: Port.Packet) {
        let session = packet.context
        if let entry = session.logEntry, packet.operation == .write || packet.operation == .transmitFile {
            entry.writeCompleted(bytes: packet.bytesTransferred, failed: packet.status != .success)
        }
        // Once a reset is issued only its own packet matters; the others report what it cancelled.
        if session.state == .resetting, packet.operation != .reset { return }
        switch (packet.operation, packet.status) {
        case (.accept, .success):
            pool.acceptCompleted(session.connection, context: session, succeeded: true)
            if isShuttingDown { return reset(session) }
            waitForRequest(session)
        case (.accept, _):
            pool.acceptCompleted(session.connection, context: session, succeeded: false)
        case (.read, .success):
            session.isReading = false
            processInput(session)
        case (.write, .success), (.transmitFile, .success):
            session.writesInFlight -= 1
            if session.writesInFlight == 0 { responseSent(session) }
        case (.reset, _):
            if let entry = session.logEntry, entry.responseFailed { entry.writeFailed() }
            session.prepareForReuse()
            pool.release(session.connection, context: session)
        default:
            // End of stream, a failure, a write timeout: the connection is over (a client that
            // resets mid-download ends up here and affects no one else).
            if case .failed(let error) = packet.status, error == .fileTruncated {
                // The file was cut shorter while it was sent: the length announced cannot be kept.
                printError("file-server: a file shrank while it was sent to \(session.connection.peerAddress?.host ?? "a client"); connection closed")
            }
            reset(session)
        }
    }

    private func waitForRequest(_ session: HTTPSession) {
        session.state = .waitingForRequest
        session.logEntry?.requestLine = nil
        session.requestDeadline = .now + requestTimeLimit
        processInput(session)
    }

    /// Discards body bytes and the empty lines before a request line, then parses the next request
    /// head if it is complete, or reads more.
    private func processInput(_ session: HTTPSession) {
        discardBufferedBody(session)
        if session.bodyBytesToDiscard > 0 { return read(session) }
        guard session.state == .waitingForRequest else { return }
        guard session.input.count > 0 else { return read(session) }
        let available = min(session.input.count, RequestHead.maxHeadLength)
        var emptyLinesLength = 0
        var headLength = 0
        let parsed: Result<RequestHead, RequestError>?
        do {
            parsed = try session.input.withContiguousBytes(first: available) { bytes -> Result<RequestHead, RequestError>? in
                emptyLinesLength = RequestHead.leadingEmptyLinesLength(in: bytes)
                let bytes = UnsafeRawBufferPointer(rebasing: bytes[emptyLinesLength...])
                guard let length = try RequestHead.headLength(in: bytes) else { return nil }
                let head = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
                if let entry = session.logEntry { entry.requestLine = firstLine(of: head) }
                headLength = length
                return Result { () throws(RequestError) in try RequestHead(parsing: head) }
            } ?? nil
        } catch let error as RequestError {
            parsed = .failure(error)
        } catch {
            parsed = .failure(RequestError(.badRequest, "unreadable request"))
        }
        // Empty lines before a request line are dropped even while the head is incomplete, so that
        // a stream of them cannot pile up in the input.
        session.input.drain(emptyLinesLength)
        if case .success? = parsed { session.input.drain(headLength) }
        switch parsed {
        case nil where emptyLinesLength > 0 && session.input.count > 0:
            processInput(session)  // the head examined was all empty lines: look at what follows
        case nil:
            read(session)
        case .failure(let error)?:
            session.closesAfterResponse = true
            send(.errorPage(error.status, detail: error.detail), to: session, method: "GET")
        case .success(let request)?:
            session.requestDeadline = nil
            respond(to: request, on: session)
        }
    }

    /// Throws away as much of the request body still owed as the input holds.
    private func discardBufferedBody(_ session: HTTPSession) {
        let count = min(session.bodyBytesToDiscard, session.input.count)
        session.input.drain(count)
        session.bodyBytesToDiscard -= count
    }

    private func read(_ session: HTTPSession) {
        guard !session.isReading else { return }
        session.isReading = true
        session.connection.read(into: session.input, context: session)
    }

    // MARK: Responses

    private func respond(to request: RequestHead, on session: HTTPSession) {
        session.closesAfterResponse = !request.keepsAlive || isShuttingDown
        session.announcesKeepAlive = request.minorVersion == 0 && !session.closesAfterResponse
        let bodyLength: Int
        do {
            bodyLength = try request.bodyLength()
        } catch {
            session.closesAfterResponse = true
            return send(.errorPage(error.status, detail: error.detail), to: session, method: request.method)
        }
        guard bodyLength <= Self.maxDiscardedBody else {
            session.closesAfterResponse = true
            return send(.errorPage(.contentTooLarge), to: session, method: request.method)
        }
        session.bodyBytesToDiscard = bodyLength
        discardBufferedBody(session)
        guard request.method == "GET" || request.method == "HEAD" else {
            guard request.hasStandardMethod else { return send(.errorPage(.notImplemented), to: session, method: request.method) }
            var response = InMemoryResponse.errorPage(.methodNotAllowed)
            response.head.add("Allow", "GET, HEAD")
            return send(response, to: session, method: request.method)
        }
        let now = MonotonicInstant.now
        if let cached = fileCache.entry(for: request.target, now: now) {
            return send(cached, answering: request, to: session)
        }
        let target: RequestTarget
        do {
            target = try RequestTarget(resolving: request.target)
        } catch {
            return send(.errorPage(error.status, detail: error.detail), to: session, method: request.method)
        }
        switch root.lookup(target) {
        case .file(let descriptor, let metadata, let name):
            let file = FileDescription(metadata: metadata, name: name)
            guard let body = fileCache.load(target: request.target, descriptor: descriptor, file: file, now: now) else {
                return send(.errorPage(.internalServerError), to: session, method: request.method)
            }
            send(file, body: body, answering: request, to: session)
        case .listing(let entries):
            send(.html(status: .ok, DirectoryListing.page(for: target, entries: entries)), to: session, method: request.method)
        case .redirectToDirectory:
            send(.directoryRedirect(target), to: session, method: request.method)
        case .failure(let status):
            send(.errorPage(status), to: session, method: request.method)
        }
    }

    /// Sends a response held in memory (the body only for methods other than HEAD).
    private func send(_ response: InMemoryResponse, to session: HTTPSession, method: String) {
        var head = response.head
        addCommonFields(to: &head, session)
        let sendsBody = method != "HEAD" && head.status.allowsBody
        write(head, body: sendsBody ? response.body[...] : [], to: session)
    }

    /// Answers `request` for a cached file. The usual request, a plain GET, gets the head the file
    /// keeps ready for this second and this session's `Connection` field (made by the general path
    /// below the first time); other requests take the general path.
    private func send(_ cached: FileCache.Entry, answering request: RequestHead, to session: HTTPSession) {
        guard FileResponse.answersWithWholeFile(request) else {
            return send(cached.file, body: cached.body, answering: request, to: session)
        }
        let head = cached.wholeFileHeads.head(second: currentDate().second, ending: headEnding(of: session)) {
            plan(answering: request, file: cached.file, session).head.bytes
        }
        switch cached.body {
        case .bytes(let content):
            write(head + content, headLength: head.count, status: .ok, to: session)
        case .segment(let segment):
            transmitWholeFile(segment, size: cached.file.metadata.size, head: head, to: session)
        }
    }

    /// Answers `request` for `file`, whose bytes are `body`: from memory, head and body in one
    /// write, or with sendfile.
    private func send(_ file: FileDescription, body: FileCache.Body, answering request: RequestHead,
                      to session: HTTPSession) {
        let plan = plan(answering: request, file: file, session)
        switch body {
        case .bytes(let content): send(plan, content: content, to: session)
        case .segment(let segment):
            transmit(head: plan.head.bytes, status: plan.head.status, parts: plan.body, segment: segment, to: session)
        }
    }

    /// The response to `request` for `file`, its head with the common fields for `session`: what
    /// both the general path and the ready heads of cached files send.
    private func plan(answering request: RequestHead, file: FileDescription, _ session: HTTPSession) -> FileResponse {
        var plan = FileResponse(request: request, file: file, boundary: boundary)
        addCommonFields(to: &plan.head, session)  // in place: the plan's fields are not shared yet
        return plan
    }

    private func send(_ plan: FileResponse, content: [UInt8], to session: HTTPSession) {
        if plan.body.count == 1, case .file(let range) = plan.body[0], range.count == content.count {
            return write(plan.head, body: content[...], to: session)  // the whole file: no copy to make
        }
        var body: [UInt8] = []
        for part in plan.body {
            switch part {
            case .bytes(let bytes): body += bytes
            case .file(let range): body += content[Int(range.lowerBound)...Int(range.upperBound)]
            }
        }
        write(plan.head, body: body[...], to: session)
    }

    /// Writes a head that has the common fields, and `body`, in one write.
    private func write(_ head: ResponseHead, body: ArraySlice<UInt8>, to session: HTTPSession) {
        let bytes = head.bytes(followedBy: body)
        write(bytes, headLength: bytes.count - body.count, status: head.status, to: session)
    }

    /// Writes `response`, whose first `headLength` bytes are a head with the common fields and
    /// `status`, in one write.
    private func write(_ response: [UInt8], headLength: Int, status: HTTPStatus, to session: HTTPSession) {
        session.state = .transmitting
        beginLogEntry(of: session, status: status, headBytes: headLength)
        session.logEntry?.bodyBytes = Int64(response.count - headLength)
        session.writesInFlight = 1
        session.connection.write(response, context: session)
    }

    /// Sends `head`, a 200 head with the common fields, then the whole of `segment` (`size` bytes)
    /// with sendfile, in one operation: the usual response for a large file.
    private func transmitWholeFile(_ segment: FileSegment, size: Int64, head: [UInt8], to session: HTTPSession) {
        session.state = .transmitting
        beginLogEntry(of: session, status: .ok, headBytes: head.count)
        session.logEntry?.bodyBytes = size
        session.writesInFlight = 1
        session.connection.transmitFile(segment, offset: 0, length: size, head: head, context: session)
    }

    /// Sends a file response: `head`, serialised with the common fields and `status`, then each
    /// part, file ranges with sendfile.
    private func transmit(head: [UInt8], status: HTTPStatus, parts: [FileResponse.Part], segment: FileSegment,
                          to session: HTTPSession) {
        session.state = .transmitting
        session.writesInFlight = 0
        var pending = head
        beginLogEntry(of: session, status: status, headBytes: head.count)
        for part in parts {
            switch part {
            case .bytes(let bytes):
                pending += bytes
                session.logEntry?.bodyBytes += Int64(bytes.count)
            case .file(let range):
                let length = range.upperBound - range.lowerBound + 1
                session.writesInFlight += 1
                session.logEntry?.bodyBytes += length
                session.connection.transmitFile(segment, offset: range.lowerBound, length: length, head: pending,
                                                 context: session)
                pending = []
            }
        }
        if !pending.isEmpty || session.writesInFlight == 0 {
            session.writesInFlight += 1
            session.connection.write(pending, context: session)
        }
    }

    private func addCommonFields(to head: inout ResponseHead, _ session: HTTPSession) {
        head.fields.insert(("Date", currentDate().text), at: 0)
        head.fields.insert(("Server", "swift-libevent-file-server"), at: 1)
        switch headEnding(of: session) {
        case .plain: break
        case .close: head.add("Connection", "close")
        case .keepAlive: head.add("Connection", "keep-alive")  // HTTP/1.0 clients assume a close otherwise
        }
    }

    /// Which `Connection` field the session's next response head carries.
    private func headEnding(of session: HTTPSession) -> WholeFileHeads.Ending {
        session.closesAfterResponse ? .close : session.announcesKeepAlive ? .keepAlive : .plain
    }

    /// Starts the access log's entry for the response about to be sent, if the server keeps a log.
    private func beginLogEntry(of session: HTTPSession, status: HTTPStatus, headBytes: Int) {
        session.logEntry?.beginResponse(client: session.connection.peerAddress?.host ?? "-", status: status.code,
                                        headBytes: headBytes)
    }

    private func responseSent(_ session: HTTPSession) {
        session.logEntry?.writeSent()
        if session.closesAfterResponse || isShuttingDown { return reset(session) }
        waitForRequest(session)
    }

    private func reset(_ session: HTTPSession) {
        guard session.state != .resetting else { return }
        session.state = .resetting
        session.requestDeadline = nil
        session.connection.reset(context: session)
    }

    /// The current second, as `time` counts it, and its HTTP date.
    private func currentDate() -> (second: Int, text: String) {
        let now = time(nil)
        if cachedDate.second != now { cachedDate = (now, HTTPDate.format(now)) }
        return cachedDate
    }
}

/// The request line of a head, for the access log.
private func firstLine(of head: UnsafeRawBufferPointer) -> String {
    let end = head.firstIndex(of: 0x0A) ?? head.count
    let line = head[0..<end]
    return String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
}
