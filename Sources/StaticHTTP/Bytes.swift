#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Byte-level helpers for reading and writing heads, where the generic collection algorithms would
// go one byte at a time through several layers of indices (this code runs for every request).

extension Slice where Base == UnsafeRawBufferPointer {
    /// The index of the first `byte`, found with `memchr`.
    func firstIndex(ofByte byte: UInt8) -> Int? {
        guard !isEmpty, let start = base.baseAddress else { return nil }
        guard let found = memchr(start + startIndex, Int32(byte), count) else { return nil }
        return start.distance(to: UnsafeRawPointer(found))
    }

    // The three checks below read every byte of every head. They collect their verdict without
    // an early exit: the compiler makes shorter loops of that than of a closure that returns at
    // the first bad byte (a browser's head took 13,400 instructions to parse that way, 9,000 so).

    /// Whether every byte is RFC 9110 `tchar`: ALPHA, DIGIT and ! # $ % & ' * + - . ^ _ ` | ~.
    var isToken: Bool {
        var others: UInt64 = 0
        for byte in UnsafeRawBufferPointer(rebasing: self) {
            let codes = byte < 64 ? tokenCodesBelow64 : tokenCodesFrom64
            others |= (byte < 128 ? ~(codes >> UInt64(byte & 63)) : 1) & 1
        }
        return others == 0
    }

    /// Whether every byte is visible ASCII (0x21 to 0x7E), as a request target's must be.
    var isVisibleASCII: Bool {
        var others: UInt8 = 0
        for byte in UnsafeRawBufferPointer(rebasing: self) {
            others |= byte <= 0x20 || byte >= 0x7F ? 1 : 0
        }
        return others == 0
    }

    /// Whether every byte may stand in a field value: any but the control characters, tab excepted
    /// (RFC 9110 section 5.5).
    var isFieldValue: Bool {
        var controls: UInt8 = 0
        for byte in UnsafeRawBufferPointer(rebasing: self) {
            controls |= (byte < 0x20 && byte != 0x09) || byte == 0x7F ? 1 : 0
        }
        return controls == 0
    }

    /// The bytes without the spaces and tabs at either end.
    func trimmingSpacesAndTabs() -> Self {
        var start = startIndex
        var end = endIndex
        while start < end, base[start] == 0x20 || base[start] == 0x09 { start += 1 }
        while end > start, base[end - 1] == 0x20 || base[end - 1] == 0x09 { end -= 1 }
        return base[start..<end]
    }

    /// Whether the bytes begin with the bytes of `prefix`.
    func starts(withASCII prefix: StaticString) -> Bool {
        guard count >= prefix.utf8CodeUnitCount else { return false }
        guard prefix.utf8CodeUnitCount > 0 else { return true }
        return memcmp(base.baseAddress! + startIndex, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }
}

/// The `tchar` codes below 64, one bit per code: ! # $ % & ' * + - . and 0-9.
private let tokenCodesBelow64: UInt64 = 0x03FF_6CFA_0000_0000
/// The `tchar` codes from 64 to 127, bit n for code 64 + n: A-Z ^ _ ` a-z | ~.
private let tokenCodesFrom64: UInt64 = 0x57FF_FFFF_C7FF_FFFE

extension String {
    /// Calls `body` with the string's UTF-8 bytes: in place when they are stored contiguously (native
    /// strings, small ones included), else from a contiguous copy.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }
}
