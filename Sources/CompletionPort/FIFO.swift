/// A first-in first-out queue with O(1) amortised push and pop, for pending operations and packets.
///
/// The oldest element is stored inline: a queue that never holds more than one element at a time
/// (a connection's usual one pending read and one pending write) never allocates.
struct FIFO<Element> {
    private var oldest: Element?
    private var later: [Element] = []
    private var laterHead = 0

    /// Whether nothing is queued.
    var isEmpty: Bool { oldest == nil }

    /// The number of queued elements.
    var count: Int { oldest == nil ? 0 : 1 + later.count - laterHead }

    /// The oldest element, if any.
    var first: Element? { oldest }

    /// Adds `element` at the back.
    mutating func push(_ element: Element) {
        if oldest == nil {
            oldest = element
        } else {
            later.append(element)
        }
    }

    /// Removes and returns the oldest element, if any.
    mutating func pop() -> Element? {
        guard let element = oldest else { return nil }
        guard laterHead < later.count else {
            oldest = nil
            return element
        }
        oldest = later[laterHead]
        laterHead += 1
        if laterHead == later.count {
            later.removeAll()
            laterHead = 0
        } else if laterHead >= 64, laterHead * 2 >= later.count {
            later.removeFirst(laterHead)
            laterHead = 0
        }
        return element
    }
}
