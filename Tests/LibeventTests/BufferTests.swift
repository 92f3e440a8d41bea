import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct BufferTests {
    @Test func appendsBytesAndStringsAndCounts() {
        let buffer = Buffer()
        #expect(buffer.isEmpty)
        buffer.append([1, 2, 3])
        buffer.append("héllo")
        #expect(buffer.count == 3 + 6)
        #expect(buffer.copyOut(upTo: 100) == [1, 2, 3] + Array("héllo".utf8))
        #expect(buffer.count == 9, "copyOut leaves the bytes")
    }

    @Test func removeFirstAndDrainTakeFromTheFront() {
        let buffer = Buffer()
        buffer.append(Array(0..<10))
        #expect(buffer.removeFirst(upTo: 3) == [0, 1, 2])
        buffer.drain(-1)   // a count of 0 or less takes nothing (libevent would read -1 as all)
        #expect(buffer.removeFirst(upTo: -1) == [] && buffer.count == 7)
        buffer.drain(2)
        #expect(buffer.removeFirst(upTo: 100) == [5, 6, 7, 8, 9])
        #expect(buffer.isEmpty)
    }

    @Test func movesBuffersWithoutCopying() {
        let source = Buffer()
        let destination = Buffer()
        destination.append("a")
        source.append("bcdef")
        #expect(destination.move(upTo: -1, from: source) == 0, "a count of 0 or less moves nothing")
        #expect(destination.move(upTo: 2, from: source) == 2)
        destination.moveAll(from: source)
        #expect(source.isEmpty)
        #expect(destination.removeFirst(upTo: 100) == Array("abcdef".utf8))
    }

    /// Moving everything into an empty buffer hands the whole evbuffer over: afterwards the two
    /// buffers must still be independent, and a partial move must still copy only what it may.
    @Test func wholeMovesIntoEmptyBuffersKeepTheBuffersApart() {
        let source = Buffer()
        let destination = Buffer()
        source.append("hello")
        destination.moveAll(from: source)
        source.append("one")
        destination.append(" world")
        #expect(source.copyOut(upTo: 100) == Array("one".utf8))
        #expect(destination.copyOut(upTo: 100) == Array("hello world".utf8))

        let other = Buffer()
        #expect(other.move(upTo: 100, from: destination) == 11)
        #expect(destination.isEmpty)
        destination.append("x")
        #expect(other.move(upTo: 3, from: source) == 3)
        #expect(other.removeFirst(upTo: 100) == Array("hello worldone".utf8))
        #expect(source.isEmpty && destination.count == 1)

        let partial = Buffer()
        destination.append("yz")
        #expect(partial.move(upTo: 2, from: destination) == 2)
        #expect(partial.removeFirst(upTo: 10) == Array("xy".utf8))
        #expect(destination.removeFirst(upTo: 10) == Array("z".utf8))
    }

    @Test func searchesAcrossChunks() {
        let buffer = Buffer()
        buffer.append("GET / HTTP/1.1\r\nHost: x\r")
        buffer.append("\n\r\nbody")
        #expect(buffer.firstIndex(of: Array("\r\n\r\n".utf8)) == 23)
        #expect(buffer.firstIndex(of: Array("\r\n".utf8), from: 15) == 23)
        #expect(buffer.firstIndex(of: Array("missing".utf8)) == nil)
        #expect(buffer.firstIndex(of: [], from: 0) == nil)
    }

    @Test func readsLinesWithEitherEnding() {
        let buffer = Buffer()
        buffer.append("first\r\nsecond\nthird")
        #expect(buffer.readLine() == "first")
        #expect(buffer.readLine() == "second")
        #expect(buffer.readLine() == nil, "no complete line yet")
        buffer.append("\r\n")
        #expect(buffer.readLine(ending: .crlf) == "third")
        buffer.append("a\nb\r\n")
        #expect(buffer.readLine(ending: .crlf) == "a\nb")
        buffer.append("x\n")
        #expect(buffer.readLine(ending: .lf) == "x")
    }

    @Test func makesTheHeadContiguous() {
        let buffer = Buffer()
        for byte in UInt8(0)..<50 { buffer.append([byte]) }
        let head = buffer.withContiguousBytes(first: 40) { Array($0) }
        #expect(head == Array(0..<40))
        #expect(buffer.withContiguousBytes(first: 51) { _ in true } == nil)
        #expect(buffer.count == 50)
    }

    @Test func peeksChunksWithoutCopying() {
        let buffer = Buffer()
        buffer.append(Array(repeating: 1, count: 3000))
        let other = Buffer()
        other.append(Array(repeating: 2, count: 3000))
        buffer.moveAll(from: other)   // keeps two chunks
        var seen: [UInt8] = []
        var chunks = 0
        buffer.peek(upTo: 4000) { chunk in
            chunks += 1
            seen += chunk
            return true
        }
        #expect(seen.count == 4000 && chunks >= 2)
        #expect(seen == Array(repeating: 1, count: 3000) + Array(repeating: 2, count: 1000))
        #expect(buffer.count == 6000)
    }

    @Test func readsFromAndWritesToDescriptors() throws {
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let outgoing = Buffer()
        outgoing.append(payload)
        let incoming = Buffer()
        while incoming.count < payload.count {
            if !outgoing.isEmpty { _ = try outgoing.write(to: left) }
            _ = try incoming.read(from: right)
        }
        #expect(incoming.removeFirst(upTo: payload.count) == payload)
        #expect(try incoming.read(from: right) == nil, "would block")
        close(left)
        #expect(try incoming.read(from: right) == 0, "end of stream")
    }

    /// Bytes in several chunks go out in one system call (a gathering write), not one per chunk:
    /// each write of a TCP socket with Nagle's algorithm off is a segment of its own, and the peer
    /// would need a read per segment.
    @Test func writesEveryChunkInOneCall() throws {
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let outgoing = Buffer()
        for byte: UInt8 in 1...3 {
            let chunk = Buffer()
            chunk.append([UInt8](repeating: byte, count: 1000))
            outgoing.moveAll(from: chunk)  // links the chunk: three chunks in all
        }
        var chunks = 0
        outgoing.peek { _ in chunks += 1; return true }
        #expect(chunks == 3)
        #expect(try outgoing.write(to: left) == 3000)
        #expect(outgoing.isEmpty)
        let incoming = Buffer()
        while try incoming.read(from: right) != nil {}
        #expect(incoming.removeFirst(upTo: 3000) == [UInt8](repeating: 1, count: 1000) + [UInt8](repeating: 2, count: 1000)
                    + [UInt8](repeating: 3, count: 1000))
    }

    @Test func sendsAFileRangeToASocket() throws {
        let file = try temporaryFile(containing: Array("0123456789abcdefghij".utf8))
        let (left, right) = try socketPair()
        defer { close(left); close(right) }
        let buffer = Buffer()
        buffer.append("head:")
        try buffer.appendFile(descriptor: file, offset: 5, length: 10)
        buffer.append(":tail")
        #expect(buffer.count == 20)
        while !buffer.isEmpty { _ = try buffer.write(to: left) }
        #expect(readAvailable(right) == Array("head:56789abcde:tail".utf8))
    }

    @Test func aFileRangeWithoutALengthRunsToTheEndOfTheFile() throws {
        let file = try temporaryFile(containing: Array("0123456789abcdefghij".utf8))
        let buffer = Buffer()
        try buffer.appendFile(descriptor: file, offset: 15)
        #expect(buffer.removeFirst(upTo: 100) == Array("fghij".utf8), "from the offset to the end, not 20 bytes")
        let past = try temporaryFile(containing: Array("0123".utf8))
        defer { close(past) }
        #expect(throws: LibeventError("evbuffer_add_file", code: EINVAL)) { try Buffer().appendFile(descriptor: past, offset: 5) }
        #expect(throws: LibeventError("evbuffer_add_file", code: EINVAL)) { try Buffer().appendFile(descriptor: past, length: -1) }
    }

    @Test func aFileQueuedInAPlainBufferSurvivesBeingCutShorter() throws {
        // A buffer that does not feed a socket reads file ranges when they are queued. libevent
        // would map them into memory instead, and touching the mapping of a file cut shorter
        // since then ends the process with SIGBUS.
        let contents = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let file = try temporaryFile(containing: contents)
        let shared = try temporaryFile(containing: contents)
        let segment = try FileSegment(descriptor: shared, length: 300_000)
        let buffer = Buffer()
        try buffer.appendFile(descriptor: file, offset: 0, length: 300_000)
        try buffer.append(segment, offset: 100_000, length: 100_000)
        #expect(ftruncate(file, 0) == 0 && ftruncate(shared, 0) == 0)
        let identity = try #require(openFileIdentity(file))
        #expect(buffer.removeFirst(upTo: 400_000) == contents + contents[100_000..<200_000])
        #expect(openFileIdentity(file) != identity, "the buffer closed the file it was given once drained")
    }

    @Test func copiesAFileRangeIntoMemory() throws {
        let file = try temporaryFile(containing: Array("0123456789abcdefghij".utf8))
        defer { close(file) }
        let buffer = Buffer()
        buffer.append("head:")
        try buffer.appendContents(ofFile: file, offset: 5, length: 10)
        #expect(buffer.removeFirst(upTo: 100) == Array("head:56789abcde".utf8))
        #expect(throws: LibeventError("pread", code: EIO), "a file shorter than the range") {
            try buffer.appendContents(ofFile: file, offset: 15, length: 10)
        }
        #expect(throws: LibeventError("pread", code: EBADF)) { try buffer.appendContents(ofFile: -1, length: 10) }
        #expect(buffer.isEmpty, "a failed copy adds nothing")
    }

    @Test func sharesAFileSegmentAndClosesItAfterTheLastUse() throws {
        let file = try temporaryFile(containing: Array("0123456789abcdefghij".utf8))
        let identity = try #require(openFileIdentity(file))
        var segment: FileSegment? = try FileSegment(descriptor: file, offset: 2, length: 16)  // "23456789abcdefgh"
        let first = Buffer()
        let second = Buffer()
        try first.append(segment!, offset: 3, length: 5)
        try second.append(segment!)
        #expect(throws: LibeventError("evbuffer_add_file_segment", code: EINVAL)) { try first.append(segment!, offset: 10, length: 7) }
        #expect(throws: LibeventError("evbuffer_add_file_segment", code: EINVAL)) { try first.append(segment!, offset: 17) }
        #expect(throws: LibeventError("evbuffer_add_file_segment", code: EINVAL)) { try first.append(segment!, offset: -1) }
        #expect(first.removeFirst(upTo: 100) == Array("56789".utf8))
        segment = nil
        #expect(openFileIdentity(file) == identity, "a buffer still holds part of the segment")
        #expect(second.removeFirst(upTo: 100) == Array("23456789abcdefgh".utf8))
        #expect(openFileIdentity(file) != identity, "closed with the last use")
        #expect(throws: LibeventError.self) { try FileSegment(descriptor: file, offset: -1, length: 1) }
    }

    @Test func refusesAFileItCannotQueue() throws {
        #expect(throws: LibeventError.self) { try Buffer().appendFile(descriptor: -1, length: 10) }
        let file = try temporaryFile(containing: Array("0123456789".utf8))
        defer { close(file) }
        #expect(throws: LibeventError.self, "a range past the end of the file") {
            try Buffer().appendFile(descriptor: file, offset: 0, length: 100)
        }
        for (offset, length) in [(-4, Int64?(2)), (-4, nil), (0, -1)] as [(Int64, Int64?)] {
            #expect(throws: LibeventError("evbuffer_add_file", code: EINVAL), "offset \(offset), length \(String(describing: length))") {
                try Buffer().appendFile(descriptor: file, offset: offset, length: length)
            }
        }
        for (offset, length) in [(-4, 2), (0, -1)] as [(Int64, Int)] {
            #expect(throws: LibeventError("pread", code: EINVAL), "copying offset \(offset), length \(length)") {
                try Buffer().appendContents(ofFile: file, offset: offset, length: length)
            }
        }
        #expect(openFileIdentity(file) != nil, "still the caller's after a failure")
    }

    @Test func aReadOfNoBytesIsRefusedRatherThanTakenForAnEndOfStream() throws {
        let (mine, theirs) = try socketPair()
        defer { close(mine); close(theirs) }
        writeAll(theirs, Array("waiting".utf8))
        let buffer = Buffer()
        for count in [0, -1] {
            #expect(throws: LibeventError("read", code: EINVAL), "upTo: \(count)") {
                try buffer.read(from: mine, upTo: count)
            }
        }
        #expect(try buffer.read(from: mine) == 7, "the bytes are still there")
    }

    #if canImport(Glibc)
    @Test func aBufferObjectFitsGlibcs48ByteChunk() {
        // Every completion-model or HTTP session keeps a Buffer of its own, and the memory target
        // per idle connection (600 B) has no room for it to move up a malloc size class. Swift lays
        // a class out in declaration order, so a one-byte field declared after a pointer grows it
        // to the next class: that happened once and cost 16 B per connection.
        let buffer = Buffer()
        #expect(mallocUsableSize(Unmanaged.passUnretained(buffer).toOpaque()) <= 40)
    }
    #endif

    @Test func emptiedBuffersFillAgain() {
        // An empty buffer gives its storage up; every way of emptying it must leave it usable.
        let buffer = Buffer()
        let other = Buffer()
        #expect(buffer.isEmpty && buffer.copyOut(upTo: 10).isEmpty && buffer.readLine() == nil)
        for round in 0..<3 {
            buffer.append("line \(round)\n")
            #expect(buffer.readLine() == "line \(round)")
            buffer.append([1, 2, 3])
            other.moveAll(from: buffer)
            #expect(buffer.isEmpty && other.count == 3)
            #expect(buffer.move(upTo: 10, from: other) == 3)
            #expect(buffer.removeFirst(upTo: 2) == [1, 2])
            buffer.drain(1)
            #expect(buffer.isEmpty && other.isEmpty)
        }
        var visited = 0
        buffer.peek { _ in visited += 1; return true }
        #expect(visited == 0)
        #expect(buffer.firstIndex(of: [1]) == nil)
    }
}

#if canImport(Glibc)
/// glibc's malloc_usable_size, which the Glibc module does not export (it is in malloc.h).
@_silgen_name("malloc_usable_size")
private func mallocUsableSize(_ pointer: UnsafeMutableRawPointer) -> Int
#endif
