internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected (or connecting) TCP socket with an input and an output `Buffer`, driven by the loop:
/// libevent's socket bufferevent, reporting to methods that a subclass overrides.
///
/// Bytes that arrive are appended to `input` and `didReceiveInput()` runs; bytes appended to `output`
/// are written by the loop, and `didDrainOutput()` runs when the output has drained (to its low-water
/// mark, 0 by default). `didReport(_:)` tells the connection's life: connected, end of stream, a
/// timeout, or an error; `didClose()` runs once it is closed.
///
/// Subclass it when a type owns many sockets (a socket then costs one object, with no closure slots
/// and no closure contexts); otherwise use `BufferedSocket`, which reports to closures.
///
/// The socket owns its descriptor and keeps itself alive until `close()`, like the descriptor it
/// wraps: there is no need to store it, and it must be closed. Writing is enabled from the start;
/// reading starts with `enable(.read)`.
///
/// Backpressure: set `outputLimit` and the socket stops reading while its output holds more than
/// that, resuming when the output has drained to half of it, so a peer that sends without reading
/// cannot make the output grow without bound.
///
/// Beneath the bufferevent-shaped API the socket drives its descriptor with two plain events (see
/// StreamSocket+Engine.swift): it reads in chunks that grow with the traffic, up to 64 KiB, straight
/// into `input`, and writes `output` from the loop iteration in which it was filled, without waiting
/// for the kernel to report the socket writable. libevent 2.1's own socket bufferevent reads at most
/// 4 KiB per call and re-registers for writability on every message.
open class StreamSocket {
    /// What happened to the connection, as reported to `didReport(_:)`.
    public enum Event: Equatable, Sendable {
        /// `connect(to:)` succeeded.
        case connected
        /// The peer closed its side (read returned 0). Reading is disabled. Reported only while
        /// reading is enabled: a socket that stops reading hears of it once it reads again.
        case endOfStream
        /// No byte arrived within the read timeout. Reading is disabled; `enable(.read)` restarts it.
        case readTimeout
        /// The output did not drain within the write timeout. Writing is disabled.
        case writeTimeout
        /// The connection failed (connect, read or write error, such as ECONNRESET or EPIPE).
        case failed(LibeventError)
    }

    /// Directions of I/O: reading, writing, or both.
    public struct Directions: OptionSet, Sendable {
        /// The raw `EV_READ` / `EV_WRITE` bits.
        public let rawValue: Int16
        /// Directions from raw `EV_*` bits.
        public init(rawValue: Int16) { self.rawValue = rawValue }

        /// Reading from the socket into `input`.
        public static let read = Directions(rawValue: Int16(EV_READ))
        /// Writing `output` to the socket.
        public static let write = Directions(rawValue: Int16(EV_WRITE))
    }

    /// Bytes received and not yet consumed. Valid until `close()`.
    ///
    /// Between callbacks, an empty input that nothing else references goes back to the base for
    /// another socket (an idle connection holds no `Buffer` objects), and `input` later returns a
    /// fresh one. Keep a reference to keep the same object.
    public var input: Buffer {
        if inputBuffer == nil { attachSpareBuffer(as: .socketInput) }
        return inputBuffer.unsafelyUnwrapped
    }

    /// Bytes queued for sending. Valid until `close()`.
    ///
    /// Like `input`, an empty output that nothing else references goes back to the base once
    /// written, and `output` later returns a fresh one.
    public var output: Buffer {
        if outputBuffer == nil { attachSpareBuffer(as: .socketOutput) }
        return outputBuffer.unsafelyUnwrapped
    }

    /// Gives the socket a `Buffer` object for its input or output, which has none now. (It returns
    /// nothing: a returned object cost a retain and a release where the caller only needs the
    /// socket to hold it, as the borrowing calls below do.)
    private func attachSpareBuffer(as role: Buffer.Role) {
        checkOpen()
        let buffer = base.takeSpareSocketBuffer(for: self, role: role)
        if role == .socketInput { inputBuffer = buffer } else { outputBuffer = buffer }
    }

    /// The number of bytes in `input`, without making a `Buffer` object for an empty one.
    @usableFromInline package var inputCount: Int { inputBuffer?.count ?? 0 }

