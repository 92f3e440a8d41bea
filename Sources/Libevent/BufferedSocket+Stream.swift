internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a `BufferedSocket` asks for per read: it starts small, doubles after a read that filled
/// the request and halves after reads that used less than a quarter of it (the adaptive receive
/// size of SwiftNIO and Netty). The sizes leave room for libevent's chunk header, so a chunk is one
/// power-of-two allocation.
enum SocketReadSize {
    static let initial = 2048
    static let smallest = 1024
    static let largest = 65_536
    static let chunkHeaderAllowance = 64

    /// The size after a read of `count` bytes when `requested` were asked for.
    static func next(after count: Int, requested: Int, current: Int) -> Int {
        if count >= requested { return min(current * 2, largest) }
        if count < current / 4 { return max(current / 2, smallest) }
        return current
    }
}

/// The stream engine beneath `BufferedSocket`: one persistent read event and one one-shot write
/// event on the descriptor.
///
/// - Reading: while reading is wanted, the read event stays registered; each time it fires, one
///   `readv` goes straight into `input`'s memory, sized by `SocketReadSize`. Stopping is lazy (the
///   event is removed when it next fires while unwanted), so stop-and-restart costs nothing.
/// - Writing: appending to `output` activates the write event, which runs later in the same loop
///   iteration and writes at once (writev, or sendfile for file ranges, until the kernel stops
///   taking bytes). Only when it takes less than everything does the event wait for writability,
///   with the write timeout.
extension BufferedSocket {
    /// Creates the events for `descriptor` and makes it the socket's.
    func attachDescriptor(_ descriptor: Int32) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let read = event_new(base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), bufferedSocketReadReady, context) else {
            throw LibeventError.lastError("event_new")
        }
        guard let write = event_new(base.pointer, descriptor, Int16(EV_WRITE), bufferedSocketWriteReady, context) else {
            event_free(read)
            throw LibeventError.lastError("event_new")
        }
        readEvent = read
        writeEvent = write
        self.descriptor = descriptor
    }

    /// Frees the events (which unregisters them); the descriptor stays open.
    func freeEvents() {
        if let readEvent { event_free(readEvent) }
        if let writeEvent { event_free(writeEvent) }
        if let inputWatch, let input = input.pointerIfOpen { evbuffer_remove_cb_entry(input, inputWatch) }
        readEvent = nil
        writeEvent = nil
        inputWatch = nil
        readArmed = false
        writeArmed = false
        writeActivated = false
    }

    /// Whether the socket should be reading now.
    private var shouldRead: Bool {
        wantsRead && !readingPausedForOutput && !closesWhenFlushed && !isConnecting
            && (readHighWatermark == 0 || input.count < readHighWatermark)
    }

    /// Brings the events in line with what is wanted: registers the read event when reading starts
    /// (restarting its timeout), writes pending output, and unregisters the write event when writing
    /// is disabled.
    func updateInterest() {
        guard let readEvent, let writeEvent, !isConnecting else { return }
        let shouldRead = self.shouldRead
        if shouldRead != readInterest {
            readInterest = shouldRead
            if shouldRead { arm(readEvent, timeout: readTimeout); readArmed = true }
        }
        if !wantsWrite, writeArmed {
            event_del(writeEvent)
            writeArmed = false
        } else if wantsWrite, !output.isEmpty {
            scheduleWrite()
        }
    }

    /// Makes the write event run in this loop iteration, unless it is already due or waiting for
    /// writability.
    func scheduleWrite() {
        guard let writeEvent, wantsWrite, !isConnecting, !writeArmed, !writeActivated else { return }
        writeActivated = true
        event_active(writeEvent, Int32(EV_WRITE), 0)
    }

    func applyTimeouts(read: Duration?, write: Duration?) {
        let clearsRead = readTimeout != nil && read == nil
        let clearsWrite = writeTimeout != nil && write == nil
        readTimeout = read
        writeTimeout = write
        if let readEvent, readArmed {
            if clearsRead {
                // A persistent event keeps its last timeout until it is assigned afresh.
                event_del(readEvent)
                event_assign(readEvent, base.pointer, descriptor, Int16(EV_READ | EV_PERSIST), bufferedSocketReadReady,
                             Unmanaged.passUnretained(self).toOpaque())
            }
            arm(readEvent, timeout: read)
        }
        if let writeEvent, writeArmed {
            if clearsWrite { event_del(writeEvent) }
            arm(writeEvent, timeout: write)
        }
    }

    private func arm(_ event: OpaquePointer, timeout: Duration?) {
        // event_add fails only when the kernel refuses the registration (ENOMEM, or a descriptor
        // that is not pollable), which a connected TCP socket never is.
        let result = withOptionalTimeval(timeout) { event_add(event, $0) }
        precondition(result == 0, "event_add failed for a socket")
    }

    /// Resumes reading when a drain takes the input back below the high-water mark.
    func watchInputDrain() {
        guard inputWatch == nil else { return }
        inputWatch = evbuffer_add_cb(input.pointer, bufferedSocketInputChanged, Unmanaged.passUnretained(self).toOpaque())
    }

    // MARK: Connecting

    func startConnecting(to address: SocketAddress) {
        isConnecting = true
        let result = SocketCalls.startConnect(descriptor, to: address)
        if result != EINPROGRESS {
            // Finished (or failed) at once: report it from the loop, never from inside this call.
            immediateConnectResult = result
            writeActivated = true
            event_active(writeEvent!, Int32(EV_WRITE), 0)
        } else {
            arm(writeEvent!, timeout: writeTimeout)
            writeArmed = true
        }
    }

    private func finishConnecting(timedOut: Bool) {
        isConnecting = false
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

    fileprivate func readReady(_ what: Int32) {
        guard readInterest else {
            event_del(readEvent!)
            readArmed = false
            return
        }
        if what & EV_TIMEOUT != 0 {
            return stopReading(reporting: .readTimeout)
        }
        let requested = min(readSize - SocketReadSize.chunkHeaderAllowance,
                            readHighWatermark > 0 ? readHighWatermark - input.count : Int.max)
        guard requested > 0 else { return updateInterest() }
        do {
            guard let count = try input.read(from: descriptor, upTo: requested) else { return }
            guard count > 0 else { return stopReading(reporting: .endOfStream) }
            readSize = SocketReadSize.next(after: count, requested: requested, current: readSize)
            streamDidRead()
        } catch {
            stopReading(reporting: .failed(error))
        }
    }

    private func stopReading(reporting event: Event) {
        wantsRead = false
        readInterest = false
        event_del(readEvent!)
        readArmed = false
        streamDidReport(event)
    }

    fileprivate func writeReady(_ what: Int32) {
        writeActivated = false
        writeArmed = false
        if isConnecting { return finishConnecting(timedOut: what & EV_TIMEOUT != 0) }
        if what & EV_TIMEOUT != 0 {
            wantsWrite = false
            return streamDidReport(.writeTimeout)
        }
        guard wantsWrite, !output.isEmpty else { return }
        do {
            // evbuffer_write stops where memory chunks give way to a file range (a response head
            // followed by its file): keep writing while the kernel takes bytes, rather than wait a
            // loop iteration for each part.
            var written = 0
            for _ in 0..<8 where !output.isEmpty {
                guard let count = try output.write(to: descriptor), count > 0 else { break }
                written += count
            }
            if !output.isEmpty {
                arm(writeEvent!, timeout: writeTimeout)
                writeArmed = true
            }
            if written > 0 { streamDidWrite() }
        } catch {
            wantsWrite = false
            streamDidReport(.failed(error))
        }
    }

    fileprivate func inputDrained() {
        if readHighWatermark > 0, isOpen { updateInterest() }
    }
}

private func bufferedSocketReadReady(_: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().readReady(Int32(what))
}

private func bufferedSocketWriteReady(_: Int32, _ what: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().writeReady(Int32(what))
}

/// Output callback: new bytes in `output` are written before the loop next waits.
func bufferedSocketOutputChanged(_: OpaquePointer?, _ info: UnsafePointer<evbuffer_cb_info>?,
                                 _ context: UnsafeMutableRawPointer?) {
    guard let info, info.pointee.n_added > 0 else { return }
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().scheduleWrite()
}

private func bufferedSocketInputChanged(_: OpaquePointer?, _ info: UnsafePointer<evbuffer_cb_info>?,
                                        _ context: UnsafeMutableRawPointer?) {
    guard let info, info.pointee.n_deleted > 0 else { return }
    Unmanaged<BufferedSocket>.fromOpaque(context!).takeUnretainedValue().inputDrained()
}
