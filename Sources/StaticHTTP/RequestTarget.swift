/// A request target resolved to a path under the document root: percent-decoded once, `.` and `..`
/// segments applied, never above the root. Pure: it touches no file system.
public struct RequestTarget: Equatable, Sendable {
    /// The path's segments below the root, each a file or directory name (never empty, `.`, `..`
    /// or containing `/` or NUL). Empty for the root itself.
    public let segments: [String]
    /// Whether the path ended with `/` (asks for a directory).
    public let hasTrailingSlash: Bool
    /// The query string after `?` (without it), or nil. Ignored for lookup; kept for redirects.
    public let query: String?

    /// Resolves `target` (origin-form `/a/b?q`, or absolute-form `http://host/a/b?q`).
    ///
    /// - Throws: `RequestError` 400 for another form (`*`, `a/b`), a malformed `%` escape, `%00` or
    ///   another control character, bytes that are not UTF-8, or `..` segments that would climb
    ///   above the root.
    public init(resolving target: String) throws(RequestError) {
        var path = Substring(target)
        if !path.hasPrefix("/") {
            // Absolute-form: scheme://authority/path; only the path counts.
            guard let schemeEnd = path.firstRange(of: "://"),
                  ["http", "https"].contains(path[path.startIndex..<schemeEnd.lowerBound].lowercased()) else {
                throw RequestError(.badRequest, "request target must be a path")
            }
            let afterAuthority = path[schemeEnd.upperBound...]
            path = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        if let fragment = path.firstIndex(of: "#") { path = path[..<fragment] }
        if let questionMark = path.firstIndex(of: "?") {
            query = String(path[path.index(after: questionMark)...])
            path = path[..<questionMark]
        } else {
            query = nil
        }
        guard let decoded = PercentEncoding.decode(path.utf8) else {
            throw RequestError(.badRequest, "malformed percent-escape in path")
        }
        guard !decoded.contains(where: Self.isControlCharacter) else {
            throw RequestError(.badRequest, "NUL or control character in path")
        }
        guard String(validating: decoded, as: UTF8.self) != nil else {
            throw RequestError(.badRequest, "path is not UTF-8")
        }
        // Split and compare bytes, not Characters: a combining mark after `/` (or a prepended mark
        // before it) would make `/` part of a larger Character and hide the separator.
        var segments: [String] = []
        for segment in decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                guard !segments.isEmpty else { throw RequestError(.badRequest, "path climbs above the root") }
                segments.removeLast()
                continue
            }
            segments.append(String(decoding: segment, as: UTF8.self))
        }
        self.segments = segments
        let lastSegment = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last ?? []
        hasTrailingSlash = segments.isEmpty || decoded.last == UInt8(ascii: "/")
            || lastSegment.elementsEqual([UInt8(ascii: ".")]) || lastSegment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
    }

    /// `name` as a file name a request target can reach, or nil when a target holding it is refused
    /// with 400: a control character (NUL included) or bytes that are not UTF-8. A directory listing
    /// shows only such names, since a link to any other could only fail.
    public static func reachableName(_ name: some Collection<UInt8>) -> String? {
        guard !name.contains(where: isControlCharacter) else { return nil }
        return String(validating: name, as: UTF8.self)
    }

    /// Whether `byte` is a control character, which no path may hold (RFC 3986 has no place for it,
    /// and a CR or LF would split a `Location` field or a log line).
    private static func isControlCharacter(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F
    }

    /// The path relative to the root, `a/b/c` (empty for the root).
    public var relativePath: String { segments.joined(separator: "/") }

    /// The normalised path, percent-encoded for a URL or a `Location` field: `/a%20b/c`, with a
    /// trailing slash when `directory`. Safe to put in a header: it holds no CR, LF or quote.
    public func encodedPath(asDirectory directory: Bool) -> String {
        let path = "/" + segments.map(PercentEncoding.encodeSegment).joined(separator: "/")
        return directory && !segments.isEmpty ? path + "/" : path
    }
}
