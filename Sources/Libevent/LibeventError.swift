#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of the core: which operation failed and the `errno` it left.
///
/// Failures a caller can act on (bind, connect, socket options, event registration) throw it;
/// connection errors that happen later arrive in callbacks as the same type.
public struct LibeventError: Error, Equatable, CustomStringConvertible {
    /// The operation that failed, for example `"bind"` or `"event_add"`.
    public let operation: String
    /// The `errno` value, or 0 when libevent reported a failure without setting one.
    public let code: Int32

    /// An error for `operation` with an explicit `errno` value.
    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// A file range could not be sent whole: its file was cut shorter after the range was queued,
    /// and `sendfile` reached the new end of the file (EIO, as a short `pread` reports). A socket
    /// fails with it rather than retry a write that can never progress.
    public static let fileTruncated = LibeventError("sendfile", code: EIO)

    /// An error for `operation` carrying the current value of `errno`.
    public static func lastError(_ operation: String) -> LibeventError {
        LibeventError(operation, code: errno)
    }

    /// `lastError(operation)`, or `fallback` when `errno` is 0: for libevent calls that refuse some
    /// arguments without setting it (clear `errno` before the call).
    static func lastError(_ operation: String, orIfUnset fallback: Int32) -> LibeventError {
        LibeventError(operation, code: errno == 0 ? fallback : errno)
    }

    /// `"bind: Address already in use (errno 98)"`, or `"event_add failed"` when there is no errno.
    public var description: String {
        guard code != 0 else { return "\(operation) failed" }
        return "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}
