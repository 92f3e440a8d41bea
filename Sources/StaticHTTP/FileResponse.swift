/// What the server knows of a regular file it is about to send.
public struct FileMetadata: Sendable {
    /// Size in bytes.
    public var size: Int64
    /// Modification time, seconds since the epoch.
    public var modified: Int
    /// Modification time's nanoseconds, for a finer ETag.
    public var modifiedNanoseconds: Int

    /// Metadata of a file.
    public init(size: Int64, modified: Int, modifiedNanoseconds: Int = 0) {
        self.size = size
        self.modified = modified
        self.modifiedNanoseconds = modifiedNanoseconds
    }

    /// A strong validator from size and modification time: `"<mtime>-<size>"` in hex.
    public var entityTag: String {
        let stamp = UInt64(truncatingIfNeeded: modified) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: modifiedNanoseconds)
        return "\"" + String(stamp, radix: 16) + "-" + String(size, radix: 16) + "\""
    }
}

/// The plan for answering GET or HEAD on a regular file: which status, which head, which byte
/// ranges of the file to send and what to put around them. Pure: the server carries it out.
public struct FileResponse: Sendable {
    /// One piece of the body: bytes from memory, or a range of the file.
    public enum Part: Equatable, Sendable {
        /// Literal bytes (multipart boundaries and part heads).
        case bytes([UInt8])
        /// `range` of the file.
        case file(ClosedRange<Int64>)
    }

    /// The response head (status, Content-Length, validators...).
    public var head: ResponseHead
    /// The body, in order; empty for HEAD, 304 and 416.
    public var body: [Part]

    /// Decides the response to `request` for a file with `metadata`, named `name` (for the
    /// Content-Type).
    ///
    /// Conditional requests: If-None-Match (a list of tags or `*`, weak comparison) and, when absent,
    /// If-Modified-Since give 304. Range (GET only): 206 for one range, multipart/byteranges for
    /// several, 416 when none is satisfiable, 200 when invalid or too many. If-Range with a tag or
    /// date that does not match makes the Range ignored.
    public init(request: RequestHead, metadata: FileMetadata, name: String, boundary: String) {
        self.init(request: request, file: FileDescription(metadata: metadata, name: name), boundary: boundary)
    }

    /// The same decision for the file `file` describes, with its fields already formatted.
    public init(request: RequestHead, file: FileDescription, boundary: String) {
        let metadata = file.metadata
        let entityTag = file.entityTag
        let contentType = file.contentType
        var head = ResponseHead(status: .ok)
        head.add("Last-Modified", file.lastModified)
        head.add("ETag", entityTag)
        head.add("Accept-Ranges", "bytes")

        if Self.isNotModified(request: request, entityTag: entityTag, modified: metadata.modified) {
            head.status = .notModified
            self.init(head: head, body: [])
            return
        }
        var ranges = ByteRangeRequest.whole
        if request.method == "GET", Self.ifRangeAllows(request: request, entityTag: entityTag, modified: metadata.modified) {
            ranges = ByteRangeRequest(field: request.field("Range"), length: metadata.size)
        }
        let sendsBody = request.method == "GET"
        switch ranges {
        case .whole:
            head.add("Content-Type", contentType)
            head.add("Content-Length", String(metadata.size))
            self.init(head: head, body: sendsBody ? Self.wholeFileBody(size: metadata.size) : [])
        case .single(let range):
            head.status = .partialContent
            head.add("Content-Type", contentType)
            head.add("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(metadata.size)")
            head.add("Content-Length", String(range.upperBound - range.lowerBound + 1))
            self.init(head: head, body: [.file(range)])
        case .multiple(let parts):
            head.status = .partialContent
            var body: [Part] = []
            var length: Int64 = 0
            for range in parts {
                let partHead = Array(("\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\n"
                    + "Content-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(metadata.size)\r\n\r\n").utf8)
                body += [.bytes(partHead), .file(range)]
                length += Int64(partHead.count) + range.upperBound - range.lowerBound + 1
            }
            let closing = Array("\r\n--\(boundary)--\r\n".utf8)
            body.append(.bytes(closing))
            length += Int64(closing.count)
            head.add("Content-Type", "multipart/byteranges; boundary=\(boundary)")
            head.add("Content-Length", String(length))
            self.init(head: head, body: body)
        case .unsatisfiable:
            head.status = .rangeNotSatisfiable
            head.add("Content-Range", "bytes */\(metadata.size)")
            head.add("Content-Length", "0")
            self.init(head: head, body: [])
        }
    }

    /// Whether the plan for `request` is status 200 and the whole file, whatever the file: a GET
    /// with no `If-None-Match`, `If-Modified-Since` or `Range` field (an `If-Range` alone changes
    /// nothing). Such a plan's head depends on the file only, so a server may render it once and
    /// send it again for later requests of this kind.
    public static func answersWithWholeFile(_ request: RequestHead) -> Bool {
        request.method == "GET" && request.field("If-None-Match") == nil
            && request.field("If-Modified-Since") == nil && request.field("Range") == nil
    }

    /// The body of a GET answered with the whole file of `size` bytes: its one range, or no part
    /// for an empty file.
    public static func wholeFileBody(size: Int64) -> [Part] {
        size > 0 ? [.file(0...(size - 1))] : []
    }

    private init(head: ResponseHead, body: [Part]) {
        self.head = head
        self.body = body
    }

    private static func isNotModified(request: RequestHead, entityTag: String, modified: Int) -> Bool {
        let noneMatch = request.fieldValues("If-None-Match")
        if !noneMatch.isEmpty {
            let tags = noneMatch.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() }
            return tags.contains("*") || tags.contains { weakTag($0) == weakTag(entityTag) }
        }
        guard let since = request.field("If-Modified-Since").flatMap(HTTPDate.parse) else { return false }
        return modified <= since
    }

    private static func ifRangeAllows(request: RequestHead, entityTag: String, modified: Int) -> Bool {
        guard let condition = request.field("If-Range")?.trimmingSpaces() else { return true }
        if condition.hasPrefix("\"") { return condition == entityTag }
        return HTTPDate.parse(condition) == modified
    }

    private static func weakTag(_ tag: String) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
    }
}
