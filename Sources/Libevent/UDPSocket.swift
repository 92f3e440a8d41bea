internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bound, non-blocking UDP socket: receive-from and send-to, driven by a `DescriptorWatcher` on
/// `descriptor` for `.read`.
///
/// The object owns the descriptor and closes it on `close()` or when it is freed.
public final class UDPSocket {
    /// One received datagram and its sender.
    public struct Datagram: Sendable {
        /// The datagram's bytes (possibly none: empty datagrams are valid).
        public var bytes: [UInt8]
        /// The sender's address.
        public var sender: SocketAddress
    }

    /// The socket's descriptor, to watch for `.read`; -1 once closed.
    public private(set) var descriptor: Int32
    /// The bound address; with port 0, the port the kernel picked.
    public let localAddress: SocketAddress

    /// Creates a UDP socket bound to `address` (port 0: any free port).
    ///
    /// - Throws: `LibeventError` naming the failing step.
    public init(binding address: SocketAddress, reuseAddress: Bool = true) throws {
        let descriptor = try SocketCalls.makeSocket(for: address, type: SocketCalls.datagramType)
        localAddress = try SocketCalls.closingOnError(descriptor) {
            if reuseAddress { try SocketCalls.setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR") }
            try SocketCalls.bindSocket(descriptor, to: address)
            return try SocketAddress(localAddressOf: descriptor)
        }
        self.descriptor = descriptor
    }

    deinit {
        close()
    }

    /// Receives one datagram of up to `maxCount` bytes (a longer one is truncated; 0 takes the
    /// datagram and none of its bytes), or nil when none is waiting. The datagram's `bytes` take
    /// only the memory its size needs, whatever `maxCount`.
    /// - Throws: `LibeventError` for errors other than EAGAIN/EINTR, and EINVAL for a negative
    ///   `maxCount`.
    public func receive(maxCount: Int = 65_536) throws -> Datagram? {
        // recvfrom takes the count as size_t: -1 would let a datagram overrun the scratch memory.
        guard maxCount >= 0 else { throw LibeventError("recvfrom", code: EINVAL) }
        var sender = sockaddr_storage()
        var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // Received into scratch memory and copied out at its size: an array made with `maxCount`
        // capacity would keep 64 KiB per datagram for as long as the caller keeps the datagram.
        let bytes = try withUnsafeTemporaryAllocation(byteCount: max(maxCount, 1), alignment: 1) { scratch -> [UInt8]? in
            let received = withUnsafeMutablePointer(to: &sender) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, scratch.baseAddress, maxCount, 0, $0, &senderLength)
                }
            }
            if received < 0 {
                if SocketCalls.failedForNow() { return nil }
                throw LibeventError.lastError("recvfrom")
            }
            return [UInt8](UnsafeRawBufferPointer(rebasing: scratch[0..<received]))
        }
        guard let bytes else { return nil }
        let address = withUnsafePointer(to: &sender) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        guard let address else { throw LibeventError("recvfrom", code: EAFNOSUPPORT) }
        return Datagram(bytes: bytes, sender: address)
    }

    /// Sends `bytes` as one datagram to `address`; returns false when the send would block.
    /// - Throws: `LibeventError` for errors other than EAGAIN/EINTR.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress) throws -> Bool {
        let sent = bytes.withUnsafeBytes { payload in
            address.withSockaddr { sendto(descriptor, payload.baseAddress, payload.count, 0, $0, $1) }
        }
        if sent < 0 {
            if SocketCalls.failedForNow() { return false }
            throw LibeventError.lastError("sendto \(address)")
        }
        return true
    }

    /// Sends the UTF-8 bytes of `text` as one datagram to `address`.
    @discardableResult
    public func send(_ text: String, to address: SocketAddress) throws -> Bool {
        try send(Array(text.utf8), to: address)
    }

    /// Closes the descriptor; later calls do nothing.
    public func close() {
        guard descriptor >= 0 else { return }
        SocketCalls.closeDescriptor(descriptor)
        descriptor = -1
    }
}
