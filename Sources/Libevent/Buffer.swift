internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libevent `evbuffer`: a queue of bytes in chunks, filled at the end and drained from the front.
///
/// Moving bytes between buffers (`moveAll(from:)`, `move(upTo:from:)`) relinks chunks without
/// copying them, and `appendFile` queues a file range that a socket sends with `sendfile`, never
/// through user memory. A `Buffer()` you create is yours; the `input` and `output` of a
/// `BufferedSocket` belong to the socket and must not be used after it is closed (that traps).
/// Once your buffer has taken bytes from a socket's as a whole (a completed read, `moveAll`), it
/// takes and returns its storage at that socket's event base, and keeps the base alive, for as long
/// as it lives: use it on the base's thread, as every object of the base.
///
/// A socket's small read (up to 2 KiB, into an empty input) lands in a plain block of memory
/// rather than an evbuffer. The block moves whole between buffers, and counting, peeking, copying,
/// draining and writing to a descriptor use it as it is, so an echoed or parsed message never
/// goes through libevent's chunk machinery; any other use first copies the block's bytes (at most
/// 2 KiB, once) into an evbuffer.
public final class Buffer {
    /// How `readLine` recognises the end of a line.
    public enum LineEnding: Sendable {
        /// CRLF or a bare LF (the forgiving choice for network protocols).
        case crlfOrLF
        /// Exactly CRLF.
        case crlf
        /// Exactly LF.
        case lf
        /// Any run of CR and LF characters.
        case any

        var cValue: evbuffer_eol_style {
            switch self {
            case .crlfOrLF: return EVBUFFER_EOL_CRLF
            case .crlf: return EVBUFFER_EOL_CRLF_STRICT
            case .lf: return EVBUFFER_EOL_LF
            case .any: return EVBUFFER_EOL_ANY
            }
        }
    }

    /// What a buffer is for: one you made, or one of a socket's two.
    enum Role {
        case standalone, socketInput, socketOutput
    }

    /// The most bytes a read block holds: a socket read that asks for no more than this, into an
    /// empty input, reads into a block (2 KiB covers the reads of small messages, which the
    /// adaptive read size asks for in 960 or 1,984 bytes, and most HTTP requests).
    package static let readBlockCapacity = 2048

    /// Where the bytes are.
    private enum Storage {
        /// An evbuffer.
        case evbuffer(OpaquePointer)
        /// A read block of `readBlockCapacity` bytes, from the base's spares; the bytes are
        /// `blockStart..<blockEnd`.
        case block(UnsafeMutableRawPointer)
    }

    // The hot stored properties below skip Swift's run-time exclusivity check (which cost ~7% of
    // the CPU of a completion-model echo): they are private to this object, used on the base's
    // thread only, and no access to them spans a call that could reach back into them.
    /// The storage, only while the buffer holds bytes (or is being filled): a socket's buffers take
    /// an evbuffer or a block from the base's spares when they need one and hand it back when they
    /// are empty, so an idle connection holds none. A buffer you made does the same once it has
    /// taken a socket's storage (see `Link.spares`); before that it makes its own evbuffer and
    /// frees it when empty.
    @exclusivity(unchecked) private var storage: Storage?
    @exclusivity(unchecked) private var isFreed = false
    @exclusivity(unchecked) private var role: Role
    /// Whether the evbuffer may hold a file range (`appendFile`, `append(_:offset:length:)`, or
    /// bytes moved in from a buffer that may). While it is false, `write(to:)` can send a buffer of
    /// one memory chunk with a plain `write`; libevent has no call that tells a chunk of memory
    /// from a file range. Cleared once the evbuffer is given up.
    /// (Declared beside the other one-byte fields: Swift lays a class out in declaration order, and
    /// after `link` it would take the object past the 48-byte malloc size every session's
    /// `Buffer` has.)
    @exclusivity(unchecked) private var mayHoldFileRanges = false
    /// The bytes of a block storage, as offsets into it (declared here for the same reason).
    @exclusivity(unchecked) private var blockStart: UInt16 = 0
    @exclusivity(unchecked) private var blockEnd: UInt16 = 0
    /// Whom the buffer belongs to, or where its evbuffers come from and go back to (8 bytes either
    /// way); nil for a buffer you made that has never taken a socket's evbuffer.
    @exclusivity(unchecked) private var link: Link?

