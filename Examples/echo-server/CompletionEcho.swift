import CompletionPort
import Libevent
import ServerSupport

/// Which handle a completion key names.
enum EchoKey {
    case listener, client
}

/// One client of the completion-model echo server (the per-connection data of an IOCP server,
/// passed as the context of every operation it issues).
final class EchoSession {
    let connection: CompletionEchoServer.Port.Connection
    /// The bytes of the last read, handed to the write that echoes them.
    let chunk = Buffer()
    /// Bytes read and not yet written back (at most `echoOutputLimit` and one read; 32 bits keep
    /// the session, kept per client, in a smaller allocation).
    var bytesInFlight: Int32 = 0
    var isReading = false
    var peerHalfClosed = false
    var isResetting = false

    init(connection: CompletionEchoServer.Port.Connection) {
        self.connection = connection
    }

    /// Back to a clean state for the next client. The chunk must be emptied: a write that failed
    /// (the client reset) leaves its bytes in it, and they must never reach the next client.
    func prepareForReuse() {
        chunk.drain(chunk.count)
        isReading = false
        bytesInFlight = 0
        peerHalfClosed = false
        isResetting = false
    }
}

/// The echo server on the completion model: a pool of pre-issued accepts; each session reads a
/// chunk, writes it back, and reads again while fewer than `echoOutputLimit` of its bytes are in
/// flight; after the client's end of stream and the last write, the connection is reset and goes
/// back to the pool.
final class CompletionEchoServer: EchoServing {
    typealias Port = CompletionPort<EchoKey, EchoSession>

    let localAddress: SocketAddress
    private let port: Port
    private let pool: AcceptPool<EchoKey, EchoSession>
    private var isShuttingDown = false

    init(base: EventBase, address: SocketAddress, options: ServerOptions) throws {
        let port = Port(base: base)
        let listener = try port.listen(on: address, key: .listener)
        listener.onAcceptError = { error in printError("echo-server: \(error); retrying") }
        let idleTimeout = options.idleTimeout
        pool = AcceptPool(listener: listener, limit: options.connectionLimit(program: "echo-server")) {
            let connection = port.makeConnection(key: .client)
            connection.setTimeouts(read: idleTimeout, write: idleTimeout)
            connection.sendsImmediately = true  // TCP_NODELAY, as in the readiness model (see there)
            // An echo the kernel takes at once is done: no packet for it (most echoes, see below).
            connection.skipsCompletionOnSuccess = true
            return (connection, EchoSession(connection: connection))
        }
        self.port = port
        localAddress = listener.localAddress
        port.onCompletion = { [unowned self] packet in self.completed(packet) }
        pool.start()
    }

    private func completed(_ packet: Port.Packet) {
        let session = packet.context
        // Once a reset is issued, only its own packet matters: the others report operations it
        // cancelled, and acting on them could touch the connection after it has been reused.
        if session.isResetting, packet.operation != .reset { return }
        switch (packet.operation, packet.status) {
        case (.accept, .success):
            pool.acceptCompleted(session.connection, context: session, succeeded: true)
            if isShuttingDown { reset(session) } else { read(session) }
        case (.accept, _):
            pool.acceptCompleted(session.connection, context: session, succeeded: false)
        case (.read, .success):
            session.isReading = false
            // Sent whole at once, the echo is over; otherwise its bytes are in flight until the
            // write's packet comes.
            if session.connection.write(session.chunk, context: session) == .pending {
                session.bytesInFlight += Int32(packet.bytesTransferred)
            }
            if session.bytesInFlight < echoOutputLimit, !isShuttingDown { read(session) }
        case (.read, .endOfStream):
            session.isReading = false
            session.peerHalfClosed = true
            if session.bytesInFlight == 0 { reset(session) }
        case (.write, .success):
            session.bytesInFlight -= Int32(packet.bytesTransferred)
            if session.bytesInFlight == 0, session.peerHalfClosed || isShuttingDown {
                reset(session)
            } else if !session.isReading, !session.peerHalfClosed, !isShuttingDown,
                      session.bytesInFlight <= echoOutputLimit / 2 {
                read(session)
            }
        case (.reset, _):
            session.prepareForReuse()
            pool.release(session.connection, context: session)
        default:
            // A failed or timed-out read or write, or one cancelled by our own reset.
            reset(session)
        }
    }

    private func read(_ session: EchoSession) {
        session.isReading = true
        session.connection.read(into: session.chunk, context: session)
    }

    private func reset(_ session: EchoSession) {
        guard !session.isResetting else { return }
        session.isResetting = true
        session.connection.reset(context: session)
    }

    func beginShutdown() {
        isShuttingDown = true
        pool.stop()
        for session in pool.liveContexts where session.bytesInFlight == 0 { reset(session) }
    }

    var isFinished: Bool { pool.liveCount == 0 }
}
