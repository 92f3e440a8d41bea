/// What issuing a write told: whether its packet will come, or it finished at once without one.
///
/// Only a connection with `skipsCompletionOnSuccess` ever finishes a write at once (IOCP's
/// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, under which a WSASend that succeeds immediately queues no
/// packet); every other operation is `.pending`.
public enum IssueOutcome: Equatable, Sendable {
    /// The operation is under way: its completion packet will be delivered later.
    case pending
    /// The operation succeeded while it was issued, moving this many bytes; no packet will come.
    case completed(bytesTransferred: Int)
}
