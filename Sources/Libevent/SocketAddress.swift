internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address with a port, written `127.0.0.1:8080` or `[::1]:8080`.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable {
        /// IPv4 (`AF_INET`).
        case ipv4
        /// IPv6 (`AF_INET6`).
        case ipv6
    }

    private var storage = sockaddr_storage()

    /// Parses `"127.0.0.1:8080"`, `"[::1]:8080"`, or an address without a port (`"::1"`,
    /// `"127.0.0.1"`: port 0). Port 0 is allowed (the kernel picks one when binding).
    ///
    /// - Throws: `LibeventError` (operation `"parse address"`, errno `EINVAL`) for anything else,
    ///   including host names: this type holds numeric addresses only.
    public init(parsing text: String) throws {
        let invalid = LibeventError("parse address \"\(text)\"", code: EINVAL)
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid }
                portText = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port: UInt16 = 0
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigitCharacter),
                  let value = UInt16(portText) else { throw invalid }
            port = value
        }
        do {
            try self.init(host: String(host), port: port)
        } catch {
            throw invalid
        }
    }

    /// The address of numeric `host` (`"127.0.0.1"`, `"::1"`, `"0.0.0.0"`) and `port`.
    ///
    /// - Throws: `LibeventError` (errno `EINVAL`) when `host` is not a numeric IPv4 or IPv6 address.
    public init(host: String, port: UInt16) throws {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
        } else {
            throw LibeventError("parse address \"\(host)\"", code: EINVAL)
        }
    }

    /// An address copied from a `sockaddr` the kernel or libevent filled in; nil for families other
    /// than IPv4 and IPv6.
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            withUnsafeMutableBytes(of: &storage) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: MemoryLayout<sockaddr_in>.size))
            }
        case AF_INET6:
            withUnsafeMutableBytes(of: &storage) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: MemoryLayout<sockaddr_in6>.size))
            }
        default:
            return nil
        }
    }

    /// The local address a socket is bound to (`getsockname`).
    ///
    /// - Throws: `LibeventError` when the descriptor is not a bound IPv4 or IPv6 socket.
    public init(localAddressOf descriptor: Int32) throws {
        self = try Self.query("getsockname") { getsockname(descriptor, $0, $1) }
    }

    /// The address of the peer a socket is connected to (`getpeername`).
    ///
    /// - Throws: `LibeventError` when the descriptor is not a connected IPv4 or IPv6 socket.
    public init(peerAddressOf descriptor: Int32) throws {
        self = try Self.query("getpeername") { getpeername(descriptor, $0, $1) }
    }

    private static func query(_ call: String,
                              _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) throws -> SocketAddress {
        var raw = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
        guard result == 0 else { throw LibeventError.lastError(call) }
        let address = withUnsafePointer(to: &raw) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        guard let address else { throw LibeventError(call, code: EAFNOSUPPORT) }
        return address
    }

    /// `.ipv4` or `.ipv6`.
    public var family: Family {
        Int32(storage.ss_family) == AF_INET ? .ipv4 : .ipv6
    }

    /// The port, in host byte order.
    public var port: UInt16 {
        get {
            switch family {
            case .ipv4: return UInt16(bigEndian: withIPv4 { $0.sin_port })
            case .ipv6: return UInt16(bigEndian: withIPv6 { $0.sin6_port })
            }
        }
        set {
            let isIPv4 = family == .ipv4
            let offset = isIPv4 ? MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!
                                : MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!
            withUnsafeMutableBytes(of: &storage) {
                $0.storeBytes(of: newValue.bigEndian, toByteOffset: offset, as: UInt16.self)
            }
        }
    }

    /// The numeric host: `"127.0.0.1"` or `"::1"` (no brackets, no port).
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch family {
        case .ipv4:
            var address = withIPv4 { $0.sin_addr }
            inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        case .ipv6:
            var address = withIPv6 { $0.sin6_addr }
            inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `"127.0.0.1:8080"` or `"[::1]:8080"`.
    public var description: String {
        family == .ipv4 ? "\(host):\(port)" : "[\(host)]:\(port)"
    }

    /// Equal when family, host and port are equal.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.family == rhs.family && lhs.port == rhs.port && lhs.host == rhs.host
    }

    /// Hashes family, host and port.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(family)
        hasher.combine(port)
        hasher.combine(host)
    }

    /// The size of the `sockaddr` for this family.
    var length: socklen_t {
        socklen_t(family == .ipv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    /// The C family constant (`AF_INET` or `AF_INET6`).
    var cFamily: Int32 { Int32(storage.ss_family) }

    /// Calls `body` with this address as a `sockaddr` pointer and its length.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// Calls `body` with the raw bytes of the `sockaddr` (see `withUnsafeSockaddr`).
    func withRawSockaddr<R>(_ body: (UnsafeRawPointer, UInt32) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body($0.baseAddress!, UInt32(length)) }
    }

    private func withIPv4<R>(_ body: (sockaddr_in) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.load(as: sockaddr_in.self)) }
    }

    private func withIPv6<R>(_ body: (sockaddr_in6) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.load(as: sockaddr_in6.self)) }
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
