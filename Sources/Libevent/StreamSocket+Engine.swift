internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a `StreamSocket` asks for per read: it starts small, quadruples after a read that filled
/// the request and halves after two reads in a row that used less than a quarter of it (the
/// adaptive receive size of SwiftNIO and Netty, which grow faster still: four steps up their table,
/// x16 at these sizes). Quadrupling reads a new connection's first 64 KiB in one read event (1,984,
/// 8,128, 32,704 bytes and the rest); doubling took six reads over two events (2, 4, 8, 16, 32 KiB
/// and the rest), which made a burst of a thousand such connections 7-13 ms slower to answer than
/// a C server reading 64 KiB at once.
enum SocketReadSize {
    static let initial = 2048
    static let smallest = 1024
    static let largest = 65_536
    static let chunkHeaderAllowance = 64
    /// The most reads one read event makes, while each fills its request below `largest`.
    static let mostReadsPerEvent = 4

    /// The bytes a read of `size` asks for. Below the largest size, room is left for libevent's
    /// chunk header, so the chunk is one power-of-two allocation. The largest asks for all 64 KiB
    /// (a transient 128 KiB chunk), as SwiftNIO and a plain `read` into a 64 KiB array do: a
    /// pipelining client's 64 KiB batch (16 messages of 4 KiB) would otherwise arrive as 65,472
    /// bytes and a 64-byte tail, and the batch's last message would wait a whole loop iteration
    /// for its tail (p99 round trip at 1,000 such clients: 68-72 ms, against 49-53 ms whole).
    static func requestedBytes(atSize size: Int) -> Int {
        size == largest ? size : size - chunkHeaderAllowance
    }

    /// The size after a read of `count` bytes when `requested` were asked for; `lastReadWasSmall`
    /// carries the first of two small reads from one call to the next.
    ///
    /// Halving waits for the second small read because a message of exactly the size (4 KiB, say)
    /// arrives as a full read and a short tail: halving at the tail would bring the size back below
    /// the message, and every message would again be read, called back and echoed in two parts,
    /// the second held by Nagle's algorithm until the peer's next message acknowledged the first.
    static func next(after count: Int, requested: Int, current: Int, lastReadWasSmall: inout Bool) -> Int {
        if count >= requested {
            lastReadWasSmall = false
            return min(current * 4, largest)
        }
        guard count < current / 4 else {
            lastReadWasSmall = false
            return current
        }
        if lastReadWasSmall {
            lastReadWasSmall = false
            return max(current / 2, smallest)
        }
        lastReadWasSmall = true
        return current
    }
}

