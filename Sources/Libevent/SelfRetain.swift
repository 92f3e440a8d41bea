/// The strong reference an object holds on itself while libevent may call it back.
///
/// Registering a callback with libevent hands it an unretained pointer to the object; `hold` makes
/// that pointer safe by keeping the object alive until `release`, so user code never has to keep
/// a watcher, timer or socket just to keep its callbacks firing.
struct SelfRetain<Object: AnyObject> {
    private var retained: Unmanaged<Object>?

    /// Whether the object is being kept alive.
    var isHeld: Bool { retained != nil }

    /// Keeps `object` alive until `release()`; holding twice keeps one reference.
    mutating func hold(_ object: Object) {
        if retained == nil { retained = Unmanaged.passRetained(object) }
    }

    /// Gives up the reference taken by `hold`, if any. The object may be freed when the caller's own
    /// references end, never during this call's caller if it holds one.
    mutating func release() {
        retained?.release()
        retained = nil
    }
}
