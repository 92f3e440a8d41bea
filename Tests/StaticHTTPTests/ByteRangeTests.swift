import StaticHTTP
import Testing

struct ByteRangeTests {
    @Test func singleRanges() {
        #expect(ByteRangeRequest(field: "bytes=0-9", length: 100) == .single(0...9))
        #expect(ByteRangeRequest(field: "bytes=90-", length: 100) == .single(90...99))
        #expect(ByteRangeRequest(field: "bytes=90-500", length: 100) == .single(90...99))
        #expect(ByteRangeRequest(field: "bytes=-10", length: 100) == .single(90...99))
        #expect(ByteRangeRequest(field: "bytes=-1000", length: 100) == .single(0...99), "a longer suffix is the whole file")
        #expect(ByteRangeRequest(field: " Bytes = 1-1 ", length: 100) == .whole, "spaces around = are invalid")
        #expect(ByteRangeRequest(field: "BYTES=1-1", length: 100) == .single(1...1))
    }

    @Test func unsatisfiable() {
        #expect(ByteRangeRequest(field: "bytes=100-", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(field: "bytes=200-300", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(field: "bytes=-0", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(field: "bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRangeRequest(field: "bytes=200-300, 500-", length: 100) == .unsatisfiable)
    }

    @Test func invalidSyntaxMeansTheWholeFile() {
        for field in ["items=0-1", "bytes=5-2", "bytes=a-b", "bytes=1", "bytes=--1", "bytes=1-2-3", "bytes=0x1-2",
                      "bytes=-", "bytes=,"] {
            #expect(ByteRangeRequest(field: field, length: 100) == .whole, "\(field)")
        }
        #expect(ByteRangeRequest(field: nil, length: 100) == .whole)
    }

    @Test func positionsTooLargeForAnyFileAreReadAsSuch() {
        let huge = "99999999999999999999"  // 20 digits: past Int64
        #expect(ByteRangeRequest(field: "bytes=\(huge)-", length: 100) == .unsatisfiable, "starts past the end")
        #expect(ByteRangeRequest(field: "bytes=0-\(huge)", length: 100) == .single(0...99), "ends at the end")
        #expect(ByteRangeRequest(field: "bytes=-\(huge)", length: 100) == .single(0...99), "a suffix longer than the file")
        #expect(ByteRangeRequest(field: "bytes=\(huge)-\(huge)", length: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(field: "bytes=\(huge)-5", length: 100) == .whole, "a last position before the first is invalid")
        #expect(ByteRangeRequest(field: "bytes=0000000000000000000000001-00000000000000000000000002", length: 100)
                == .single(1...2), "leading zeros are not significant")
        #expect(ByteRangeRequest(field: "bytes=999999999999999999-", length: 100) == .unsatisfiable, "18 digits")
    }

    @Test func severalRangesAreSortedAndMerged() {
        #expect(ByteRangeRequest(field: "bytes=50-59,0-9", length: 100) == .multiple([0...9, 50...59]))
        #expect(ByteRangeRequest(field: "bytes=0-9,5-20,21-30", length: 100) == .single(0...30), "overlapping and adjacent merge")
        #expect(ByteRangeRequest(field: "bytes=0-9, ,20-29", length: 100) == .multiple([0...9, 20...29]))
        #expect(ByteRangeRequest(field: "bytes=0-9,200-300", length: 100) == .single(0...9), "unsatisfiable parts drop out")
    }

    @Test func hostileListsDoNotAmplify() {
        let overlapping = "bytes=" + Array(repeating: "0-", count: 60).joined(separator: ",")
        #expect(ByteRangeRequest(field: overlapping, length: 1 << 30) == .single(0...((1 << 30) - 1)))
        let tooMany = "bytes=" + (0..<65).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",")
        #expect(ByteRangeRequest(field: tooMany, length: 1000) == .whole)
        let manyParts = "bytes=" + (0..<17).map { "\($0 * 10)-\($0 * 10)" }.joined(separator: ",")
        #expect(ByteRangeRequest(field: manyParts, length: 1000) == .whole, "more than 16 parts: the whole file")
        let huge = "bytes=" + String(repeating: "1", count: 100_000) + "-"
        #expect(ByteRangeRequest(field: huge, length: 1000) == .unsatisfiable, "a 100,000-digit start is past the end")
    }
}