    /// The number of bytes in `output`, without making a `Buffer` object for an empty one.
    @usableFromInline package var outputCount: Int { outputBuffer?.count ?? 0 }

    /// Calls `body` with `input` borrowed: without the retain and release around the call that a
    /// use of `input` costs. Only for the socket's own bookkeeping (reading into the input, moving
    /// bytes out of it), which runs no user code and so cannot let go of the object meanwhile.
    func withBorrowedInput<Value>(_ body: (Buffer) -> Value) -> Value {
        if inputBuffer == nil { attachSpareBuffer(as: .socketInput) }
        return Unmanaged.passUnretained(inputBuffer.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
    }

    /// The same for `output` (writing it to the kernel).
    func withBorrowedOutput<Value>(_ body: (Buffer) -> Value) -> Value {
        if outputBuffer == nil { attachSpareBuffer(as: .socketOutput) }
        return Unmanaged.passUnretained(outputBuffer.unsafelyUnwrapped)._withUnsafeGuaranteedRef(body)
    }

    /// Moves up to `count` bytes from the front of `input` to the end of `buffer`, as
    /// `buffer.move(upTo: count, from: input)` does, without a `Buffer` object for an empty input
    /// and without retaining the input's (a completion-model read completes this way). Returns
    /// how many bytes moved.
    @usableFromInline package func moveInput(upTo count: Int, into buffer: Buffer) -> Int {
        guard inputBuffer != nil else { return 0 }
        return withBorrowedInput { buffer.move(upTo: count, from: $0) }
    }

    /// Whether the socket holds a `Buffer` object for its input or output now (tests, diagnostics).
    package var holdsBufferObjects: Bool { inputBuffer != nil || outputBuffer != nil }

    /// When set, reading stops while `output` holds more than this many bytes and resumes when it has
    /// drained to half of it. Limits above 2 GiB count as 2 GiB.
    public var outputLimit: Int? {
        get { outputLimitBytes < 0 ? nil : Int(outputLimitBytes) }
        set { outputLimitBytes = newValue.map { Int32(clamping: max(0, $0)) } ?? -1 }
    }

    let base: EventBase

    // The state below belongs to the stream engine (StreamSocket+Engine.swift). An idle
    // connection is mostly this object, so it is kept small: no optionals that need a tag byte,
    // timeouts in microseconds, the output limit in 32 bits, the flags and the read size in one
    // 16-bit word, the descriptor read from the read event, and what most sockets never need in a
    // box of its own. The fields end at byte 80 of the object, so that a subclass can add three
    // words and still fit a 112-byte allocation (the completion model's connection sockets do).

    // The hot stored properties below skip Swift's run-time exclusivity check (which cost ~7% of
    // the CPU of a completion-model echo): they are private to this object, used on the base's
    // thread only, and no access to them spans a call that could reach back into them.
    @exclusivity(unchecked) private var inputBuffer: Buffer?
    @exclusivity(unchecked) private var outputBuffer: Buffer?
    /// The event on the descriptor for reading, from `attachDescriptor` to `close()`.
    @exclusivity(unchecked) var readEvent: OpaquePointer?
    @exclusivity(unchecked) private(set) var readTimeoutStorage = CompactTimeout(nil)
    @exclusivity(unchecked) private var writeTimeoutStorage = CompactTimeout(nil)
    @exclusivity(unchecked) private var uncommon: UncommonState?
    @exclusivity(unchecked) private var outputLimitBytes: Int32 = -1
    @exclusivity(unchecked) private var flags: Flags = [.isOpen, .wantsWrite]
    /// The rounds of the base's read-timeout sweep since the last read, while the sweep watches the
    /// socket (ReadTimeoutSweep.swift).
    @exclusivity(unchecked) var idleReadRounds: UInt16 = 0

    /// What most sockets never set (watermarks) or need only while connecting or while a write
    /// waits for the kernel, in a box made only when needed.
    private final class UncommonState {
        /// See `writeEvent`.
        var writeEvent: OpaquePointer?
        var readLowMark: Int32 = 0
        var readHighMark: Int32 = 0
        var writeLowMark: Int32 = 0
        /// The outcome of a connect that finished at once (errno, 0 for success), or -1.
        var immediateConnectCode: Int32 = -1
    }

    /// The socket's descriptor, or -1 once closed (or before `connect(to:)`).
    public var descriptor: Int32 {
        guard let readEvent else { return -1 }
        return event_get_fd(readEvent)
    }

    /// Made when a write must wait for the kernel (or a connect completes), freed once the output
    /// has drained: most sockets write everything at once and never need one.
    var writeEvent: OpaquePointer? {
        get { uncommon?.writeEvent }
        set { uncommonState(creatingIf: newValue != nil)?.writeEvent = newValue }
    }

    /// The box of uncommon state, made first if `needed` (storing a default needs no box).
    private func uncommonState(creatingIf needed: Bool) -> UncommonState? {
        if uncommon == nil, needed { uncommon = UncommonState() }
        return uncommon
    }

    /// The engine's yes/no state, one bit each, and (in bits 12 to 14) the read size.
    private struct Flags: OptionSet {
        let rawValue: UInt16
        static let isOpen = Flags(rawValue: 1 << 0)
        static let wantsRead = Flags(rawValue: 1 << 1)
        static let wantsWrite = Flags(rawValue: 1 << 2)
        static let readInterest = Flags(rawValue: 1 << 3)
        static let readArmed = Flags(rawValue: 1 << 4)
        static let writeArmed = Flags(rawValue: 1 << 5)
        static let flushScheduled = Flags(rawValue: 1 << 6)
        static let isConnecting = Flags(rawValue: 1 << 7)
        static let readingPausedForOutput = Flags(rawValue: 1 << 8)
        static let closesWhenFlushed = Flags(rawValue: 1 << 9)
        static let lastReadWasSmall = Flags(rawValue: 1 << 10)
        static let isHandlingInput = Flags(rawValue: 1 << 11)
        static let isWatchedByReadTimeoutSweep = Flags(rawValue: 1 << 15)
        /// Where `readSize` is kept: log2(size / SocketReadSize.smallest), 0 to 6.
        static let readSizeShift: UInt16 = 12
        static let readSizeMask: UInt16 = 7 << readSizeShift
    }

    private func flag(_ flag: Flags) -> Bool { flags.contains(flag) }

    private func setFlag(_ flag: Flags, _ value: Bool) {
        if value { flags.insert(flag) } else { flags.remove(flag) }
    }

    /// Whether `close()` has not been called yet.
    public private(set) var isOpen: Bool {
        get { flag(.isOpen) }
        set { setFlag(.isOpen, newValue) }
    }
    var wantsRead: Bool {
        get { flag(.wantsRead) }
        set { setFlag(.wantsRead, newValue) }
    }
    var wantsWrite: Bool {
        get { flag(.wantsWrite) }
        set { setFlag(.wantsWrite, newValue) }
    }
    /// Whether reading is wanted now, all conditions considered (see `shouldRead`).
    var readInterest: Bool {
        get { flag(.readInterest) }
        set { setFlag(.readInterest, newValue) }
    }
    /// Whether `readEvent` is registered with the loop. Reading stops lazily: the event stays
    /// registered until it next fires, so stopping and restarting within one loop iteration (what
    /// a completion-port read does) costs no system call.
    var readArmed: Bool {
        get { flag(.readArmed) }
        set { setFlag(.readArmed, newValue) }
    }
    /// Whether `writeEvent` waits for the kernel to report the socket writable.
    var writeArmed: Bool {
        get { flag(.writeArmed) }
        set { setFlag(.writeArmed, newValue) }
    }
    /// Whether the base will write this socket's output later in this loop iteration.
    var flushScheduled: Bool {
        get { flag(.flushScheduled) }
        set { setFlag(.flushScheduled, newValue) }
    }
    var isConnecting: Bool {
        get { flag(.isConnecting) }
        set { setFlag(.isConnecting, newValue) }
    }
    var readingPausedForOutput: Bool {
        get { flag(.readingPausedForOutput) }
        set { setFlag(.readingPausedForOutput, newValue) }
    }
    var closesWhenFlushed: Bool {
        get { flag(.closesWhenFlushed) }
        set { setFlag(.closesWhenFlushed, newValue) }
    }
    /// Whether the last read was the first of two small ones that halve `readSize`.
    var lastReadWasSmall: Bool {
        get { flag(.lastReadWasSmall) }
        set { setFlag(.lastReadWasSmall, newValue) }
    }
    /// Whether `didReceiveInput()` is running from a read: output it appends is written when it
    /// returns, so the socket need not be queued for the base's flush.
    var isHandlingInput: Bool {
        get { flag(.isHandlingInput) }
        set { setFlag(.isHandlingInput, newValue) }
    }
    /// Whether the base's sweep for `readTimeout` counts this socket's idle rounds: while reading
    /// is wanted with a swept duration.
    var isWatchedByReadTimeoutSweep: Bool {
        get { flag(.isWatchedByReadTimeoutSweep) }
        set { setFlag(.isWatchedByReadTimeoutSweep, newValue) }
    }
    /// The outcome of a connect that finished at once (errno, 0 for success), or nil.
    var immediateConnectResult: Int32? {
        get { uncommon.flatMap { $0.immediateConnectCode < 0 ? nil : $0.immediateConnectCode } }
        set { uncommonState(creatingIf: newValue != nil)?.immediateConnectCode = newValue ?? -1 }
    }
    /// The size of the next read, a power of two from `SocketReadSize.smallest` to `.largest`;
    /// doubles after a read that filled it, halves after small ones.
    var readSize: Int {
        get { SocketReadSize.smallest << Int((flags.rawValue & Flags.readSizeMask) >> Flags.readSizeShift) }
        set {
            precondition(newValue.nonzeroBitCount == 1 && newValue >= SocketReadSize.smallest
                         && newValue <= SocketReadSize.largest, "read size \(newValue) is not a power of two in range")
            let exponent = UInt16(newValue.trailingZeroBitCount - SocketReadSize.smallest.trailingZeroBitCount)
            flags = Flags(rawValue: flags.rawValue & ~Flags.readSizeMask | exponent << Flags.readSizeShift)
        }
    }

    var readTimeout: Duration? {
        get { readTimeoutStorage.duration }
        set { readTimeoutStorage = CompactTimeout(newValue) }
    }
    var writeTimeout: Duration? {
        get { writeTimeoutStorage.duration }
        set { writeTimeoutStorage = CompactTimeout(newValue) }
    }
    var readLowWatermark: Int { Int(uncommon?.readLowMark ?? 0) }
    var readHighWatermark: Int { Int(uncommon?.readHighMark ?? 0) }
    var writeLowWatermark: Int { Int(uncommon?.writeLowMark ?? 0) }

    /// Wraps the connected, non-blocking socket `descriptor`, which the new object owns and closes.
    ///
    /// - Throws: `LibeventError` when libevent cannot allocate the socket's events or buffers (the
    ///   descriptor is then closed too), and EBADF for a negative descriptor (the -1 of a failed
    ///   `accept` or `socket`), which would otherwise make a socket that silently never connects.
    public init(base: EventBase, descriptor: Int32) throws {
        guard descriptor >= 0 else { throw LibeventError("StreamSocket", code: EBADF) }
        self.base = base
        try setUp(adopting: descriptor)
    }

    /// An unconnected socket; call `connect(to:)` to open a connection.
    ///
    /// - Throws: `LibeventError` when libevent cannot allocate the socket's buffers.
    public init(base: EventBase) throws {
        self.base = base
        try setUp(adopting: -1)
    }

    private func setUp(adopting descriptor: Int32) throws {
        base.confinement.check()
        readSize = SocketReadSize.initial
        if descriptor >= 0 {
            try SocketCalls.closingOnError(descriptor) { try attachDescriptor(descriptor) }
        }
        _ = Unmanaged.passRetained(self)  // released by close(): an open socket keeps itself alive
    }

    deinit {
        freeEvents()
    }

    /// Starts connecting to `address`; `didReport(_:)` later gets `.connected` or `.failed`.
    ///
    /// - Throws: `LibeventError` when the connection cannot even be started (no socket could be
    ///   made); a refused or unreachable peer is reported to `didReport(_:)` instead.
    public func connect(to address: SocketAddress) throws {
        checkOpen()
        precondition(descriptor < 0, "connect(to:) on a socket that already has a connection")
        let descriptor = try SocketCalls.makeSocket(for: address, type: SocketCalls.streamType)
        try SocketCalls.closingOnError(descriptor) { try attachDescriptor(descriptor) }
        startConnecting(to: address)
    }

    /// Starts reading and/or writing. Enabling a direction that is already enabled changes nothing
    /// (and costs a few instructions: a completion-model read enables reading twice a message).
    public func enable(_ directions: Directions) {
        setWanted(directions, true)
    }

    /// Stops reading and/or writing (bytes stay queued).
    public func disable(_ directions: Directions) {
        setWanted(directions, false)
    }

    /// Whether `directions` are wanted, for `enable` and `disable`. The events are brought in line
    /// only when that changed what is wanted: every other change of state brings them in line as it
    /// happens, so otherwise they already are.
    private func setWanted(_ directions: Directions, _ wanted: Bool) {
        checkOpen()
        let before = flags
        if directions.contains(.read) { wantsRead = wanted }
        if directions.contains(.write) { wantsWrite = wanted }
        if flags != before { updateInterest() }
    }

    /// Sets the read watermarks: `didReceiveInput()` runs only once `input` holds at least `low`
    /// bytes, and reading pauses while it holds `high` or more (0: no limit), resuming once it has
    /// been drained below `high`.
    public func setReadWatermarks(low: Int, high: Int = 0) {
        checkOpen()
        let state = uncommonState(creatingIf: low > 0 || high > 0)
        state?.readLowMark = Int32(clamping: max(0, low))
        state?.readHighMark = Int32(clamping: max(0, high))
        updateInterest()
    }

    /// Sets the write low-water mark: `didDrainOutput()` runs when `output` has drained to `low`
    /// bytes or fewer.
    public func setWriteLowWatermark(_ low: Int) {
        checkOpen()
        uncommonState(creatingIf: low > 0)?.writeLowMark = Int32(clamping: max(0, low))
    }

    /// Sets the read and write timeouts (nil: none). A timeout is reported to `didReport(_:)` and
    /// disables that direction. The read timeout restarts with every read; the write timeout runs
    /// while output waits for the peer to take it.
    ///
    /// A read timeout of a second or more is checked in rounds, for every socket of the base with
    /// that duration at once, so that a read costs no timer update: it fires up to a fifteenth of
    /// the duration (and at most a second) after it expires. Shorter ones, and write timeouts, fire
    /// on time.
    public func setTimeouts(read: Duration?, write: Duration?) {
        checkOpen()
        applyTimeouts(read: read, write: write)
    }

    /// Turns Nagle's algorithm off (TCP_NODELAY) or back on. With it on (the kernel's default), a
    /// small write that follows another waits for the peer's acknowledgement, which a peer that
    /// delays its ACKs holds for up to 40 ms: a response head and a small body written separately
    /// then take 40 ms. Request/response servers want it off.
    ///
    /// - Throws: `LibeventError` when the option cannot be set (not a TCP socket, or not connected).
    public func setNoDelay(_ enabled: Bool) throws {
        checkOpen()
        try SocketCalls.setOption(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, enabled ? 1 : 0, "TCP_NODELAY")
    }

    /// Holds back partial segments (TCP_CORK on Linux, TCP_NOPUSH on BSD and macOS) or lets them go.
    /// While corked, the kernel sends only full segments; turning it off sends the rest at once.
    /// A large file sent with sendfile otherwise leaves in many page-sized segments, which cost
    /// the receiver far more to take in (nginx's `tcp_nopush`).
    ///
    /// - Throws: `LibeventError` when the option cannot be set (not a TCP socket, or not connected).
    public func setCorked(_ corked: Bool) throws {
        checkOpen()
        #if os(Linux)
        try SocketCalls.setOption(descriptor, Int32(IPPROTO_TCP), Int32(TCP_CORK), corked ? 1 : 0, "TCP_CORK")
        #else
        try SocketCalls.setOption(descriptor, Int32(IPPROTO_TCP), TCP_NOPUSH, corked ? 1 : 0, "TCP_NOPUSH")
        #endif
    }

    /// Closes the connection now: pending output is discarded, the descriptor is closed, handlers are
    /// dropped and the socket stops keeping itself alive. Safe from inside its own callbacks, and more
    /// than once.
    public func close() {
        close(lingering: false)
    }

    /// `close()`; with `lingering`, the descriptor is handed to the base's lingering close instead
    /// of closed at once, so that what the kernel still holds for the peer reaches it.
    private func close(lingering: Bool) {
        base.confinement.check()
        guard isOpen else { return }
        isOpen = false
        let descriptor = self.descriptor
        freeEvents()  // which makes `descriptor` -1
        if descriptor >= 0 {
            if lingering { base.closeLingering(descriptor) } else { SocketCalls.closeDescriptor(descriptor) }
        }
        inputBuffer?.freeStorage()
        inputBuffer = nil
        outputBuffer?.freeStorage()
        outputBuffer = nil
        didClose()
        releaseSelfRetain()
    }

    /// Stops reading, then closes once everything queued in `output` has been written (or at once if
    /// it is empty, or when writing fails or times out). `didDrainOutput()` and `didReport(_:)` still
    /// run meanwhile.
    ///
    /// The socket closes gracefully, so that the peer receives everything written, as with nginx's
    /// lingering close: a plain `close()` with unread input would make the kernel reset the
    /// connection, which destroys output not yet delivered. So the kernel sends the end of stream
    /// after the last bytes, and whatever the peer still sends is read and thrown away until it
    /// closes too (for at most 5 s, or 2 s of quiet) before the descriptor is closed;
    /// `EventBase.run()` runs on until then. With no input waiting and all output acknowledged,
    /// nothing is at risk and the descriptor is closed at once. Either way the socket itself is
    /// closed at once (`isOpen` false, handlers dropped); a failed or timed-out write closes it
    /// without lingering.
    public func closeAfterFlushing() {
        guard isOpen else { return }
        guard outputCount > 0 else { return close(lingering: true) }
        closesWhenFlushed = true
        wantsWrite = true
        updateInterest()
    }

    /// Hands the input's `Buffer` object back to the base when it is empty and only the socket
    /// references it; otherwise gives back just its evbuffer if it is empty.
    func releaseIdleInput() {
        releaseIdle(&inputBuffer)
    }

    /// The same for the output.
    func releaseIdleOutput() {
        releaseIdle(&outputBuffer)
    }

    private func releaseIdle(_ buffer: inout Buffer?) {
        guard buffer?.releaseStorageIfEmpty() == true else { return }
        guard isKnownUniquelyReferenced(&buffer), let idle = buffer.take() else { return }
        base.returnSpareSocketBuffer(idle)
    }

    private func checkOpen() {
        base.confinement.check()
        precondition(isOpen, "StreamSocket used after close()")
    }

    // MARK: What a subclass overrides

    /// Runs from the loop when bytes were appended to `input` and it holds at least the read
    /// low-water mark. Does nothing unless overridden.
    open func didReceiveInput() {}

    /// Runs from the loop when a write has drained `output` to the write low-water mark. Does
    /// nothing unless overridden.
    open func didDrainOutput() {}

    /// Runs from the loop when the connection connects, ends, times out or fails. Does nothing
    /// unless overridden.
    open func didReport(_ event: Event) {}

    /// Runs once when the socket closes, whether by `close()` or when `closeAfterFlushing()`
    /// finishes; the socket is already closed. Does nothing unless overridden.
    open func didClose() {}

    // MARK: What the stream engine reports

    /// Bytes were appended to `input`.
    func streamDidRead() {
        let lowMark = readLowWatermark
        if lowMark == 0 || inputCount >= lowMark { didReceiveInput() }
        guard isOpen else { return }
        if let outputLimit, !readingPausedForOutput, outputCount > outputLimit {
            readingPausedForOutput = true
        }
        updateInterest()
    }

    /// Bytes of `output` were written; `drained` when none are left.
    func streamDidWrite(drained: Bool) {
        let drainMark = readingPausedForOutput ? (outputLimit ?? 0) / 2 : closesWhenFlushed ? 0 : writeLowWatermark
        guard drained || outputCount <= drainMark else { return }
        if readingPausedForOutput {
            readingPausedForOutput = false
            updateInterest()
        }
        didDrainOutput()
        if closesWhenFlushed, isOpen, outputCount == 0 { close(lingering: true) }
    }

    /// The connection connected, ended, timed out or failed (the engine has already stopped the
    /// direction concerned).
    func streamDidReport(_ event: Event) {
        didReport(event)
        guard isOpen else { return }
        if closesWhenFlushed, event != .connected { return close() }
        updateInterest()
    }
}
