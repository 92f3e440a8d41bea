import Glibc
import Libevent
import TestSupport
import Testing

/// A small read lands in a read block rather than an evbuffer (Buffer.swift): every operation on a
/// buffer that holds one must see and leave the same bytes as it would with an evbuffer.
@Suite struct ReadBlockTests {
    static let text = Array("line one\r\nline two\n".utf8)

    /// Buffers you made, each holding `text` in a read block that a socket of `base` read.
    static func blockBuffers(_ count: Int, on base: EventBase) throws -> [Buffer] {
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        var buffers: [Buffer] = []
        socket.onRead = { socket in
            guard socket.input.count == text.count else { return }
            let buffer = Buffer()
            buffer.moveAll(from: socket.input)
            buffers.append(buffer)
        }
        socket.enable(.read)
        for made in 0..<count {
            writeAll(theirs, text)
            try runBounded(base) { buffers.count == made + 1 }
        }
        #expect(buffers.allSatisfy { $0.holdsReadBlock })
        return buffers
    }

    @Test func aSmallReadIsHeldInABlockThatMovesWholeAndGoesBackWhenEmptied() throws {
        let base = try EventBase()
        let buffer = try #require(Self.blockBuffers(1, on: base).first)
        let spares = base.spareBlockCount
        #expect(buffer.count == Self.text.count && !buffer.isEmpty)

        let other = Buffer()
        other.moveAll(from: buffer)
        #expect(other.holdsReadBlock && buffer.isEmpty && !buffer.holdsReadBlock, "the block moved whole")
        #expect(other.copyOut(upTo: 100) == Self.text)
        other.drain(other.count)
        #expect(!other.holdsReadBlock && base.spareBlockCount == spares + 1, "emptied, the block went back")
    }

    @Test func readingOperationsUseTheBlockAsItIs() throws {
        let base = try EventBase()
        let buffer = try #require(Self.blockBuffers(1, on: base).first)
        #expect(buffer.copyOut(upTo: 4) == Array("line".utf8))
        var chunks: [[UInt8]] = []
        buffer.peek { chunks.append(Array($0)); return true }
        #expect(chunks == [Self.text])
        chunks = []
        buffer.peek(upTo: 3) { chunks.append(Array($0)); return true }
        #expect(chunks == [Array("lin".utf8)])
        #expect(buffer.withContiguousBytes(first: 8) { Array($0) } == Array("line one".utf8))
        #expect(buffer.withContiguousBytes(first: Self.text.count + 1) { _ in 0 } == nil)
        buffer.drain(5)
        #expect(buffer.removeFirst(upTo: 3) == Array("one".utf8))
        #expect(buffer.holdsReadBlock && buffer.count == Self.text.count - 8)
        buffer.drain(1000)
        #expect(buffer.isEmpty && !buffer.holdsReadBlock)
    }

    @Test func everyOtherOperationSeesTheSameBytesInAnEvbuffer() throws {
        let base = try EventBase()
        let buffers = try Self.blockBuffers(7, on: base)
        let text = Self.text

        #expect(buffers[0].firstIndex(of: Array("\r\n".utf8)) == 8)
        #expect(buffers[0].firstIndex(of: Array("two".utf8), from: 9) == 15)
        #expect(buffers[0].copyOut(upTo: 100) == text)

        #expect(buffers[1].readLine() == "line one" && buffers[1].readLine() == "line two" && buffers[1].isEmpty)

        buffers[2].append("!")
        #expect(buffers[2].removeFirst(upTo: 100) == text + Array("!".utf8))

        let nonEmpty = Buffer()
        nonEmpty.append("X")
        nonEmpty.moveAll(from: buffers[3])
        #expect(buffers[3].isEmpty && nonEmpty.removeFirst(upTo: 100) == Array("X".utf8) + text)

        let front = Buffer()
        #expect(front.move(upTo: 4, from: buffers[4]) == 4)
        #expect(front.removeFirst(upTo: 100) == Array("line".utf8))
        #expect(buffers[4].removeFirst(upTo: 100) == Array(text.dropFirst(4)))

        let file = try temporaryFile(containing: Array("0123456789".utf8))
        try buffers[5].appendFile(descriptor: file, offset: 2, length: 3)
        #expect(buffers[5].removeFirst(upTo: 100) == text + Array("234".utf8))

        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        let written = try buffers[6].write(to: writeEnd)
        #expect(written == text.count)
        #expect(buffers[6].isEmpty && !buffers[6].holdsReadBlock)
        #expect(readAvailable(readEnd) == text)
    }

    @Test func aLongerReadOrOneIntoAnInputThatHoldsBytesUsesAnEvbuffer() throws {
        let base = try EventBase()
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        let socket = try BufferedSocket(base: base, descriptor: mine)
        defer { socket.close() }
        var seen: [(count: Int, inBlock: Bool)] = []
        socket.onRead = { socket in seen.append((socket.input.count, socket.input.holdsReadBlock)) }
        socket.enable(.read)
        writeAll(theirs, Array("part".utf8))
        try runBounded(base) { seen.count == 1 }
        writeAll(theirs, Array("more".utf8))  // the input still holds "part"
        try runBounded(base) { seen.count == 2 }
        #expect(seen.map(\.inBlock) == [true, false])
        #expect(socket.input.removeFirst(upTo: 100) == Array("partmore".utf8))

        let large = (0..<(3 * Buffer.readBlockCapacity)).map { UInt8(truncatingIfNeeded: $0) }
        writeAll(theirs, large)
        var received: [UInt8] = []
        socket.onRead = { socket in received += socket.input.removeFirst(upTo: 1 << 20) }
        try runBounded(base) { received.count == large.count }
        #expect(received == large)
    }
}
