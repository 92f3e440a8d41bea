internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide set-up done once, before the first event base exists.
///
/// Sockets write with write/writev/sendfile, without MSG_NOSIGNAL, so a write to a closed peer would kill
/// the process with SIGPIPE; ignoring it turns that into an EPIPE error on the connection instead.
private let processSetUp: Void = {
    signal(SIGPIPE, SIG_IGN)
}()

/// A libevent event base: the single-threaded loop that every watcher, timer, socket and listener of
/// this package runs on.
///
/// An event base and everything made on it belong to the thread that created the base; using them from
/// another thread is a programming error, trapped in debug builds. The base stays alive as long as
/// any object made on it does.
public final class EventBase {
    /// How to build an event base: which kernel back-ends to avoid, and libevent's base flags.
    public struct Configuration: Sendable {
        /// Back-end names (`"epoll"`, `"poll"`, `"select"`, `"kqueue"`...) libevent must not choose.
        public var avoidedBackends: [String]
        /// libevent's `EVENT_BASE_FLAG_*` options.
        public var flags: Flags

        /// A configuration that avoids `avoidedBackends` and sets `flags`.
        public init(avoidedBackends: [String] = [], flags: Flags = []) {
            self.avoidedBackends = avoidedBackends
            self.flags = flags
        }

        /// libevent's event base flags.
        public struct Flags: OptionSet, Sendable {
            /// The raw `EVENT_BASE_FLAG_*` bits.
            public let rawValue: Int32
            /// Flags from raw `EVENT_BASE_FLAG_*` bits.
            public init(rawValue: Int32) { self.rawValue = rawValue }

            /// Do not allocate a lock for the base (it is confined to one thread anyway).
            public static let noLock = Flags(rawValue: Int32(EVENT_BASE_FLAG_NOLOCK.rawValue))
            /// Ignore the `EVENT_*` environment variables that select or disable back-ends.
            public static let ignoreEnvironment = Flags(rawValue: Int32(EVENT_BASE_FLAG_IGNORE_ENV.rawValue))
            /// Read the clock on every request for the time instead of once per loop iteration.
            public static let noCachedTime = Flags(rawValue: Int32(EVENT_BASE_FLAG_NO_CACHE_TIME.rawValue))
            /// With epoll, batch changes into one epoll_ctl per descriptor per iteration.
            public static let epollChangelist = Flags(rawValue: Int32(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST.rawValue))
            /// Use a more precise (and slower) monotonic clock for timers.
            public static let preciseTimer = Flags(rawValue: Int32(EVENT_BASE_FLAG_PRECISE_TIMER.rawValue))
        }
    }

    /// Why `run()` or `runOnce(blocking:)` returned.
    public enum RunOutcome: Sendable, Equatable {
        /// `stop()` or `exit(after:)` ended the loop, or one iteration completed.
        case stopped
        /// Nothing was pending or active any more: no watcher, timer, socket or listener to wait for.
        case noMoreEvents
    }

    let pointer: OpaquePointer
    let confinement = ThreadConfinement()

    // Shared by the sockets of this base (EventBase+SocketSupport.swift). Hot, so they skip Swift's
    // run-time exclusivity check: used on the base's thread only, and no access to them spans a
    // call that could reach back into them.
    /// Empty evbuffers that sockets hand back when their buffers empty, to take again later.
    @exclusivity(unchecked) var spareBuffers = SpareStack<OpaquePointer>(capacity: EventBase.spareBufferLimit)
    /// Empty socket `Buffer` objects (without evbuffers) that sockets hand back, to take again
    /// later, each retained once by the stack.
    @exclusivity(unchecked) var spareSocketBuffers = SpareStack<Unmanaged<Buffer>>(capacity: EventBase.spareBufferLimit)
    /// Empty read blocks (`Buffer.readBlockCapacity` bytes each) that buffers hand back, to take
    /// again later.
    @exclusivity(unchecked) var spareBlocks = SpareStack<UnsafeMutableRawPointer>(capacity: EventBase.spareBlockLimit)
    /// Sockets whose output is to be written before the loop next waits.
    @exclusivity(unchecked) var socketsToFlush: [StreamSocket] = []
    @exclusivity(unchecked) var flushEvent: OpaquePointer?
    /// The socket whose event callback is running (libevent calls it without a retain), until
    /// it closes (StreamSocket+Engine.swift, `runEventCallback`).
    @exclusivity(unchecked) var socketInCallback: UnsafeMutableRawPointer?
    /// The timeouts of descriptor events, each with the common-timeout form libevent made for it
    /// (EventBase+IOTimeouts.swift).
    @exclusivity(unchecked) var commonTimeouts: [(requested: timeval, common: timeval)] = []
    /// The sweeps of sockets' read timeouts, one per duration (ReadTimeoutSweep.swift).
    @exclusivity(unchecked) var readTimeoutSweeps: [ReadTimeoutSweep] = []
    /// Closed sockets whose descriptors wait for their peers to finish sending, by descriptor
    /// (LingeringClose.swift).
    var lingeringCloses: [Int32: LingeringClose] = [:]

