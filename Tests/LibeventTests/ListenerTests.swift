import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct ListenerTests {
    @Test func bindsPortZeroAndAcceptsWithThePeerAddress() throws {
        let base = try EventBase()
        var peers: [SocketAddress] = []
        let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0"), backlog: 16) { _, descriptor, peer in
            peers.append(peer)
            close(descriptor)
        }
        #expect(listener.localAddress.port != 0)
        #expect(listener.descriptor >= 0)
        let client = try blockingClient(to: listener.localAddress)
        defer { close(client) }
        try runBounded(base) { !peers.isEmpty }
        listener.close()
        #expect(peers.first?.host == "127.0.0.1")
        #expect(peers.first.map { $0.port != 0 } == true)
    }

    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback on this machine"))
    func listensOnIPv6Loopback() throws {
        let base = try EventBase()
        var accepted = 0
        let listener = try Listener(base: base, address: SocketAddress(parsing: "[::1]:0")) { listener, descriptor, peer in
            #expect(peer.family == .ipv6)
            accepted += 1
            close(descriptor)
            listener.close()   // closing from inside its own callback
        }
        #expect(listener.localAddress.description.hasPrefix("[::1]:"))
        let client = try blockingClient(to: listener.localAddress)
        defer { close(client) }
        try runBounded(base) { accepted == 1 }
        #expect(listener.descriptor == -1)
    }

    @Test func bindingABusyPortThrowsAReadableError() throws {
        let base = try EventBase()
        let first = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0"), reuseAddress: false) { _, fd, _ in close(fd) }
        defer { first.close() }
        #expect {
            try Listener(base: base, address: first.localAddress, reuseAddress: false) { _, fd, _ in close(fd) }
        } throws: { error in
            (error as? LibeventError)?.code == EADDRINUSE
                && "\(error)".hasPrefix("bind \(first.localAddress): Address already in use")
        }
    }

    @Test func pausedListenerLeavesConnectionsInTheBacklog() throws {
        let base = try EventBase()
        var accepted = 0
        let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, descriptor, _ in
            accepted += 1
            close(descriptor)
        }
        listener.pause()
        let client = try blockingClient(to: listener.localAddress)   // completes in the kernel's backlog
        defer { close(client) }
        let settle = EventTimer(base: base) { _ in base.stop() }
        settle.schedule(after: .milliseconds(50))
        try runBounded(base)
        #expect(accepted == 0)
        listener.resume()
        try runBounded(base) { accepted == 1 }
        listener.close()
    }

    @Test func pausingInsideTheHandlerHoldsTheRestOfTheBatch() throws {
        let base = try EventBase()
        var accepted = 0
        let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { listener, descriptor, _ in
            accepted += 1
            close(descriptor)
            listener.pause()
        }
        let clients = try (0..<3).map { _ in try blockingClient(to: listener.localAddress) }
        defer { clients.forEach { close($0) } }
        let settle = EventTimer(base: base) { _ in base.stop() }
        settle.schedule(after: .milliseconds(100))
        try runBounded(base)
        #expect(accepted == 1, "a paused listener delivers nothing more")
        listener.resume()
        #expect(accepted == 1, "held connections arrive from the loop, not inside resume()")
        try runBounded(base) { accepted == 2 }
        listener.resume()
        try runBounded(base) { accepted == 3 }
        listener.close()
    }

    @Test func closedListenerIsFreed() throws {
        let base = try EventBase()
        weak var weakListener: Listener?
        do {
            let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, fd, _ in close(fd) }
            weakListener = listener
        }
        #expect(weakListener != nil, "an open listener keeps itself alive")
        weakListener?.close()
        #expect(weakListener == nil)
    }
}

@Suite struct UDPSocketTests {
    @Test func receivesAndAnswersDatagramsThroughAWatcher() throws {
        let base = try EventBase()
        let server = try UDPSocket(binding: SocketAddress(parsing: "127.0.0.1:0"))
        let client = try UDPSocket(binding: SocketAddress(parsing: "127.0.0.1:0"))
        #expect(server.localAddress.port != 0)
        var seenByServer: [[UInt8]] = []
        _ = try DescriptorWatcher(base: base, descriptor: server.descriptor, events: .read) { _, _ in
            while let datagram = try? server.receive() {
                seenByServer.append(datagram.bytes)
                _ = try? server.send("echo:" + String(decoding: datagram.bytes, as: UTF8.self), to: datagram.sender)
            }
        }
        var replies: [String] = []
        let clientWatcher = try DescriptorWatcher(base: base, descriptor: client.descriptor, events: .read) { _, _ in
            while let datagram = try? client.receive() {
                #expect(datagram.sender == server.localAddress)
                replies.append(String(decoding: datagram.bytes, as: UTF8.self))
            }
        }
        try client.send("hi", to: server.localAddress)
        try client.send([], to: server.localAddress)   // an empty datagram is a datagram
        try runBounded(base) { replies.count == 2 }
        clientWatcher.close()
        #expect(seenByServer == [Array("hi".utf8), []])
        #expect(replies == ["echo:hi", "echo:"])
        #expect(try client.receive() == nil, "nothing more is waiting")
    }

    @Test func aReceivedDatagramTakesTheMemoryOfItsSizeAndLongOnesAreTruncated() throws {
        let server = try UDPSocket(binding: SocketAddress(parsing: "127.0.0.1:0"))
        let client = try UDPSocket(binding: SocketAddress(parsing: "127.0.0.1:0"))
        try client.send("ten bytes!", to: server.localAddress)
        try client.send(Array(repeating: 7, count: 3000), to: server.localAddress)
        var received: [UDPSocket.Datagram] = []
        for _ in 0..<200 where received.count < 2 {
            if let datagram = try server.receive(maxCount: received.isEmpty ? 65_536 : 1000) {
                received.append(datagram)
            } else {
                usleep(5_000)
            }
        }
        #expect(received.map(\.bytes.count) == [10, 1000])
        // Kept datagrams must not each hold the 64 KiB they were received with.
        #expect(received[0].bytes.capacity < 1024, "capacity \(received[0].bytes.capacity)")
    }

    @Test func aNegativeReceiveCountIsRefusedAndTheDatagramStaysWaiting() throws {
        // recvfrom would take -1 as SIZE_MAX and write the datagram past the scratch memory.
        let socket = try UDPSocket(binding: SocketAddress(parsing: "127.0.0.1:0"))
        try socket.send(Array(repeating: 7, count: 60_000), to: socket.localAddress)
        #expect(throws: LibeventError("recvfrom", code: EINVAL)) { try socket.receive(maxCount: -1) }
        var datagram: UDPSocket.Datagram?
        for _ in 0..<200 where datagram == nil {
            datagram = try socket.receive()
            if datagram == nil { usleep(5_000) }
        }
        #expect(datagram?.bytes.count == 60_000)
    }
}
