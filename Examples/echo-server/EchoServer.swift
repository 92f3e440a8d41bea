// echo-server: echoes every byte back, in order, on the same connection. The same behaviour is
// written twice, once on each programming model, so the two can be read side by side:
// ReadinessEcho.swift (Listener + BufferedSocket) and CompletionEcho.swift (CompletionPort).
import ArgumentParser
import Libevent
import ServerSupport

/// Stop reading from a client while this many of its bytes wait to be echoed back.
let echoOutputLimit = 1 << 20

/// What `main` needs from either model's server.
protocol EchoServing: AnyObject {
    /// The bound address (with `--port 0`, the port the kernel picked).
    var localAddress: SocketAddress { get }
    /// Stops accepting and lets each client's pending echo drain, then closes it.
    func beginShutdown()
    /// True once no client is connected.
    var isFinished: Bool { get }
}

@main
struct EchoServer: ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Echoes every byte back on the same connection.")

    /// The programming model the server is written on.
    enum Model: String, ExpressibleByArgument, CaseIterable {
        case completion, readiness
    }

    @OptionGroup var options: ServerOptions

    @Option(parsing: .unconditional, help: "TCP port to listen on; 0 picks a free one.")
    var port: UInt16 = 7007

    @Option(help: "Programming model: completion (IOCP style) or readiness (select/epoll style).")
    var model: Model = .completion

    func run() throws {
        let base = try EventBase()
        let address = try options.address(port: port)
        let server: any EchoServing = switch model {
        case .completion: try CompletionEchoServer(base: base, address: address, options: options)
        case .readiness: try ReadinessEchoServer(base: base, address: address, options: options)
        }
        _ = try GracefulShutdown(base: base, begin: server.beginShutdown, isFinished: { server.isFinished })
        announceListening(on: server.localAddress)
        try base.run()
    }
}
