import Glibc
import Libevent
import TestSupport
import Testing

/// A listener that runs out of descriptors keeps its connections, does not spin, and accepts again
/// once descriptors are free. Run in a child process whose RLIMIT_NOFILE is 40.
@Suite struct ListenerEMFILETests {
    @Test(.timeLimit(.minutes(1)))
    func survivesRunningOutOfDescriptors() throws {
        let server = try ChildProcess(builtProduct: "libevent-emfile-probe", arguments: ["40"])
        let address = try server.listeningAddress()

        // More clients than the server has descriptors for; the kernel queues them all in the backlog.
        let clients = try (0..<60).map { _ in try blockingClient(to: address) }
        defer { clients.forEach { close($0) } }
        func echoes(_ client: Int32, within patience: Duration) -> Bool {
            setTimeout(SO_RCVTIMEO, of: client, to: patience)
            writeAll(client, [42])
            var byte: UInt8 = 0
            return read(client, &byte, 1) == 1 && byte == 42
        }
        let served = clients.filter { echoes($0, within: .milliseconds(100)) }
        #expect(!served.isEmpty && served.count < clients.count, "served \(served.count) of \(clients.count)")
        #expect(served.allSatisfy { echoes($0, within: .seconds(1)) }, "established connections keep working")

        // Free the served connections' descriptors: the waiting clients get accepted and echoed.
        served.forEach { shutdown($0, Int32(SHUT_RDWR)) }
        let waiting = clients.filter { !served.contains($0) }
        let servedLater = waiting.prefix(10).filter { echoes($0, within: .seconds(3)) }
        #expect(servedLater.count == 10, "accepting resumed once descriptors were free")

        #expect(server.terminate() == 0)
        let stats = server.readLine()?.split(separator: " ") ?? []
        let acceptErrors = stats.count == 4 ? Int(stats[1]) : nil
        let cpuMilliseconds = stats.count == 4 ? Int(stats[3]) : nil
        // With a 100 ms retry, a few seconds of EMFILE give tens of errors; a spinning listener
        // would report hundreds of thousands and burn a core.
        #expect(acceptErrors.map { $0 > 0 && $0 < 200 } == true, "accept errors: \(stats)")
        #expect(cpuMilliseconds.map { $0 < 1500 } == true, "server CPU time: \(stats)")
    }
}