/// The stream engine beneath `StreamSocket`: one persistent read event on the descriptor, and a
/// one-shot write event only while output waits for the kernel.
///
/// - Reading: while reading is wanted, the read event stays registered; each time it fires, one
///   `read` goes straight into `input`'s memory, sized by `SocketReadSize`. Stopping is lazy (the
///   event is removed when it next fires while unwanted), so stop-and-restart costs nothing.
/// - Writing: appending to `output` schedules a flush that the base runs later in the same loop
///   iteration, for every socket that has output (or, from the socket's own read callback, as soon
///   as that returns): it writes at once (write, writev for several chunks, or sendfile for file
///   ranges, until the kernel stops taking bytes). Only when the kernel takes less than everything
///   does the socket make a write event and wait for writability, with the write timeout.
/// - Timeouts: a read timeout of a second or more is counted in rounds by the base's sweep for its
///   duration (ReadTimeoutSweep.swift), so a read only zeroes a counter. Shorter read timeouts and
///   write timeouts are libevent's timeouts on the events, in its common-timeout queues while few
///   distinct durations are in use (a re-arm is then O(1), not a timer-heap update).
/// - Memory: both buffers go back to the base's spares when empty (the `Buffer` object too, when
///   nothing else references it), so an idle connection holds only its object and its read event.
extension StreamSocket {
    /// Creates the read event for `descriptor` and makes it the socket's.
    func attachDescriptor(_ descriptor: Int32) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let read = event_new(base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), streamSocketReadCallback, context) else {
            throw LibeventError.lastError("event_new")
        }
        readEvent = read
    }

    /// Frees the events (which unregisters them); the descriptor stays open.
    func freeEvents() {
        stopReadTimeoutSweep()
        if let readEvent { event_free(readEvent) }
        readEvent = nil
        readArmed = false
        freeWriteEvent()
        flushScheduled = false
    }

    private func makeWriteEvent() -> OpaquePointer {
        if let writeEvent { return writeEvent }
        guard let event = event_new(base.pointer, descriptor, Int16(EV_WRITE), streamSocketWriteReady,
                                    Unmanaged.passUnretained(self).toOpaque()) else { fatalError("event_new: out of memory") }
        writeEvent = event
        return event
    }

    private func freeWriteEvent() {
        if let writeEvent { event_free(writeEvent) }
        writeEvent = nil
        writeArmed = false
    }

    /// Whether the socket should be reading now.
    private var shouldRead: Bool {
        wantsRead && !readingPausedForOutput && !closesWhenFlushed && !isConnecting
            && inputRoom > 0
    }

    /// The bytes the input may take before it reaches the read high-water mark (`Int.max` without
    /// one).
    private var inputRoom: Int {
        readHighWatermark > 0 ? readHighWatermark - inputCount : Int.max
    }

    /// Brings the events in line with what is wanted: registers the read event when reading starts
    /// (restarting its timeout), writes pending output, and unregisters the write event when writing
    /// is disabled.
    func updateInterest() {
        guard let readEvent, !isConnecting else { return }
        let shouldRead = self.shouldRead
        if shouldRead != readInterest {
            readInterest = shouldRead
            if shouldRead { startReading(readEvent) } else { stopReadTimeoutSweep() }
        }
        if !wantsWrite, writeArmed {
            freeWriteEvent()
        } else if wantsWrite, !flushScheduled, !writeArmed, outputCount > 0 {
            // (The flags first: after a read whose callback answered, the flush is already due and
            // the output's length need not be asked.)
            scheduleWrite()
        }
    }

    /// Has the base write the output later in this loop iteration, unless that is already due or
    /// the socket waits for writability. Called whenever `output` grows.
    func scheduleWrite() {
        guard readEvent != nil, wantsWrite, !isConnecting, !writeArmed, !flushScheduled else { return }
        flushScheduled = true
        // A read writes what its callback appended as soon as the callback returns.
        if !isHandlingInput { base.scheduleFlush(self) }
    }

    /// Writes `buffer`'s bytes straight to the kernel, past `output`, where that keeps the stream in
    /// order: the socket is open and connected, writing is enabled, and `output` is empty. Returns
    /// how many bytes the kernel took (removed from `buffer`): 0 when it took none or the socket
    /// cannot write at once. (The caller queues what is left in `output` as usual; a write error
    /// is met again there and reported as any other.)
    @usableFromInline package func writeAtOnce(from buffer: Buffer) -> Int {
        guard let descriptor = descriptorForWritingAtOnce else { return 0 }
        return ((try? buffer.write(to: descriptor)) ?? nil) ?? 0
    }

    /// The same for a copy of `bytes`.
    @usableFromInline package func writeAtOnce(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let descriptor = descriptorForWritingAtOnce else { return 0 }
        return max(0, systemWrite(descriptor, bytes.baseAddress, bytes.count))
    }

    /// The descriptor, when bytes written to it now would leave in order; nil otherwise.
    private var descriptorForWritingAtOnce: Int32? {
        guard isOpen, readEvent != nil, wantsWrite, !isConnecting, !closesWhenFlushed, outputCount == 0 else { return nil }
        return descriptor
    }

    /// Bytes left the input (called by `input`): below the high-water mark, reading resumes.
    func inputShrank() {
        if readHighWatermark > 0, isOpen { updateInterest() }
    }

    /// The base's flush: writes what `scheduleWrite()` asked for.
    func flushScheduledWrite() {
        flushScheduledWrite(to: descriptor)
    }

    /// The same, given the socket's `descriptor` (an event callback has it from libevent, which
    /// saves asking the read event for it).
    private func flushScheduledWrite(to descriptor: Int32) {
        guard flushScheduled else { return }
        flushScheduled = false
        writeOutput(to: descriptor)
    }

    /// Registers the read event (unless it is) and starts the read timeout: in the base's sweep
    /// for its duration, or else as libevent's timeout on the event, which each registration
    /// restarts.
    private func startReading(_ readEvent: OpaquePointer) {
        if let sweep = base.readTimeoutSweep(for: readTimeoutStorage) {
            if !readArmed { arm(readEvent, timeout: nil) }
            startReadTimeoutSweep(sweep)
        } else {
            arm(readEvent, timeout: readTimeout)
        }
        readArmed = true
    }

    func applyTimeouts(read: Duration?, write: Duration?) {
        // Whether the read event carries libevent's timeout now: the read timeout is not swept.
        let hadEventTimeout = readTimeout != nil && base.readTimeoutSweep(for: readTimeoutStorage) == nil
        stopReadTimeoutSweep()
        let clearsWrite = writeTimeout != nil && write == nil
        readTimeout = read
        writeTimeout = write
        if let readEvent, readArmed {
            let sweep = base.readTimeoutSweep(for: readTimeoutStorage)
            let eventTimeout = sweep == nil ? read : nil
            if hadEventTimeout, eventTimeout == nil {
                // A persistent event keeps its last timeout until it is assigned afresh.
                event_del(readEvent)
                event_assign(readEvent, base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), streamSocketReadCallback,
                             Unmanaged.passUnretained(self).toOpaque())
            }
            arm(readEvent, timeout: eventTimeout)
            if readInterest, let sweep { startReadTimeoutSweep(sweep) }
        }
        if let writeEvent, writeArmed {
            if clearsWrite { event_del(writeEvent) }
            arm(writeEvent, timeout: write)
        }
    }

    private func arm(_ event: OpaquePointer, timeout: Duration?) {
        // event_add fails only when the kernel refuses the registration (ENOMEM, or a descriptor
        // that is not pollable), which a connected TCP socket never is.
        precondition(base.addIOEvent(event, timeout: timeout) == 0, "event_add failed for a socket")
    }

    // MARK: Connecting

    func startConnecting(to address: SocketAddress) {
        isConnecting = true
        let result = SocketCalls.startConnect(descriptor, to: address)
        if result != EINPROGRESS {
            // Finished (or failed) at once: report it from the loop, never from inside this call.
            immediateConnectResult = result
            event_active(makeWriteEvent(), Int32(EV_WRITE), 0)
        } else {
            arm(makeWriteEvent(), timeout: writeTimeout)
            writeArmed = true
        }
    }

    private func finishConnecting(timedOut: Bool) {
        isConnecting = false
        freeWriteEvent()
        var code = immediateConnectResult ?? 0
        immediateConnectResult = nil
        if timedOut {
            code = ETIMEDOUT
        } else if code == 0 {
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
        }
        if code == 0 {
            streamDidReport(.connected)
        } else {
            wantsRead = false
            wantsWrite = false
            streamDidReport(.failed(LibeventError("connect", code: code)))
        }
    }

    // MARK: Events

    fileprivate func readReady(_ what: Int32, descriptor: Int32) {
        guard readInterest else {
            event_del(readEvent!)
            readArmed = false
            return
        }
        if what & EV_TIMEOUT != 0 {
            return stopReading(reporting: .readTimeout)
        }
        guard inputRoom > 0 else { return updateInterest() }
        var ending: Event?
        if readAvailableInput(from: descriptor, ending: &ending) {
            idleReadRounds = 0
            isHandlingInput = true
            streamDidRead()
            isHandlingInput = false
            guard isOpen else { return }
            releaseIdleInput()
            // An answer written by the read callback leaves now rather than after every other
            // socket's read: its memory is freed before the next socket reads, so a busy loop reuses
            // the same few chunks instead of growing the heap by a chunk per connection. (Nor does
            // the socket go through the base's list of sockets to flush: at the end of the loop
            // iteration, visiting a thousand sockets again would find each out of the CPU's cache.)
            flushScheduledWrite(to: descriptor)
        }
        // An end of stream found by reading on waits if the read callback stopped reading: the
        // kernel keeps it, and the first read after reading resumes finds it again (as with a
        // bufferevent, which reads once per event). A failure is reported at once.
        if let ending, isOpen, readInterest || ending != .endOfStream { stopReading(reporting: ending) }
    }

    /// Reads into `input` and adapts `readSize`; returns whether any bytes came. A read that fills a
    /// request below the largest size has most likely left bytes in the kernel, so it reads again
    /// at the grown size (up to `SocketReadSize.mostReadsPerEvent` reads) rather than a whole loop
    /// iteration later, as SwiftNIO does; at the largest size it reads once, so that no socket holds
    /// up the others. Sets `ending` when the stream ended or failed, to be reported after the bytes
    /// read before it (an end of stream, only while reading is still wanted then).
    private func readAvailableInput(from descriptor: Int32, ending: inout Event?) -> Bool {
        var reads = 0
        do {
            while reads < SocketReadSize.mostReadsPerEvent {
                let requested = min(SocketReadSize.requestedBytes(atSize: readSize), inputRoom)
                guard requested > 0, let count = try readIntoInput(from: descriptor, upTo: requested) else { break }
                guard count > 0 else {
                    ending = .endOfStream
                    break
                }
                reads += 1
                let sizeBefore = readSize
                readSize = SocketReadSize.next(after: count, requested: requested, current: readSize,
                                               lastReadWasSmall: &lastReadWasSmall)
                guard count >= requested, sizeBefore < SocketReadSize.largest else { break }
            }
        } catch {
            ending = .failed(error)
        }
        return reads > 0
    }

    private func stopReading(reporting event: Event) {
        wantsRead = false
        readInterest = false
        stopReadTimeoutSweep()
        event_del(readEvent!)
        readArmed = false
        streamDidReport(event)
    }

    fileprivate func writeReady(_ what: Int32, descriptor: Int32) {
        writeArmed = false
        if isConnecting { return finishConnecting(timedOut: what & EV_TIMEOUT != 0) }
        if what & EV_TIMEOUT != 0 {
            wantsWrite = false
            freeWriteEvent()
            return streamDidReport(.writeTimeout)
        }
        writeOutput(to: descriptor)
    }

    /// Writes as much of the output as the kernel takes to the socket's `descriptor`; waits for
    /// writability when bytes remain.
    private func writeOutput(to descriptor: Int32) {
        guard wantsWrite, outputCount > 0 else { return }
        do {
            let (written, drained) = try writeOutputToKernel(descriptor)
            if drained {
                freeWriteEvent()
            } else {
                arm(makeWriteEvent(), timeout: writeTimeout)
                writeArmed = true
            }
            if written > 0 { streamDidWrite(drained: drained) }
            if isOpen { releaseIdleOutput() }
        } catch {
            wantsWrite = false
            freeWriteEvent()
            streamDidReport(.failed(error))
        }
    }

    /// Writes the output, which holds bytes, until it is empty or the kernel stops taking bytes;
    /// returns the count written and whether the output is now empty.
    ///
    /// evbuffer_write stops where memory chunks give way to a file range (a response head followed
    /// by its file): the next part is written at once rather than a loop iteration later, but only
    /// after a write that took its whole first chunk. A shorter write means the socket buffer is
    /// full; writing the bits that free up meanwhile would send the peer many small segments.
    /// (A write shorter than the first chunk leaves bytes, so only a whole one asks the output for
    /// its length: one question a write, where each costs a call into libevent.)
    private func writeOutputToKernel(_ descriptor: Int32) throws(LibeventError) -> (written: Int, drained: Bool) {
        try withBorrowedOutput { output in
            Result { () throws(LibeventError) -> (written: Int, drained: Bool) in
                var written = 0
                for _ in 0..<8 {
                    let firstChunk = output.firstChunkLength
                    guard let count = try output.write(to: descriptor), count > 0 else { break }
                    written += count
                    guard count >= firstChunk else { break }
                    if output.isEmpty { return (written, true) }
                }
                return (written, false)
            }
        }.get()
    }

    /// Reads up to `maxCount` bytes from the socket's `descriptor` into `input`.
    private func readIntoInput(from descriptor: Int32, upTo maxCount: Int) throws(LibeventError) -> Int? {
        try withBorrowedInput { input in
            Result { () throws(LibeventError) in try input.read(from: descriptor, upTo: maxCount) }
        }.get()
    }
}

