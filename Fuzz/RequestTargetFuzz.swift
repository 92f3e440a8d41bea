// libFuzzer target: percent-decoding and path normalisation (StaticHTTP's RequestTarget). The
// resolved path must never climb above the root, and resolving its own encoded form must give the
// same path back.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let target = try? RequestTarget(resolving: text) else { return 0 }
    for segment in target.segments {
        precondition(!segment.isEmpty && segment != "." && segment != "..", "segment \(segment.debugDescription)")
        precondition(!segment.utf8.contains { $0 == UInt8(ascii: "/") || $0 < 0x20 || $0 == 0x7F }, "separator or control in \(segment.debugDescription)")
    }
    let root = "/srv/root"
    let joined = root + "/" + target.relativePath
    // Bytes, not Characters: String.hasPrefix compares grapheme clusters under canonical equivalence.
    precondition(joined.utf8.starts(with: (root + "/").utf8), "escaped: \(joined)")
    for directory in [false, true] {
        let encoded = target.encodedPath(asDirectory: directory)
        precondition(!encoded.utf8.contains { $0 <= 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: "\"") }, "unsafe Location \(encoded)")
        guard let again = try? RequestTarget(resolving: encoded) else { preconditionFailure("own encoding rejected: \(encoded)") }
        precondition(again.segments == target.segments, "encoding round trip changed the path: \(encoded)")
    }
    return 0
}
