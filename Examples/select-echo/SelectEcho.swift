// select-echo: a multi-client echo server written as a direct port of the classic C select()
// server (master socket, fd sets, select(), the FD_ISSET loop, accept, read/write, close, FD_CLR)
// onto DescriptorWatcher. The C it answers to is quoted in the comments; the guide
// "Porting a select() loop" walks through it idiom by idiom.
import ArgumentParser
import Libevent
import ServerSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct SelectEcho: ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "select-echo",
        abstract: "Echo server ported line by line from a C select() loop.")

    @OptionGroup var options: ServerOptions

    @Option(parsing: .unconditional, help: "TCP port to listen on; 0 picks a free one.")
    var port: UInt16 = 7007

    func run() throws {
        let base = try EventBase()
        // C: int m_sock = passiveTCPsock(service, 32);
        let masterSocket = try passiveTCPSocket(try options.address(port: port), backlog: 511)
        let server = try SelectEchoServer(base: base, masterSocket: masterSocket, options: options)
        _ = try GracefulShutdown(base: base, begin: server.beginShutdown, isFinished: { server.isFinished })
        announceListening(on: try SocketAddress(localAddressOf: masterSocket))
        // C: for (;;) { select(nfds, &rfds, &wfds, 0, 0); ... }
        try base.run()
    }
}

/// C's `passiveTCPsock`: socket(), bind(), listen(), plus the non-blocking flag an event loop needs.
func passiveTCPSocket(_ address: SocketAddress, backlog: Int32) throws -> Int32 {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let descriptor = socket(family, streamSocketType, 0)
    guard descriptor >= 0 else { throw LibeventError("socket", code: errno) }
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    var on: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    guard address.withUnsafeSockaddr({ bind(descriptor, $0, $1) }) == 0 else {
        let error = LibeventError("bind \(address)", code: errno)
        close(descriptor)
        throw error
    }
    guard listen(descriptor, backlog) == 0 else {
        let error = LibeventError("listen", code: errno)
        close(descriptor)
        throw error
    }
    return descriptor
}

/// The server's state, exactly what the C program keeps: the master socket, the read set (`afds`),
/// the write set (`wfds`, for clients whose echo did not fit in one write), and per client the
/// bytes still to send.
final class SelectEchoServer {
    /// Stop reading from a client while this many of its bytes wait to be echoed back.
    static let pendingLimit = 1 << 20

    private let base: EventBase
    private let masterSocket: Int32
    private let idleTimeout: Duration
    private let maxConnections: Int
    private var master: DescriptorWatcher?
    /// C: `fd_set afds` -- FD_SET is creating a watcher, FD_CLR is stopping it.
    private var readSet: [Int32: DescriptorWatcher] = [:]
    /// C: `fd_set wfds`.
    private var writeSet: [Int32: DescriptorWatcher] = [:]
    /// C: the per-client output buffers, indexed by descriptor.
    private var pending: [Int32: Buffer] = [:]
    /// Clients that half-closed: close them once `pending` is empty.
    private var finishing: Set<Int32> = []
    private var acceptRetry: EventTimer?
    private var isShuttingDown = false

    init(base: EventBase, masterSocket: Int32, options: ServerOptions) throws {
        self.base = base
        self.masterSocket = masterSocket
        idleTimeout = options.idleTimeout
        maxConnections = options.maxConnections
        // C: FD_ZERO(&afds); FD_SET(m_sock, &afds);
        master = try DescriptorWatcher(base: base, descriptor: masterSocket, events: .read) {
            [unowned self] _, _ in self.acceptClients()
        }
    }

    /// C: `if (FD_ISSET(m_sock, &rfds)) { s_sock = accept(m_sock, ...); FD_SET(s_sock, &afds); }`
    private func acceptClients() {
        // A bounded batch per wake-up, as select() returns once per loop iteration.
        for _ in 0..<64 {
            guard readSet.count < maxConnections else { break }
            let client = accept(masterSocket, nil, nil)
            if client < 0 {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { pauseAccepting() }
                return
            }
            // C servers often forget this: a blocking client socket stalls every other client.
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let watcher = try? DescriptorWatcher(base: base, descriptor: client, events: .read, timeout: idleTimeout,
                                                       handler: { [unowned self] _, events in self.clientReadable(client, events) })
            else {
                close(client)
                continue
            }
            readSet[client] = watcher
            pending[client] = Buffer()
        }
        // C programs stop FD_SET-ing the master socket when they are full; so do we.
        if readSet.count >= maxConnections { master?.stop() }
    }

