import Foundation
import Libevent
import TestSupport
import Testing

/// A server that echoes: echo-server on either model, or select-echo.
struct EchoVariant: CustomTestStringConvertible, Sendable {
    let product: String
    let arguments: [String]
    var testDescription: String { ([product] + arguments).joined(separator: " ") }

    static let all = [
        EchoVariant(product: "echo-server", arguments: ["--model", "completion"]),
        EchoVariant(product: "echo-server", arguments: ["--model", "readiness"]),
        EchoVariant(product: "select-echo", arguments: []),
    ]

    func start(_ extra: [String] = []) throws -> (ChildProcess, SocketAddress) {
        let server = try ChildProcess(builtProduct: product, arguments: arguments + ["--port", "0"] + extra)
        return (server, try server.listeningAddress())
    }
}

@Suite(.timeLimit(.minutes(2)))
struct EchoServerTests {
    @Test(arguments: EchoVariant.all)
    func echoesRandomSizesOnManyConnectionsByteExact(variant: EchoVariant) throws {
        let (server, address) = try variant.start()
        var random = SeededGenerator(seed: 0xEC40)
        // 220 connections at once, 1 B to 1 MiB each, log-uniform, plus both extremes.
        var sizes = (0..<218).map { _ in Int(exp(Double.random(in: 0...log(1_048_576.0), using: &random))) }
        sizes += [1, 1 << 20]
        let report = try exerciseEcho(at: address, sizes: sizes, seed: 42)
        #expect(report.failures.isEmpty, "\(report.failures.prefix(5))")
        #expect(report.completed == sizes.count)
        #expect(server.terminate() == 0)
    }

    @Test(arguments: EchoVariant.all)
    func bytesOfAResetClientNeverReachTheNextOne(variant: EchoVariant) throws {
        // Regression: the completion model reused a session whose failed write had left the reset
        // client's bytes in its buffer, and echoed them to the next client.
        let (server, address) = try variant.start()
        for round in 0..<30 {
            let rude = try blockingClient(to: address)
            writeAll(rude, [UInt8](repeating: 0xEE, count: 200_000))
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(rude, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            close(rude)  // RST with most of the echo unread
            let report = try exerciseEcho(at: address, sizes: [10], seed: UInt64(round))
            #expect(report.completed == 1, "round \(round): \(report.failures)")
        }
        #expect(server.terminate() == 0)
    }

    @Test(arguments: EchoVariant.all)
    func halfCloseFlushesThenCloses(variant: EchoVariant) throws {
        let (server, address) = try variant.start()
        let client = try blockingClient(to: address)
        defer { close(client) }
        let payload = [UInt8](repeating: 0x5A, count: 300_000)
        writeAll(client, payload)
        shutdown(client, Int32(SHUT_WR))
        var received: [UInt8] = []
        while true {
            let bytes = readAvailable(client)
            if bytes.isEmpty { break }
            received += bytes
        }
        #expect(received == payload, "every byte comes back before the server closes")
        #expect(server.terminate() == 0)
    }

    /// One second: the shortest idle timeout that the socket models count in the base's sweep, as
    /// they do the default of 60 s (it may fire up to a fifteenth of the timeout late).
    @Test(arguments: EchoVariant.all)
    func idleConnectionIsClosedAfterTheTimeout(variant: EchoVariant) throws {
        let (server, address) = try variant.start(["--idle-timeout", "1"])
        let idle = try blockingClient(to: address)
        defer { close(idle) }
        let started = ContinuousClock.now
        #expect(readAvailable(idle).isEmpty, "the server closes the idle connection")
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(990) && waited < .seconds(4), "closed after \(waited)")
        #expect(server.terminate() == 0)
    }

    @Test(arguments: EchoVariant.all)
    func connectionsPastTheLimitWaitUntilOneCloses(variant: EchoVariant) throws {
        let (server, address) = try variant.start(["--max-connections", "2"])
        let first = try blockingClient(to: address)
        let second = try blockingClient(to: address)
        defer { close(second) }
        for client in [first, second] {
            writeAll(client, [1])
            #expect(readAvailable(client) == [1])
        }
        let third = try blockingClient(to: address)  // completes in the kernel's backlog
        defer { close(third) }
        writeAll(third, [3])
        var ready = pollfd(fd: third, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 300) == 0, "the third client is not served while two are connected")
        close(first)
        #expect(readAvailable(third) == [3], "it is served once a place frees up")
        #expect(server.terminate() == 0)
    }

    @Test(arguments: EchoVariant.all)
    func sigtermWithClientsConnectedExitsZeroPromptly(variant: EchoVariant) throws {
        let (server, address) = try variant.start()
        let clients = try (0..<5).map { _ in try blockingClient(to: address) }
        defer { clients.forEach { close($0) } }
        for client in clients {
            writeAll(client, [7, 7])
            #expect(readAvailable(client) == [7, 7])
        }
        let started = ContinuousClock.now
        #expect(server.terminate(with: SIGTERM) == 0)
        #expect(ContinuousClock.now - started < .seconds(5), "idle clients do not hold the shutdown up")
        for client in clients { #expect(readAvailable(client).isEmpty, "each client sees its connection closed") }
    }

    @Test(arguments: EchoVariant.all)
    func servesIPv6(variant: EchoVariant) throws {
        guard hasIPv6Loopback else { return }
        let server = try ChildProcess(builtProduct: variant.product, arguments: variant.arguments + ["--host", "::1", "--port", "0"])
        let line = server.readLine() ?? ""
        #expect(line.hasPrefix("listening on [::1]:"))
        let address = try SocketAddress(parsing: String(line.dropFirst("listening on ".count)))
        let report = try exerciseEcho(at: address, sizes: [1, 1000, 100_000], seed: 6)
        #expect(report.completed == 3, "\(report.failures)")
        #expect(server.terminate(with: SIGINT) == 0)
    }

    @Test(arguments: EchoVariant.all)
    func listensOnTheAddressOfAHostName(variant: EchoVariant) throws {
        let server = try ChildProcess(builtProduct: variant.product, arguments: variant.arguments + ["--host", "localhost", "--port", "0"])
        let address = try server.listeningAddress()
        #expect(["127.0.0.1", "::1"].contains(address.host), "localhost is a loopback address, not \(address)")
        let report = try exerciseEcho(at: address, sizes: [1, 1000], seed: 7)
        #expect(report.completed == 2, "\(report.failures)")
        #expect(server.terminate(with: SIGINT) == 0)
    }
}
