/// A first-in first-out queue with O(1) amortised push and pop, for pending operations and packets.
///
/// The oldest element is stored inline and the rest in an overflow object made only while there
/// are some: a queue that never holds more than one element at a time (a connection's usual one
/// pending read and one pending write) never allocates, and costs one word besides its element.
/// Not copyable, since copies would share the overflow.
struct FIFO<Element>: ~Copyable {
    /// The elements after the oldest, from `head` on; nil while there are none.
    private final class Overflow {
        var elements: [Element] = []
        var head = 0
    }

    private var overflow: Overflow?
    private var oldest: Element?

    init() {}

    /// Whether nothing is queued.
    var isEmpty: Bool { oldest == nil }

    /// The number of queued elements.
    var count: Int {
        guard oldest != nil else { return 0 }
        guard let overflow else { return 1 }
        return 1 + overflow.elements.count - overflow.head
    }

    /// The oldest element, if any.
    var first: Element? { oldest }

    /// Adds `element` at the back.
    mutating func push(_ element: Element) {
        if oldest == nil {
            oldest = element
        } else if let overflow {
            overflow.elements.append(element)
        } else {
            let overflow = Overflow()
            overflow.elements.append(element)
            self.overflow = overflow
        }
    }

    /// Removes and returns the oldest element, if any.
    mutating func pop() -> Element? {
        guard let element = oldest else { return nil }
        guard let overflow else {
            oldest = nil
            return element
        }
        oldest = overflow.elements[overflow.head]
        overflow.head += 1
        if overflow.head == overflow.elements.count {
            self.overflow = nil
        } else if overflow.head >= 64, overflow.head * 2 >= overflow.elements.count {
            overflow.elements.removeFirst(overflow.head)
            overflow.head = 0
        }
        return element
    }
}