// MARK: Read timeouts in a sweep

extension StreamSocket {
    /// Has `sweep` (the base's for `readTimeout`) count this socket's idle rounds, from zero.
    private func startReadTimeoutSweep(_ sweep: ReadTimeoutSweep) {
        idleReadRounds = 0
        guard !isWatchedByReadTimeoutSweep else { return }
        isWatchedByReadTimeoutSweep = true
        sweep.watch()
    }

    /// Takes the socket out of its read-timeout sweep, if it is in one: reading stopped, the
    /// socket closed, or its timeout is about to change.
    func stopReadTimeoutSweep() {
        guard isWatchedByReadTimeoutSweep else { return }
        isWatchedByReadTimeoutSweep = false
        base.readTimeoutSweep(for: readTimeoutStorage)!.unwatch()
    }

    /// `sweep` counted its last idle round on this socket: the read timed out, unless a handler
    /// that ran after the count has since closed the socket or changed its reading or timeout.
    func readTimeoutExpired(in sweep: ReadTimeoutSweep) {
        guard isOpen, isWatchedByReadTimeoutSweep, readTimeoutStorage == sweep.duration,
              idleReadRounds >= sweep.rounds else { return }
        stopReading(reporting: .readTimeout)
    }

    /// The socket whose read event `event` is, or nil for any other event.
    static func readingSocket(of event: OpaquePointer) -> StreamSocket? {
        guard let callback = event_get_callback(event),
              unsafeBitCast(callback, to: UnsafeRawPointer.self) == unsafeBitCast(streamSocketReadCallback, to: UnsafeRawPointer.self),
              let context = event_get_callback_arg(event) else { return nil }
        return Unmanaged<StreamSocket>.fromOpaque(context).takeUnretainedValue()
    }
}

