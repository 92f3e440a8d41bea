// libFuzzer target: the Range field parser (StaticHTTP's ByteRangeRequest). Whatever the field,
// the ranges must lie inside the file, be sorted and disjoint, and never add up to more than the
// file: a hostile list cannot amplify the work.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzByteRanges(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    // The first two bytes pick the file length, from 0 to 65535 and a few large ones.
    let pick = Int64(data[0]) << 8 | Int64(data[1])
    let length = pick >= 0xFFF0 ? (Int64(1) << (pick - 0xFFF0 + 20)) : pick
    let field = String(decoding: UnsafeBufferPointer(start: data + 2, count: size - 2), as: UTF8.self)
    let ranges: [ClosedRange<Int64>]
    switch ByteRangeRequest(field: field, length: length) {
    case .whole, .unsatisfiable: return 0
    case .single(let range): ranges = [range]
    case .multiple(let list):
        precondition(list.count >= 2 && list.count <= ByteRangeRequest.maxParts, "\(list.count) parts")
        ranges = list
    }
    var total: Int64 = 0
    var previousEnd: Int64 = -2
    for range in ranges {
        precondition(range.lowerBound >= 0 && range.upperBound < length, "\(range) outside a \(length)-byte file")
        precondition(range.lowerBound > previousEnd + 1, "ranges overlap, touch or are unsorted")
        previousEnd = range.upperBound
        total += range.upperBound - range.lowerBound + 1
    }
    precondition(total <= length, "ranges add up to \(total) of a \(length)-byte file")
    return 0
}
