/// An HTTP response status: its code and reason phrase.
public struct HTTPStatus: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The three-digit code.
    public let code: Int
    /// The reason phrase sent after the code.
    public let reason: String

    /// A status with `code` (three digits: 100 to 999) and `reason`.
    public init(_ code: Int, _ reason: String) {
        precondition((100...999).contains(code), "an HTTP status code has three digits")
        self.code = code
        self.reason = reason
    }

    /// `200 OK`-style text.
    public var description: String { "\(code) \(reason)" }

    /// Whether the response may carry a body (not 1xx, 204 or 304).
    public var allowsBody: Bool { code >= 200 && code != 204 && code != 304 }

    // The statuses StaticHTTP and the file server answer with.

    /// 200 OK.
    public static let ok = HTTPStatus(200, "OK")
    /// 206 Partial Content.
    public static let partialContent = HTTPStatus(206, "Partial Content")
    /// 301 Moved Permanently.
    public static let movedPermanently = HTTPStatus(301, "Moved Permanently")
    /// 304 Not Modified.
    public static let notModified = HTTPStatus(304, "Not Modified")
    /// 400 Bad Request.
    public static let badRequest = HTTPStatus(400, "Bad Request")
    /// 403 Forbidden.
    public static let forbidden = HTTPStatus(403, "Forbidden")
    /// 404 Not Found.
    public static let notFound = HTTPStatus(404, "Not Found")
    /// 405 Method Not Allowed.
    public static let methodNotAllowed = HTTPStatus(405, "Method Not Allowed")
    /// 413 Content Too Large.
    public static let contentTooLarge = HTTPStatus(413, "Content Too Large")
    /// 414 URI Too Long.
    public static let uriTooLong = HTTPStatus(414, "URI Too Long")
    /// 416 Range Not Satisfiable.
    public static let rangeNotSatisfiable = HTTPStatus(416, "Range Not Satisfiable")
    /// 431 Request Header Fields Too Large.
    public static let headerFieldsTooLarge = HTTPStatus(431, "Request Header Fields Too Large")
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(500, "Internal Server Error")
    /// 501 Not Implemented.
    public static let notImplemented = HTTPStatus(501, "Not Implemented")
    /// 503 Service Unavailable.
    public static let serviceUnavailable = HTTPStatus(503, "Service Unavailable")
    /// 505 HTTP Version Not Supported.
    public static let versionNotSupported = HTTPStatus(505, "HTTP Version Not Supported")
}
