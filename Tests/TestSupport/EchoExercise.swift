import Foundation
import Libevent

/// What `exerciseEcho` saw.
public struct EchoReport: Sendable {
    /// Connections whose echo came back complete, byte-exact, and ended by the server's close.
    public var completed = 0
    /// Connections that received a wrong byte, too many bytes, or an early end of stream.
    public var failures: [String] = []
    /// Bytes sent over all connections.
    public var bytesSent = 0
}

/// A small deterministic generator (SplitMix64), so a failing run can be repeated from its seed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    /// A generator started from `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Opens `sizes.count` connections to an echo server at `address` at once and, with `poll()` (no
/// libevent on the client side), sends each its own random payload in random chunks of 1 B to
/// 64 KiB, half-closes after the last byte, and checks that exactly the same bytes come back,
/// followed by the server's close. Gives up at `deadline`.
public func exerciseEcho(at address: SocketAddress, sizes: [Int], seed: UInt64, deadline: Duration = .seconds(60)) throws -> EchoReport {
    var random = SeededGenerator(seed: seed)
    var report = EchoReport()
    // Every payload is made before the first connection opens: made between the connections (16 MB
    // for the 220 of EchoServerTests, a byte at a time), they kept the first connections idle past
    // the servers' 60-second idle timeout in a loaded ThreadSanitizer run, which closed them.
    let payloads = sizes.map { randomBytes(count: $0, using: &random) }
    var clients: [EchoClientState] = []
    defer { clients.forEach { close($0.descriptor) } }
    for payload in payloads {
        let descriptor = try blockingClient(to: address)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        clients.append(EchoClientState(descriptor: descriptor, payload: payload))
        report.bytesSent += payload.count
    }
    let end = ContinuousClock.now + deadline
    var scratch = [UInt8](repeating: 0, count: 1 << 16)
    while clients.contains(where: { !$0.isDone }), ContinuousClock.now < end {
        var polls = clients.map { client in
            pollfd(fd: client.isDone ? -1 : client.descriptor,
                   events: Int16(POLLIN) | (client.sent < client.payload.count ? Int16(POLLOUT) : 0), revents: 0)
        }
        guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { continue }
        for index in clients.indices where polls[index].revents != 0 {
            clients[index].service(revents: polls[index].revents, scratch: &scratch, random: &random)
        }
    }
    for client in clients {
        if let failure = client.failure {
            report.failures.append(failure)
        } else if client.isDone {
            report.completed += 1
        } else {
            report.failures.append("timed out: sent \(client.sent)/\(client.payload.count), received \(client.received)")
        }
    }
    return report
}

/// `count` random bytes from `random`, eight from each of its numbers.
private func randomBytes(count: Int, using random: inout SeededGenerator) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { bytes, initialized in
        var index = 0
        while index < count {
            var word = random.next()
            for _ in 0..<min(8, count - index) {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        initialized = count
    }
}

/// One connection of `exerciseEcho`.
private struct EchoClientState {
    let descriptor: Int32
    let payload: [UInt8]
    var sent = 0
    var received = 0
    var isDone = false
    var failure: String?

    init(descriptor: Int32, payload: [UInt8]) {
        self.descriptor = descriptor
        self.payload = payload
        if payload.isEmpty { shutdown(descriptor, Int32(SHUT_WR)) }
    }

    mutating func service(revents: Int16, scratch: inout [UInt8], random: inout SeededGenerator) {
        if revents & Int16(POLLOUT) != 0, sent < payload.count {
            let chunk = min(payload.count - sent, Int.random(in: 1...65_536, using: &random))
            let written = payload.withUnsafeBytes { write(descriptor, $0.baseAddress! + sent, chunk) }
            if written > 0 {
                sent += written
                if sent == payload.count { shutdown(descriptor, Int32(SHUT_WR)) }
            } else if written < 0, errno != EAGAIN {
                return finish(failing: "write failed after \(sent) bytes: errno \(errno)")
            }
        }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let count = scratch.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count == 0 {
                return finish(failing: received == payload.count ? nil : "end of stream after \(received) of \(payload.count) bytes")
            }
            if count < 0 {
                if errno != EAGAIN { finish(failing: "read failed after \(received) bytes: errno \(errno)") }
                return
            }
            guard received + count <= payload.count,
                  scratch[0..<count].elementsEqual(payload[received..<(received + count)]) else {
                return finish(failing: "wrong bytes at offset \(received)")
            }
            received += count
        }
    }

    private mutating func finish(failing reason: String?) {
        isDone = true
        failure = reason
    }
}
