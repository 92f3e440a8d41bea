import Foundation
import Libevent
import TestSupport
import Testing

/// A temporary document root with a few files, a subdirectory, a secret outside the root and
/// symbolic links pointing at it.
final class TemporarySite {
    let directory: URL
    let root: URL
    static let secret = "TOP-SECRET-OUTSIDE-THE-ROOT"

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("file-server-\(UUID().uuidString)")
        root = directory.appendingPathComponent("root")
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        try manager.createDirectory(at: root.appendingPathComponent("with index"), withIntermediateDirectories: true)
        try Self.secret.write(to: directory.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try "hello, world\n".write(to: root.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        try "<h1>index</h1>".write(to: root.appendingPathComponent("with index/index.html"), atomically: true, encoding: .utf8)
        try "a".write(to: root.appendingPathComponent("sub/<b>&\"x\".txt"), atomically: true, encoding: .utf8)
        try Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: root.appendingPathComponent("data.bin"))
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("escape.txt").path, withDestinationPath: "../secret.txt")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("escape-dir").path, withDestinationPath: "..")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("inside.txt").path, withDestinationPath: "hello.txt")
        // Absolute links: the kernel's confined open refuses both, and the careful path decides.
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("absolute-escape.txt").path,
                                       withDestinationPath: directory.appendingPathComponent("secret.txt").path)
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("absolute-inside.txt").path,
                                       withDestinationPath: root.appendingPathComponent("hello.txt").path)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes a file of `size` bytes at `name` under the root.
    func makeLargeFile(_ name: String, size: Int) throws {
        let path = root.appendingPathComponent(name).path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<(size >> 20) { writeAll(descriptor, chunk) }
    }

    /// Starts file-server on this site.
    func start(_ extra: [String] = [], capturingStandardError: Bool = false,
               launcher: [String] = []) throws -> (ChildProcess, SocketAddress) {
        let server = try ChildProcess(builtProduct: "file-server", arguments: ["--port", "0", "--root", root.path] + extra,
                                      capturingStandardError: capturingStandardError, launcher: launcher)
        return (server, try server.listeningAddress())
    }
}

@Suite(.timeLimit(.minutes(2)))
struct FileServerTests {
    @Test func servesFilesWithTheirHeaders() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.get("/hello.txt")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        #expect(response.text == "hello, world\n")
        #expect(response.headers["content-length"] == "13")
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(response.headers["accept-ranges"] == "bytes")
        #expect(response.headers["etag"]?.hasPrefix("\"") == true)
        #expect(response.headers["last-modified"]?.hasSuffix(" GMT") == true)
        #expect(response.headers["date"]?.hasSuffix(" GMT") == true)

