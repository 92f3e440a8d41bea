import StaticHTTP
import Testing

/// Runs `body` over the bytes of `text`.
func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try Array(text.utf8).withUnsafeBytes(body)
}

/// Parses a whole head given as text.
func parseHead(_ text: String) throws -> RequestHead {
    try Array(text.utf8).withUnsafeBytes { try RequestHead(parsing: $0) }
}

/// The status a head is rejected with, or nil when it parses.
func rejection(_ text: String) -> Int? {
    do {
        _ = try parseHead(text)
        return nil
    } catch {
        return (error as? RequestError)?.status.code ?? -1
    }
}

struct RequestHeadTests {
    @Test func findsTheEndOfTheHeadWithCRLFOrLF() throws {
        #expect(try withBytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest") { try RequestHead.headLength(in: $0) } == 27)
        #expect(try withBytes("GET / HTTP/1.1\nHost: a\n\nrest") { try RequestHead.headLength(in: $0) } == 24)
        #expect(try withBytes("GET / HTTP/1.1\r\nHost: a\r\n") { try RequestHead.headLength(in: $0) } == nil)
        #expect(try withBytes("GET / HT") { try RequestHead.headLength(in: $0) } == nil)
    }

    @Test func measuresTheEmptyLinesBeforeTheRequestLine() {
        #expect(withBytes("\r\n\nGET / HTTP/1.1\r\n") { RequestHead.leadingEmptyLinesLength(in: $0) } == 3)
        #expect(withBytes("GET / HTTP/1.1\r\n") { RequestHead.leadingEmptyLinesLength(in: $0) } == 0)
        #expect(withBytes("\r\n\r") { RequestHead.leadingEmptyLinesLength(in: $0) } == 2)
        #expect(withBytes("\r\r\n") { RequestHead.leadingEmptyLinesLength(in: $0) } == 0)
        #expect(withBytes("") { RequestHead.leadingEmptyLinesLength(in: $0) } == 0)
    }

