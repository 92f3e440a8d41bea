import Libevent
import ServerSupport

/// The echo server on the readiness model: the listener hands each client's descriptor to a
/// `BufferedSocket`, whose read callback moves the input to the output (no copy). The socket stops
/// reading while its output is above `echoOutputLimit`, so a client that sends without reading
/// cannot make the server buffer without bound.
final class ReadinessEchoServer: EchoServing {
    let localAddress: SocketAddress
    private let base: EventBase
    private let idleTimeout: Duration
    private let clients: ConnectionRegistry<BufferedSocket>
    /// Every client's `onClose`: one closure shared by all, rather than one allocated per client.
    private lazy var removeClient: (BufferedSocket) -> Void = { [unowned self] client in self.clients.remove(client) }

    init(base: EventBase, address: SocketAddress, options: ServerOptions) throws {
        self.base = base
        idleTimeout = options.idleTimeout
        clients = ConnectionRegistry(limit: options.connectionLimit(program: "echo-server"))
        let listener = try Listener(base: base, address: address) { _, _, _ in }
        localAddress = listener.localAddress
        listener.onAccept = { [unowned self] _, descriptor, _ in self.serve(descriptor) }
        listener.onAcceptError = { _, error in printError("echo-server: \(error); retrying") }
        clients.govern(listener)
    }

    private func serve(_ descriptor: Int32) {
        guard let client = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
        client.outputLimit = echoOutputLimit
        // An echo answers each message at once: with Nagle's algorithm on, an echo written in two
        // parts (a message read in two reads) can wait for the client's next message to acknowledge
        // the first part, and then every later echo waits the same way.
        try? client.setNoDelay(true)
        // Idle: nothing arrives for the timeout, or the client takes none of its echo for as long.
        client.setTimeouts(read: idleTimeout, write: idleTimeout)
        client.onRead = { client in client.output.moveAll(from: client.input) }
        client.onEvent = { client, event in
            // The client half-closed: send what is pending, then close. Anything else ends it now.
            if event == .endOfStream { client.closeAfterFlushing() } else { client.close() }
        }
        client.onClose = removeClient
        clients.insert(client)
        client.enable(.read)
    }

    func beginShutdown() {
        clients.closeListeners()
        for client in clients.connections { client.closeAfterFlushing() }
    }

    var isFinished: Bool { clients.count == 0 }
}
