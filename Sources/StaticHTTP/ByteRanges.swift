/// A `Range: bytes=...` request resolved against a representation of known length.
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable Range field: send the whole representation (200). Also the answer for a syntax
    /// error (RFC 9110 says to ignore an invalid Range) and for too many ranges.
    case whole
    /// One range (206 with Content-Range). Several ranges that overlap or touch are merged into
    /// one.
    case single(ClosedRange<Int64>)
    /// Several disjoint ranges in ascending order (206 multipart/byteranges).
    case multiple([ClosedRange<Int64>])
    /// No range overlaps the representation (416 with `Content-Range: bytes */LENGTH`).
    case unsatisfiable

    /// The most range specs read from one field; a longer list is ignored (answered with the whole
    /// representation), so a hostile list cannot multiply the work.
    public static let maxSpecs = 64
    /// The most parts of a multipart answer; more (after merging) get the whole representation.
    public static let maxParts = 16

    /// Parses `field` (the Range field's value) for a representation of `length` bytes.
    public init(field: String?, length: Int64) {
        guard let field else { self = .whole; return }
        let trimmed = field.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { self = .whole; return }
        let specs = trimmed.dropFirst("bytes=".count).split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count <= Self.maxSpecs else { self = .whole; return }
        var ranges: [ClosedRange<Int64>] = []
        for spec in specs {
            let text = spec.trimmingSpaces()
            if text.isEmpty { continue }  // "bytes=0-1, , 5-6" has an empty element; allowed
            guard let dash = text.firstIndex(of: "-") else { self = .whole; return }
            let first = text[text.startIndex..<dash]
            let last = text[text.index(after: dash)...]
            if first.isEmpty {
                // Suffix: the last N bytes (all of them when N exceeds the length).
                guard let count = Self.number(last) else { self = .whole; return }
                if count > 0, length > 0 { ranges.append(max(0, length - count)...(length - 1)) }
            } else {
                guard let start = Self.number(first) else { self = .whole; return }
                let end: Int64
                if last.isEmpty {
                    end = length - 1
                } else {
                    guard let value = Self.number(last), value >= start else { self = .whole; return }
                    end = min(value, length - 1)
                }
                if start < length { ranges.append(start...end) }
            }
        }
        guard !ranges.isEmpty else {
            // Only syntactically valid specs got here; none overlaps the representation.
            self = specs.allSatisfy({ $0.trimmingSpaces().isEmpty }) ? .whole : .unsatisfiable
            return
        }
        let merged = Self.merge(ranges)
        if merged.count == 1 {
            self = .single(merged[0])
        } else if merged.count <= Self.maxParts {
            self = .multiple(merged)
        } else {
            self = .whole
        }
    }

    /// Sorted, with overlapping and adjacent ranges joined: their total never exceeds the length.
    private static func merge(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var merged: [ClosedRange<Int64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// A non-negative decimal; one of more than 18 significant digits, larger than any file,
    /// counts as `Int64.max` (so `bytes=0-99999999999999999999` is the whole file as a range, and
    /// a first position that large is unsatisfiable, as RFC 9110 reads them).
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let significant = text.drop { $0 == "0" }
        return significant.utf8.count > 18 ? Int64.max : Int64(significant) ?? 0
    }
}
