internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the sockets of a base share: spare evbuffers and `Buffer` objects, and one event that writes
/// every socket whose output grew during this loop iteration.
extension EventBase {
    /// The most spare evbuffers, and the most spare socket `Buffer` objects, kept for reuse; more are
    /// freed. A completion port writes a whole batch of packets' answers before the flush hands the
    /// buffers back, so the spares must cover a batch (one per connection that had input in a loop
    /// iteration) or every answer beyond them allocates: 1,024 covers the benchmark's 1,000
    /// connections, and costs at most about 200 KiB kept after such a burst.
    static let spareBufferLimit = 1024

    /// The most spare read blocks kept (128 KiB). Fewer than the evbuffers: an empty evbuffer is
    /// about 100 bytes, a block 2 KiB, and a readiness-model socket hands its block back before the
    /// next socket reads, so a loop iteration needs few; a burst of completions beyond this takes
    /// its blocks from malloc, as a read into an evbuffer takes its chunk.
    static let spareBlockLimit = 64

    /// How many empty evbuffers are kept for reuse now (for tests).
    package var spareEvbufferCount: Int { spareBuffers.count }

    /// How many empty read blocks are kept for reuse now (for tests).
    package var spareBlockCount: Int { spareBlocks.count }

    /// An empty read block, reused when one is spare.
    func takeSpareBlock() -> UnsafeMutableRawPointer {
        guard let block = spareBlocks.pop() ?? malloc(Buffer.readBlockCapacity) else { fatalError("malloc: out of memory") }
        return block
    }

    /// Takes back an empty read block.
    func returnSpareBlock(_ block: UnsafeMutableRawPointer) {
        if !spareBlocks.push(block) { free(block) }
    }

    /// An empty evbuffer, reused when one is spare. `drainsToSocket` makes appended file ranges go
    /// out with sendfile. (Spares are kept without that flag, as `evbuffer_new` makes them: taking
    /// one for a socket's input or your buffer changes nothing.)
    func takeSpareBuffer(drainsToSocket: Bool) -> OpaquePointer {
        guard let buffer = spareBuffers.pop() ?? evbuffer_new() else { fatalError("evbuffer_new: out of memory") }
        if drainsToSocket { setDrainsToSocket(buffer, true) }
        return buffer
    }

    /// Takes back an empty evbuffer; `drainsToSocket` when it was a socket's output.
    func returnSpareBuffer(_ buffer: OpaquePointer, drainsToSocket: Bool) {
        if drainsToSocket { setDrainsToSocket(buffer, false) }
        if !spareBuffers.push(buffer) { evbuffer_free(buffer) }
    }

    /// An empty `Buffer` object for the input or output of `socket`, reused when one is spare.
    func takeSpareSocketBuffer(for socket: StreamSocket, role: Buffer.Role) -> Buffer {
        guard let spare = spareSocketBuffers.pop() else { return Buffer(socket: socket, role: role) }
        let buffer = spare.takeRetainedValue()
        buffer.attach(to: socket, as: role)
        return buffer
    }

    /// Takes back a socket's empty `Buffer` object, which nothing else references.
    func returnSpareSocketBuffer(_ buffer: Buffer) {
        // Checked before the retain rather than by `push` after it: returning the retain when the
        // stack is full instead measured about 90 instructions more per echo message.
        guard spareSocketBuffers.count < spareSocketBuffers.capacity else { return }
        buffer.detachFromSocket()
        _ = spareSocketBuffers.push(Unmanaged.passRetained(buffer))
    }

    /// Has `socket` write its output later in this loop iteration (from one shared event, so a
    /// socket needs no event of its own for writes that the kernel takes at once).
    func scheduleFlush(_ socket: StreamSocket) {
        socketsToFlush.append(socket)
        guard socketsToFlush.count == 1 else { return }
        if flushEvent == nil {
            flushEvent = event_new(pointer, -1, 0, eventBaseFlushCallback, Unmanaged.passUnretained(self).toOpaque())
            precondition(flushEvent != nil, "event_new: out of memory")
        }
        event_active(flushEvent, 0, 0)
    }

    fileprivate func flushSockets() {
        var sockets: [StreamSocket] = []
        swap(&sockets, &socketsToFlush)
        for socket in sockets { socket.flushScheduledWrite() }
        if socketsToFlush.isEmpty {
            // Keep the array's storage for the next iteration.
            sockets.removeAll(keepingCapacity: true)
            swap(&sockets, &socketsToFlush)
        }
    }
}

private func eventBaseFlushCallback(_: Int32, _: Int16, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<EventBase>.fromOpaque(context!).takeUnretainedValue().flushSockets()
}

/// Marks `evbuffer` as a socket's output (file ranges appended to it go out with sendfile) or as
/// anything else (they are read into memory when removed).
func setDrainsToSocket(_ evbuffer: OpaquePointer, _ drains: Bool) {
    if drains {
        evbuffer_set_flags(evbuffer, UInt64(EVBUFFER_FLAG_DRAINS_TO_FD))
    } else {
        evbuffer_clear_flags(evbuffer, UInt64(EVBUFFER_FLAG_DRAINS_TO_FD))
    }
}
