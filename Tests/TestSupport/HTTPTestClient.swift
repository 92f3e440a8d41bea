import Foundation
import Libevent

/// One HTTP response as read off the wire by `HTTPTestClient`.
public struct HTTPTestResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, names lowercased.
    public var headers: [String: String]
    /// The body (empty for HEAD, 304...).
    public var body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking HTTP/1.1 client over a raw socket, for tests that need exact control of the bytes
/// sent (pipelining, malformed requests, slow senders).
public final class HTTPTestClient {
    /// The socket.
    public let descriptor: Int32
    private var pending: [UInt8] = []

    /// Connects to `address` (5 s send/receive timeouts); `receiveBuffer` sets SO_RCVBUF.
    public init(_ address: SocketAddress, receiveBuffer: Int32? = nil) throws {
        descriptor = try blockingClient(to: address, receiveBuffer: receiveBuffer)
    }

    deinit {
        close(descriptor)
    }

    /// Sends `text` as is.
    public func send(_ text: String) {
        writeAll(descriptor, Array(text.utf8))
    }

    /// Sends `GET path` with a Host field and `extra` header lines.
    public func get(_ path: String, method: String = "GET", _ extra: [String] = []) {
        send("\(method) \(path) HTTP/1.1\r\nHost: test\r\n" + extra.map { $0 + "\r\n" }.joined() + "\r\n")
    }

    /// Reads one response; the body by Content-Length (none for HEAD or 304), or to end of stream.
    /// Nil when the server closed before a full head.
    public func readResponse(toHEAD isHead: Bool = false) -> HTTPTestResponse? {
        guard let headEnd = fill(until: { $0.firstRange(of: [13, 10, 13, 10]) }) else { return nil }
        let head = String(decoding: pending[..<headEnd.lowerBound], as: UTF8.self)
        pending.removeSubrange(..<headEnd.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body: [UInt8] = []
        if !isHead, status != 304, status >= 200 {
            if let length = headers["content-length"].flatMap(Int.init) {
                guard fill(until: { $0.count >= length ? $0.count : nil }) != nil else { return nil }
                body = Array(pending[..<length])
                pending.removeFirst(length)
            } else {
                _ = fill(until: { _ -> Int? in nil })
                body = pending
                pending = []
            }
        }
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed the connection (reads to end of stream, discarding).
    public func isClosedByServer() -> Bool {
        pending = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads until `found` returns non-nil for the bytes so far, or the stream ends.
    private func fill<T>(until found: ([UInt8]) -> T?) -> T? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let result = found(pending) { return result }
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { return nil }
            pending += buffer[0..<count]
        }
    }
}
