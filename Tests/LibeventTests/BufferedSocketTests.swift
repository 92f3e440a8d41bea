import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct BufferedSocketTests {
    /// An echo server on `base` whose sockets echo and close on end of stream; returns its address.
    private func startEcho(on base: EventBase, outputLimit: Int? = nil) throws -> SocketAddress {
        let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { listener, descriptor, _ in
            guard let socket = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
            socket.outputLimit = outputLimit
            socket.onRead = { $0.output.moveAll(from: $0.input) }
            socket.onEvent = { socket, _ in socket.closeAfterFlushing() }
            socket.enable(.read)
        }
        return listener.localAddress
    }

    @Test func roundTripsThroughAnEchoServerWithReadWatermarks() throws {
        let base = try EventBase()
        let address = try startEcho(on: base)
        let client = try BufferedSocket(base: base)
        var events: [BufferedSocket.Event] = []
        var readCalls: [Int] = []
        var echoed: [UInt8] = []
        let message = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        client.onEvent = { socket, event in
            events.append(event)
            if event == .connected { socket.output.append(message) }
        }
        client.setReadWatermarks(low: 1000)
        client.onRead = { socket in
            readCalls.append(socket.input.count)
            echoed += socket.input.removeFirst(upTo: .max)
            if echoed.count == message.count { socket.close() }
        }
        client.enable(.read)
        try client.connect(to: address)
        try runBounded(base) { !client.isOpen }
        #expect(events == [.connected])
        #expect(echoed == message)
        #expect(readCalls.dropLast().allSatisfy { $0 >= 1000 }, "onRead waits for the low watermark: \(readCalls)")
    }

    /// A `StreamSocket` subclass: it takes its callbacks as overrides, with no closures.
    private final class RecordingSocket: StreamSocket {
        var log: [String] = []
        override func didReceiveInput() {
            log.append("input \(input.count)")
            output.moveAll(from: input)
        }
        override func didDrainOutput() { log.append("drained") }
        override func didReport(_ event: Event) {
            log.append("\(event)")
            close()
        }
        override func didClose() { log.append("closed \(isOpen)") }
    }

    @Test func streamSocketSubclassesGetEveryCallbackAsAnOverride() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try RecordingSocket(base: base, descriptor: mine)
        socket.enable(.read)
        writeAll(theirs, Array("ping".utf8))
        try runBounded(base) { socket.log.contains("drained") }
        #expect(readAvailable(theirs) == Array("ping".utf8))
        shutdown(theirs, Int32(SHUT_WR))
        try runBounded(base) { !socket.isOpen }
        #expect(socket.log == ["input 4", "drained", "endOfStream", "closed false"])
        socket.close()
        #expect(socket.log.count == 4, "didClose runs once")
    }

    /// Between callbacks, empty buffers that nothing else references go back to the base (an idle
    /// connection holds no `Buffer` objects), while one you keep stays the socket's.
    @Test func emptyBuffersGoBackToTheBaseUnlessSomeoneKeepsThem() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        var echoes = 0
        socket.onRead = { socket in
            socket.output.moveAll(from: socket.input)
            echoes += 1
        }
        socket.enable(.read)

        writeAll(theirs, Array("ping".utf8))
        try runBounded(base) { echoes == 1 }
        #expect(readAvailable(theirs) == Array("ping".utf8))
        #expect(!socket.holdsBufferObjects, "an idle socket gives its empty buffers back")

        let keptInput = socket.input
        writeAll(theirs, Array("pong".utf8))
        try runBounded(base) { echoes == 2 }
        #expect(readAvailable(theirs) == Array("pong".utf8))
        #expect(socket.input === keptInput, "a buffer you keep stays the socket's")
        #expect(keptInput.isEmpty)
    }

    /// A message of this many bytes is read into an evbuffer; a short one into a read block.
    static let evbufferMessageSize = Buffer.readBlockCapacity + 1000

    @Test(arguments: [18, evbufferMessageSize])
    func aBufferYouMadeHandsASocketsStorageBackToTheBaseAndMayOutliveIt(messageSize: Int) throws {
        var base: EventBase? = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base!, descriptor: mine)
        let request = Buffer()
        var reads = 0
        var inBlock: [Bool] = []
        socket.onRead = { socket in
            inBlock.append(socket.input.holdsReadBlock)
            request.moveAll(from: socket.input)  // an empty buffer takes the input's storage whole
            reads += 1
        }
        socket.enable(.read)
        let spareCount = { messageSize < Buffer.readBlockCapacity ? base!.spareBlockCount : base!.spareEvbufferCount }

        let message = (0..<messageSize).map { UInt8(truncatingIfNeeded: $0 % 26 + 65) }
        writeAll(theirs, message)
        try runBounded(base!) { request.count == messageSize }
        #expect(inBlock.allSatisfy { $0 == (messageSize < Buffer.readBlockCapacity) })
        let spares = spareCount()
        #expect(request.removeFirst(upTo: messageSize) == message)
        #expect(spareCount() == spares + 1, "emptied, it goes back to the spares, not to free")

        writeAll(theirs, Array("again".utf8))
        let readsBefore = reads
        try runBounded(base!) { reads == readsBefore + 1 }
        #expect(spareCount() == spares, "the socket's next read took it from there")

        // The buffer keeps the base it took from alive, and stays usable after socket and base go.
        socket.close()
        base = nil
        #expect(request.removeFirst(upTo: 100) == Array("again".utf8))
        request.append("later")
        #expect(request.removeFirst(upTo: 100) == Array("later".utf8))
    }

    /// An evbuffer sends its file ranges with sendfile only while it is a socket's output: one that
    /// was an output, went back to the spares and came to your buffer reads them into memory, so
    /// the bytes can be taken out. (A file range in a buffer marked for sendfile has no memory:
    /// taking it out would read past a chunk, or give the wrong bytes.)
    @Test func anEvbufferThatWasASocketsOutputReadsFileRangesIntoMemoryForYourBuffer() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        let kept = Buffer()
        let size = Self.evbufferMessageSize
        var echoed = 0
        socket.onRead = { socket in
            // The first message's evbuffer goes from the input to the output and, once written,
            // back to the spares; the second message is read into that same evbuffer, which your
            // buffer then takes whole.
            if echoed < size {
                echoed += socket.input.count
                socket.output.moveAll(from: socket.input)
            } else {
                kept.moveAll(from: socket.input)
            }
        }
        socket.enable(.read)
        let ping = [UInt8](repeating: 1, count: size)
        writeAll(theirs, ping)
        var received: [UInt8] = []
        try runBounded(base) {
            received += readAvailable(theirs)
            return received.count == size && !socket.holdsBufferObjects
        }
        #expect(received == ping)
        let spares = base.spareEvbufferCount

        let pong = [UInt8](repeating: 2, count: size)
        writeAll(theirs, pong)
        try runBounded(base) { kept.count == size }
        #expect(!kept.holdsReadBlock)
        #expect(base.spareEvbufferCount < spares, "the read took the former output's evbuffer")
        let file = try temporaryFile(containing: Array("0123456789".utf8))
        try kept.appendFile(descriptor: file, offset: 2, length: 5)
        #expect(kept.removeFirst(upTo: size + 100) == pong + Array("23456".utf8))
    }

    /// The other way: an output that took the input's evbuffer whole (an echo) sends a file range
    /// appended to it with sendfile, reading the file when it is sent, not when it is appended.
    @Test(arguments: [4, evbufferMessageSize])
    func anOutputThatTookTheInputsStorageSendsFileRangesWithSendfile(messageSize: Int) throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        let file = try temporaryFile(containing: Array("AAAA".utf8))
        var appendError: (any Error)?
        var adoptedBlock: Bool?
        socket.onRead = { socket in
            guard socket.input.count == messageSize else { return }  // all of it, then
            adoptedBlock = socket.input.holdsReadBlock
            socket.output.moveAll(from: socket.input)  // the output adopts the input's storage
            do {
                try socket.output.appendFile(descriptor: dup(file), offset: 0, length: 4)
            } catch {
                appendError = error
            }
            // Changed after it was appended: a range read into memory at once would still send
            // the old bytes.
            _ = pwrite(file, "BBBB", 4, 0)
        }
        socket.enable(.read)
        let message = [UInt8](repeating: 7, count: messageSize)
        writeAll(theirs, message)
        var received: [UInt8] = []
        try runBounded(base) {
            received += readAvailable(theirs)
            return received.count >= messageSize + 4
        }
        close(file)
        #expect(appendError == nil)
        #expect(adoptedBlock == (messageSize < Buffer.readBlockCapacity))
        #expect(received == message + Array("BBBB".utf8))
    }

    /// Messages of exactly a power-of-two size (4 KiB) arrive in one read each once the read size
    /// has adapted. It used to swing back below the message at each message's short tail, so every
    /// message came in two parts (and an echo of it went out in two writes, the second held by
    /// Nagle's algorithm until the peer's next message: 3 ms per round trip at 20k messages/s).
    @Test func messagesOfAReadSizeAreReadWholeOnceTheSizeHasAdapted() throws {
        let message = [UInt8](repeating: 7, count: 4096)
        let reads = try readSizes(writing: message, times: 12)
        #expect(reads.suffix(6) == Array(repeating: message.count, count: 6), "read sizes: \(reads)")
    }

    /// A 64 KiB batch (a pipelining client's 16 messages of 4 KiB) arrives in one read once the read
    /// size has grown to its largest. Reads used to leave room for libevent's chunk header, so each
    /// batch came as 65,472 bytes and a 64-byte tail, and the batch's last message waited a whole
    /// loop iteration for its tail.
    @Test func batchesOfTheLargestReadSizeAreReadWhole() throws {
        let batch = [UInt8](repeating: 7, count: 65_536)
        let reads = try readSizes(writing: batch, times: 8)
        #expect(reads.suffix(4) == Array(repeating: batch.count, count: 4), "read sizes: \(reads)")
    }

    /// The sizes of the reads a socket makes while `chunk` is written to its peer `times` times, each
    /// once the one before has been read.
    private func readSizes(writing chunk: [UInt8], times: Int) throws -> [Int] {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        var reads: [Int] = []
        socket.onRead = { socket in
            reads.append(socket.input.count)
            socket.input.drain(socket.input.count)
        }
        socket.enable(.read)
        for sent in 1...times {
            writeAll(theirs, chunk)
            try runBounded(base) { reads.reduce(0, +) == sent * chunk.count }
        }
        return reads
    }

    /// Bytes waiting beyond the read size are read in the same event, at the grown size, while reads
    /// fill their requests: 16 KiB waiting when reading starts arrive in one callback (reads of 1,984,
    /// 8,128 and the rest), not over several loop iterations; and so do 64 KiB, a pipelining client's
    /// first batch (1,984, 8,128, 32,704 and the rest: the size quadruples, where doubling left
    /// 34 KiB for the next iteration).
    @Test(arguments: [16_384, 65_536])
    func bytesBeyondTheReadSizeAreReadInTheSameEvent(waiting: Int) throws {
        // All the bytes are in the kernel before the loop first runs the socket's read event.
        let reads = try readSizes(writing: [UInt8](repeating: 7, count: waiting), times: 1)
        #expect(reads == [waiting])
    }

    /// The end of the stream found by a further read in the same event is reported after the bytes
    /// read before it; and if the read callback stopped reading, only once it reads again: a
    /// server that pauses a client (to answer one pipelined request at a time, say) must not be
    /// told to close before it has handled what is still in the input.
    @Test(arguments: [false, true])
    func endOfStreamFoundWhileReadingOnComesAfterTheBytes(readCallbackPauses: Bool) throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var seen: [String] = []
        socket.onRead = { socket in
            seen.append("read \(socket.input.count)")
            if readCallbackPauses { socket.disable(.read) } else { socket.input.drain(socket.input.count) }
        }
        socket.onEvent = { socket, event in
            seen.append("\(event) with \(socket.input.count) unread")
            socket.close()
        }
        let resume = EventTimer(base: base) { _ in
            seen.append("resumed")
            socket.input.drain(socket.input.count)
            socket.enable(.read)
        }
        writeAll(theirs, [UInt8](repeating: 7, count: 1_984 + 4_032))  // two reads that fill their requests
        shutdown(theirs, Int32(SHUT_WR))
        socket.enable(.read)
        if readCallbackPauses { resume.schedule(after: .milliseconds(50)) }
        try runBounded(base) { !socket.isOpen }
        #expect(seen == ["read 6016"] + (readCallbackPauses ? ["resumed"] : []) + ["endOfStream with 0 unread"])
    }

    /// Enabling or disabling a direction twice is the same as once (the second call changes
    /// nothing and costs nothing): reading stays paused through a second `disable`, and one
    /// `enable` after it delivers what arrived meanwhile, once.
    @Test func repeatedEnableAndDisableChangeNothingMore() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var seen: [String] = []
        socket.onRead = { socket in
            seen.append("read \(socket.input.count)")
            socket.input.drain(socket.input.count)
            socket.disable(.read)
            socket.disable(.read)
        }
        let resume = EventTimer(base: base) { _ in
            seen.append("resumed")
            socket.enable(.read)
            socket.enable(.read)
        }
        let sendAgain = EventTimer(base: base) { _ in
            writeAll(theirs, [UInt8](repeating: 2, count: 20))
            resume.schedule(after: .milliseconds(30))
        }
        socket.enable(.read)
        socket.enable(.read)
        writeAll(theirs, [UInt8](repeating: 1, count: 10))
        sendAgain.schedule(after: .milliseconds(20))
        try runBounded(base) { seen.count == 3 }
        #expect(seen == ["read 10", "resumed", "read 20"])
        socket.close()
    }

    @Test func readTimeoutIsReported() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var events: [BufferedSocket.Event] = []
        socket.onEvent = { socket, event in
            events.append(event)
            socket.close()
        }
        socket.setTimeouts(read: .milliseconds(30), write: nil)
        socket.enable(.read)
        try runBounded(base) { !socket.isOpen }
        #expect(events == [.readTimeout])
    }

    /// More distinct timeouts than get a common-timeout queue (the rest go to the timer heap): each
    /// socket times out after its own duration, in order, whichever way libevent keeps it.
    @Test func readTimeoutsOfManyDurationsFireInOrder() throws {
        let base = try EventBase()
        let count = EventBase.commonTimeoutLimit + 4
        var fired: [Int] = []
        var peers: [Int32] = []
        defer { peers.forEach { close($0) } }
        try runBounded(base, armingInOneTurn: {
            for index in (0..<count).reversed() {
                let (mine, theirs) = try socketPair()
                peers.append(theirs)
                let socket = try BufferedSocket(base: base, descriptor: mine)
                socket.onEvent = { socket, event in
                    if event == .readTimeout { fired.append(index) }
                    socket.close()
                }
                socket.setTimeouts(read: .milliseconds(20 * (index + 1)), write: nil)
                socket.enable(.read)
            }
        }, until: { fired.count == count })
        #expect(fired == Array(0..<count))
    }

    /// Each read restarts the read timeout: a peer that writes more often than the timeout keeps
    /// the socket open; once it stops, the timeout follows.
    @Test func eachReadRestartsTheReadTimeout() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var bytesRead = 0
        var events: [BufferedSocket.Event] = []
        socket.onRead = { socket in bytesRead += socket.input.count; socket.input.drain(socket.input.count) }
        socket.onEvent = { socket, event in events.append(event); socket.close() }
        socket.setTimeouts(read: .milliseconds(300), write: nil)
        socket.enable(.read)
        var writes = 0
        let writer = EventTimer(base: base) { timer in
            writeAll(theirs, [1])
            writes += 1
            if writes == 8 { timer.close() }
        }
        writer.schedule(every: .milliseconds(100))
        try runBounded(base) { !socket.isOpen }
        #expect(bytesRead == 8, "the timeout (300 ms) never fired while bytes came every 100 ms")
        #expect(events == [.readTimeout])
    }

    @Test func theMinusOneOfAFailedAcceptIsRefusedRatherThanWrappedAsASilentSocket() throws {
        let base = try EventBase()
        #expect(throws: LibeventError("StreamSocket", code: EBADF)) { try BufferedSocket(base: base, descriptor: -1) }
    }

    @Test func endOfStreamAndRefusedConnectionsAreEvents() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var events: [BufferedSocket.Event] = []
        socket.onEvent = { socket, event in events.append(event); socket.close() }
        socket.enable(.read)
        close(theirs)

        // A port that was just free: nothing listens there.
        let probe = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, _, _ in }
        let refusedAddress = probe.localAddress
        probe.close()
        let client = try BufferedSocket(base: base)
        client.onEvent = { socket, event in events.append(event); socket.close() }
        try client.connect(to: refusedAddress)
        try runBounded(base) { events.count == 2 }
        #expect(events.contains(.endOfStream))
        #expect(events.contains(.failed(LibeventError("connect", code: ECONNREFUSED))))
    }

    @Test func outputLimitStopsReadingFromAPeerThatDoesNotRead() throws {
        let base = try EventBase()
        let limit = 64 * 1024
        var serverSocket: BufferedSocket?
        var maxOutput = 0
        let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, descriptor, _ in
            let socket = try! BufferedSocket(base: base, descriptor: descriptor)
            socket.outputLimit = limit
            socket.onRead = { socket in
                socket.output.moveAll(from: socket.input)
                maxOutput = max(maxOutput, socket.output.count)
            }
            socket.enable(.read)
            serverSocket = socket
        }
        // The client writes 32 MiB and never reads.
        let client = try blockingClient(to: listener.localAddress)
        defer { close(client) }
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        let chunk = [UInt8](repeating: 7, count: 64 * 1024)
        var sent = 0
        let writer = try DescriptorWatcher(base: base, descriptor: client, events: .write) { watcher, _ in
            let written = chunk.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if written > 0 { sent += written }
            if sent >= 32 << 20 { watcher.close() }
        }
        let settle = EventTimer(base: base) { _ in base.stop() }
        settle.schedule(after: .milliseconds(700))
        try runBounded(base)
        writer.close()
        listener.close()
        serverSocket?.close()
        #expect(sent < 32 << 20, "the server stopped reading, so the client's writes blocked")
        #expect(maxOutput < limit + 512 * 1024, "output stayed near the limit: \(maxOutput)")
    }

    /// libevent calls a socket's callbacks without a retain: a socket whose last reference goes
    /// with `close()` inside its own callback (read or write event) lives until the callback is
    /// over, and is freed right after it.
    @Test func closedSocketIsFreedAndClosingInsideItsCallbackIsSafe() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let probe = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, _, _ in }
        let refusedAddress = probe.localAddress  // nothing listens there once the probe closes
        probe.close()
        weak var weakSocket: BufferedSocket?
        weak var weakClient: BufferedSocket?
        var stateSeenAfterClose: [Bool] = []
        do {
            let socket = try BufferedSocket(base: base, descriptor: mine)
            socket.onRead = { socket in
                socket.close()
                socket.close()   // twice is fine
                stateSeenAfterClose.append(!socket.isOpen && socket.descriptor == -1)
            }
            socket.enable(.read)
            weakSocket = socket
            let client = try BufferedSocket(base: base)
            client.onEvent = { socket, _ in  // from the write event: the connect failed
                socket.close()
                stateSeenAfterClose.append(!socket.isOpen)
            }
            try client.connect(to: refusedAddress)
            weakClient = client
        }
        #expect(weakSocket != nil && weakClient != nil, "an open socket keeps itself alive")
        writeAll(theirs, [1, 2, 3])
        try runBounded(base) { weakSocket == nil && weakClient == nil }
        #expect(weakSocket == nil && weakClient == nil)
        #expect(stateSeenAfterClose == [true, true])
        #expect(readAvailable(theirs).isEmpty, "the peer sees the socket closed")
    }

    @Test func closeAfterFlushingSendsEverythingFirst() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        let payload = [UInt8](repeating: 9, count: 3 << 20)
        socket.output.append(payload)
        var closeCount = 0
        socket.onClose = { closed in
            #expect(!closed.isOpen)
            closeCount += 1
        }
        socket.closeAfterFlushing()
        #expect(closeCount == 0, "nothing has been written yet")
        var received: [UInt8] = []
        var ended = false
        let reader = try DescriptorWatcher(base: base, descriptor: theirs, events: .read) { watcher, _ in
            let bytes = readAvailable(theirs)
            if bytes.isEmpty { ended = true; watcher.close() } else { received += bytes }
        }
        try runBounded(base) { ended }
        reader.close()
        #expect(received.count == payload.count)
        #expect(closeCount == 1, "onClose runs once, when the flush finishes")
        socket.close()
        #expect(closeCount == 1, "closing again does not run it again")
    }

    /// Closing with unread input makes the kernel reset the connection, destroying output it has
    /// not delivered yet: a client that sends after the server's last answer (pipelining past a
    /// `Connection: close`, the rest of a refused upload) would lose the end of that answer.
    @Test func closeAfterFlushingDeliversEverythingEvenIfThePeerKeepsSending() throws {
        let base = try EventBase()
        let (mine, theirs) = try loopbackTCPPair(clientReceiveBuffer: 65_536)
        defer { close(theirs) }
        var sendBuffer: Int32 = 1 << 20  // room for the whole payload: the flush finishes unread
        setsockopt(mine, SOL_SOCKET, SO_SNDBUF, &sendBuffer, socklen_t(MemoryLayout<Int32>.size))
        let socket = try BufferedSocket(base: base, descriptor: mine)
        let payload = (0..<(512 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        socket.output.append(payload)
        var closed = false
        socket.onClose = { _ in closed = true }
        socket.closeAfterFlushing()
        try runBounded(base) { closed }
        #expect(fcntl(mine, F_GETFD) != -1, "the descriptor lingers: the peer has not finished")

        // The peer, which has read nothing yet, sends more (to a plain close: a reset).
        writeAll(theirs, [UInt8](repeating: 1, count: 100_000))
        var received: [UInt8] = []
        var ending: Int32 = -1
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let reader = try DescriptorWatcher(base: base, descriptor: theirs, events: .read) { watcher, _ in
            let count = read(theirs, &chunk, chunk.count)
            if count > 0 {
                received += chunk[..<count]
            } else if count == 0 || errno != EAGAIN {
                ending = count == 0 ? 0 : errno
                watcher.close()
            }
        }
        try runBounded(base) { ending >= 0 }
        reader.close()
        #expect(ending == 0, "an end of stream, not a reset (errno \(ending))")
        #expect(received.count == payload.count)
        #expect(received.count != payload.count || received == payload, "the bytes arrive intact")

        // Once the peer closes too, the lingering close ends and so does the loop.
        shutdown(theirs, Int32(SHUT_WR))
        try runBounded(base) { fcntl(mine, F_GETFD) == -1 }
        #expect(try base.run() == .noMoreEvents)
    }

    /// The lingering close costs nothing when nothing is at risk: a client that got a small answer
    /// and sends nothing more (one connection per request) is closed at once.
    @Test func closeAfterFlushingClosesAtOnceWhenNothingIsAtRisk() throws {
        let base = try EventBase()
        let (mine, theirs) = try loopbackTCPPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        socket.output.append([UInt8](repeating: 7, count: 100))
        try runBounded(base) { socket.outputCount == 0 }
        usleep(50_000)  // the peer's kernel acknowledges the bytes
        socket.closeAfterFlushing()
        #expect(fcntl(mine, F_GETFD) == -1, "closed at once: no input waits and the peer has every byte")
        #expect(readAvailable(theirs).count == 100)
        #expect(try base.run() == .noMoreEvents)
    }

    @Test func fileRangesAreSentWithSendfileWhereverTheyMove() throws {
        // A socket's output sends a lone memory chunk with a plain write, which must never happen
        // to a file range (libevent keeps no bytes for it), also when the range arrived by a move
        // from another socket's output: whole (taking its evbuffer) or behind other bytes.
        let file = try temporaryFile(containing: Array("0123456789abcdefghij".utf8))
        let segment = try FileSegment(descriptor: file, offset: 0, length: 20)
        let base = try EventBase()
        var peers: [Int32] = []
        var sockets: [BufferedSocket] = []
        for _ in 0..<5 {
            let (end, peer) = try socketPair()
            peers.append(peer)
            sockets.append(try BufferedSocket(base: base, descriptor: end))
        }
        defer {
            for socket in sockets { socket.close() }
            for peer in peers { close(peer) }
        }
        try sockets[0].output.append(segment, offset: 4, length: 6)
        try sockets[2].output.append(segment, offset: 10, length: 4)
        sockets[1].output.moveAll(from: sockets[2].output)
        try sockets[4].output.append(segment, offset: 14, length: 6)
        sockets[3].output.append("+")
        sockets[3].output.moveAll(from: sockets[4].output)
        var received: [[UInt8]] = [[], [], [], []]
        try runBounded(base) {
            for index in 0..<4 { received[index] += readAvailable(peers[index]) }
            return received[0].count >= 6 && received[1].count >= 4 && received[3].count >= 7
        }
        #expect(received[0] == Array("456789".utf8), "a range alone in an output")
        #expect(received[1] == Array("abcd".utf8), "a range that took over an empty output")
        #expect(received[3] == Array("+efghij".utf8), "a range moved behind other bytes")
    }

    @Test func aFileCutShorterAfterItWasQueuedFailsTheSocketInsteadOfSpinning() throws {
        // sendfile past the new end of the file writes nothing, forever: the socket must fail
        // (EIO, as for a short pread) rather than retry at every loop iteration.
        let file = try temporaryFile(containing: Array(repeating: 7, count: 300_000))
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        var events: [BufferedSocket.Event] = []
        socket.onEvent = { socket, event in events.append(event); socket.close() }
        socket.output.append("head:")
        try socket.output.appendFile(descriptor: file, offset: 0, length: 300_000)
        #expect(ftruncate(file, 1_000) == 0)
        var received: [UInt8] = []
        try runBounded(base) {
            received += readAvailable(theirs)
            return !events.isEmpty
        }
        #expect(events == [.failed(LibeventError("sendfile", code: EIO))])
        received += readAvailable(theirs)
        #expect(received == Array("head:".utf8) + Array(repeating: 7, count: 1_000), "what the file still held went out")
    }

    @Test func evbuffersSwappedBetweenInputAndOutputKeepTheirUse() throws {
        // Moving a whole input into an empty output hands the input's evbuffer over and gives the
        // input the output's empty one, which must then read file ranges into memory as an input
        // does, not keep them for sendfile as an output does.
        let file = try temporaryFile(containing: Array("0123456789".utf8))
        let segment = try FileSegment(descriptor: file, offset: 0, length: 10)
        let base = try EventBase()
        let (end, peer) = try socketPair()
        defer { close(peer) }
        let socket = try BufferedSocket(base: base, descriptor: end)
        defer { socket.close() }
        let output = socket.output
        output.append("x")
        output.drain(1)  // an empty output that still has its evbuffer
        socket.input.append("in")
        output.moveAll(from: socket.input)
        try socket.input.append(segment, offset: 2, length: 3)
        #expect(socket.input.removeFirst(upTo: 10) == Array("234".utf8))
        #expect(output.removeFirst(upTo: 10) == Array("in".utf8))
    }

    @Test func readHighWatermarkPausesReadingUntilTheInputIsDrained() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        socket.setReadWatermarks(low: 0, high: 1000)
        var largestInput = 0
        socket.onRead = { largestInput = max(largestInput, $0.input.count) }  // never drains itself
        socket.enable(.read)
        writeAll(theirs, [UInt8](repeating: 3, count: 5000))
        let settle = EventTimer(base: base) { _ in base.stop() }
        settle.schedule(after: .milliseconds(100))
        try runBounded(base)
        #expect(socket.input.count == 1000, "reading paused at the high-water mark")
        // Draining from outside a callback resumes reading, until everything has arrived.
        var received = 0
        let drainer = EventTimer(base: base) { _ in
            received += socket.input.removeFirst(upTo: 600).count
        }
        drainer.schedule(every: .milliseconds(2))
        try runBounded(base) { received == 5000 }
        drainer.close()
        #expect(largestInput <= 1000)
        socket.close()
    }
}
