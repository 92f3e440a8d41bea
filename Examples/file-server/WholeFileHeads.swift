/// The heads of one cached file's usual response, status 200 with the whole file (see
/// `FileResponse.answersWithWholeFile`), rendered with the server's own fields at most once per
/// second for each way a head can end. A repeated plain GET of a cached file then sends bytes
/// already made instead of planning, building and serialising the same head again.
final class WholeFileHeads {
    /// How a head ends: which `Connection` field, if any, the server adds.
    enum Ending: Int {
        /// No `Connection` field: HTTP/1.1 keep-alive, the usual case.
        case plain
        /// `Connection: close`.
        case close
        /// `Connection: keep-alive`, to an HTTP/1.0 client that asked for it.
        case keepAlive
    }

    /// The second whose `Date` the heads carry.
    private var second = 0
    /// The heads rendered in that second, indexed by `Ending.rawValue`.
    private var heads: [[UInt8]?] = [nil, nil, nil]

    /// The head ending with `ending` for the second `second` (as `time` counts; the one the `Date`
    /// field names), made by `render` when this second has none yet.
    func head(second: Int, ending: Ending, render: () -> [UInt8]) -> [UInt8] {
        if second != self.second {
            self.second = second
            heads = [nil, nil, nil]
        }
        if let head = heads[ending.rawValue] { return head }
        let head = render()
        heads[ending.rawValue] = head
        return head
    }
}
