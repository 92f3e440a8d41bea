import ServerSupport
import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Common Log Format lines on standard error:
/// `127.0.0.1 - - [28/Nov/2026:21:50:12 +0000] "GET / HTTP/1.1" 200 1234`.
/// A response that failed part way (the client reset, a write timeout, a file cut shorter) is
/// logged too, as nginx does, with the body bytes the kernel took before the failure.
enum AccessLog {
    /// What the log will say about one response, filled in while it is made and sent.
    final class Entry {
        var requestLine: String?
        /// The client's address, taken when the response begins (a reset peer has none to ask).
        var client = "-"
        var status = 0
        /// The body bytes of the response.
        var bodyBytes: Int64 = 0
        /// The bytes of the response's head, and those of head and body the kernel has taken.
        private var headBytes: Int64 = 0
        private var bytesTaken: Int64 = 0
        /// Whether a write of the response failed; the line is then written when the connection
        /// is reset, once every write of the response has reported what it sent.
        private(set) var responseFailed = false

        /// Starts the entry of a response with `status` and a head of `headBytes` bytes.
        func beginResponse(client: String, status: Int, headBytes: Int) {
            self.client = client
            self.status = status
            self.headBytes = Int64(headBytes)
            bodyBytes = 0
            bytesTaken = 0
            responseFailed = false
        }

        /// A write of the response completed; `bytes` of it were taken by the kernel.
        func writeCompleted(bytes: Int, failed: Bool) {
            bytesTaken += Int64(bytes)
            responseFailed = responseFailed || failed
        }

        /// Writes the line of a response that was sent in full.
        func writeSent() {
            AccessLog.write(client: client, requestLine: requestLine, status: status, bodyBytes: bodyBytes)
        }

        /// Writes the line of a response that failed part way, with the body bytes that went out.
        func writeFailed() {
            let bodySent = min(bodyBytes, max(0, bytesTaken - headBytes))
            AccessLog.write(client: client, requestLine: requestLine, status: status, bodyBytes: bodySent)
            responseFailed = false
        }
    }

    /// Writes one line. `requestLine` is escaped: `"` and `\` get a backslash, control and non-ASCII
    /// bytes become `\xHH`, so a hostile request cannot forge or split log lines.
    static func write(client: String, requestLine: String?, status: Int, bodyBytes: Int64) {
        let request = requestLine.map(escape) ?? "-"
        let size = bodyBytes > 0 ? String(bodyBytes) : "-"
        printError("\(client) - - [\(HTTPDate.formatCommonLog(time(nil)))] \"\(request)\" \(status) \(size)")
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): result += "\\\""
            case UInt8(ascii: "\\"): result += "\\\\"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
