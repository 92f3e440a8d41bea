import StaticHTTP
import Testing

struct ResponseTests {
    static let metadata = FileMetadata(size: 1000, modified: 784_111_777)

    func plan(_ head: String) throws -> FileResponse {
        FileResponse(request: try parseHead(head), metadata: Self.metadata, name: "page.html", boundary: "B")
    }

    func field(_ response: FileResponse, _ name: String) -> String? {
        response.head.fields.first { $0.name == name }?.value
    }

    @Test func wholeFile() throws {
        let response = try plan("GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(response.head.status == .ok)
        #expect(field(response, "Content-Length") == "1000")
        #expect(field(response, "Content-Type") == "text/html; charset=utf-8")
        #expect(field(response, "Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(field(response, "Accept-Ranges") == "bytes")
        #expect(field(response, "ETag") == Self.metadata.entityTag)
        #expect(response.body == [.file(0...999)])
        let head = try plan("HEAD /page.html HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(head.body.isEmpty && field(head, "Content-Length") == "1000")
    }

    /// The requests that `answersWithWholeFile` picks all get the same plan: 200 and the whole file.
    @Test func requestsAnsweredWithTheWholeFileShareOnePlan() throws {
        let whole = [
            "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /page.html?x=1 HTTP/1.0\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n",
            "GET /page.html HTTP/1.1\r\nHost: a\r\nIf-Range: \"other\"\r\nUser-Agent: t\r\n\r\n",
        ]
        let reference = try plan(whole[0])
        for head in whole {
            #expect(FileResponse.answersWithWholeFile(try parseHead(head)), "\(head)")
            let response = try plan(head)
            #expect(response.head.bytes == reference.head.bytes && response.body == [.file(0...999)], "\(head)")
            #expect(response.body == FileResponse.wholeFileBody(size: 1000))
        }
        #expect(FileResponse.wholeFileBody(size: 0).isEmpty, "an empty file is sent as no part")
        let others = [
            "HEAD /page.html HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nrange: bytes=0-0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"other\"\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nIF-MODIFIED-SINCE: yesterday\r\n\r\n",
        ]
        for head in others { #expect(!FileResponse.answersWithWholeFile(try parseHead(head)), "\(head)") }
    }

    @Test func conditionalRequests() throws {
        let tag = Self.metadata.entityTag
        for condition in ["If-None-Match: \(tag)", "If-None-Match: \"x\", \(tag)", "If-None-Match: *",
                          "If-None-Match: W/\(tag)", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
                          "If-Modified-Since: Mon, 07 Nov 1994 08:49:37 GMT"] {
            let response = try plan("GET / HTTP/1.1\r\nHost: a\r\n\(condition)\r\n\r\n")
            #expect(response.head.status == .notModified, "\(condition)")
            #expect(response.body.isEmpty)
        }
        for condition in ["If-None-Match: \"other\"", "If-Modified-Since: Sat, 05 Nov 1994 08:49:37 GMT",
                          "If-Modified-Since: yesterday",
                          "If-None-Match: \"other\"\r\nIf-Modified-Since: Mon, 07 Nov 1994 08:49:37 GMT"] {
            #expect(try plan("GET / HTTP/1.1\r\nHost: a\r\n\(condition)\r\n\r\n").head.status == .ok, "\(condition)")
        }
    }

    @Test func ranges() throws {
        let single = try plan("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=10-19\r\n\r\n")
        #expect(single.head.status == .partialContent)
        #expect(field(single, "Content-Range") == "bytes 10-19/1000")
        #expect(field(single, "Content-Length") == "10")
        #expect(single.body == [.file(10...19)])

        let unsatisfiable = try plan("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=5000-\r\n\r\n")
        #expect(unsatisfiable.head.status == .rangeNotSatisfiable)
        #expect(field(unsatisfiable, "Content-Range") == "bytes */1000")

        let multiple = try plan("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-0,-1\r\n\r\n")
        #expect(multiple.head.status == .partialContent)
        #expect(field(multiple, "Content-Type") == "multipart/byteranges; boundary=B")
        let bodyLength = multiple.body.reduce(0) { total, part in
            switch part {
            case .bytes(let bytes): total + bytes.count
            case .file(let range): total + Int(range.count)
            }
        }
        #expect(field(multiple, "Content-Length") == String(bodyLength), "Content-Length is the body's exact size")

        let headRange = try plan("HEAD / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-0\r\n\r\n")
        #expect(headRange.head.status == .ok, "Range applies to GET only")
        let staleIfRange = try plan("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-0\r\nIf-Range: \"old\"\r\n\r\n")
        #expect(staleIfRange.head.status == .ok)
        let freshIfRange = try plan("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-0\r\nIf-Range: \(Self.metadata.entityTag)\r\n\r\n")
        #expect(freshIfRange.head.status == .partialContent)
    }

    @Test func datesRoundTripInAllThreeForms() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(-1) == "Wed, 31 Dec 1969 23:59:59 GMT")
        #expect(HTTPDate.format(Int.max) == "Fri, 31 Dec 9999 23:59:59 GMT", "clamped to four-digit years")
        #expect(HTTPDate.format(Int.min) == "Mon, 01 Jan 0001 00:00:00 GMT")
        #expect(HTTPDate.formatCommonLog(784_111_777) == "06/Nov/1994:08:49:37 +0000")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        for bad in ["", "yesterday", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                    "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func contentTypes() {
        #expect(ContentType.forFile(named: "a.HTML") == "text/html; charset=utf-8")
        #expect(ContentType.forFile(named: "logo.png") == "image/png")
        #expect(ContentType.forFile(named: "x.jpeg") == "image/jpeg")
        #expect(ContentType.forFile(named: "m.wasm") == "application/wasm")
        #expect(ContentType.forFile(named: "v.mp4") == "video/mp4")
        #expect(ContentType.forFile(named: "i.svg") == "image/svg+xml; charset=utf-8")
        #expect(ContentType.forFile(named: "archive.tar.gz") == "application/octet-stream")
        #expect(ContentType.forFile(named: "README") == "application/octet-stream")
        #expect(ContentType.forFile(named: ".css") == "application/octet-stream")
    }

    @Test func listingEscapesNamesAndEncodesLinks() throws {
        let target = try RequestTarget(resolving: "/dir/")
        let page = DirectoryListing.page(for: target, entries: [
            DirectoryEntry(name: "<script>alert(1)</script>.html", isDirectory: false, size: 1, modified: 0),
            DirectoryEntry(name: "a \"quoted\" & 'x'", isDirectory: true, size: 0, modified: 0),
        ])
        #expect(!page.contains("<script>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;.html"))
        #expect(page.contains("href=\"./%3Cscript%3Ealert(1)%3C%2Fscript%3E.html\""))
        #expect(page.contains("href=\"./a%20%22quoted%22%20&amp;%20&#39;x&#39;/\""))
        #expect(page.contains("<a href=\"../\">"))
    }

    @Test func redirectKeepsTheQueryAndEncodesThePath() throws {
        let response = InMemoryResponse.directoryRedirect(try RequestTarget(resolving: "/a%20b?x=1"))
        #expect(response.head.status == .movedPermanently)
        #expect(response.head.fields.first { $0.name == "Location" }?.value == "/a%20b/?x=1")
        let text = String(decoding: response.head.bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 301 Moved Permanently\r\n") && text.hasSuffix("\r\n\r\n"))
    }

    @Test func errorPageEscapesItsDetail() {
        let page = InMemoryResponse.errorPage(.badRequest, detail: "<b>")
        #expect(String(decoding: page.body, as: UTF8.self).contains("&lt;b&gt;"))
        #expect(page.head.fields.contains { $0.name == "Content-Length" && $0.value == String(page.body.count) })
    }
}
