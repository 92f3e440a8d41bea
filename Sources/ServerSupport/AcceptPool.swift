public import CompletionPort

/// A pool of pre-issued accepts on a completion-port listener: the shape of a classic IOCP server,
/// where idle connection objects wait in AcceptEx and live ones are recycled after a reset.
///
/// The pool keeps up to `window` accepts pending while fewer than `limit` connections are live, so
/// the number of live connections never exceeds `limit` (further clients wait in the backlog), and
/// keeps at most `window` idle connection objects for reuse. It also keeps the live connections'
/// contexts, for a server that must visit them (at shutdown, say).
public final class AcceptPool<Key, Context: AnyObject> {
    /// The completion port's types, for brevity.
    public typealias Port = CompletionPort<Key, Context>

    /// The most live connections at once.
    public let limit: Int
    /// How many connections have been accepted and not yet released.
    public var liveCount: Int { live.count }
    /// The contexts of the live connections, in no particular order.
    public var liveContexts: some Collection<Context> { live.lazy.map(\.context) }
    /// How many accepts are pending.
    public private(set) var pendingCount = 0

    private let listener: Port.Listener
    private let window: Int
    private let makeIdle: () -> (Port.Connection, Context)
    private var idle: [(connection: Port.Connection, context: Context)] = []
    /// A set of 8-byte entries rather than a dictionary from identifier to context (16 bytes):
    /// it is kept per live client, so the difference counts thousands of times.
    private var live: Set<LiveContext> = []
    private var isStopped = false

    /// A pool on `listener`; `makeIdle` creates a fresh connection and the context its accept is
    /// issued with (its per-connection state). Call `start()` to issue the first accepts.
    public init(listener: Port.Listener, limit: Int, window: Int = 32,
                makeIdle: @escaping () -> (Port.Connection, Context)) {
        precondition(limit >= 1 && window >= 1, "a pool needs a limit and a window of at least 1")
        self.listener = listener
        self.limit = limit
        self.window = min(window, limit)
        self.makeIdle = makeIdle
    }

    /// Issues the first accepts.
    public func start() {
        topUp()
    }

    /// Records an accept packet for `connection`: on success the connection is live; otherwise it
    /// returns to the idle list. Issues further accepts as room allows.
    public func acceptCompleted(_ connection: Port.Connection, context: Context, succeeded: Bool) {
        pendingCount -= 1
        if succeeded {
            live.insert(LiveContext(context: context))
        } else {
            keepIdle(connection, context)
        }
        topUp()
    }

    /// Returns a live connection that has been reset (or closed) to the pool, for a later accept.
    public func release(_ connection: Port.Connection, context: Context) {
        live.remove(LiveContext(context: context))
        keepIdle(connection, context)
        topUp()
    }

    /// Stops accepting: closes the listener, whose pending accepts complete with `.cancelled`.
    public func stop() {
        isStopped = true
        listener.close()
    }

    /// A live context in the set, hashed and compared by identity.
    private struct LiveContext: Hashable {
        let context: Context

        static func == (lhs: Self, rhs: Self) -> Bool { lhs.context === rhs.context }
        func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(context)) }
    }

    private func keepIdle(_ connection: Port.Connection, _ context: Context) {
        if idle.count < window { idle.append((connection, context)) }
    }

    private func topUp() {
        while !isStopped, pendingCount < window, liveCount + pendingCount < limit {
            let (connection, context) = idle.popLast() ?? makeIdle()
            pendingCount += 1
            listener.accept(into: connection, context: context)
        }
    }
}
