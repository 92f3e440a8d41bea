import Foundation
import Libevent
import TestSupport
import Testing

/// file-server's cache of small files (`--cache-seconds`): answers from memory equal answers from
/// disk, a changed file is served once its entry expires, and a full cache still serves.
@Suite(.timeLimit(.minutes(1)))
struct FileCacheTests {
    /// Requests that each take a different route through the response plan.
    static let requests: [(method: String, extra: [String])] = [
        ("GET", []), ("HEAD", []), ("GET", ["Range: bytes=0-4"]), ("GET", ["Range: bytes=-3"]),
        ("GET", ["Range: bytes=0-1,7-11"]), ("GET", ["Range: bytes=50-"]), ("GET", ["If-None-Match: *"]),
        ("GET", ["If-Range: \"other\"", "Range: bytes=0-4"]),
    ]

    /// 13 bytes (kept in memory) and 100 KB (kept open, sent with sendfile).
    @Test(arguments: ["/hello.txt", "/data.bin"])
    func answersFromTheCacheEqualTheFirstAnswer(target: String) throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        for request in Self.requests {
            var answers: [HTTPTestResponse] = []
            for _ in 0..<2 {  // the first reads the file, the second finds it cached
                client.get(target, method: request.method, request.extra)
                answers.append(try #require(client.readResponse(toHEAD: request.method == "HEAD")))
            }
            answers[0].headers["date"] = nil
            answers[1].headers["date"] = nil
            #expect(answers[0].status == answers[1].status, "\(request)")
            #expect(answers[0].headers == answers[1].headers, "\(request)")
            #expect(answers[0].body == answers[1].body, "\(request)")
        }
        client.get(target, ["Range: bytes=7-11"])
        #expect(client.readResponse()?.body == (try Data(contentsOf: site.root.appendingPathComponent(target)))[7...11].map { $0 })
        #expect(server.terminate() == 0)
    }

    /// A cached file's plain GET is answered with a head kept ready for each `Connection` field:
    /// each kind of client gets its own, in any order, with the file's fields and a date.
    @Test(arguments: ["/hello.txt", "/data.bin"])
    func readyHeadsKeepEachConnectionField(target: String) throws {
        let site = try TemporarySite()
        let (server, address) = try site.start(["--cache-seconds", "60"])
        let keepAlive = try HTTPTestClient(address)
        let http10 = try HTTPTestClient(address)
        let expected = try Data(contentsOf: site.root.appendingPathComponent(String(target.dropFirst()))).map { $0 }
        func check(_ response: HTTPTestResponse?, connection: String?) {
            #expect(response?.status == 200 && response?.body == expected, "\(target)")
            #expect(response?.headers["connection"] == connection, "\(target)")
            #expect(response?.headers["etag"] != nil && response?.headers["date"]?.hasSuffix(" GMT") == true)
        }
        for _ in 0..<2 {  // the first round fills the cache and makes the heads, the second uses them
            keepAlive.get(target)
            check(keepAlive.readResponse(), connection: nil)
            http10.send("GET \(target) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            check(http10.readResponse(), connection: "keep-alive")
            let closing = try HTTPTestClient(address)
            closing.get(target, ["Connection: close"])
            check(closing.readResponse(), connection: "close")
            #expect(closing.isClosedByServer())
        }
        #expect(server.terminate() == 0)
    }

    @Test func filesAreServedFromTheCacheUntilTheyExpire() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start(["--cache-seconds", "60"])
        let client = try HTTPTestClient(address)
        for name in ["hello.txt", "data.bin"] {
            client.get("/" + name)
            #expect(client.readResponse()?.status == 200)
            try FileManager.default.removeItem(at: site.root.appendingPathComponent(name))
        }
        client.get("/hello.txt")
        #expect(client.readResponse()?.text == "hello, world\n", "13 bytes: kept in memory")
        client.get("/data.bin")
        #expect(client.readResponse()?.body == (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) },
                "100 KB: kept open, sent with sendfile")
        #expect(server.terminate() == 0)
    }

    /// Starts file-server on `site` with `--cache-seconds seconds`, has it serve hello.txt once,
    /// then changes the file on disk.
    private func serveThenChangeHello(_ site: TemporarySite, cacheSeconds: String) throws -> (ChildProcess, HTTPTestClient) {
        let (server, address) = try site.start(["--cache-seconds", cacheSeconds])
        let client = try HTTPTestClient(address)
        client.get("/hello.txt")
        #expect(client.readResponse()?.text == "hello, world\n")
        try "changed\n".write(to: site.root.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        return (server, client)
    }

    @Test func changedFileIsServedOnceItsEntryExpires() throws {
        let site = try TemporarySite()
        let (server, client) = try serveThenChangeHello(site, cacheSeconds: "0.2")
        let changedAt = ContinuousClock.now
        var latest = ""
        while latest != "changed\n", ContinuousClock.now - changedAt < .seconds(5) {
            usleep(20_000)
            client.get("/hello.txt")
            latest = try #require(client.readResponse()).text
        }
        #expect(latest == "changed\n")
        #expect(ContinuousClock.now - changedAt < .seconds(2), "the entry expires after 0.2 s (plus a sweep)")
        #expect(server.terminate() == 0)
    }

    @Test func withTheCacheOffAChangeIsSeenAtOnce() throws {
        let site = try TemporarySite()
        let (server, client) = try serveThenChangeHello(site, cacheSeconds: "0")
        client.get("/hello.txt")
        #expect(client.readResponse()?.text == "changed\n")
        #expect(server.terminate() == 0)
    }

    @Test func aFullCacheStillServes() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let client = try HTTPTestClient(address)
        // More distinct targets (one file, different queries) than the cache keeps entries.
        for batch in 0..<10 {
            let targets = (0..<500).map { "/hello.txt?\(batch * 500 + $0)" }
            client.send(targets.map { "GET \($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
            for _ in targets { #expect(client.readResponse()?.text == "hello, world\n") }
        }
        // More large files than it keeps open.
        for index in 0..<100 {
            client.get("/data.bin?\(index)")
            #expect(client.readResponse()?.body.count == 100_000)
        }
        #expect(server.terminate() == 0)
    }

    @Test(arguments: [["--cache-seconds", "-1"], ["--cache-seconds", "soon"], ["--cache-seconds", "inf"],
                      ["--root", "/nonexistent/directory"]])
    func badOptionsExitTwoWithOneLine(arguments: [String]) throws {
        let server = try ChildProcess(builtProduct: "file-server", arguments: ["--port", "0"] + arguments,
                                      capturingStandardError: true)
        #expect(server.waitForExit() == 2)
        let lines = server.standardErrorText().split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("file-server: ") == true, "\(lines)")
        #expect(lines.first?.contains("Missing value") == false, "a negative value is the value given")
    }
}
