import CompletionPort
import Glibc
import Libevent
import Testing
import TestSupport

/// What the tests use as completion keys and operation contexts.
private enum Role: Equatable { case listener, server, client, control }
private typealias Port = CompletionPort<Role, String>

/// A port in push mode that records every packet, with a listener on 127.0.0.1:0.
private final class Harness {
    let base: EventBase
    let port: Port
    let listener: Port.Listener
    var packets: [Port.Packet] = []
    var onPacket: ((Port.Packet) -> Void)?

    init() throws {
        base = try EventBase()
        port = Port(base: base)
        listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: .listener)
        port.onCompletion = { [unowned self] packet in
            self.packets.append(packet)
            self.onPacket?(packet)
        }
    }

    func run(until done: @escaping () -> Bool) throws {
        try runBounded(base, until: done)
    }

    func packets(_ operation: CompletionOperation) -> [Port.Packet] {
        packets.filter { $0.operation == operation }
    }

    /// A server connection, set up by `configure`, with an accept issued into it (context
    /// "accept"), and a blocking client socket connected to the listener, which the caller closes.
    func serverWithClient(_ configure: (Port.Connection) -> Void = { _ in }) throws -> (server: Port.Connection, client: Int32) {
        let server = port.makeConnection(key: .server)
        configure(server)
        listener.accept(into: server, context: "accept")
        return (server, try blockingClient(to: listener.localAddress))
    }
}

/// An object only a handler holds, to see whether the handler is still alive.
private final class Recorder {
    var contexts: [String] = []
    func record(_ context: String) { contexts.append(context) }
}

@Suite struct CompletionPortTests {
    @Test func acceptReadWriteRoundTripInPushMode() throws {
        let harness = try Harness()
        let server = harness.port.makeConnection(key: .server)
        let client = harness.port.makeConnection(key: .client)
        let serverBuffer = Buffer()
        let clientBuffer = Buffer()
        harness.listener.accept(into: server, context: "accept")
        client.connect(to: harness.listener.localAddress, context: "connect")
        harness.onPacket = { packet in
            switch (packet.key, packet.operation) {
            case (.listener, .accept): server.read(into: serverBuffer, context: "server read")
            case (.client, .connect): client.write("hello, port", context: "client write")
            case (.server, .read): server.write(serverBuffer, context: "server echo")
            case (.client, .write): client.read(into: clientBuffer, context: "client read")
            default: break
            }
        }
        try harness.run { clientBuffer.count == 11 }
        #expect(clientBuffer.removeFirst(upTo: 100) == Array("hello, port".utf8))
        let accept = try #require(harness.packets(.accept).first)
        #expect(accept.status == .success && accept.context == "accept" && accept.connection === server)
        #expect(server.peerAddress?.host == "127.0.0.1")
        let reads = harness.packets(.read)
        #expect(reads.map(\.context) == ["server read", "client read"])
        #expect(reads.map(\.bytesTransferred) == [11, 11])
        #expect(harness.packets(.write).map(\.bytesTransferred) == [11, 11])
        #expect(harness.packets.allSatisfy { $0.status == .success })
    }