        client.get("/hello.txt", method: "HEAD")
        let head = try #require(client.readResponse(toHEAD: true))
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] == "13")

        client.get("/data.bin")
        let binary = try #require(client.readResponse())
        #expect(binary.body == (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(binary.headers["content-type"] == "application/octet-stream")
        #expect(server.terminate() == 0)
    }

    @Test func keepAliveAndCloseRules() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let keepAlive = try HTTPTestClient(address)
        for _ in 0..<3 {
            keepAlive.get("/hello.txt")
            #expect(keepAlive.readResponse()?.status == 200, "HTTP/1.1 keeps the connection")
        }
        keepAlive.get("/hello.txt", ["Connection: close"])
        #expect(keepAlive.readResponse()?.headers["connection"] == "close")
        #expect(keepAlive.isClosedByServer())

        let oldClient = try HTTPTestClient(address)
        oldClient.send("GET /hello.txt HTTP/1.0\r\n\r\n")
        #expect(oldClient.readResponse()?.status == 200)
        #expect(oldClient.isClosedByServer(), "HTTP/1.0 closes by default")

        let oldKeepAlive = try HTTPTestClient(address)
        for _ in 0..<2 {
            oldKeepAlive.send("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = oldKeepAlive.readResponse()
            #expect(response?.status == 200 && response?.headers["connection"] == "keep-alive")
        }
        #expect(server.terminate() == 0)
    }

    /// The server closes after a `Connection: close` response; a client that sends more meanwhile
    /// (here another request, after its window has filled) must still get the whole response, not
    /// a reset that destroys the part still in the server's kernel.
    @Test func aResponseBeforeACloseArrivesWholeWhenTheClientKeepsSending() throws {
        let site = try TemporarySite()
        try site.makeLargeFile("large.bin", size: 1 << 20)
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address, receiveBuffer: 65_536)
        client.get("/large.bin", ["Connection: close"])
        usleep(300_000)  // the server has sent all it can, and closed
        client.get("/hello.txt")
        let response = try #require(client.readResponse())
        #expect(response.status == 200)
        #expect(response.body.count == 1 << 20)
        #expect(client.isClosedByServer())
        #expect(server.terminate() == 0)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "HEAD /data.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-4\r\n\r\n")
        #expect(client.readResponse()?.text == "hello, world\n")
        #expect(client.readResponse()?.status == 404)
        #expect(client.readResponse(toHEAD: true)?.headers["content-length"] == "100000")
        #expect(client.readResponse()?.text == "hello")
        #expect(server.terminate() == 0)
    }

    @Test func emptyLinesBeforeARequestAreIgnored() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.send("\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n\r\n\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(client.readResponse()?.text == "hello, world\n")
        #expect(client.readResponse()?.status == 404)
        // Only empty lines, more than a head can hold, then a request: nothing piles up.
        client.send(String(repeating: "\r\n", count: 40_000) + "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(client.readResponse()?.text == "hello, world\n")
        #expect(server.terminate() == 0)
    }

    @Test func aFileCutShorterWhileItIsSentClosesTheConnectionAndIsLogged() throws {
        let site = try TemporarySite()
        try site.makeLargeFile("big.bin", size: 32 << 20)
        let (server, address) = try site.start(["--access-log"], capturingStandardError: true)
        let client = try HTTPTestClient(address)
        client.get("/big.bin")
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let firstRead = read(client.descriptor, &buffer, buffer.count)
        #expect(firstRead > 0, "the response has begun")
        #expect(truncate(site.root.appendingPathComponent("big.bin").path, 1 << 20) == 0)
        // Before, sendfile wrote nothing at every loop iteration until the idle timeout (60 s).
        #expect(client.isClosedByServer(), "closed at once, within the client's 5 s read timeout")
        let other = try HTTPTestClient(address)
        other.get("/hello.txt")
        #expect(other.readResponse()?.text == "hello, world\n")
        #expect(server.terminate() == 0)
        let log = server.standardErrorText()
        #expect(log.contains("file-server: a file shrank while it was sent to 127.0.0.1"))
        // The failed response is in the access log, as nginx logs it: its status and the body bytes
        // that went out, at least those the client read (less the head) and not the whole file.
        let failedLine = try #require(log.split(separator: "\n").first { $0.contains("GET /big.bin") })
        let bodySent = try #require(failedLine.wholeMatch(of: #/.*"GET /big.bin HTTP/1.1" 200 (\d+)/#).flatMap { Int($0.1) })
        #expect(bodySent >= firstRead - 512 && bodySent < 32 << 20, "\(failedLine)")
        #expect(log.contains("\"GET /hello.txt HTTP/1.1\" 200 13"))
    }

    /// Raw requests and the status each must get, and whether the server then closes.
    static let badRequests: [(String, Int, Bool)] = [
        ("POST /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 405, false),
        ("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", 405, false),
        ("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501, false),
        ("get /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 501, false),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, true),
        ("GET / HTTP/3\r\nHost: a\r\n\r\n", 400, true),
        ("GARBAGE\r\n\r\n", 400, true),
        ("GET / HTTP/1.1\r\n\r\n", 400, true),
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, true),
        ("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-Pad: 0123456789abcdef0123456789abcdef\r\n", count: 500) + "\r\n", 431, true),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400, true),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, true),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400, true),
        ("GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET /../secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET /..%2fsecret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET /%252e%252e/secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET /..\\secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET /escape.txt HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET /absolute-escape.txt HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET /escape-dir/secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET /escape-dir/ HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
        ("GET http://evil/../secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, false),
        ("GET /hello.txt/ HTTP/1.1\r\nHost: a\r\n\r\n", 404, false),
    ]

    @Test func badRequestsGetTheirStatusAndNothingFromOutsideTheRoot() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        for (request, status, closes) in Self.badRequests {
            let client = try HTTPTestClient(address)
            client.send(request)
            let response = client.readResponse()
            #expect(response?.status == status, "\(request.prefix(60).debugDescription)")
            #expect(response?.text.contains(TemporarySite.secret) == false)
            if status == 405 { #expect(response?.headers["allow"] == "GET, HEAD") }
            if closes {
                #expect(client.isClosedByServer(), "closes after \(request.prefix(40).debugDescription)")
            } else {
                client.get("/hello.txt")
                #expect(client.readResponse()?.status == 200, "keeps serving after \(request.prefix(40).debugDescription)")
            }
        }
        let inside = try HTTPTestClient(address)
        inside.get("/inside.txt")
        #expect(inside.readResponse()?.text == "hello, world\n", "a symlink inside the root is served")
        inside.get("/absolute-inside.txt")
        #expect(inside.readResponse()?.text == "hello, world\n", "so is an absolute one that stays inside")
        #expect(server.terminate() == 0)
    }

    @Test func aPathThroughADirectoryThatMayNotBeSearchedAnswers403() throws {
        let site = try TemporarySite()
        let locked = site.root.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
        try "x".write(to: locked.appendingPathComponent("x.txt"), atomically: true, encoding: .utf8)
        #expect(chmod(locked.path, 0o600) == 0)  // readable and writable by its owner, not searchable
        defer { chmod(locked.path, 0o755) }  // so that the site can be removed
        // Root is not bound by permissions; without the two capabilities that exempt it (dropped
        // for the server through setpriv), it is bound by the owner's bits like anyone else.
        let dropsExemption = ["/usr/bin/setpriv", "--inh-caps=-dac_override,-dac_read_search",
                              "--bounding-set=-dac_override,-dac_read_search"]
        let (server, address) = try site.start(launcher: geteuid() == 0 ? dropsExemption : [])
        let client = try HTTPTestClient(address)
        client.get("/locked/x.txt")
        #expect(client.readResponse()?.status == 403, "as nginx answers; 404 would say it is not there")
        client.get("/hello.txt")
        #expect(client.readResponse()?.status == 200)
        #expect(server.terminate() == 0)
    }

    @Test func rootCheckComparesBytesNotCanonicallyEquivalentText() throws {
        // A root spelled with a precomposed é, a sibling spelled with e + combining accent (equal as
        // Swift Strings, different directories), and a link from the root into the sibling.
        let manager = FileManager.default
        let parent = manager.temporaryDirectory.appendingPathComponent("file-server-nfc-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: parent) }
        let root = parent.appendingPathComponent("caf\u{E9}")
        let sibling = parent.appendingPathComponent("cafe\u{301}")
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        try manager.createDirectory(at: sibling, withIntermediateDirectories: true)
        try TemporarySite.secret.write(to: sibling.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try "mark".write(to: root.appendingPathComponent("\u{35A}x.txt"), atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("link").path,
                                       withDestinationPath: "../cafe\u{301}")
        let server = try ChildProcess(builtProduct: "file-server", arguments: ["--port", "0", "--root", root.path])
        let client = try HTTPTestClient(try server.listeningAddress())
        client.get("/link/secret.txt")
        let escaped = try #require(client.readResponse())
        #expect(escaped.status == 404 && !escaped.text.contains(TemporarySite.secret))
        client.get("/%CD%9Ax.txt")
        #expect(client.readResponse()?.text == "mark", "a name starting with a combining mark is served")
        #expect(server.terminate() == 0)
    }

    @Test func fileNamesCannotInjectHeadersOrMarkup() throws {
        let site = try TemporarySite()
        let hostile = "evil\r\nSet-Cookie: stolen=1\r\n<b>x"
        try FileManager.default.createDirectory(at: site.root.appendingPathComponent("sub/\(hostile)"),
                                                withIntermediateDirectories: true)
        let latin1Name = (site.root.appendingPathComponent("sub").path + "/caf").utf8.map { CChar(bitPattern: $0) }
            + [CChar(bitPattern: 0xE9), 0]  // "café" with é as one byte: not UTF-8
        let created = creat(latin1Name, 0o644)
        #expect(created >= 0)
        close(created)
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.get("/sub/evil%0D%0ASet-Cookie:%20stolen=1%0D%0A%3Cb%3Ex")
        let response = try #require(client.readResponse())
        #expect(response.status == 400, "CR and LF in a path are refused, so no redirect can carry them")
        #expect(response.headers["set-cookie"] == nil)
        client.get("/sub/")
        let listing = try #require(client.readResponse())
        #expect(listing.headers["set-cookie"] == nil && !listing.text.contains("evil"),
                "a name with control characters, which no request can ask for, is not listed")
        #expect(!listing.text.contains("caf"), "nor is a name that is not UTF-8")
        #expect(listing.text.contains("href=\"./%3Cb%3E&amp;%22x%22.txt\">&lt;b&gt;&amp;&quot;x&quot;.txt</a>"),
                "other names are listed, the link percent-encoded and HTML-escaped")
        client.get("/hello.txt", ["Range: bytes=" + (0..<1500).map { "\($0)-\($0)" }.joined(separator: ",")])
        let huge = try #require(client.readResponse())
        #expect(huge.status == 200 && huge.text == "hello, world\n", "an 11 KiB Range list gets the whole file once")
        #expect(server.terminate() == 0)
    }

    @Test func bodyOnGetIsDiscardedWithoutDesynchronising() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        let body = String(repeating: "GET /escape.txt HTTP/1.1\r\n\r\n", count: 3000)  // looks like requests; is a body
        client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        client.send(body)
        client.get("/data.bin", method: "HEAD")
        #expect(client.readResponse()?.status == 200)
        #expect(client.readResponse(toHEAD: true)?.headers["content-length"] == "100000", "the next request is the HEAD")
        #expect(server.terminate() == 0)
    }

    @Test func conditionalAndRangeRequests() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.get("/data.bin")
        let first = try #require(client.readResponse())
        let etag = try #require(first.headers["etag"])
        let lastModified = try #require(first.headers["last-modified"])
        client.get("/data.bin", ["If-None-Match: \"nope\", \(etag)"])
        let notModified = try #require(client.readResponse())
        #expect(notModified.status == 304 && notModified.body.isEmpty)
        client.get("/data.bin", ["If-Modified-Since: \(lastModified)"])
        #expect(client.readResponse()?.status == 304)

        client.get("/data.bin", ["Range: bytes=-10"])
        let suffix = try #require(client.readResponse())
        #expect(suffix.status == 206 && suffix.headers["content-range"] == "bytes 99990-99999/100000")
        #expect(suffix.body == Array(first.body[99_990...]))
        client.get("/data.bin", ["Range: bytes=100000-"])
        let unsatisfiable = try #require(client.readResponse())
        #expect(unsatisfiable.status == 416 && unsatisfiable.headers["content-range"] == "bytes */100000")
        client.get("/data.bin", ["Range: bytes=0-1,10-11"])
        let multipart = try #require(client.readResponse())
        #expect(multipart.status == 206)
        #expect(multipart.headers["content-type"]?.hasPrefix("multipart/byteranges; boundary=") == true)
        #expect(multipart.text.contains("Content-Range: bytes 10-11/100000"))
        let hostile = "Range: bytes=" + Array(repeating: "0-", count: 60).joined(separator: ",")
        client.get("/data.bin", [hostile])
        let merged = try #require(client.readResponse())
        #expect(merged.body.count == 100_000, "60 overlapping ranges are sent once, not 60 times")
        #expect(server.terminate() == 0)
    }

    @Test func directoriesRedirectIndexAndList() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        client.get("/sub?x=1")
        let redirect = try #require(client.readResponse())
        #expect(redirect.status == 301 && redirect.headers["location"] == "/sub/?x=1")
        client.get("/with%20index/")
        #expect(client.readResponse()?.text == "<h1>index</h1>")
        client.get("/sub/")
        let listing = try #require(client.readResponse())
        #expect(listing.status == 200 && listing.headers["content-type"] == "text/html; charset=utf-8")
        #expect(listing.text.contains("&lt;b&gt;&amp;&quot;x&quot;.txt"), "names are HTML-escaped")
        #expect(listing.text.contains("href=\"./%3Cb%3E&amp;%22x%22.txt\""), "links are percent-encoded")
        #expect(listing.text.contains("href=\"./deeper/\""))
        #expect(!listing.text.contains("<b>"))
        client.get("/")
        let root = try #require(client.readResponse())
        #expect(root.text.contains("href=\"./inside.txt\"") && root.text.contains("href=\"./absolute-inside.txt\""),
                "symbolic links that stay inside the root are listed")
        #expect(!root.text.contains("escape"), "links that lead out of it, which would get 404, are not")
        #expect(server.terminate() == 0)

        let (unlisted, unlistedAddress) = try site.start(["--no-listing"])
        let other = try HTTPTestClient(unlistedAddress)
        other.get("/sub/")
        #expect(other.readResponse()?.status == 403)
        other.get("/with%20index/")
        #expect(other.readResponse()?.status == 200)
        #expect(unlisted.terminate() == 0)
    }

    @Test func slowlorisIsClosedWhileOthersAreServed() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start(["--idle-timeout", "1"])
        let slow = try HTTPTestClient(address)
        let started = ContinuousClock.now
        var closed = false
        for byte in "GET /hello.txt HTTP/1.1\r\nHost: a\r\nX-Slow: " + String(repeating: "z", count: 40) {
            var message = [UInt8](String(byte).utf8)
            if send(slow.descriptor, &message, message.count, Int32(MSG_NOSIGNAL)) < 0 { closed = true; break }
            let other = try HTTPTestClient(address)
            other.get("/hello.txt")
            #expect(other.readResponse()?.status == 200, "other clients are served meanwhile")
            usleep(100_000)
            if ContinuousClock.now - started > .seconds(3) { break }
        }
        #expect(closed || slow.isClosedByServer(), "a request trickled for over the idle timeout is cut off")
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(server.terminate() == 0)
    }

    @Test func accessLogEscapesTheRequestLine() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start(["--access-log"], capturingStandardError: true)
        let client = try HTTPTestClient(address)
        client.send("GET /a\"b\\c HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(client.readResponse()?.status == 404)
        client.get("/hello.txt")
        #expect(client.readResponse()?.status == 200)
        #expect(server.terminate() == 0)
        let lines = server.standardErrorText().split(separator: "\n")
        #expect(lines.count == 2)
        let logLine = #/^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "(.*)" (\d{3}) (\S+)$/#
        let first = try #require(lines.first?.wholeMatch(of: logLine))
        #expect(first.1 == #"GET /a\"b\\c HTTP/1.1"#)
        #expect(first.2 == "404")
        let second = try #require(lines.last?.wholeMatch(of: logLine))
        #expect(second.1 == "GET /hello.txt HTTP/1.1" && second.2 == "200" && second.3 == "13")
    }
}