/// The read events' callback, one C function pointer that `readingSocket(of:)` can recognise.
private let streamSocketReadCallback: event_callback_fn = streamSocketReadReady

private func streamSocketReadReady(_ descriptor: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    StreamSocket.runEventCallback(context) { $0.readReady(Int32(what), descriptor: descriptor) }
}

private func streamSocketWriteReady(_ descriptor: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    StreamSocket.runEventCallback(context) { $0.writeReady(Int32(what), descriptor: descriptor) }
}

extension StreamSocket {
    /// Runs `body`, one of the events' callbacks, with the socket that `context` points to borrowed
    /// rather than retained (a retain and a release cost an echo message about 55 instructions).
    /// The socket's hold on itself keeps it alive during the call; a `close()` inside `body` leaves
    /// that hold to this function, which gives it up once the callback is over: however the last
    /// other reference goes meanwhile, the socket outlives its callback. One marker per base is
    /// enough: the callbacks of a base's events never nest, since libevent refuses to run a base's
    /// loop from inside one of its callbacks.
    @inline(__always)
    fileprivate static func runEventCallback(_ context: UnsafeMutableRawPointer?, _ body: (StreamSocket) -> Void) {
        let unmanaged = Unmanaged<StreamSocket>.fromOpaque(context!)
        let closedMeanwhile = unmanaged._withUnsafeGuaranteedRef { socket in
            let base = socket.base
            base.socketInCallback = unmanaged.toOpaque()
            body(socket)
            let closed = base.socketInCallback == nil
            base.socketInCallback = nil
            return closed
        }
        if closedMeanwhile { unmanaged.release() }
    }

    /// Gives up the socket's hold on itself, which `close()` does: at once, or when the socket's
    /// event callback that is running now returns.
    func releaseSelfRetain() {
        if base.socketInCallback == Unmanaged.passUnretained(self).toOpaque() {
            base.socketInCallback = nil
        } else {
            Unmanaged.passUnretained(self).release()
        }
    }
}