    @Test func pullModeWaitsForTheNextPacketWithATimeout() throws {
        let base = try EventBase()
        let port = Port(base: base)
        let listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: .listener)
        #expect(try port.next(timeout: .milliseconds(20)) == nil, "nothing completes: timeout")
        let server = port.makeConnection(key: .server)
        let client = port.makeConnection(key: .client)
        listener.accept(into: server, context: "accept")
        client.connect(to: listener.localAddress, context: "connect")
        var seen: [CompletionOperation] = []
        while seen.count < 2, let packet = try port.next(timeout: .seconds(5)) { seen.append(packet.operation) }
        #expect(Set(seen.map { "\($0)" }) == ["accept", "connect"])
        port.post(key: .control, context: "shutdown")
        let shutdown = try #require(try port.next(timeout: .seconds(1)))
        #expect(shutdown.operation == .posted && shutdown.key == .control && shutdown.context == "shutdown")
        #expect(shutdown.connection == nil)
        client.close()
        server.close()
        listener.close()
    }

    @Test func postedPacketsArriveFromTheLoopInOrder() throws {
        let harness = try Harness()
        for index in 0..<5 { harness.port.post(key: .control, context: "p\(index)", bytesTransferred: index) }
        #expect(harness.packets.isEmpty, "never delivered inside post()")
        #expect(harness.port.queuedPacketCount == 5)
        try harness.run { harness.packets.count == 5 }
        #expect(harness.packets.map(\.context) == ["p0", "p1", "p2", "p3", "p4"])
        #expect(harness.packets.map(\.bytesTransferred) == [0, 1, 2, 3, 4])
    }

    @Test func aHandlerMayReplaceOrClearItselfWhileItRuns() throws {
        let base = try EventBase()
        let port = Port(base: base)
        var delivered: [String] = []
        weak var firstHandlersObject: Recorder?
        do {
            let recorder = Recorder()
            firstHandlersObject = recorder
            // Replacing the handler drops the port's reference to this closure, the only one to
            // `recorder`: the closure and what it captured must live until it returns.
            port.onCompletion = { packet in
                port.onCompletion = { packet in
                    delivered.append("second: \(packet.context)")
                    if packet.context == "p1" { port.onCompletion = nil }
                }
                recorder.record(packet.context)
                delivered.append("first: \(packet.context), \(firstHandlersObject?.contexts ?? [])")
            }
        }
        for index in 0..<3 { port.post(key: .control, context: "p\(index)") }
        try runBounded(base) { delivered.count == 2 }
        #expect(delivered == ["first: p0, [\"p0\"]", "second: p1"])
        #expect(firstHandlersObject == nil, "the replaced handler is freed once it has returned")
        #expect(port.queuedPacketCount == 1, "with no handler, packets wait")
        #expect(try port.next(timeout: .seconds(5))?.context == "p2")
    }

    @Test func aReadWhoseDataIsAlreadyThereStillCompletesFromTheLoop() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient()
        defer { close(client) }
        writeAll(client, Array("abcdef".utf8))
        let buffer = Buffer()
        // First read: 2 bytes. The remaining 4 stay buffered in the connection.
        harness.onPacket = { packet in
            guard packet.operation == .accept || packet.operation == .read, packet.context != "second" else { return }
            if packet.operation == .read {
                let before = harness.packets.count
                server.read(into: buffer, maxCount: 100, context: "second")
                #expect(harness.packets.count == before, "not delivered inside read()")
            } else {
                server.read(into: buffer, maxCount: 2, context: "first")
            }
        }
        try harness.run { harness.packets(.read).count == 2 }
        #expect(harness.packets(.read).map(\.bytesTransferred) == [2, 4])
        #expect(buffer.removeFirst(upTo: 100) == Array("abcdef".utf8))
    }

    @Test func queuedReadsAndWritesCompleteInIssueOrder() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient()
        defer { close(client) }
        let buffers = (0..<3).map { _ in Buffer() }
        harness.onPacket = { packet in
            guard packet.operation == .accept else { return }
            for (index, buffer) in buffers.enumerated() { server.read(into: buffer, maxCount: 1, context: "r\(index)") }
            for index in 0..<3 { server.write("w\(index)", context: "w\(index)") }
        }
        writeAll(client, Array("xyz".utf8))
        try harness.run { harness.packets(.read).count == 3 && harness.packets(.write).count == 3 }
        #expect(harness.packets(.read).map(\.context) == ["r0", "r1", "r2"])
        #expect(buffers.map { $0.removeFirst(upTo: 9) } == [[120], [121], [122]])
        #expect(harness.packets(.write).map(\.context) == ["w0", "w1", "w2"])
        var received = [UInt8](repeating: 0, count: 6)
        #expect(read(client, &received, 6) == 6 && received == Array("w0w1w2".utf8))
    }

    /// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a write the kernel takes whole at once returns
    /// `.completed` and has no packet; without the option every write is `.pending` with a packet.
    @Test(arguments: [false, true]) func aWriteTakenAtOnceHasNoPacketOnlyWhenAskedTo(skips: Bool) throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient { $0.skipsCompletionOnSuccess = skips }
        defer { close(client) }
        let buffer = Buffer()
        buffer.append("buffer,")
        var outcomes: [IssueOutcome] = []
        harness.onPacket = { packet in
            guard packet.operation == .accept else { return }
            outcomes = [server.write(buffer, context: "buffer"), server.write(Array("bytes,".utf8), context: "bytes"),
                        server.write("text", context: "text")]
            harness.port.post(key: .control, context: "after the writes")
        }
        try harness.run { !harness.packets(.posted).isEmpty && harness.packets(.write).count == (skips ? 0 : 3) }
        var received = [UInt8](repeating: 0, count: 17)
        #expect(recv(client, &received, 17, Int32(MSG_WAITALL)) == 17 && received == Array("buffer,bytes,text".utf8))
        #expect(buffer.isEmpty)
        if skips {
            #expect(outcomes == [.completed(bytesTransferred: 7), .completed(bytesTransferred: 6), .completed(bytesTransferred: 4)])
            #expect(harness.packets(.write).isEmpty)
        } else {
            #expect(outcomes == [.pending, .pending, .pending])
            #expect(harness.packets(.write).map(\.context) == ["buffer", "bytes", "text"])
            #expect(harness.packets(.write).map(\.bytesTransferred) == [7, 6, 4])
        }
        server.close()
    }

    /// Skipping packets never reorders the stream: a write the kernel takes only in part, and every
    /// write issued behind a pending one, stays pending and completes by packet, in issue order,
    /// each counting all its bytes.
    @Test func withSkippingAWriteTakenInPartOrQueuedBehindAnotherCompletesByPacketInOrder() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient { $0.skipsCompletionOnSuccess = true }
        defer { close(client) }
        let large = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        var outcomes: [IssueOutcome] = []
        harness.onPacket = { packet in
            guard packet.operation == .accept else { return }
            outcomes = [server.write(large, context: "large"), server.write("tail", context: "tail")]
        }
        var received: [UInt8] = []
        received.reserveCapacity(large.count + 4)
        let reader = try DescriptorWatcher(base: harness.base, descriptor: client, events: .read) { _, _ in
            received += readAvailable(client)
        }
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        try harness.run { harness.packets(.write).count == 2 && received.count == large.count + 4 }
        reader.close()
        #expect(outcomes == [.pending, .pending])
        #expect(harness.packets(.write).map(\.context) == ["large", "tail"])
        #expect(harness.packets(.write).map(\.bytesTransferred) == [large.count, 4])
        #expect(received == large + Array("tail".utf8))
        server.close()
    }

    /// With skipping on, a write that fails the moment it is issued (the peer reset the connection,
    /// and with no read pending the connection has not seen it yet) is `.pending`: its bytes are
    /// queued, the flush meets the error again, and the write's packet reports it.
    @Test func withSkippingAWriteThatFailsAtOnceCompletesWithTheFailureByPacket() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient { $0.skipsCompletionOnSuccess = true }
        try harness.run { !harness.packets(.accept).isEmpty }
        var linger = linger(l_onoff: 1, l_linger: 0)  // close with RST
        setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close(client)
        usleep(50_000)  // the reset reaches the server's socket (loopback: at once)
        let outcome = server.write("never sent", context: "write")
        try harness.run { !harness.packets(.write).isEmpty }
        #expect(outcome == .pending)
        let write = try #require(harness.packets(.write).first)
        guard case .failed(let error) = write.status else {
            Issue.record("expected a failed write, got \(write.status)")
            return
        }
        #expect([ECONNRESET, EPIPE].contains(error.code), "\(error)")
        #expect(write.bytesTransferred == 0)
        server.close()
    }

    @Test func aHandlersAnswerLeavesBeforeTheNextSocketIsRead() throws {
        let harness = try Harness()
        let servers = (0..<2).map { _ in harness.port.makeConnection(key: .server) }
        let buffers = servers.map { _ in Buffer() }
        for (index, server) in servers.enumerated() { harness.listener.accept(into: server, context: "s\(index)") }
        let clients = try (0..<2).map { _ in try blockingClient(to: harness.listener.localAddress) }
        defer { clients.forEach { close($0) } }
        harness.onPacket = { packet in
            guard let server = packet.connection, let index = servers.firstIndex(where: { $0 === server }) else { return }
            switch packet.operation {
            case .accept: server.read(into: buffers[index], context: packet.context)
            case .read: server.write(buffers[index], context: packet.context)
            default: break
            }
        }
        try harness.run { harness.packets(.accept).count == 2 }
        // Both sockets are readable before the loop runs again, so one loop iteration sees both.
        for client in clients { writeAll(client, Array("ping".utf8)) }
        usleep(20_000)
        try harness.run { harness.packets(.write).count == 2 }
        // Each read completion is delivered from its socket's callback, and the echo written by the
        // handler is flushed (and completes) before the other socket is read.
        let order = harness.packets.filter { $0.operation != .accept }.map { "\($0.operation) \($0.context)" }
        #expect(order == ["read s0", "write s0", "read s1", "write s1"] || order == ["read s1", "write s1", "read s0", "write s0"])
        for client in clients {
            var echoed = [UInt8](repeating: 0, count: 4)
            #expect(read(client, &echoed, 4) == 4 && echoed == Array("ping".utf8))
        }
    }

    @Test func aHandlerMayDropTheLastReferencesToItsConnectionAndPort() throws {
        let base = try EventBase()
        var port: Port? = Port(base: base)
        var listener: Port.Listener? = try port!.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: .listener)
        var connection: Port.Connection? = port!.makeConnection(key: .server)
        weak let droppedPort = port
        weak let droppedConnection = connection
        var readStatus: CompletionStatus?
        // From here on the port lives only through its connection and listener, which live only in
        // the handler's captures; the read packet, delivered from the socket's callback, drops them.
        port!.onCompletion = { packet in
            switch packet.operation {
            case .accept:
                listener?.close()
                listener = nil
                connection?.read(into: Buffer(), context: "read")
            case .read:
                readStatus = packet.status
                connection = nil
            default: break
            }
        }
        listener!.accept(into: connection!, context: "accept")
        let client = try blockingClient(to: listener!.localAddress)
        defer { close(client) }
        port = nil
        writeAll(client, Array("x".utf8))
        try runBounded(base) { droppedPort == nil }
        #expect(readStatus == .success)
        #expect(droppedConnection == nil && droppedPort == nil)
    }

    @Test func endOfStreamIsAZeroByteRead() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient()
        writeAll(client, [1])
        close(client)
        let buffer = Buffer()
        harness.onPacket = { packet in
            if packet.operation == .accept || (packet.operation == .read && packet.status == .success) {
                server.read(into: buffer, context: "read")
            }
        }
        try harness.run { harness.packets(.read).count == 2 }
        let reads = harness.packets(.read)
        #expect(reads.map(\.bytesTransferred) == [1, 0])
        #expect(reads.map(\.status) == [.success, .endOfStream])
    }

    @Test func closingCancelsPendingOperationsAndResetMakesTheConnectionReusable() throws {
        let harness = try Harness()
        let server = harness.port.makeConnection(key: .server)
        harness.listener.accept(into: server, context: "first accept")
        let firstClient = try blockingClient(to: harness.listener.localAddress)
        defer { close(firstClient) }
        harness.onPacket = { packet in
            if packet.context == "first accept" {
                server.read(into: Buffer(), context: "pending read")
                server.reset(context: "reset")
            }
        }
        try harness.run { harness.packets(.reset).count == 1 }
        #expect(harness.packets.map(\.context) == ["first accept", "pending read", "reset"])
        #expect(harness.packets(.read).first?.status == .cancelled)
        #expect(!server.isConnected)
        #expect(readAvailable(firstClient).isEmpty, "the first client was disconnected")

        harness.listener.accept(into: server, context: "second accept")
        let secondClient = try blockingClient(to: harness.listener.localAddress)
        defer { close(secondClient) }
        try harness.run { harness.packets(.accept).count == 2 }
        #expect(server.isConnected)
        server.read(into: Buffer(), context: "read after close")
        server.close()
        try harness.run { harness.packets(.read).count == 2 }
        #expect(harness.packets(.read).last?.status == .cancelled)
    }

    @Test func closedConnectionsAreFreedOnceTheCallerDropsThem() throws {
        let base = try EventBase()
        let port = Port(base: base)
        let listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: .listener)
        var operations: [CompletionOperation] = []
        port.onCompletion = { packet in operations.append(packet.operation) }
        var held = [port.makeConnection(key: .server), port.makeConnection(key: .server)]
        weak let resetConnection = held[0]
        weak let droppedOpenConnection = held[1]
        for connection in held { listener.accept(into: connection, context: "accept") }
        let clients = try (0..<2).map { _ in try blockingClient(to: listener.localAddress) }
        defer { clients.forEach { close($0) } }
        try runBounded(base) { operations.count == 2 }
        held[0].read(into: Buffer(), context: "pending read")
        held[0].reset(context: "reset")
        held.removeAll()
        #expect(resetConnection != nil, "a pending reset keeps its connection alive")
        try runBounded(base) { operations.last == .reset }
        #expect(resetConnection == nil, "a reset connection nobody holds is freed")
        #expect(droppedOpenConnection == nil, "an open connection nobody holds is freed")
        for client in clients { #expect(readAvailable(client).isEmpty, "and its socket is closed") }
    }

    @Test func sendsImmediatelyTurnsNagleOffOnAcceptedSockets() throws {
        let harness = try Harness()
        let connection = harness.port.makeConnection(key: .server)
        connection.sendsImmediately = true
        harness.listener.accept(into: connection, context: "accept")
        let client = try blockingClient(to: harness.listener.localAddress)
        defer { close(client) }
        try harness.run { harness.packets(.accept).count == 1 }
        func noDelay(_ descriptor: Int32) -> Int32 {
            var value: Int32 = -1
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length)
            return value
        }
        #expect(noDelay(connection.descriptor) == 1)
        connection.sendsImmediately = false
        #expect(noDelay(connection.descriptor) == 0)
    }

    @Test func anEmptyAcceptPoolPausesTheListenerUntilAnAcceptIsIssued() throws {
        let harness = try Harness()
        let pool = (0..<2).map { _ in harness.port.makeConnection(key: .server) }
        for (index, connection) in pool.enumerated() { harness.listener.accept(into: connection, context: "a\(index)") }
        #expect(harness.listener.pendingAcceptCount == 2)
        let clients = try (0..<3).map { _ in try blockingClient(to: harness.listener.localAddress) }
        defer { clients.forEach { close($0) } }
        try harness.run { harness.packets(.accept).count == 2 }
        let settle = EventTimer(base: harness.base) { _ in harness.base.stop() }
        settle.schedule(after: .milliseconds(100))
        try harness.run { false }
        #expect(harness.packets(.accept).count == 2, "the third client waits in the backlog")
        #expect(!harness.listener.isAccepting)

        pool[0].reset(context: "recycle")
        harness.listener.accept(into: pool[0], context: "a2")
        try harness.run { harness.packets(.accept).count == 3 }
        #expect(harness.packets(.accept).map(\.context) == ["a0", "a1", "a2"])
        harness.listener.close()
        for connection in pool { connection.close() }
    }

    @Test func closingTheListenerCancelsPendingAccepts() throws {
        let harness = try Harness()
        harness.listener.accept(into: harness.port.makeConnection(key: .server), context: "never")
        harness.listener.close()
        try harness.run { !harness.packets.isEmpty }
        #expect(harness.packets.first?.status == .cancelled && harness.packets.first?.operation == .accept)
    }

    @Test func connectFailureIsAnErrorPacket() throws {
        let harness = try Harness()
        let address = harness.listener.localAddress
        harness.listener.close()   // nothing listens there any more
        let client = harness.port.makeConnection(key: .client)
        client.connect(to: address, context: "connect")
        try harness.run { !harness.packets(.connect).isEmpty }
        #expect(harness.packets(.connect).first?.status == .failed(LibeventError("connect", code: ECONNREFUSED)))
    }

    /// Either way a read timeout is kept: libevent's timeout on the read event, or (`swept`) the
    /// base's sweep, which takes read timeouts of a second and more, and here this short one too.
    @Test(arguments: [false, true]) func readTimeoutCompletesThePendingReadWithETIMEDOUT(swept: Bool) throws {
        let harness = try Harness()
        if swept { harness.base.sweptReadTimeoutMinimum = .zero }
        let (server, client) = try harness.serverWithClient { $0.setTimeouts(read: .milliseconds(30), write: nil) }
        defer { close(client) }
        harness.onPacket = { packet in
            if packet.operation == .accept { server.read(into: Buffer(), context: "idle read") }
        }
        try harness.run { !harness.packets(.read).isEmpty }
        #expect(harness.packets(.read).first?.status == .failed(LibeventError("read", code: ETIMEDOUT)))
        server.close()
    }

    /// Once the connection has failed, a write issued before the reset completes with the failure
    /// and leaves its bytes in the buffer; it must not claim success for bytes that were never sent.
    /// (With `skipsCompletionOnSuccess` too: a write that cannot succeed at once is never `.completed`.)
    @Test(arguments: [false, true]) func aWriteIssuedAfterTheConnectionFailedCompletesWithTheFailure(skips: Bool) throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient { $0.skipsCompletionOnSuccess = skips }
        let late = Buffer()
        late.append("never sent")
        harness.onPacket = { packet in
            switch (packet.operation, packet.status) {
            case (.accept, _):
                server.read(into: Buffer(), context: "read")
                var linger = linger(l_onoff: 1, l_linger: 0)  // close with RST: the read fails
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                close(client)
            case (.read, .failed): #expect(server.write(late, context: "late write") == .pending)
            default: break
            }
        }
        try harness.run { !harness.packets(.write).isEmpty }
        let write = try #require(harness.packets(.write).first)
        #expect(harness.packets(.read).first?.status == .failed(LibeventError("read", code: ECONNRESET)))
        #expect(write.status == .failed(LibeventError("read", code: ECONNRESET)) && write.bytesTransferred == 0)
        #expect(late.count == 10, "the bytes stay in the buffer")
        server.close()
    }

    /// The same after a write timeout, which leaves unsent bytes in the socket's output: the late
    /// write must complete (with the timeout), not wait behind bytes that will never leave.
    @Test func aWriteIssuedAfterAWriteTimeoutCompletesWithTheTimeout() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient { $0.setTimeouts(read: nil, write: .milliseconds(50)) }  // the client never reads
        defer { close(client) }
        harness.onPacket = { packet in
            switch (packet.operation, packet.context) {
            case (.accept, _): server.write([UInt8](repeating: 1, count: 16 << 20), context: "too much")
            case (.write, "too much"): server.write("late", context: "late write")
            default: break
            }
        }
        try harness.run { harness.packets(.write).count == 2 }
        let timedOut = CompletionStatus.failed(LibeventError("write", code: ETIMEDOUT))
        #expect(harness.packets(.write).map(\.status) == [timedOut, timedOut])
        let taken = harness.packets(.write)[0].bytesTransferred
        #expect(taken > 0 && taken < 16 << 20, "the timed-out write counts what the kernel took: \(taken)")
        #expect(harness.packets(.write)[1].bytesTransferred == 0)
        server.close()
    }

    @Test func betweenReadsTheConnectionReadsAheadOnlyUpToItsLimit() throws {
        let harness = try Harness()
        let (server, client) = try harness.serverWithClient()
        defer { close(client) }
        writeAll(client, [1])
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        let buffer = Buffer()
        // One small read, then none pending while the client sends as much as the kernel takes.
        harness.onPacket = { packet in
            if packet.operation == .accept { server.read(into: buffer, maxCount: 1, context: "first") }
        }
        try harness.run { !harness.packets(.read).isEmpty }
        let chunk = [UInt8](repeating: 5, count: 65_536)
        var sent = 0
        let writer = try DescriptorWatcher(base: harness.base, descriptor: client, events: .write) { watcher, _ in
            let written = chunk.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if written > 0 { sent += written } else { watcher.close() }
        }
        let settle = EventTimer(base: harness.base) { _ in harness.base.stop() }
        settle.schedule(after: .milliseconds(500))
        try runBounded(harness.base)
        writer.close()
        #expect(sent > 4 * Port.Connection.readAheadLimit, "the client filled the kernel's buffers: \(sent)")
        // Everything the connection read ahead arrives in the next read.
        server.read(into: buffer, maxCount: 64 << 20, context: "second")
        try harness.run { harness.packets(.read).count == 2 }
        let readAhead = harness.packets(.read)[1].bytesTransferred
        #expect(readAhead > 0)
        #expect(readAhead <= 2 * Port.Connection.readAheadLimit, "read ahead \(readAhead) bytes with no read pending")
        server.close()
    }
}
