public import Libevent

/// The live connections of a readiness-model server, at most `limit` of them: while the limit is
/// reached the listeners are paused, so further clients wait in the kernel's backlog rather than
/// being refused or costing memory.
public final class ConnectionRegistry<Connection: AnyObject> {
    /// The most connections at once.
    public let limit: Int
    private var members: [ObjectIdentifier: Connection] = [:]
    private var listeners: [Listener] = []

    /// An empty registry admitting up to `limit` connections.
    public init(limit: Int) {
        precondition(limit >= 1, "a connection limit must be at least 1")
        self.limit = limit
    }

    /// How many connections are live.
    public var count: Int { members.count }

    /// The live connections, in no particular order.
    public var connections: some Collection<Connection> { members.values }

    /// Pauses and resumes `listener` with the registry's fill level.
    public func govern(_ listener: Listener) {
        listeners.append(listener)
        if count >= limit { listener.pause() }
    }

    /// Adds an accepted connection; pauses the listeners when the limit is reached.
    public func insert(_ connection: Connection) {
        members[ObjectIdentifier(connection)] = connection
        if count == limit { listeners.forEach { $0.pause() } }
    }

    /// Removes a closed connection; resumes the listeners when it frees a place.
    public func remove(_ connection: Connection) {
        guard members.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        if count == limit - 1 { listeners.forEach { $0.resume() } }
    }

    /// Closes the governed listeners (for shutdown); the live connections are left to the caller.
    public func closeListeners() {
        listeners.forEach { $0.close() }
        listeners.removeAll()
    }
}
