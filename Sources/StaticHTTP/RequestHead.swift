/// Why a request head was rejected: the status to answer with. The connection is closed after the
/// answer, since the byte stream can no longer be trusted.
public struct RequestError: Error, Equatable, Sendable {
    /// The status to answer with (400, 414, 431, 501 or 505).
    public let status: HTTPStatus
    /// A short explanation, for the log and the error page.
    public let detail: String

    /// An error answered with `status`.
    public init(_ status: HTTPStatus, _ detail: String) {
        self.status = status
        self.detail = detail
    }
}

/// The parsed head of an HTTP/1.x request: request line and header fields.
///
/// The field lines are kept as the bytes that were sent, with where each name and value lies: a
/// lookup compares bytes, and only the values asked for become Strings. (A browser sends a dozen
/// fields, of which a file server reads three or four; a String made for each would cost every
/// request an allocation per long value.)
public struct RequestHead: Sendable {
    /// The method token, case-sensitive (`GET`, `HEAD`...).
    public let method: String
    /// The request target exactly as sent (`/a%20b?x=1`, or absolute-form `http://host/a`).
    public let target: String
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1; a later 1.x (up to 1.9) is kept as sent
    /// and handled as 1.1 (RFC 9110, section 2.5: a higher minor version stays compatible).
    public let minorVersion: Int
    /// The field lines as sent, request line excluded.
    private let fieldBytes: [UInt8]
    /// Where each field's name and value (without the spaces around it) lie in `fieldBytes`, in order.
    private let fieldSpans: [FieldSpan]

    /// The header fields in order, names as sent. Made anew on each use: `field(_:)` and
    /// `fieldValues(_:)` find one without making the others.
    public var fields: [(name: String, value: String)] {
        fieldSpans.map { (name: string(fieldBytes[$0.name]), value: string(fieldBytes[$0.value])) }
    }

