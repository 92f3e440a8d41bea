internal import CLibevent

/// A range of an open file that any number of buffers can queue, at once or one after another,
/// without reading it: a socket's output sends it with `sendfile` (libevent's
/// `evbuffer_file_segment`). The segment owns its descriptor and closes it once the segment is
/// released and no buffer still holds a part of it, so a server can keep one for a popular file and
/// hand it to every response, with no `open`, `dup` or `close` per response.
public final class FileSegment {
    /// The open file. Valid for as long as this object lives.
    public let descriptor: Int32
    /// Where the segment starts in the file.
    public let offset: Int64
    /// How many bytes of the file the segment covers.
    public let length: Int64
    let pointer: OpaquePointer

    /// A segment of `length` bytes of `descriptor` from `offset`. On success the segment owns the
    /// descriptor; on failure the caller still does.
    /// - Throws: `LibeventError` when libevent refuses the range (negative, or too long).
    public init(descriptor: Int32, offset: Int64 = 0, length: Int64) throws(LibeventError) {
        guard offset >= 0, length >= 0,
              // Never mapped into memory: reading a mapping after the file was cut shorter kills
              // the process (SIGBUS); a buffer that does not feed a socket reads the segment instead.
              let pointer = evbuffer_file_segment_new(descriptor, offset, length,
                                                      UInt32(EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_MMAP)) else {
            throw LibeventError("evbuffer_file_segment_new", code: EINVAL)
        }
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
        self.pointer = pointer
    }

    /// Whether `length` bytes from `offset` (counted within the segment) lie inside it.
    public func contains(offset: Int64, length: Int64) -> Bool {
        offset >= 0 && length >= 0 && offset <= self.length - length
    }

    deinit {
        evbuffer_file_segment_free(pointer)
    }
}
