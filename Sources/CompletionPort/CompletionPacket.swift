public import Libevent

/// How an operation ended, as reported in its completion packet.
public enum CompletionStatus: Equatable, Sendable {
    /// The operation did all it was asked to.
    case success
    /// A read found the peer had closed its side: 0 bytes, like ReadFile returning 0.
    case endOfStream
    /// The operation was cancelled by `close()`, `reset(context:)` or closing the listener (CancelIo).
    case cancelled
    /// The operation failed; the error carries the system call and errno (ECONNRESET, EPIPE,
    /// ETIMEDOUT for an idle timeout...).
    ///
    /// (Indirect: the error lives in a box, so a status takes one word and a packet is small
    /// enough for the compiler to keep in registers. A larger packet was kept in memory and
    /// destroyed through its generic type's value witness, which walks its layout through type
    /// metadata: about 200 instructions per packet.)
    indirect case failed(LibeventError)
}

/// The kind of operation a packet completes.
public enum CompletionOperation: Equatable, Sendable {
    /// `Listener.accept(into:context:)` (AcceptEx).
    case accept
    /// `Connection.connect(to:context:)` (ConnectEx).
    case connect
    /// `Connection.read(into:maxCount:context:)` (WSARecv / ReadFile).
    case read
    /// `Connection.write(_:context:)` (WSASend / WriteFile).
    case write
    /// `Connection.transmitFile(...)` (TransmitFile).
    case transmitFile
    /// `Connection.reset(context:)` (DisconnectEx, TF_DISCONNECT | TF_REUSE_SOCKET).
    case reset
    /// A packet posted with `CompletionPort.post` (PostQueuedCompletionStatus).
    case posted
}

extension CompletionPort {
    /// A completion packet: what GetQueuedCompletionStatus returns.
    public struct Packet {
        /// The completion key of the connection, or of the listener for accepts, or the posted key.
        public let key: Key
        /// Which operation completed.
        public let operation: CompletionOperation
        /// Bytes read, written or transmitted (0 for accept, connect, reset and end of stream). A
        /// write or transmission that failed or was cancelled counts the bytes of it the kernel had
        /// taken before (handed over, not necessarily received by the peer).
        public let bytesTransferred: Int
        /// How the operation ended.
        public let status: CompletionStatus
        /// The context passed when the operation was issued, unchanged (the OVERLAPPED).
        public let context: Context
        /// The connection the operation ran on (for accepts, the connection that was accepted
        /// into); nil for posted packets.
        public let connection: Connection?

        @inlinable init(key: Key, operation: CompletionOperation, bytesTransferred: Int, status: CompletionStatus,
                        context: Context, connection: Connection?) {
            self.key = key
            self.operation = operation
            self.bytesTransferred = bytesTransferred
            self.status = status
            self.context = context
            self.connection = connection
        }
    }
}
