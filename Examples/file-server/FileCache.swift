import Libevent
import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files recently served, kept ready with their response fields already formatted and keyed by the
/// request target exactly as sent, so that a repeated request costs no path lookup, no `open`,
/// `fstat` or `close` and no formatting. Small files are kept in memory and leave with the head in
/// one write; larger ones are kept open as a `FileSegment` that every response sends with `sendfile`.
///
/// A cached file may be up to `validity` old. An entry is dropped once that time has passed, and
/// the next request looks the file up again (nginx's `open_file_cache_valid` works the same way);
/// a validity of zero turns the cache off. Only targets that named a regular file through the
/// document root's checks are ever stored, and the cache never holds more than `maxEntries`
/// files, `maxContentBytes` of content or `maxOpenFiles` descriptors.
final class FileCache {
    /// A file's bytes, as a response sends them.
    enum Body {
        /// The whole file in memory.
        case bytes([UInt8])
        /// The whole file, open.
        case segment(FileSegment)
    }

    /// One cached file. A class, so that a cache hit hands out one reference instead of copying
    /// (and retaining each part of) the file's description and body.
    final class Entry {
        /// Its metadata and formatted fields.
        let file: FileDescription
        /// Its bytes.
        let body: Body
        /// When the entry stops being used.
        let expires: MonotonicInstant
        /// Its heads for the plain GET, ready to send.
        let wholeFileHeads = WholeFileHeads()

        init(file: FileDescription, body: Body, expires: MonotonicInstant) {
            self.file = file
            self.body = body
            self.expires = expires
        }
    }

    /// Files up to this size are read into memory (and sent with their head in one write); larger
    /// ones are sent with `sendfile`.
    static let maxFileSizeInMemory = 16 * 1024
    /// The most files kept.
    static let maxEntries = 4096
    /// The most content bytes kept in memory.
    static let maxContentBytes = 32 << 20
    /// The most large files kept open (each holds a descriptor).
    static let maxOpenFiles = 64
    /// Longer targets are not cached, so that keys stay small.
    static let maxTargetLength = 512

    /// How long an entry is used after the file was opened.
    let validity: Duration
    /// `validity` on the clock of `MonotonicInstant`.
    private let lifetime: MonotonicInstant.Interval
    private var entries: [String: Entry] = [:]
    private var contentBytes = 0
    private var openFiles = 0

    /// An empty cache whose entries live for `validity` (zero: nothing is ever kept).
    init(validity: Duration) {
        self.validity = validity
        lifetime = MonotonicInstant.Interval(validity)
    }

    /// The entry for `target`, if there is one and it has not expired by `now`.
    func entry(for target: String, now: MonotonicInstant) -> Entry? {
        guard let entry = entries[target] else { return nil }
        guard entry.expires > now else {
            remove(target)
            return nil
        }
        return entry
    }

    /// Takes the regular file open at `descriptor`, which `file` describes, as a body: its bytes if
    /// it is small and can be read whole now, else a segment that owns the descriptor. Keeps it
    /// for `target` when there is room. The descriptor is the cache's in every case (closed or
    /// owned by the segment); nil only when libevent refuses the file as a segment.
    func load(target: String, descriptor: Int32, file: FileDescription, now: MonotonicInstant) -> Body? {
        let size = Int(file.metadata.size)
        let body: Body
        if size <= Self.maxFileSizeInMemory, let content = Self.readWhole(descriptor, size: size) {
            close(descriptor)
            body = .bytes(content)
        } else if let segment = try? FileSegment(descriptor: descriptor, length: file.metadata.size) {
            body = .segment(segment)
        } else {
            close(descriptor)
            return nil
        }
        if validity > .zero, target.utf8.count <= Self.maxTargetLength, makeRoom(for: body, now: now) {
            remove(target)
            entries[target] = Entry(file: file, body: body, expires: now + lifetime)
            account(body, sign: 1)
        }
        return body
    }

    /// Drops the entries that have expired by `now`, returning their memory and descriptors.
    func removeExpired(now: MonotonicInstant) {
        for (target, entry) in entries where entry.expires <= now { remove(target) }
    }

    /// Whether `body` fits under the limits, once expired entries are gone if need be.
    private func makeRoom(for body: Body, now: MonotonicInstant) -> Bool {
        func fits() -> Bool {
            guard entries.count < Self.maxEntries else { return false }
            switch body {
            case .bytes(let content): return contentBytes + content.count <= Self.maxContentBytes
            case .segment: return openFiles < Self.maxOpenFiles
            }
        }
        if fits() { return true }
        removeExpired(now: now)
        return fits()
    }

    private func remove(_ target: String) {
        guard let removed = entries.removeValue(forKey: target) else { return }
        account(removed.body, sign: -1)
    }

    private func account(_ body: Body, sign: Int) {
        switch body {
        case .bytes(let content): contentBytes += sign * content.count
        case .segment: openFiles += sign
        }
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
