/// A response's status line and header fields, serialised as HTTP/1.1.
public struct ResponseHead: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// The fields in order.
    public var fields: [(name: String, value: String)]

    /// A head with `status` and `fields`.
    public init(status: HTTPStatus, fields: [(name: String, value: String)] = []) {
        self.status = status
        self.fields = fields
        self.fields.reserveCapacity(12)  // a file response's fields and a server's own, without regrowing
    }

    /// Appends a field. `value` must not contain CR or LF (callers build values from validated or
    /// encoded parts; this is checked).
    public mutating func add(_ name: String, _ value: String) {
        precondition(value.withUTF8Bytes { !$0.contains { $0 == 0x0D || $0 == 0x0A } }, "header value with CR/LF")
        fields.append((name, value))
    }

    /// `HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n` as bytes.
    public var bytes: [UInt8] { bytes(followedBy: []) }

    /// The head's bytes followed by `body`, in one array of exactly their size, written in one pass
    /// (this runs for every response).
    public func bytes(followedBy body: ArraySlice<UInt8>) -> [UInt8] {
        let statusLineLength = "HTTP/1.1 200 ".utf8.count + status.reason.utf8.count + 2  // any three digits
        let fieldsLength = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        let total = statusLineLength + fieldsLength + 2 + body.count
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initializedCount in
            var output = ByteOutput(buffer)
            output.append("HTTP/1.1 ")
            output.appendDigits(of: status.code)
            output.append(" ")
            output.append(status.reason)
            output.append("\r\n")
            for field in fields {
                output.append(field.name)
                output.append(": ")
                output.append(field.value)
                output.append("\r\n")
            }
            output.append("\r\n")
            body.withUnsafeBytes { output.append($0) }
            initializedCount = output.count
        }
    }
}

/// Writes bytes one after the other into a buffer that the caller sized to fit them all.
private struct ByteOutput {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= buffer.count - count, "response head larger than computed")
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        (buffer.baseAddress! + count).initialize(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    /// Appends the UTF-8 bytes of `text` with one copy.
    mutating func append(_ text: String) {
        text.withUTF8Bytes { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends the three decimal digits of a status code.
    mutating func appendDigits(of code: Int) {
        withUnsafeBytes(of: (UInt8(48 + code / 100), UInt8(48 + code / 10 % 10), UInt8(48 + code % 10))) {
            append($0)
        }
    }
}

/// A complete response whose body is in memory: error pages, redirects, listings, 304s.
public struct InMemoryResponse: Sendable {
    /// The head, with Content-Length and Content-Type set.
    public var head: ResponseHead
    /// The body (sent only for GET).
    public var body: [UInt8]

    /// A response with an HTML page saying `status` and, if given, `detail` (escaped).
    public static func errorPage(_ status: HTTPStatus, detail: String? = nil) -> InMemoryResponse {
        let explanation = detail.map { "<p>\(HTML.escape($0))</p>\n" } ?? ""
        let page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(status)</title></head>\n"
            + "<body><h1>\(status)</h1>\n\(explanation)</body></html>\n"
        return html(status: status, page)
    }

    /// A `text/html; charset=utf-8` response with `page` as its body.
    public static func html(status: HTTPStatus, _ page: String) -> InMemoryResponse {
        var head = ResponseHead(status: status)
        head.add("Content-Type", "text/html; charset=utf-8")
        head.add("Content-Length", String(page.utf8.count))
        return InMemoryResponse(head: head, body: Array(page.utf8))
    }

    /// 301 to `target` with the directory's trailing slash added and the query kept.
    public static func directoryRedirect(_ target: RequestTarget) -> InMemoryResponse {
        var location = target.encodedPath(asDirectory: true)
        if let query = target.query, query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { location += "?" + query }
        var response = html(status: .movedPermanently,
                            "<!DOCTYPE html>\n<html><body><a href=\"\(HTML.escape(location))\">Moved here</a></body></html>\n")
        response.head.add("Location", location)
        return response
    }
}

/// HTML escaping.
public enum HTML {
    /// `text` with `& < > " '` replaced by character references.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