    private enum Link {
        /// The input or output of this socket, unretained: the socket clears it (in
        /// `freeStorage()`) before it can go away, and every use happens while the buffer is not
        /// freed. Reached through `withOwner`, which lends it without retaining it.
        case socket(Unmanaged<StreamSocket>)
        /// A buffer you made that has taken a socket's evbuffer on this base (a read completed
        /// into it, or bytes moved in whole): it takes its evbuffers from the base's spares and
        /// hands them back when it empties, instead of `evbuffer_new` and `evbuffer_free`, so a
        /// request read into your buffer and parsed out of it costs no allocation. The first such
        /// base stays retained (by hand, in `adoptStorage(of:)` and `deinit`, so that the enum
        /// stays trivial to copy) until the buffer goes away.
        case spares(Unmanaged<EventBase>)
    }

    /// A new, empty buffer.
    public init() {
        role = .standalone
    }

    /// The input or output of `socket`, without an evbuffer until one is needed.
    init(socket: StreamSocket, role: Role) {
        link = .socket(Unmanaged.passUnretained(socket))
        self.role = role
    }

    deinit {
        freeStorageNow()
        if case .spares(let base)? = link { base.release() }
    }

    /// Frees the storage (not to the spares).
    private func freeStorageNow() {
        switch storage {
        case .evbuffer(let evbuffer)?: evbuffer_free(evbuffer)
        case .block(let block)?: free(block)
        case nil: break
        }
        storage = nil
    }

    /// Gives up the storage while the buffer is empty: a socket's goes back to its base's spares,
    /// as does one that came from them into a buffer you made; any other is freed. The next use
    /// takes a new one. Returns whether the buffer is now empty and without storage.
    /// (Inlined: it runs whenever a socket's buffer empties, a few times an echo message.)
    @discardableResult @inline(__always)
    func releaseStorageIfEmpty() -> Bool {
        switch storage {
        case nil:
            return true
        case .evbuffer(let evbuffer)?:
            guard evbuffer_get_length(evbuffer) == 0 else { return false }
            if let home = spareHome {
                home._withUnsafeGuaranteedRef { $0.returnSpareBuffer(evbuffer, drainsToSocket: role == .socketOutput) }
            } else {
                evbuffer_free(evbuffer)
            }
        case .block(let block)?:
            guard blockStart == blockEnd else { return false }
            returnBlock(block)
        }
        storage = nil
        mayHoldFileRanges = false
        return true
    }

    /// Hands a block back to the spares of the base it came from.
    private func returnBlock(_ block: UnsafeMutableRawPointer) {
        if let home = spareHome { home._withUnsafeGuaranteedRef { $0.returnSpareBlock(block) } } else { free(block) }
    }

    /// The bytes of a block storage; nil for an evbuffer or none.
    private var blockBytes: UnsafeMutableRawBufferPointer? {
        guard case .block(let block)? = storage else { return nil }
        return UnsafeMutableRawBufferPointer(start: block + Int(blockStart), count: Int(blockEnd &- blockStart))
    }

    /// Whether the bytes are in a read block now (tests).
    package var holdsReadBlock: Bool {
        if case .block? = storage { true } else { false }
    }

    /// Calls `body` with the owning socket, without a retain and a release around the call (two of
    /// the few dozen a message cost); nil when the buffer has no owner. Safe because the socket
    /// outlives its buffers' use, and `body` (the socket's own bookkeeping) runs no user code.
    private func withOwner<Result>(_ body: (StreamSocket) -> Result) -> Result? {
        guard case .socket(let owner)? = link else { return nil }
        return owner._withUnsafeGuaranteedRef(body)
    }

