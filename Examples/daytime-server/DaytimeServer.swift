// daytime-server: the daytime service (RFC 867), the seed's first, iterative server made
// event-driven. Over TCP it writes the date line and closes; over UDP it answers every datagram,
// including an empty one, with the same line.
import ArgumentParser
import Libevent
import ServerSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct DaytimeServer: ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "daytime-server",
        abstract: "Answers each TCP connection and each UDP datagram with the date and time.")

    @OptionGroup var options: ServerOptions

    @Option(parsing: .unconditional, help: "Port to listen on (TCP and UDP); 0 picks a free one.")
    var port: UInt16 = 1313

    @Flag(help: "Serve TCP only.")
    var tcp = false

    @Flag(help: "Serve UDP only.")
    var udp = false

    func validate() throws {
        if tcp && udp { throw ValidationError("--tcp and --udp exclude each other; give neither to serve both") }
    }

    func run() throws {
        let base = try EventBase()
        let address = try options.address(port: port)
        let clients = ConnectionRegistry<BufferedSocket>(
            limit: options.connectionLimit(program: "daytime-server"))
        var datagramService: DatagramDaytimeService?
        var announced: [(SocketAddress, Transport)] = []
        if !udp {
            let listener = try daytimeListener(base: base, address: address, clients: clients,
                                               writeTimeout: options.idleTimeout)
            announced.append((listener.localAddress, .tcp))
        }
        if !tcp {
            // With --port 0 the UDP socket takes the port the kernel gave the TCP listener. The host
            // is the one already resolved, so that a name cannot resolve differently the second time.
            let udpAddress = try SocketAddress(host: address.host, port: announced.first?.0.port ?? port)
            let service: DatagramDaytimeService
            do {
                service = try DatagramDaytimeService(base: base, address: udpAddress)
            } catch where port == 0 {
                // The kernel's TCP pick is taken for UDP: any free UDP port will do.
                service = try DatagramDaytimeService(base: base, address: SocketAddress(host: address.host, port: 0))
            }
            datagramService = service
            announced.append((service.localAddress, .udp))
        }
        _ = try GracefulShutdown(base: base, begin: {
            clients.closeListeners()
            datagramService?.close()
        }, isFinished: { clients.count == 0 })
        for (address, transport) in announced { announceListening(on: address, transport: transport) }
        try base.run()
    }
}

/// A TCP listener that writes the date line to each client and closes once it is sent.
func daytimeListener(base: EventBase, address: SocketAddress, clients: ConnectionRegistry<BufferedSocket>,
                     writeTimeout: Duration) throws -> Listener {
    let listener = try Listener(base: base, address: address) { _, descriptor, _ in
        guard let client = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
        client.setTimeouts(read: nil, write: writeTimeout)
        client.onClose = { clients.remove($0) }
        clients.insert(client)
        client.output.append(daytimeLine())
        client.closeAfterFlushing()
    }
    listener.onAcceptError = { _, error in printError("daytime-server: \(error); retrying") }
    clients.govern(listener)
    return listener
}

/// A UDP socket that answers every datagram with the date line.
final class DatagramDaytimeService {
    let localAddress: SocketAddress
    private let socket: UDPSocket
    private var watcher: DescriptorWatcher?

    init(base: EventBase, address: SocketAddress) throws {
        socket = try UDPSocket(binding: address)
        localAddress = socket.localAddress
        watcher = try DescriptorWatcher(base: base, descriptor: socket.descriptor, events: .read) {
            [unowned self] _, _ in self.answerWaitingDatagrams()
        }
    }

    private func answerWaitingDatagrams() {
        // A bounded batch per wake-up, so a flood cannot starve the TCP clients.
        for _ in 0..<64 {
            do {
                guard let datagram = try socket.receive(maxCount: 512) else { return }
                try socket.send(daytimeLine(), to: datagram.sender)
            } catch {
                // An ICMP error from an earlier reply, or a sender we cannot reach: skip it.
                continue
            }
        }
    }

    func close() {
        watcher?.close()
        watcher = nil
        socket.close()
    }
}

/// The current local time as `ctime` prints it, `Sat Nov 28 19:50:12 2026`, ended by CR LF.
func daytimeLine() -> String {
    var now = time(nil)
    var text = [CChar](repeating: 0, count: 32)
    guard ctime_r(&now, &text) != nil else { return "\r\n" }
    let line = String(decoding: text.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return line + "\r\n"
}
