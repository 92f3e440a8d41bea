import ServerSupport
import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Common Log Format lines on standard error:
/// `127.0.0.1 - - [28/Nov/2026:21:50:12 +0000] "GET / HTTP/1.1" 200 1234`.
enum AccessLog {
    /// What the log will say about one response, filled in while it is made.
    final class Entry {
        var requestLine: String?
        var status = 0
        var bodyBytes: Int64 = 0
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
