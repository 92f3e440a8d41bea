import StaticHTTP
import Testing

/// The outcome of resolving a target: its segments, or the status it was rejected with.
enum Resolution: Equatable {
    case success([String])
    case failure(Int)
}

/// Resolves `target`.
func resolve(_ target: String) -> Resolution {
    do {
        return .success(try RequestTarget(resolving: target).segments)
    } catch {
        return .failure(error.status.code)
    }
}

struct RequestTargetTests {
    @Test func normalPathsResolveToSegments() throws {
        #expect(resolve("/") == .success([]))
        #expect(resolve("/a/b.txt") == .success(["a", "b.txt"]))
        #expect(resolve("//a///b/") == .success(["a", "b"]))
        #expect(resolve("/a/./b/../c") == .success(["a", "c"]))
        #expect(resolve("/a%20b/c%2Bd+e") == .success(["a b", "c+d+e"]), "decoded once; + stays +")
        #expect(resolve("/caf%C3%A9") == .success(["café"]))
        #expect(resolve("/a\\..\\b") == .success(["a\\..\\b"]), "backslash is not a separator")
    }

    @Test func queryAndFragmentAreSplitOff() throws {
        let target = try RequestTarget(resolving: "/dir?x=1&y=%20#frag")
        #expect(target.segments == ["dir"])
        #expect(target.query == "x=1&y=%20")
        #expect(!target.hasTrailingSlash)
        #expect(try RequestTarget(resolving: "/dir/?q").hasTrailingSlash)
        #expect(try RequestTarget(resolving: "/dir/sub/..").hasTrailingSlash)
    }

    @Test func absoluteFormCountsForItsPathOnly() {
        #expect(resolve("http://example.org/a/b?q") == .success(["a", "b"]))
        #expect(resolve("HTTPS://example.org") == .success([]))
        #expect(resolve("ftp://example.org/a") == .failure(400))
        #expect(resolve("*") == .failure(400))
        #expect(resolve("a/b") == .failure(400))
    }

    /// Every encoding of "go above the root" must be refused or stay inside.
    static let traversals = [
        "/..", "/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/%2e%2e/x",
        "/..%2f..%2fetc/passwd", "/a/..%2F..%2F", "/%2e%2e%2f", "/./../x", "/a/b/../../../x",
    ]

    @Test(arguments: traversals)
    func traversalNeverLeavesTheRoot(target: String) {
        #expect(resolve(target) == .failure(400), "\(target)")
    }

    @Test func doubleEncodingIsDecodedOnlyOnce() {
        #expect(resolve("/%252e%252e/x") == .success(["%2e%2e", "x"]), "a literal name, not ..")
        #expect(resolve("/..%252f") == .failure(400) || resolve("/..%252f") == .success(["..%2f"]))
        #expect(resolve("/a/..%252f") == .success(["a", "..%2f"]))
    }

    @Test func separatorsAreFoundByByteNotByCharacter() {
        // Found by the fuzzer: U+035A after `/` made `/` part of one Character, so the old
        // Character-based split kept `/` inside a segment.
        #expect(resolve("//%CD%9A%D0x/") == .failure(400), "invalid UTF-8")
        #expect(resolve("//%CD%9Ax/") == .success(["\u{35A}x"]))
        #expect(resolve("/a/%CC%9A../b") == .success(["a", "\u{31A}..", "b"]))
        #expect(resolve("/x%D8%80/../../etc") == .failure(400), "U+0600 before `/` hides no separator")
        #expect(resolve("/x%D8%80/../y") == .success(["y"]))
    }

    @Test func badBytesAreRejected() {
        for target in ["/%00", "/a%00.html", "/a%0d%0aSet-Cookie:x", "/%", "/%4", "/%zz", "/%ff", "/%c3", "/a%7f"] {
            #expect(resolve(target) == .failure(400), "\(target)")
        }
    }

    /// A name is reachable exactly when a target naming it resolves: what a listing may link to.
    @Test func reachableNamesAreThoseATargetCanHold() {
        #expect(RequestTarget.reachableName(Array("café <b>&.txt".utf8)) == "café <b>&.txt")
        for bytes: [UInt8] in [[0x61, 0x0D, 0x0A], [0x61, 0x00], [0x7F], [0x63, 0x61, 0x66, 0xE9]] {
            #expect(RequestTarget.reachableName(bytes) == nil, "\(bytes)")
            let target = "/" + bytes.map { $0 < 0x10 ? "%0" + String($0, radix: 16) : "%" + String($0, radix: 16) }.joined()
            #expect(resolve(target) == .failure(400), "\(target)")
        }
    }

    @Test func encodedPathIsSafeForHeaders() throws {
        let target = try RequestTarget(resolving: "/a%20%22quoted%22/%3Cb%3E?q=1")
        #expect(target.encodedPath(asDirectory: true) == "/a%20%22quoted%22/%3Cb%3E/")
        #expect(target.encodedPath(asDirectory: false) == "/a%20%22quoted%22/%3Cb%3E")
        #expect(try RequestTarget(resolving: "/").encodedPath(asDirectory: true) == "/")
    }
}
