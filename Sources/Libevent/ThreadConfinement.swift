#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The thread an event base belongs to, checked in debug builds.
///
/// An event base and every object made on it may be used only from the thread that created the
/// base. `check()` traps in debug builds when called from another thread, and costs nothing in
/// release builds (`assert` is compiled out).
struct ThreadConfinement {
    private let owner = pthread_self()

    /// Traps (debug builds only) when the calling thread is not the owner.
    @inline(__always)
    func check(_ function: StaticString = #function) {
        assert(pthread_equal(owner, pthread_self()) != 0,
               "\(function) called off the event base's thread; an EventBase and its objects are confined to the thread that created the base")
    }
}
