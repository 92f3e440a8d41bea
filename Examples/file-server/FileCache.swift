import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small files recently served, kept in memory with their response fields already formatted and
/// keyed by the request target exactly as sent, so that a repeated request costs no path lookup,
/// no `open`, `fstat` or `close` and no formatting: its answer leaves in one write.
///
/// A cached file may be up to `validity` old. An entry is dropped once that time has passed, and
/// the next request looks the file up again (nginx's `open_file_cache_valid` works the same way);
/// a validity of zero turns the cache off. Only targets that named a regular file through the
/// document root's checks are ever stored, and the cache never holds more than `maxEntries`
/// files or `maxTotalBytes` of content.
final class FileCache {
    /// One cached file.
    struct Entry {
        /// Its metadata and formatted fields.
        let file: FileDescription
        /// Its bytes, `file.metadata.size` of them.
        let content: [UInt8]
        /// When the entry stops being used.
        let expires: ContinuousClock.Instant
    }

    /// Files larger than this are sent from disk every time (with `sendfile` beyond the
    /// completion port's copy threshold).
    static let maxFileSize = 16 * 1024
    /// The most files kept.
    static let maxEntries = 4096
    /// The most content bytes kept.
    static let maxTotalBytes = 32 << 20
    /// Longer targets are not cached, so that keys stay small.
    static let maxTargetLength = 512

    /// How long an entry is used after the file was read.
    let validity: Duration
    private var entries: [String: Entry] = [:]
    private var totalBytes = 0

    /// An empty cache whose entries live for `validity` (zero: nothing is ever cached).
    init(validity: Duration) {
        self.validity = validity
    }

    /// The entry for `target`, if there is one and it has not expired by `now`.
    func entry(for target: String, now: ContinuousClock.Instant) -> Entry? {
        guard let entry = entries[target] else { return nil }
        guard entry.expires > now else {
            remove(target)
            return nil
        }
        return entry
    }

    /// Reads the regular file open at `descriptor`, which `file` describes, and keeps it for
    /// `target`. Returns the entry, or nil when the file is not cached: the cache is off, the file
    /// or target is too large, the cache is full, or the file could not be read whole (it is
    /// being changed). The descriptor stays open and the caller's.
    func insert(target: String, descriptor: Int32, file: FileDescription, now: ContinuousClock.Instant) -> Entry? {
        let size = Int(file.metadata.size)
        guard validity > .zero, size <= Self.maxFileSize, target.utf8.count <= Self.maxTargetLength else { return nil }
        if entries.count >= Self.maxEntries || totalBytes + size > Self.maxTotalBytes {
            removeExpired(now: now)
            guard entries.count < Self.maxEntries, totalBytes + size <= Self.maxTotalBytes else { return nil }
        }
        guard let content = Self.readWhole(descriptor, size: size) else { return nil }
        let entry = Entry(file: file, content: content, expires: now + validity)
        remove(target)
        entries[target] = entry
        totalBytes += size
        return entry
    }

    /// Drops the entries that have expired by `now`, returning their memory.
    func removeExpired(now: ContinuousClock.Instant) {
        for (target, entry) in entries where entry.expires <= now { remove(target) }
    }

    private func remove(_ target: String) {
        guard let removed = entries.removeValue(forKey: target) else { return }
        totalBytes -= removed.content.count
    }

    /// Exactly `size` bytes from the start of the file, or nil if it holds fewer now or a read fails.
    private static func readWhole(_ descriptor: Int32, size: Int) -> [UInt8]? {
        var complete = false
        let content = [UInt8](unsafeUninitializedCapacity: size) { bytes, count in
            while count < size {
                let got = pread(descriptor, bytes.baseAddress! + count, size - count, off_t(count))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { return }
                count += got
            }
            complete = true
        }
        return complete ? content : nil
    }
}