    /// The shortest read timeout counted in rounds by a sweep (which fires up to a fifteenth of the
    /// duration, and at most a second, late); shorter ones are libevent's timeouts on the socket's
    /// read event. Tests lower it to sweep short timeouts; set it before any socket reads.
    package var sweptReadTimeoutMinimum: Duration = .seconds(1)

    /// Creates an event base with libevent's best back-end (epoll on Linux, kqueue on macOS).
    ///
    /// - Throws: `LibeventError` when libevent cannot create a base with `configuration`.
    public init(configuration: Configuration = Configuration()) throws {
        _ = processSetUp
        guard let config = event_config_new() else { throw LibeventError.lastError("event_config_new") }
        defer { event_config_free(config) }
        for backend in configuration.avoidedBackends {
            guard event_config_avoid_method(config, backend) == 0 else {
                throw LibeventError.lastError("event_config_avoid_method")
            }
        }
        guard event_config_set_flag(config, configuration.flags.rawValue) == 0 else {
            throw LibeventError.lastError("event_config_set_flag")
        }
        guard let base = event_base_new_with_config(config) else {
            throw LibeventError("event_base_new_with_config", code: 0)
        }
        pointer = base
    }

    deinit {
        if let flushEvent { event_free(flushEvent) }
        readTimeoutSweeps.forEach { $0.freeTick() }
        lingeringCloses.values.forEach { $0.finish() }
        spareBuffers.removeAll { evbuffer_free($0) }
        spareSocketBuffers.removeAll { $0.release() }
        spareBlocks.removeAll { free($0) }
        event_base_free(pointer)
    }

    /// The kernel interface the base uses: `"epoll"` on Linux, `"kqueue"` on macOS.
    public var backendName: String {
        String(cString: event_base_get_method(pointer))
    }

    /// Runs the loop until `stop()` or `exit(after:)` ends it, or until nothing is left to wait for.
    ///
    /// Callbacks of every object made on this base run inside this call, on the calling thread.
    @discardableResult
    public func run() throws -> RunOutcome {
        confinement.check()
        return try outcome(event_base_loop(pointer, 0))
    }

    /// Runs one iteration of the loop: waits for events (unless `blocking` is false), then runs the
    /// callbacks of every event that is ready.
    @discardableResult
    public func runOnce(blocking: Bool = true) throws -> RunOutcome {
        confinement.check()
        let flags = blocking ? EVLOOP_ONCE : EVLOOP_NONBLOCK
        return try outcome(event_base_loop(pointer, flags))
    }

    /// Ends the running loop as soon as the current callback returns, without running other ready
    /// callbacks. Called while the loop is not running, it does nothing.
    public func stop() {
        confinement.check()
        event_base_loopbreak(pointer)
    }

    /// Ends the loop after `delay` (or after the current iteration when `delay` is nil), once the
    /// callbacks that are ready by then have run.
    ///
    /// Called while the loop is not running, it ends the *next* run of the loop.
    public func exit(after delay: Duration? = nil) {
        confinement.check()
        if let delay {
            var time = timeval(delay)
            event_base_loopexit(pointer, &time)
        } else {
            event_base_loopexit(pointer, nil)
        }
    }

    /// The wall-clock time at which the current loop iteration started (cheap: no system call while
    /// the loop runs), as a duration since the Unix epoch.
    public var cachedTime: Duration {
        confinement.check()
        var now = timeval()
        event_base_gettimeofday_cached(pointer, &now)
        return .seconds(Int64(now.tv_sec)) + .microseconds(Int64(now.tv_usec))
    }

    private func outcome(_ result: Int32) throws -> RunOutcome {
        switch result {
        case 0: return .stopped
        case 1: return .noMoreEvents
        default: throw LibeventError.lastError("event_base_loop")
        }
    }
}
