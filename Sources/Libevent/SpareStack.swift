/// A stack of at most `capacity` spare items (evbuffers, retained `Buffer` objects) in memory
/// allocated once. A push or a pop is a bounds check and a store or a load: none of the uniqueness
/// checks and reference counting that an array would add to every take and return of a spare. The
/// items are plain values whose owner manages what they point to; `removeAll` must run before the
/// stack goes away.
struct SpareStack<Item> {
    /// The most items kept.
    let capacity: Int
    private let items: UnsafeMutablePointer<Item>
    /// The number of items kept now.
    private(set) var count = 0

    /// An empty stack that keeps up to `capacity` items (its memory is touched only as it fills).
    init(capacity: Int) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
    }

    /// Takes the item pushed last; nil when there is none.
    mutating func pop() -> Item? {
        guard count > 0 else { return nil }
        count -= 1
        return items.advanced(by: count).move()
    }

    /// Keeps `item` and returns true, or returns false (keeping nothing) when the stack is full.
    mutating func push(_ item: Item) -> Bool {
        guard count < capacity else { return false }
        items.advanced(by: count).initialize(to: item)
        count += 1
        return true
    }

    /// Hands every item to `dispose`, then frees the stack's memory.
    mutating func removeAll(_ dispose: (Item) -> Void) {
        while let item = pop() { dispose(item) }
        items.deallocate()
    }
}
