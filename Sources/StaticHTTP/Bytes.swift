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

    /// Whether every byte satisfies `predicate` (read straight from memory, without the slice's
    /// index checks).
    func allBytes(_ predicate: (UInt8) -> Bool) -> Bool {
        for byte in UnsafeRawBufferPointer(rebasing: self) where !predicate(byte) { return false }
        return true
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

extension String {
    /// Calls `body` with the string's UTF-8 bytes: in place when they are stored contiguously (native
    /// strings, small ones included), else from a contiguous copy.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }
}