    /// Makes a spare buffer (empty, without an evbuffer, owned by no socket) the input or output
    /// of `socket`.
    func attach(to socket: StreamSocket, as role: Role) {
        link = .socket(Unmanaged.passUnretained(socket))
        self.role = role
    }

    /// Leaves the socket it belonged to, empty and without an evbuffer, to be kept as a spare.
    func detachFromSocket() {
        link = nil
    }

    /// Frees the storage now (a closed socket's buffers); any later use of this object traps.
    func freeStorage() {
        freeStorageNow()
        mayHoldFileRanges = false
        isFreed = true
        link = nil
    }

    /// Tells the owning socket that bytes were added (its output is then written from the loop).
    private func didGrow() {
        if role == .socketOutput { withOwner { $0.scheduleWrite() } }
    }

    /// Tells the owning socket that bytes were removed (its input may have room to read again);
    /// a buffer you made frees its evbuffer once empty.
    private func didShrink() {
        switch role {
        case .socketInput: withOwner { $0.inputShrank() }
        case .socketOutput: break
        case .standalone: releaseStorageIfEmpty()
        }
    }

    /// The evbuffer, made (or taken from the spares) when there is none, and filled with a read
    /// block's bytes when they are in one.
    var pointer: OpaquePointer {
        switch storage {
        case .evbuffer(let evbuffer)?: return evbuffer
        case .block(let block)?: return copyBlockIntoEvbuffer(block)
        case nil: break
        }
        precondition(!isFreed, "Buffer used after its socket was closed")
        let evbuffer = takeEvbuffer()
        storage = .evbuffer(evbuffer)
        return evbuffer
    }

    /// An empty evbuffer from the spares of the owning socket's base or of the buffer's own.
    private func takeEvbuffer() -> OpaquePointer {
        let drainsToSocket = role == .socketOutput
        guard let evbuffer = withOwner({ $0.base.takeSpareBuffer(drainsToSocket: drainsToSocket) })
                ?? takeFromSpareHome() else {
            fatalError("evbuffer_new: out of memory")
        }
        return evbuffer
    }

    /// Moves a read block's bytes into an evbuffer, which becomes the storage, and hands the block
    /// back: for every use that a block does not serve itself.
    private func copyBlockIntoEvbuffer(_ block: UnsafeMutableRawPointer) -> OpaquePointer {
        let evbuffer = takeEvbuffer()
        if let bytes = blockBytes, let start = bytes.baseAddress, !bytes.isEmpty {
            precondition(evbuffer_add(evbuffer, start, bytes.count) == 0, "evbuffer_add failed: out of memory")
        }
        returnBlock(block)
        storage = .evbuffer(evbuffer)
        return evbuffer
    }

    /// An empty evbuffer for a buffer you made: from the spares of its base, if it has one.
    private func takeFromSpareHome() -> OpaquePointer? {
        guard case .spares(let base)? = link else { return evbuffer_new() }
        return base._withUnsafeGuaranteedRef { $0.takeSpareBuffer(drainsToSocket: false) }
    }

    /// The number of bytes in the buffer.
    public var count: Int {
        switch storage {
        case .evbuffer(let evbuffer)?: return evbuffer_get_length(evbuffer)
        case .block?: return Int(blockEnd &- blockStart)
        case nil:
            precondition(!isFreed, "Buffer used after its socket was closed")
            return 0
        }
    }

    /// The length of the first chunk: the bytes one plain write can send without gathering, or
    /// the length of a file range at the front.
    var firstChunkLength: Int {
        switch storage {
        case .evbuffer(let evbuffer)?: return evbuffer_get_contiguous_space(evbuffer)
        case .block?: return count
        case nil: return 0
        }
    }

    /// Whether the buffer holds no bytes.
    public var isEmpty: Bool { count == 0 }

    // MARK: Adding

