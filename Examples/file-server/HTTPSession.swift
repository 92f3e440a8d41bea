import CompletionPort
import Libevent
import StaticHTTP

/// One connection of the file server: the per-connection data of an IOCP server, passed as the
/// context of every operation it issues, and its state in the cycle
/// accept -> request -> transmit -> (request again, with keep-alive) -> reset -> accept.
final class HTTPSession {
    enum State {
        /// An accept is pending (or the session is idle in the pool).
        case waitingForAccept
        /// Reading and parsing the next request head.
        case waitingForRequest
        /// A response is being written; `writesInFlight` operations are pending.
        case transmitting
        /// A reset is pending; every other packet is stale.
        case resetting
    }

    let connection: HTTPServer.Port.Connection
    /// Bytes received and not yet parsed (pipelined requests queue here).
    let input = Buffer()
    /// What the access log will say about the current response; nil when the server keeps no
    /// access log (32 bytes per session saved: a session is kept per client).
    let logEntry: AccessLog.Entry?
    /// Bytes of a request body still to be read and thrown away.
    var bodyBytesToDiscard = 0
    /// When the request being waited for must have arrived complete (slowloris included), as
    /// `MonotonicInstant.nanoseconds` (-1: none); see `requestDeadline`.
    private var deadlineNanoseconds: Int64 = -1
    /// Write and transmit operations of the current response not yet completed.
    var writesInFlight: Int32 = 0
    var state = State.waitingForAccept
    /// Whether a read is pending.
    var isReading = false
    /// Close after the current response (HTTP/1.0, `Connection: close`, framing errors, shutdown).
    var closesAfterResponse = false
    /// Say `Connection: keep-alive` (to an HTTP/1.0 client that asked for it).
    var announcesKeepAlive = false

    /// When the request being waited for must have arrived complete (slowloris included); the
    /// server's deadline sweep resets the session after it. Nil while no request is awaited.
    /// Stored in 8 bytes rather than the 16 of an optional instant: a session is kept per client.
    var requestDeadline: MonotonicInstant? {
        get { deadlineNanoseconds < 0 ? nil : MonotonicInstant(nanoseconds: deadlineNanoseconds) }
        set { deadlineNanoseconds = newValue?.nanoseconds ?? -1 }
    }

    init(connection: HTTPServer.Port.Connection, logsAccess: Bool) {
        self.connection = connection
        logEntry = logsAccess ? AccessLog.Entry() : nil
    }

    /// Back to a clean state for the next accept.
    func prepareForReuse() {
        input.drain(input.count)
        state = .waitingForAccept
        isReading = false
        bodyBytesToDiscard = 0
        writesInFlight = 0
        closesAfterResponse = false
        announcesKeepAlive = false
        logEntry?.requestLine = nil
        requestDeadline = nil
    }
}
