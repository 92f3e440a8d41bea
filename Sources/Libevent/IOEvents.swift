internal import CLibevent

/// What a descriptor watcher waits for, and what woke it: readable, writable, or its timeout.
public struct IOEvents: OptionSet, Sendable, CustomStringConvertible {
    /// The raw `EV_*` bits.
    public let rawValue: Int16
    /// Events from raw `EV_*` bits.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// The descriptor is readable (data, a pending connection, end of stream or an error).
    public static let read = IOEvents(rawValue: Int16(EV_READ))
    /// The descriptor is writable.
    public static let write = IOEvents(rawValue: Int16(EV_WRITE))
    /// The watcher's timeout passed with nothing else happening.
    public static let timeout = IOEvents(rawValue: Int16(EV_TIMEOUT))

    /// `"[read, write]"`, for logs and test failures.
    public var description: String {
        let names = [(IOEvents.read, "read"), (.write, "write"), (.timeout, "timeout")]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
