/// A first-in first-out queue with O(1) amortised push and pop, for pending operations and packets.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    /// Whether nothing is queued.
    var isEmpty: Bool { head == storage.count }

    /// The number of queued elements.
    var count: Int { storage.count - head }

    /// The oldest element, if any.
    var first: Element? { isEmpty ? nil : storage[head] }

    /// Adds `element` at the back.
    mutating func push(_ element: Element) {
        storage.append(element)
    }

    /// Removes and returns the oldest element, if any.
    mutating func pop() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes and returns everything, oldest first.
    mutating func removeAll() -> [Element] {
        defer {
            storage.removeAll(keepingCapacity: true)
            head = 0
        }
        return Array(storage[head...])
    }
}
