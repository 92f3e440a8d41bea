// libFuzzer target: the request-head framer and parser (StaticHTTP's RequestHead) on arbitrary
// bytes. Built by scripts/fuzz.sh together with the StaticHTTP sources, so no import is needed.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestHead(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // As file-server does: the empty lines before a request line are dropped first.
    let emptyLines = RequestHead.leadingEmptyLinesLength(in: input)
    precondition(emptyLines <= size && input[0..<emptyLines].allSatisfy { $0 == 0x0D || $0 == 0x0A },
                 "\(emptyLines) bytes of empty lines")
    let bytes = UnsafeRawBufferPointer(rebasing: input[emptyLines...])
    let size = bytes.count
    let length: Int?
    do {
        length = try RequestHead.headLength(in: bytes)
    } catch {
        precondition([400, 414, 431].contains(error.status.code), "framing gave \(error.status)")
        return 0
    }
    guard let length else {
        precondition(size <= RequestHead.maxHeadLength, "an incomplete head over the limit was not rejected")
        return 0
    }
    precondition(length > 0 && length <= size, "head length \(length) outside 1...\(size)")
    do {
        let head = try RequestHead(parsing: UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
        precondition(!head.method.isEmpty && !head.target.isEmpty, "empty method or target")
        precondition(!head.target.utf8.contains { $0 <= 0x20 || $0 >= 0x7F }, "target with a space or control")
        precondition((0...9).contains(head.minorVersion), "version 1.\(head.minorVersion)")
        let fields = head.fields
        for field in fields {
            precondition(!field.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }, "CR, LF or NUL in a value")
        }
        // The lookups, which compare bytes, agree with the list (names are ASCII tokens).
        for field in fields.prefix(32) {
            let named = fields.filter { $0.name.lowercased() == field.name.lowercased() }.map(\.value)
            precondition(head.field(field.name.uppercased()) == named.first, "field(\(field.name))")
            precondition(head.fieldValues(field.name.lowercased()) == named, "fieldValues(\(field.name))")
        }
        _ = head.keepsAlive
        if let body = try? head.bodyLength() { precondition(body >= 0, "negative body length") }
    } catch {
        precondition([400, 505].contains(error.status.code), "parsing gave \(error.status)")
    }
    return 0
}