    /// Appends a copy of `bytes`.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(evbuffer_add(pointer, start, bytes.count) == 0,
                     "evbuffer_add failed: out of memory")
        didGrow()
    }

    /// Appends a copy of `bytes`.
    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Appends the UTF-8 bytes of `string`.
    public func append(_ string: String) {
        var string = string
        string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Moves every byte of `other` to the end of this buffer without copying; `other` is left empty.
    public func moveAll(from other: Buffer) {
        guard !other.isEmpty else { return }
        if !adoptStorage(of: other) {
            precondition(evbuffer_add_buffer(pointer, other.pointer) == 0, "evbuffer_add_buffer failed")
            mayHoldFileRanges = mayHoldFileRanges || other.mayHoldFileRanges
        }
        didGrow()
        other.didShrink()
    }

    /// Moves up to `count` bytes from the front of `other` to the end of this buffer, copying as
    /// little as possible (none for a `count` of 0 or less). Returns how many bytes moved.
    @discardableResult
    public func move(upTo count: Int, from other: Buffer) -> Int {
        let available = other.count
        // libevent takes the count as size_t, where -1 would mean everything.
        guard available > 0, count > 0 else { return 0 }
        let moved: Int
        if available <= count, adoptStorage(of: other) {
            moved = available
        } else {
            moved = Int(evbuffer_remove_buffer(other.pointer, pointer, count))
            mayHoldFileRanges = mayHoldFileRanges || other.mayHoldFileRanges
        }
        didGrow()
        other.didShrink()
        return moved
    }

    /// When this buffer is empty, takes `other`'s whole evbuffer, bytes and all, and gives `other`
    /// its own (empty) one or none. Returns whether it did.
    ///
    /// The bytes would only have been relinked, but an evbuffer would have been made for this
    /// buffer and another freed or handed back for `other`: a read completed into an empty buffer
    /// and a write from it into an empty output then pass one evbuffer along, from the base's
    /// spares to the socket's input, your buffer, the output and back, with no allocation.
    private func adoptStorage(of other: Buffer) -> Bool {
        guard count == 0, let theirs = other.storage else { return false }
        // An evbuffer drains to a socket exactly while it is a socket's output: the flags change
        // only when the evbuffers move between an output and anything else (not from a socket's
        // input to your buffer, twice a completion-model echo message).
        let theyDrain = other.role == .socketOutput
        let iDrain = role == .socketOutput
        if theyDrain != iDrain {
            if case .evbuffer(let mine)? = storage { setDrainsToSocket(mine, theyDrain) }
            if case .evbuffer(let evbuffer) = theirs { setDrainsToSocket(evbuffer, iDrain) }
        }
        other.storage = storage
        storage = theirs
        swap(&blockStart, &other.blockStart)
        swap(&blockEnd, &other.blockEnd)
        mayHoldFileRanges = other.mayHoldFileRanges  // this buffer was empty: only theirs can
        other.mayHoldFileRanges = false  // it now has this buffer's empty evbuffer, or none
        // A buffer you made keeps the first base it takes an evbuffer from: any base's spares
        // will do on that thread, and looking up another socket's base each time cost a message
        // about 25 instructions.
        if role == .standalone, link == nil, let home = other.spareHome { link = .spares(home.retain()) }
        return true
    }

    /// The base whose spares this buffer's evbuffer may go back to: its socket's, or the one a
    /// buffer you made took its evbuffer from.
    @inline(__always)
    private var spareHome: Unmanaged<EventBase>? {
        switch link {
        case .socket(let owner)?: owner._withUnsafeGuaranteedRef { Unmanaged.passUnretained($0.base) }
        case .spares(let base)?: base
        case nil: nil
        }
    }

    /// Queues `length` bytes of the open file `descriptor` from `offset` (`length` nil: to the end),
    /// without reading them: a socket's output sends them with `sendfile`; any other buffer reads
    /// them into memory now.
    ///
    /// On success the buffer owns the descriptor and closes it once the range is sent or drained; on
    /// failure the caller still owns it.
    /// - Throws: `LibeventError` when the range cannot be queued (EINVAL for a negative offset or
    ///   length), or read, for a buffer that does not feed a socket.
    public func appendFile(descriptor: Int32, offset: Int64 = 0, length: Int64? = nil) throws {
        guard offset >= 0 else { throw LibeventError("evbuffer_add_file", code: EINVAL) }
        // Not libevent's "to the end" (-1): that is the file's whole size, counted from `offset`.
        let length = try length ?? fileBytes(of: descriptor, from: offset)
        guard length >= 0 else { throw LibeventError("evbuffer_add_file", code: EINVAL) }
        // Not evbuffer_add_file: it maps the file into memory for a buffer that does not feed a
        // socket, and reading the mapping after the file was cut shorter kills the process (SIGBUS).
        errno = 0  // libevent refuses some ranges without setting it
        guard let segment = evbuffer_file_segment_new(descriptor, offset, length, UInt32(EVBUF_FS_DISABLE_MMAP)) else {
            throw LibeventError.lastError("evbuffer_add_file", orIfUnset: EINVAL)
        }
        defer { evbuffer_file_segment_free(segment) }  // the buffer holds its own reference
        guard evbuffer_add_file_segment(pointer, segment, 0, -1) == 0 else {
            didShrink()  // nothing was added; a buffer you made may give its memory back
            throw LibeventError.lastError("evbuffer_add_file")
        }
        // Only now the descriptor is the buffer's: closed when the last reference goes.
        evbuffer_file_segment_add_cleanup_cb(segment, closeSegmentDescriptor, UnsafeMutableRawPointer(bitPattern: Int(descriptor) + 1))
        mayHoldFileRanges = true
        didGrow()
    }

    /// Queues `length` bytes of `segment` from `offset` within it (`length` nil: to its end),
    /// without reading them: a socket sends them with `sendfile`, and a buffer that does not feed a
    /// socket reads the segment into memory. The buffer holds a reference to the segment until the
    /// range is sent or drained; the caller keeps its own.
    /// - Throws: `LibeventError` (EINVAL) when the range does not lie within the segment, or the
    ///   segment cannot be read.
    public func append(_ segment: FileSegment, offset: Int64 = 0, length: Int64? = nil) throws(LibeventError) {
        let length = length ?? segment.length - offset
        guard segment.contains(offset: offset, length: length) else {
            throw LibeventError("evbuffer_add_file_segment", code: EINVAL)
        }
        errno = 0  // libevent refuses some ranges without setting it
        guard evbuffer_add_file_segment(pointer, segment.pointer, offset, length) == 0 else {
            didShrink()  // nothing was added; a buffer you made may give its memory back
            throw LibeventError.lastError("evbuffer_add_file_segment", orIfUnset: EINVAL)
        }
        mayHoldFileRanges = true
        didGrow()
    }

    /// Appends a copy of `length` bytes of the open file `descriptor` from `offset`, read now with
    /// `pread` straight into the buffer's memory. For small ranges this is cheaper than
    /// `appendFile`'s sendfile, and lets them leave in one write with what precedes them. The caller
    /// keeps the descriptor.
    /// - Throws: `LibeventError` when the read fails, or ends early (EIO: the file is shorter), and
    ///   EINVAL for a negative offset or length.
    public func appendContents(ofFile descriptor: Int32, offset: Int64 = 0, length: Int) throws {
        guard offset >= 0, length >= 0 else { throw LibeventError("pread", code: EINVAL) }
        guard length > 0 else { return }
        var vector = iovec()
        let reserved = evbuffer_reserve_space(pointer, length, &vector, 1)
        precondition(reserved == 1 && vector.iov_len >= length, "evbuffer_reserve_space failed: out of memory")
        var done = 0
        while done < length {
            let count = pread(descriptor, vector.iov_base! + done, length - done, off_t(offset) + off_t(done))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let code = count < 0 ? errno : EIO
                didShrink()  // nothing was committed; a buffer you made may give its memory back
                throw LibeventError("pread", code: code)
            }
            done += count
        }
        vector.iov_len = length
        precondition(evbuffer_commit_space(pointer, &vector, 1) == 0, "evbuffer_commit_space failed")
        didGrow()
    }

    // MARK: Removing and looking

    /// Discards up to `count` bytes from the front (none for a `count` of 0 or less).
    public func drain(_ count: Int) {
        guard count > 0 else { return }  // libevent takes it as size_t: -1 would drain everything
        if let bytes = blockBytes {
            blockStart += UInt16(min(count, bytes.count))
        } else {
            precondition(evbuffer_drain(pointer, count) == 0, "evbuffer_drain failed")
        }
        didShrink()
    }

    /// A copy of up to `count` bytes from the front, leaving them in the buffer.
    public func copyOut(upTo count: Int) -> [UInt8] {
        let wanted = min(count, self.count)
        guard wanted > 0 else { return [] }
        if let bytes = blockBytes { return Array(bytes.prefix(wanted)) }
        return [UInt8](unsafeUninitializedCapacity: wanted) { bytes, initialized in
            initialized = max(0, evbuffer_copyout(pointer, bytes.baseAddress, wanted))
        }
    }

    /// Removes up to `count` bytes from the front and returns them.
    public func removeFirst(upTo count: Int) -> [UInt8] {
        let wanted = min(count, self.count)
        guard wanted > 0 else { return [] }
        if let bytes = blockBytes {
            defer { drain(wanted) }
            return Array(bytes.prefix(wanted))
        }
        let removed = [UInt8](unsafeUninitializedCapacity: wanted) { bytes, initialized in
            initialized = max(0, Int(evbuffer_remove(pointer, bytes.baseAddress, wanted)))
        }
        didShrink()
        return removed
    }

    /// Calls `body` with the buffer's own memory, chunk by chunk, for up to `count` bytes from the
    /// front (nil: all of them), without copying or removing anything. `body` returns false to stop.
    /// File ranges queued with `appendFile` are not in memory and are not visited.
    public func peek(upTo count: Int? = nil, _ body: (UnsafeRawBufferPointer) -> Bool) {
        var remaining = min(count ?? Int.max, self.count)
        guard remaining > 0 else { return }
        if let bytes = blockBytes {
            _ = body(UnsafeRawBufferPointer(rebasing: bytes.prefix(remaining)))
            return
        }
        var position = evbuffer_ptr()
        guard evbuffer_ptr_set(pointer, &position, 0, EVBUFFER_PTR_SET) == 0 else { return }
        var chunk = iovec()
        while remaining > 0, evbuffer_peek(pointer, remaining, &position, &chunk, 1) > 0, chunk.iov_len > 0 {
            let length = min(chunk.iov_len, remaining)
            guard body(UnsafeRawBufferPointer(start: chunk.iov_base, count: length)) else { return }
            remaining -= length
            guard remaining > 0, evbuffer_ptr_set(pointer, &position, length, EVBUFFER_PTR_ADD) == 0 else { return }
        }
    }

    /// The offset of the first occurrence of `pattern` at or after `start`, or nil.
    public func firstIndex(of pattern: [UInt8], from start: Int = 0) -> Int? {
        guard !pattern.isEmpty, start >= 0, start < count else { return nil }
        var position = evbuffer_ptr()
        guard evbuffer_ptr_set(pointer, &position, start, EVBUFFER_PTR_SET) == 0 else { return nil }
        let found = pattern.withUnsafeBytes {
            evbuffer_search(pointer, $0.baseAddress, $0.count, &position)
        }
        return found.pos < 0 ? nil : found.pos
    }

    /// Removes and returns the first line, without its line ending, decoded as UTF-8 (invalid bytes
    /// become U+FFFD); nil when the buffer holds no complete line.
    public func readLine(ending: LineEnding = .crlfOrLF) -> String? {
        guard !isEmpty else { return nil }
        var length = 0
        guard let line = evbuffer_readln(pointer, &length, ending.cValue) else { return nil }
        didShrink()
        defer { free(line) }
        return line.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Calls `body` with the first `count` bytes in one contiguous block (rearranging chunks if
    /// needed, without removing anything); nil when the buffer holds fewer than `count` bytes.
    public func withContiguousBytes<R>(first count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard count >= 0, count <= self.count else { return nil }
        if count == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if let bytes = blockBytes { return try body(UnsafeRawBufferPointer(rebasing: bytes.prefix(count))) }
        guard let start = evbuffer_pullup(pointer, count) else { return nil }
        return try body(UnsafeRawBufferPointer(start: start, count: count))
    }

    // MARK: Descriptor I/O

    /// Reads up to `maxCount` bytes from `descriptor` straight into the buffer's memory (one `read`,
    /// or a `readv` when the space spans two chunks; no intermediate copy). Returns the count read
    /// (0: end of stream), or nil when the read would block.
    /// - Throws: `LibeventError` for read errors other than EAGAIN/EINTR, and EINVAL when `maxCount`
    ///   is not positive (a read of 0 bytes could not tell an end of stream from nothing read).
    public func read(from descriptor: Int32, upTo maxCount: Int = 65_536) throws(LibeventError) -> Int? {
        guard maxCount > 0 else { throw LibeventError("read", code: EINVAL) }
        if storage == nil, maxCount <= Self.readBlockCapacity, let home = spareHome {
            return try readIntoBlock(from: descriptor, upTo: maxCount, home: home)
        }
        // libevent's evbuffer_iovec is the system's iovec on POSIX systems, so readv fills the
        // reserved chunks directly.
        var vectors = (iovec(), iovec())
        let readCount = withUnsafeMutableBytes(of: &vectors) { raw -> Int in
            let vector = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
            // An empty buffer asks for one vector: libevent then makes or reuses one chunk without
            // spreading the space over two (evbuffer_read_setup_vecs_, about 70 instructions).
            // (Asked before `pointer` gives a buffer without an evbuffer an empty one.)
            let vectors: Int32 = isEmpty ? 1 : 2
            let buffer = pointer
            let reserved = evbuffer_reserve_space(buffer, maxCount, vector, vectors)
            precondition(reserved > 0, "evbuffer_reserve_space failed: out of memory")
            // The reserved space may exceed maxCount (a chunk's free tail); read no more than asked,
            // then commit only what was read.
            func limit(to total: Int) {
                var left = total
                for index in 0..<Int(reserved) {
                    vector[index].iov_len = min(vector[index].iov_len, left)
                    left -= vector[index].iov_len
                }
            }
            limit(to: maxCount)
            // The kernel takes a plain read more cheaply than a readv of one vector (no iovec to
            // copy in and check): with the plain write below, 0.1-0.3 us less system time per
            // 64-byte message echoed over loopback TCP.
            let readCount = reserved == 1
                ? systemRead(descriptor, vector[0].iov_base, vector[0].iov_len)
                : readv(descriptor, vector, reserved)
            guard readCount > 0 else { return readCount }
            limit(to: readCount)
            precondition(evbuffer_commit_space(buffer, vector, reserved) == 0, "evbuffer_commit_space failed")
            return readCount
        }
        if readCount > 0 { didGrow() }
        if readCount < 0 {
            if SocketCalls.failedForNow() { return nil }
            throw LibeventError.lastError("read")
        }
        return readCount
    }

    /// `read(from:upTo:)` into a read block, for an empty buffer that has a base to take it from.
    private func readIntoBlock(from descriptor: Int32, upTo maxCount: Int,
                               home: Unmanaged<EventBase>) throws(LibeventError) -> Int? {
        let block = home._withUnsafeGuaranteedRef { $0.takeSpareBlock() }
        let readCount = systemRead(descriptor, block, maxCount)
        guard readCount > 0 else {
            let code = errno
            home._withUnsafeGuaranteedRef { $0.returnSpareBlock(block) }
            if readCount == 0 { return 0 }
            if SocketCalls.failedForNow(code) { return nil }
            throw LibeventError("read", code: code)
        }
        storage = .block(block)
        blockStart = 0
        blockEnd = UInt16(readCount)
        didGrow()
        return readCount
    }

    /// Writes as much of the buffer as `descriptor` accepts now (file ranges with `sendfile`) and
    /// removes what was written. Returns the count written, or nil when the write would block.
    /// - Throws: `LibeventError` for write errors other than EAGAIN/EINTR (EPIPE, ECONNRESET...),
    ///   and `LibeventError.fileTruncated` when a file range at the front can no longer be sent
    ///   because its file has been cut shorter since it was added: the bytes promised cannot be
    ///   sent, and retrying would only spin.
    public func write(to descriptor: Int32) throws(LibeventError) -> Int? {
        if let bytes = blockBytes { return try write(bytes, to: descriptor) }
        let buffer = pointer
        var firstChunk = iovec()
        let written: Int
        // (evbuffer_peek with no length fills at most the vectors it is given, so it returns 1 for
        // any buffer that has bytes: one chunk is told by its length.)
        if !mayHoldFileRanges, evbuffer_peek(buffer, -1, nil, &firstChunk, 1) == 1,
           firstChunk.iov_len == evbuffer_get_length(buffer) {
            // All in one chunk of memory: a plain write, which the kernel takes more cheaply than
            // evbuffer_write's writev of one vector (like the plain read above). Several chunks go
            // out in one writev.
            written = systemWrite(descriptor, firstChunk.iov_base, firstChunk.iov_len)
            if written > 0 { evbuffer_drain(buffer, written) }
        } else {
            written = Int(evbuffer_write(buffer, descriptor))
        }
        if written > 0 { didShrink() }
        if written < 0 {
            if SocketCalls.failedForNow() { return nil }
            throw LibeventError.lastError("write")
        }
        // A socket takes at least one byte or fails with EAGAIN; only sendfile at the end of its
        // file writes nothing (nginx reports the same case as "file was truncated").
        if written == 0, mayHoldFileRanges, !isEmpty { throw .fileTruncated }
        return written
    }

    /// `write(to:)` for the bytes of a read block: one plain write.
    private func write(_ bytes: UnsafeMutableRawBufferPointer, to descriptor: Int32) throws(LibeventError) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        let written = systemWrite(descriptor, bytes.baseAddress, bytes.count)
        if written > 0 {
            blockStart += UInt16(written)
            didShrink()
            return written
        }
        if SocketCalls.failedForNow() { return nil }
        throw LibeventError.lastError("write")
    }
}

/// How many bytes the file `descriptor` has from `offset` on.
private func fileBytes(of descriptor: Int32, from offset: Int64) throws(LibeventError) -> Int64 {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw LibeventError.lastError("fstat") }
    guard offset <= Int64(status.st_size) else { throw LibeventError("evbuffer_add_file", code: EINVAL) }
    return Int64(status.st_size) - offset
}

/// Closes the descriptor of a segment made by `appendFile`, passed as its value plus one (so that
/// descriptor 0 is not a null pointer), once no buffer holds a part of it.
private func closeSegmentDescriptor(_: OpaquePointer?, _: Int32, _ argument: UnsafeMutableRawPointer?) {
    _ = close(Int32(Int(bitPattern: argument) - 1))
}

// The C library's read and write, which Buffer's own `read(from:upTo:)` and `write(to:)`, and
// `StreamSocket.writeAtOnce`, hide.
private func systemRead(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, bytes, count)
    #else
    Darwin.read(descriptor, bytes, count)
    #endif
}

func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}