    /// The methods HTTP defines (RFC 9110 section 9, and PATCH from RFC 5789). Methods are
    /// case-sensitive: `get` is not among them.
    public static let standardMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
                                                      "TRACE", "PATCH"]
    /// Whether `method` is one of `standardMethods`. A server answers a method it does not
    /// recognise with 501 Not Implemented, and a known one it does not allow on the target with
    /// 405 Method Not Allowed (RFC 9110 sections 9.1 and 15.5.6).
    public var hasStandardMethod: Bool { Self.standardMethods.contains(method) }

    /// The request line as sent, for the access log (a valid request line is exactly method,
    /// target and version with one space between them).
    public var requestLine: String { "\(method) \(target) HTTP/1.\(minorVersion)" }

    /// The longest request line accepted (414 beyond).
    public static let maxRequestLineLength = 8 * 1024
    /// The longest header block accepted, request line excluded (431 beyond).
    public static let maxHeaderBlockLength = 16 * 1024
    /// The most bytes that can hold a complete acceptable head (both limits and the blank line).
    public static let maxHeadLength = maxRequestLineLength + maxHeaderBlockLength + 4

    /// The value of the first field named `name` (case-insensitive), or nil.
    public func field(_ name: String) -> String? {
        name.withUTF8Bytes { name in
            fieldSpans.first { isNamed($0, name) }.map { string(fieldBytes[$0.value]) }
        }
    }

    /// All values of the fields named `name` (case-insensitive), in order.
    public func fieldValues(_ name: String) -> [String] {
        name.withUTF8Bytes { name in
            fieldSpans.filter { isNamed($0, name) }.map { string(fieldBytes[$0.value]) }
        }
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`.
    public var keepsAlive: Bool {
        var asksToClose = false
        var asksToKeepAlive = false
        for span in fieldSpans where isNamed(span, "connection") {
            forEachListElement(in: fieldBytes[span.value]) { token in
                if equalsIgnoringCase(token, "close") { asksToClose = true }
                if equalsIgnoringCase(token, "keep-alive") { asksToKeepAlive = true }
            }
        }
        if asksToClose { return false }
        return minorVersion >= 1 || asksToKeepAlive
    }

    /// The body length announced by `Content-Length` (0 when absent).
    ///
    /// - Throws: `RequestError` (400) for `Transfer-Encoding` (with or without `Content-Length`:
    ///   request smuggling shapes), several `Content-Length` fields, or one that is not a decimal
    ///   number.
    public func bodyLength() throws(RequestError) -> Int {
        var lengthFields = 0
        var lengthValue: Range<Int>?
        for span in fieldSpans {
            if isNamed(span, "transfer-encoding") {
                throw RequestError(.badRequest, "Transfer-Encoding is not accepted on requests")
            }
            if isNamed(span, "content-length") {
                lengthFields += 1
                lengthValue = span.value
            }
        }
        guard let lengthValue else { return 0 }
        guard lengthFields == 1 else { throw RequestError(.badRequest, "several Content-Length fields") }
        let digits = fieldBytes[lengthValue]
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(isDigit) else {
            throw RequestError(.badRequest, "invalid Content-Length")
        }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// Whether the field at `span` is named `name` (ASCII, case-insensitive).
    private func isNamed(_ span: FieldSpan, _ name: StaticString) -> Bool {
        isNamed(span, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    private func isNamed(_ span: FieldSpan, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        // Most names differ in length: told apart here, they cost no call (600 instructions a
        // browser's request, whose dozen fields are each compared with several names).
        span.name.count == name.count && equalsIgnoringCase(fieldBytes[span.name], name)
    }

    /// How many bytes of empty lines (CR LF or LF) come before the request line in `bytes`: a
    /// server ignores them (RFC 9112, section 2.2), since some clients send a CR LF after a request
    /// body. A CR at the very end is left for when its LF arrives.
    public static func leadingEmptyLinesLength(in bytes: UnsafeRawBufferPointer) -> Int {
        var length = 0
        while length < bytes.count {
            if bytes[length] == 0x0A {
                length += 1
            } else if bytes[length] == 0x0D, length + 1 < bytes.count, bytes[length + 1] == 0x0A {
                length += 2
            } else {
                break
            }
        }
        return length
    }

    /// Where the head ends in `bytes` (the index just after the blank line), nil when it is not
    /// complete yet.
    ///
    /// - Throws: `RequestError` 414 when the request line is longer than `maxRequestLineLength`,
    ///   431 when the header block is longer than `maxHeaderBlockLength`, whether or not the head is
    ///   complete yet: the caller never needs to buffer more than `maxHeadLength` bytes.
    public static func headLength(in bytes: UnsafeRawBufferPointer) throws(RequestError) -> Int? {
        guard let firstNewline = bytes[...].firstIndex(ofByte: 0x0A) else {
            if bytes.count > maxRequestLineLength + 1 { throw RequestError(.uriTooLong, "request line too long") }
            return nil
        }
        if firstNewline > maxRequestLineLength + 1 { throw RequestError(.uriTooLong, "request line too long") }
        var lineStart = firstNewline + 1
        while lineStart < bytes.count {
            guard let newline = bytes[lineStart...].firstIndex(ofByte: 0x0A) else { break }
            let lineLength = newline - lineStart
            if lineLength == 0 || (lineLength == 1 && bytes[lineStart] == 0x0D) { return newline + 1 }
            lineStart = newline + 1
            if lineStart - firstNewline - 1 > maxHeaderBlockLength {
                throw RequestError(.headerFieldsTooLarge, "header block too large")
            }
        }
        if bytes.count - firstNewline - 1 > maxHeaderBlockLength {
            throw RequestError(.headerFieldsTooLarge, "header block too large")
        }
        return nil
    }

    /// Parses a complete head (as delimited by `headLength(in:)`). Lines may end in CR LF or LF.
    ///
    /// - Throws: `RequestError`: 400 for a malformed request line or field, a missing `Host` in
    ///   HTTP/1.1, bytes that are not visible ASCII in the target; 505 for a major version other
    ///   than 1.
    public init(parsing head: UnsafeRawBufferPointer) throws(RequestError) {
        var lines = HeadLines(head)
        guard let first = lines.next(), !(first.isEmpty && lines.restIsBlank) else {
            throw RequestError(.badRequest, "empty request")
        }
        // Exactly two spaces: method SP target SP version, the first two not empty.
        guard let firstSpace = first.firstIndex(ofByte: 0x20),
              let secondSpace = first[(firstSpace + 1)...].firstIndex(ofByte: 0x20),
              first[(secondSpace + 1)...].firstIndex(ofByte: 0x20) == nil,
              firstSpace > first.startIndex, secondSpace > firstSpace + 1 else {
            throw RequestError(.badRequest, "malformed request line")
        }
        let methodBytes = first[..<firstSpace]
        let targetBytes = first[(firstSpace + 1)..<secondSpace]
        let version = first[(secondSpace + 1)...]
        guard methodBytes.isToken else { throw RequestError(.badRequest, "malformed method") }
        guard targetBytes.isVisibleASCII else {
            throw RequestError(.badRequest, "malformed request target")
        }
        let v = version.startIndex
        guard version.count == 8, version.starts(withASCII: "HTTP/"), version[v + 6] == UInt8(ascii: "."),
              isDigit(version[v + 5]), isDigit(version[v + 7]) else {
            throw RequestError(.badRequest, "malformed HTTP version")
        }
        guard version[v + 5] == UInt8(ascii: "1") else {
            throw RequestError(.versionNotSupported, "only HTTP/1.x is supported")
        }
        method = Self.methodName(methodBytes)
        target = String(decoding: targetBytes, as: UTF8.self)
        minorVersion = Int(version[v + 7] - UInt8(ascii: "0"))

        // Spans are offsets into the copy of the field lines, which starts where `lines` is now.
        let fieldsStart = lines.position
        var spans: [FieldSpan] = []
        spans.reserveCapacity(16)  // a browser's dozen fields without regrowing
        var hosts = 0
        while let line = lines.next() {
            if line.isEmpty, lines.restIsBlank { break }
            guard let colon = line.firstIndex(ofByte: UInt8(ascii: ":")) else {
                throw RequestError(.badRequest, "header line without a colon")
            }
            let name = line[line.startIndex..<colon]
            // No space before the colon, no obsolete line folding: both are smuggling vectors.
            guard !name.isEmpty, name.isToken else {
                throw RequestError(.badRequest, "malformed header name")
            }
            let value = line[(colon + 1)...].trimmingSpacesAndTabs()
            guard value.isFieldValue else {
                throw RequestError(.badRequest, "control character in a header value")
            }
            if name.count == 4, equalsIgnoringCase(name, "host") { hosts += 1 }
            spans.append(FieldSpan(name: (name.startIndex - fieldsStart)..<(colon - fieldsStart),
                                   value: (value.startIndex - fieldsStart)..<(value.endIndex - fieldsStart)))
        }
        if minorVersion >= 1, hosts != 1 {
            throw RequestError(.badRequest, "HTTP/1.1 needs exactly one Host field")
        }
        fieldSpans = spans
        fieldBytes = spans.isEmpty ? [] : [UInt8](UnsafeRawBufferPointer(rebasing: head[fieldsStart...]))
    }

    /// The method as a String: the usual ones are literals, so they cost no decoding.
    private static func methodName(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        if bytes.count == 3, bytes.starts(withASCII: "GET") { return "GET" }
        if bytes.count == 4, bytes.starts(withASCII: "HEAD") { return "HEAD" }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Where one field's name and value lie in a `RequestHead`'s field bytes.
private struct FieldSpan: Sendable {
    let name: Range<Int>
    let value: Range<Int>
}

/// The lines of a head, each without its LF and a CR before it, read in place.
private struct HeadLines {
    private let bytes: UnsafeRawBufferPointer
    /// Where the next line starts.
    private(set) var position = 0
    private var finished = false

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next line; after the last LF, the bytes that follow it (perhaps none) are one last line.
    mutating func next() -> Slice<UnsafeRawBufferPointer>? {
        guard !finished else { return nil }
        let rest = bytes[position...]
        let end: Int
        if let newline = rest.firstIndex(ofByte: 0x0A) {
            end = newline
            position = newline + 1
        } else {
            end = bytes.count
            finished = true
        }
        let start = rest.startIndex
        return bytes[start..<(end > start && bytes[end - 1] == 0x0D ? end - 1 : end)]
    }

    /// Whether every line still to come is empty (or none is left): the blank end of the head.
    var restIsBlank: Bool {
        var copy = self
        while let line = copy.next() {
            if !line.isEmpty { return false }
        }
        return true
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

/// Whether two byte strings are equal ignoring ASCII case (field names and list tokens are ASCII).
private func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var left = lhs.startIndex
    var right = rhs.startIndex
    while left != lhs.endIndex {
        guard asciiLowercased(lhs[left]) == asciiLowercased(rhs[right]) else { return false }
        lhs.formIndex(after: &left)
        rhs.formIndex(after: &right)
    }
    return true
}

private func equalsIgnoringCase<A: Collection<UInt8>>(_ lhs: A, _ rhs: StaticString) -> Bool {
    equalsIgnoringCase(lhs, UnsafeBufferPointer(start: rhs.utf8Start, count: rhs.utf8CodeUnitCount))
}

/// Calls `body` with each element of a comma-separated list (RFC 9110 section 5.6.1), without
/// the spaces and tabs around it; empty elements are skipped.
private func forEachListElement(in bytes: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Void) {
    var rest = bytes
    while !rest.isEmpty {
        let comma = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
        let element = rest[..<comma].trimmingPrefixAndSuffix { $0 == 0x20 || $0 == 0x09 }
        if !element.isEmpty { body(element) }
        rest = comma == rest.endIndex ? [] : rest[(comma + 1)...]
    }
}

/// Field bytes as a String (values may hold bytes that are not UTF-8: those become U+FFFD).
private func string(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}

extension Collection where Element == UInt8 {
    /// The collection without leading and trailing elements matching `predicate`.
    func trimmingPrefixAndSuffix(while predicate: (UInt8) -> Bool) -> SubSequence {
        let trimmedFront = drop(while: predicate)
        var end = trimmedFront.endIndex
        var index = trimmedFront.startIndex
        while index != trimmedFront.endIndex {
            if !predicate(trimmedFront[index]) { end = trimmedFront.index(after: index) }
            index = trimmedFront.index(after: index)
        }
        return trimmedFront[trimmedFront.startIndex..<end]
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        String(decoding: utf8.trimmingPrefixAndSuffix { $0 == 0x20 || $0 == 0x09 }, as: UTF8.self)
    }
}