    /// Out of descriptors (EMFILE): stop watching the master socket for 100 ms instead of spinning
    /// on a connection that cannot be accepted; the clients already connected are served meanwhile.
    private func pauseAccepting() {
        printError("select-echo: accept: \(LibeventError("accept", code: errno)); retrying in 100 ms")
        master?.stop()
        let retry = acceptRetry ?? EventTimer(base: base) { [unowned self] _ in
            if !self.isShuttingDown, self.readSet.count < self.maxConnections { try? self.master?.resume() }
        }
        acceptRetry = retry
        retry.schedule(after: .milliseconds(100))
    }

    /// C: `if (fd != m_sock && FD_ISSET(fd, &rfds)) { n = read(fd, buf, sizeof buf); write(fd, buf, n); }`
    private func clientReadable(_ client: Int32, _ events: IOEvents) {
        guard !events.contains(.timeout), let output = pending[client] else { return closeClient(client) }
        let count: Int?
        do {
            count = try output.read(from: client)
        } catch {
            return closeClient(client)
        }
        guard let count else { return }  // EAGAIN: nothing after all
        if count == 0 {
            // The client half-closed: send what is left, then close.
            readSet[client]?.stop()
            finishing.insert(client)
        }
        flush(client)
    }

    /// C: `if (FD_ISSET(fd, &wfds)) { write(fd, pending, n); }`
    private func clientWritable(_ client: Int32, _ events: IOEvents) {
        guard !events.contains(.timeout) else { return closeClient(client) }
        flush(client)
    }

    /// Writes what the socket takes now; watches for writability (FD_SET wfds) while bytes remain,
    /// and stops reading (FD_CLR afds) while too many do.
    private func flush(_ client: Int32) {
        guard let output = pending[client] else { return }
        do {
            _ = try output.write(to: client)
        } catch {
            return closeClient(client)
        }
        if output.isEmpty {
            writeSet.removeValue(forKey: client)?.close()
            if finishing.contains(client) || isShuttingDown { return closeClient(client) }
        } else if writeSet[client] == nil {
            writeSet[client] = try? DescriptorWatcher(base: base, descriptor: client, events: .write, timeout: idleTimeout) {
                [unowned self] _, events in self.clientWritable(client, events)
            }
        }
        guard !finishing.contains(client), !isShuttingDown, let reader = readSet[client] else { return }
        if output.count > Self.pendingLimit {
            reader.stop()
        } else if !reader.isWatching, output.count <= Self.pendingLimit / 2 {
            try? reader.resume()
        }
    }

    /// C: `close(fd); FD_CLR(fd, &afds);`
    private func closeClient(_ client: Int32) {
        readSet.removeValue(forKey: client)?.close()
        writeSet.removeValue(forKey: client)?.close()
        pending[client] = nil
        finishing.remove(client)
        close(client)
        if !isShuttingDown, readSet.count < maxConnections, master?.isWatching == false, acceptRetry?.isScheduled != true {
            try? master?.resume()
        }
    }

    /// Stops accepting; clients with nothing pending close now, the others once their echo is sent.
    func beginShutdown() {
        isShuttingDown = true
        master?.close()
        master = nil
        close(masterSocket)
        acceptRetry?.close()
        for client in Array(readSet.keys) {
            readSet[client]?.stop()
            flush(client)
        }
    }

    var isFinished: Bool { readSet.isEmpty }
}

#if canImport(Glibc)
/// C's `SOCK_STREAM` (Glibc imports the socket types as an enum, Darwin as plain integers).
let streamSocketType = Int32(SOCK_STREAM.rawValue)
#else
let streamSocketType = SOCK_STREAM
#endif