    @Test func overlongRequestLineIs414EvenBeforeItEnds() {
        let line = "GET /" + String(repeating: "a", count: 9000)
        #expect(throws: RequestError.self) { try withBytes(line) { try RequestHead.headLength(in: $0) } }
        do {
            _ = try withBytes(line + " HTTP/1.1\r\n\r\n") { try RequestHead.headLength(in: $0) }
            Issue.record("no error")
        } catch let error as RequestError {
            #expect(error.status == .uriTooLong)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func overlongHeaderBlockIs431EvenBeforeItEnds() {
        let head = "GET / HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 400)
        for text in [head, head + "\r\n"] {
            do {
                _ = try withBytes(text) { try RequestHead.headLength(in: $0) }
                Issue.record("no error")
            } catch let error as RequestError {
                #expect(error.status == .headerFieldsTooLarge)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func parsesRequestLineAndFields() throws {
        let head = try parseHead("GET /a%20b?x=1 HTTP/1.1\r\nHost: example\r\nX-Two:  spaced value \t\r\nx-two: second\r\n\r\n")
        #expect(head.method == "GET")
        #expect(head.target == "/a%20b?x=1")
        #expect(head.minorVersion == 1)
        #expect(head.requestLine == "GET /a%20b?x=1 HTTP/1.1")
        #expect(head.field("x-TWO") == "spaced value")
        #expect(head.fieldValues("X-Two") == ["spaced value", "second"])
        #expect(head.field("Missing") == nil)
    }

    /// Every field, in order, names as sent and values without the spaces and tabs around them;
    /// bytes that are not UTF-8 become U+FFFD in the value's String.
    @Test func listsEveryFieldInOrder() throws {
        let text = "GET / HTTP/1.1\r\nHost: a\r\nAccept:\t text/html, */* \r\nEmpty:\r\nX-Word: caf\u{e9}\r\n"
        let head = try (Array(text.utf8) + Array("X-Raw: a".utf8) + [0xFF] + Array("\r\n\r\n".utf8)).withUnsafeBytes {
            try RequestHead(parsing: $0)
        }
        #expect(head.fields.map(\.name) == ["Host", "Accept", "Empty", "X-Word", "X-Raw"])
        #expect(head.fields.map(\.value) == ["a", "text/html, */*", "", "caf\u{e9}", "a\u{FFFD}"])
        #expect(head.field("empty") == "")
        #expect(head.field("ACCEPT") == "text/html, */*")
        #expect(head.field("X-Wor") == nil && head.field("X-Words") == nil)
    }

    /// Each byte is accepted in a method and a field name exactly when RFC 9110 lists it in
    /// `tchar`, and in a field value unless it is a control character other than tab.
    @Test func everyByteIsJudgedAsRFC9110Says() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789".utf8).union(Set("abcdefghijklmnopqrstuvwxyz".utf8))
            .union(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        func parses(_ bytes: [UInt8]) -> Bool { (try? bytes.withUnsafeBytes { try RequestHead(parsing: $0) }) != nil }
        let host = Array("Host: a\r\n".utf8)
        for byte in UInt8.min...UInt8.max where ![0x20, 0x0A, 0x0D, UInt8(ascii: ":")].contains(byte) {
            let method = Array("G".utf8) + [byte] + Array("T / HTTP/1.1\r\n".utf8) + host + Array("\r\n".utf8)
            #expect(parses(method) == tchar.contains(byte), "method byte \(byte)")
            let name = Array("GET / HTTP/1.1\r\n".utf8) + host + Array("X".utf8) + [byte] + Array(": v\r\n\r\n".utf8)
            #expect(parses(name) == tchar.contains(byte), "name byte \(byte)")
            let value = Array("GET / HTTP/1.1\r\n".utf8) + host + Array("X: a".utf8) + [byte] + Array("b\r\n\r\n".utf8)
            #expect(parses(value) == (byte >= 0x20 && byte != 0x7F || byte == 0x09), "value byte \(byte)")
        }
    }

    @Test func aLaterMinorVersionIsHandledAsHTTP11() throws {
        let head = try parseHead("GET / HTTP/1.2\r\nHost: a\r\n\r\n")
        #expect(head.minorVersion == 2)
        #expect(head.requestLine == "GET / HTTP/1.2")
        #expect(head.keepsAlive)
    }

    @Test func keepAliveRules() throws {
        #expect(try parseHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepsAlive)
        #expect(try !parseHead("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keepsAlive)
        #expect(try !parseHead("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n").keepsAlive)
        #expect(try !parseHead("GET / HTTP/1.0\r\n\r\n").keepsAlive)
        #expect(try parseHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepsAlive)
        #expect(try parseHead("GET / HTTP/1.0\r\nConnection: ,, upgrade ,\tkeep-alive\r\n\r\n").keepsAlive)
        #expect(try !parseHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n").keepsAlive)
        #expect(try !parseHead("GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n").keepsAlive)
        #expect(try parseHead("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, xclose\r\n\r\n").keepsAlive)
    }

    @Test func bodyLengthRejectsSmugglingShapes() throws {
        #expect(try parseHead("GET / HTTP/1.1\r\nHost: a\r\n\r\n").bodyLength() == 0)
        #expect(try parseHead("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n").bodyLength() == 12)
        for fields in ["Content-Length: 5\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunked",
                       "Content-Length: 5\r\nContent-Length: 5", "Content-Length: 5\r\nContent-Length: 6",
                       "Content-Length: -1", "Content-Length: +5", "Content-Length: 1 2", "Content-Length: abc",
                       "Content-Length: ", "Content-Length: 99999999999999999999999", "Content-Length: 0x10"] {
            let head = try parseHead("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n")
            let error = #expect(throws: RequestError.self, "\(fields)") { try head.bodyLength() }
            #expect(error?.status == .badRequest)
        }
    }

    /// Malformed heads and the status each must get; none may crash.
    static let malformed: [(String, Int)] = [
        ("\r\n\r\n", 400), ("GET\r\n\r\n", 400), ("GET /\r\n\r\n", 400), ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400), (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400), ("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", 400), ("GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505), ("GET / HTTP/1.2\r\n\r\n", 400),
        ("GET / HTTP/0.9\r\n\r\n", 505), ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400), ("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\u{1}b\r\n\r\n", 400), ("GET /a\u{7f} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400), ("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("\u{0}\u{0}\u{0}\r\n\r\n", 400),
    ]

    @Test(arguments: malformed)
    func malformedHeadsAreRejected(head: String, status: Int) {
        #expect(rejection(head) == status, "\(head.debugDescription)")
    }

    @Test func randomBytesNeverCrashTheParser() {
        var state: UInt64 = 0x1234_5678
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let count = Int(state >> 54)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let pick = Int(state >> 59)
                bytes.append(pick < 4 ? Array("\r\n: ".utf8)[pick] : UInt8(truncatingIfNeeded: state >> 33))
            }
            bytes.withUnsafeBytes { buffer in
                _ = try? RequestHead.headLength(in: buffer)
                _ = try? RequestHead(parsing: buffer)
            }
        }
    }
}
