import Glibc
import Libevent
import Testing

/// Helpers shared by the test targets: bounded loops, socket pairs, pipes, temporary files and
/// blocking clients.

/// Every test's loop stops by itself after this long, whatever happens.
public let loopDeadline: Duration = .seconds(10)

/// Runs `base` until `done()` holds (checked every millisecond) or a callback calls `stop()`, but
/// never longer than `limit`: past it the test records an issue and the loop stops.
public func runBounded(_ base: EventBase, limit: Duration = loopDeadline,
                       until done: @escaping () -> Bool = { false }) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    let poll = EventTimer(base: base) { _ in
        if done() {
            base.stop()
        } else if clock.now > deadline {
            Issue.record("event loop hit the \(limit) test deadline")
            base.stop()
        }
    }
    poll.schedule(every: .milliseconds(1))
    defer { poll.close() }
    try base.run()
}

/// Runs `arm` from the loop's first callback, then the loop as `runBounded` does. Inside a
/// callback libevent reads the clock once per loop turn, so every timeout that `arm` sets counts
/// from that one instant: the timeouts expire in the order of their durations however long `arm`
/// takes. (Armed outside the loop, each counts from its own reading of the clock, and a loaded
/// machine can pause the test between two of them for longer than their durations differ.)
public func runBounded(_ base: EventBase, armingInOneTurn arm: @escaping () throws -> Void,
                       until done: @escaping () -> Bool) throws {
    let arming = EventTimer(base: base) { _ in
        do { try arm() } catch { Issue.record("arming the test's timeouts failed: \(error)") }
    }
    arming.schedule(after: .zero)
    defer { arming.close() }
    try runBounded(base, until: done)
}

/// A connected pair of non-blocking UNIX stream sockets.
public func socketPair() throws -> (Int32, Int32) {
    var descriptors: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &descriptors) == 0 else {
        throw LibeventError.lastError("socketpair")
    }
    return (descriptors[0], descriptors[1])
}

/// A connected pair of TCP sockets over 127.0.0.1 (port 0), both non-blocking: (server's end,
/// client's end). `clientReceiveBuffer` sets the client's SO_RCVBUF before it connects, so that
/// a test can make the server's output wait in the server's kernel rather than in the client's.
public func loopbackTCPPair(clientReceiveBuffer: Int32? = nil) throws -> (Int32, Int32) {
    let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listening >= 0 else { throw LibeventError.lastError("socket") }
    defer { close(listening) }
    let bound = try SocketAddress(parsing: "127.0.0.1:0").withUnsafeSockaddr { bind(listening, $0, $1) == 0 }
    guard bound, listen(listening, 1) == 0 else { throw LibeventError.lastError("bind/listen") }
    let client = try blockingClient(to: SocketAddress(localAddressOf: listening), receiveBuffer: clientReceiveBuffer)
    let server = accept(listening, nil, nil)
    guard server >= 0 else {
        close(client)
        throw LibeventError.lastError("accept")
    }
    for descriptor in [server, client] { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
    return (server, client)
}

/// A non-blocking pipe: (read end, write end).
public func makePipe() throws -> (Int32, Int32) {
    var descriptors: [Int32] = [-1, -1]
    guard pipe(&descriptors) == 0 else { throw LibeventError.lastError("pipe") }
    for descriptor in descriptors { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
    return (descriptors[0], descriptors[1])
}

/// Writes all of `bytes` to a blocking-or-not descriptor, retrying on EAGAIN (test-side helper).
public func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written > 0 { offset += written } else if errno != EAGAIN { return } else { usleep(1000) }
    }
}

/// Which file a descriptor has open: device, inode and size.
public struct OpenFileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
}

/// The file open on `descriptor`, or nil when the descriptor is closed. Comparing it with the
/// identity taken while the file was surely open tells a test whether its own file was closed,
/// even when a test running meanwhile has been given the same descriptor number for another file.
public func openFileIdentity(_ descriptor: Int32) -> OpenFileIdentity? {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return nil }
    return OpenFileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int64(status.st_size))
}

/// A descriptor open on a new temporary file holding `contents`, already unlinked (the caller
/// closes the descriptor, or hands it to something that does).
public func temporaryFile(containing contents: [UInt8]) throws -> Int32 {
    var template = Array("/tmp/libevent-test-XXXXXX".utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else { throw LibeventError.lastError("mkstemp") }
    unlink(template)
    writeAll(descriptor, contents)
    return descriptor
}

/// Reads what is available now from a non-blocking descriptor.
public func readAvailable(_ descriptor: Int32, max: Int = 65_536) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: max) { buffer, count in
        count = Swift.max(0, read(descriptor, buffer.baseAddress, max))
    }
}

/// Sets a socket's receive (`SO_RCVTIMEO`) or send (`SO_SNDTIMEO`) timeout; traps if the kernel
/// refuses it, so a test never waits with a timeout other than the one it asked for.
public func setTimeout(_ option: Int32, of descriptor: Int32, to duration: Duration) {
    var time = timeval(duration)
    let result = setsockopt(descriptor, SOL_SOCKET, option, &time, socklen_t(MemoryLayout<timeval>.size))
    precondition(result == 0, "setsockopt(\(option), \(duration)) failed: errno \(errno)")
}

/// A blocking TCP client connected to `address`, with 5 s send/receive timeouts (test-side helper);
/// `receiveBuffer` sets its SO_RCVBUF before it connects.
public func blockingClient(to address: SocketAddress, receiveBuffer: Int32? = nil) throws -> Int32 {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw LibeventError.lastError("socket") }
    if var size = receiveBuffer {
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    setTimeout(SO_RCVTIMEO, of: descriptor, to: .seconds(5))
    setTimeout(SO_SNDTIMEO, of: descriptor, to: .seconds(5))
    let result = address.withUnsafeSockaddr { connect(descriptor, $0, $1) }
    guard result == 0 else {
        close(descriptor)
        throw LibeventError.lastError("connect")
    }
    return descriptor
}

/// Whether this machine has an IPv6 loopback address.
public let hasIPv6Loopback: Bool = {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    inet_pton(AF_INET6, "::1", &address.sin6_addr)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
        }
    }
}()
