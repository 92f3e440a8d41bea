/// A first-in first-out queue with O(1) amortised push and pop, for pending operations and packets.
///
/// The oldest element is stored inline and the rest in an overflow object made only while there
/// are some: a queue that never holds more than one element at a time (a connection's usual one
/// pending read and one pending write) never allocates, and costs one word besides its element.
/// Elements are moved in and out, never copied (a copy of a packet costs a retain per reference
/// in it). Not copyable, since copies would share the overflow.
@usableFromInline struct FIFO<Element>: ~Copyable {
    /// The elements after the oldest, from `head` on (the slots before `head` are empty).
    ///
    /// Its properties skip Swift's run-time exclusivity check (four checks per pop of a busy port's
    /// packets, more than the pop itself): the overflow is private to its queue, whose owner uses
    /// it on one thread, and no access spans a call that could reach back into it.
    @usableFromInline final class Overflow {
        @usableFromInline @exclusivity(unchecked) var elements: [Element?] = []
        @usableFromInline @exclusivity(unchecked) var head = 0
        @inlinable init() {}
    }

    @usableFromInline var overflow: Overflow?
    @usableFromInline var oldest: Element?
    /// Whether the overflow and its storage are kept once empty, for the next burst (a port's one
    /// queue of packets), rather than freed (a connection's queues, kept per client).
    @usableFromInline let keepsStorage: Bool

    /// An empty queue; `keepingStorage` keeps the overflow's storage once empty, for a queue that
    /// fills and drains in bursts and exists once, not per client.
    @inlinable init(keepingStorage: Bool = false) {
        keepsStorage = keepingStorage
    }

    /// Whether nothing is queued.
    @inlinable var isEmpty: Bool { oldest == nil }

    /// The number of queued elements.
    @inlinable var count: Int {
        guard oldest != nil else { return 0 }
        guard let overflow else { return 1 }
        return 1 + overflow.elements.count - overflow.head
    }

    /// Adds `element` at the back.
    @inlinable mutating func push(_ element: consuming Element) {
        if oldest == nil {
            oldest = consume element
        } else if let overflow {
            overflow.elements.append(consume element)
        } else {
            let overflow = Overflow()
            overflow.elements.append(consume element)
            self.overflow = overflow
        }
    }

    /// Removes and returns the oldest element, if any.
    @inlinable mutating func pop() -> Element? {
        guard let element = oldest.take() else { return nil }
        guard let overflow, overflow.head < overflow.elements.count else { return element }
        oldest = overflow.elements[overflow.head].take()
        overflow.head += 1
        if overflow.head == overflow.elements.count {
            if keepsStorage {
                overflow.elements.removeAll(keepingCapacity: true)
                overflow.head = 0
            } else {
                self.overflow = nil
            }
        } else if overflow.head >= 64, overflow.head * 2 >= overflow.elements.count {
            overflow.elements.removeFirst(overflow.head)
            overflow.head = 0
        }
        return element
    }
}
