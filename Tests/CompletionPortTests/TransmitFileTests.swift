import CompletionPort
import Glibc
import Libevent
import Testing
import TestSupport

private typealias Port = CompletionPort<Int, String>

/// A temporary file holding `contents`, or `sparseSize` bytes of holes; deleted on deinit.
private final class TemporaryFile {
    let path: String

    init(contents: [UInt8] = [], sparseSize: Int64 = 0) throws {
        var template = Array("/tmp/completion-port-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw LibeventError.lastError("mkstemp") }
        defer { close(descriptor) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        writeAll(descriptor, contents)
        if sparseSize > 0 { ftruncate(descriptor, off_t(sparseSize)) }
    }

    deinit { unlink(path) }

    func open() -> Int32 { Glibc.open(path, O_RDONLY) }
}

/// Accepts one connection, transmits a file on it when accepted, and counts what a raw client reads.
private func transmit(file: TemporaryFile, offset: Int64 = 0, length: Int64, head: [UInt8], tail: [UInt8],
                      clientAction: ((Int32, Int) -> Bool)? = nil) throws -> (packet: Port.Packet?, received: Int, firstBytes: [UInt8]) {
    let base = try EventBase()
    let port = Port(base: base)
    let listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: 0)
    let server = port.makeConnection(key: 1)
    var transmitPacket: Port.Packet?
    port.onCompletion = { packet in
        switch packet.operation {
        case .accept:
            server.transmitFile(descriptor: file.open(), offset: offset, length: length, head: head, tail: tail,
                                disconnectAfterwards: true, context: "transmit")
        case .transmitFile: transmitPacket = packet
        default: break
        }
    }
    listener.accept(into: server, context: "accept")
    let client = try blockingClient(to: listener.localAddress)
    _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
    var received = 0
    var firstBytes: [UInt8] = []
    var clientDone = false
    var scratch = [UInt8](repeating: 0, count: 1 << 20)
    let reader = try DescriptorWatcher(base: base, descriptor: client, events: .read) { watcher, _ in
        while true {
            let count = scratch.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count > 0 {
                if firstBytes.count < 64 { firstBytes += scratch[0..<min(count, 64 - firstBytes.count)] }
                received += count
                if let clientAction, !clientAction(client, received) {
                    clientDone = true
                    watcher.close()
                    close(client)
                    return
                }
            } else {
                if count == 0 { clientDone = true; watcher.close() }
                return
            }
        }
    }
    // Sending gigabytes takes the kernel seconds of copying, more when the suites run in parallel.
    try runBounded(base, limit: .seconds(120)) { transmitPacket != nil && clientDone }
    reader.close()
    if clientAction == nil { close(client) }
    listener.close()
    return (transmitPacket, received, firstBytes)
}

@Suite struct TransmitFileTests {
    @Test func sendsHeadFileRangeAndTailThenDisconnects() throws {
        let file = try TemporaryFile(contents: Array("0123456789".utf8))
        let result = try transmit(file: file, offset: 2, length: 5, head: Array("<".utf8), tail: Array(">".utf8))
        #expect(result.packet?.status == .success)
        #expect(result.packet?.bytesTransferred == 7)
        #expect(result.firstBytes == Array("<23456>".utf8))
        #expect(result.received == 7, "and then end of stream: TF_DISCONNECT")
        #expect(result.packet?.connection?.isConnected == false, "ready for reuse")
    }

    @Test func sendsAnEmptyFile() throws {
        let file = try TemporaryFile()
        let result = try transmit(file: file, length: 0, head: Array("head".utf8), tail: [])
        #expect(result.packet?.status == .success && result.packet?.bytesTransferred == 4)
        #expect(result.firstBytes == Array("head".utf8))
    }

    @Test func aNegativeLengthFailsTheTransmissionAndCountsNothing() throws {
        let file = try TemporaryFile(contents: Array("0123456789".utf8))
        let result = try transmit(file: file, length: -3, head: [], tail: [])
        #expect(result.packet?.status == .failed(LibeventError("pread", code: EINVAL)))
        #expect(result.packet?.bytesTransferred == 0)
        #expect(result.received == 0)
    }

    // A few seconds normally; sanitizer builds (make test-tsan) read the 3 GiB far more slowly.
    @Test(.timeLimit(.minutes(3)))
    func sendsASparseMultiGiBFileWithoutReadingItIntoMemory() throws {
        let size: Int64 = 3 << 30
        let file = try TemporaryFile(sparseSize: size)
        var status = stat()
        stat(file.path, &status)
        #expect(status.st_blocks < 1024, "the file takes no disk space")
        let result = try transmit(file: file, length: size, head: Array("H".utf8), tail: Array("T".utf8))
        #expect(result.packet?.status == .success)
        #expect(result.packet?.bytesTransferred == Int(size) + 2)
        #expect(result.received == Int(size) + 2)
    }

    @Test func aPeerResetDuringTransmitGivesAnErrorPacket() throws {
        let file = try TemporaryFile(sparseSize: 1 << 30)
        let result = try transmit(file: file, length: 1 << 30, head: [], tail: []) { client, received in
            guard received >= 1 << 20 else { return true }
            var linger = linger(l_onoff: 1, l_linger: 0)   // close with RST
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            return false
        }
        let status = try #require(result.packet?.status)
        guard case .failed(let error) = status else {
            Issue.record("expected a failed transmit, got \(status)")
            return
        }
        #expect([ECONNRESET, EPIPE].contains(error.code), "\(error)")
        let taken = try #require(result.packet?.bytesTransferred)
        #expect(taken >= 1 << 20 && taken < 1 << 30, "counts the bytes the kernel took before the reset: \(taken)")
    }

    @Test func aLargeTransmissionIsCorkedUntilWrittenAndASmallOneIsNot() throws {
        let base = try EventBase()
        let port = Port(base: base)
        let listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:0"), key: 0)
        let server = port.makeConnection(key: 1)
        let large = try TemporaryFile(contents: [UInt8](repeating: 7, count: Int(Port.Connection.corkThreshold)))
        let small = try TemporaryFile(contents: [1, 2, 3])
        func corked() -> Int32 {
            var value: Int32 = -1
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(server.descriptor, Int32(IPPROTO_TCP), TCP_CORK, &value, &length)
            return value
        }
        var corkedWhileSending: [Int32] = []
        var corkedAfterwards: [Int32] = []
        port.onCompletion = { packet in
            switch packet.operation {
            case .accept:
                server.transmitFile(descriptor: large.open(), length: Port.Connection.corkThreshold, context: "large")
                corkedWhileSending.append(corked())
            case .transmitFile where packet.context == "large":
                corkedAfterwards.append(corked())
                server.transmitFile(descriptor: small.open(), length: 3, context: "small")
                corkedWhileSending.append(corked())
            case .transmitFile:
                corkedAfterwards.append(corked())
            default: break
            }
        }
        listener.accept(into: server, context: "accept")
        let client = try blockingClient(to: listener.localAddress)
        defer { close(client) }
        var received = 0
        let reader = try DescriptorWatcher(base: base, descriptor: client, events: .read) { _, _ in
            received += readAvailable(client).count
        }
        try runBounded(base) { received == Int(Port.Connection.corkThreshold) + 3 && corkedAfterwards.count == 2 }
        reader.close()
        #expect(corkedWhileSending == [1, 0], "only the large transmission corks the socket")
        #expect(corkedAfterwards == [0, 0], "and the cork is off once it is written, so nothing is held back")
        server.close()
    }
}
