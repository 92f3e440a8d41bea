internal import CLibevent
import StaticHTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The served directory: maps a resolved request target to an open file, a directory index, a
/// redirect or an error, and never to anything outside the root, symbolic links included.
struct DocumentRoot {
    /// What a target names.
    enum Lookup {
        /// A regular file, open for reading (the caller owns the descriptor).
        case file(descriptor: Int32, metadata: FileMetadata, name: String)
        /// A directory asked for with a trailing slash and without an index.html: its entries.
        case listing([DirectoryEntry])
        /// A directory asked for without the trailing slash.
        case redirectToDirectory
        /// Nothing to serve.
        case failure(HTTPStatus)
    }

    /// The root's canonical path (symbolic links resolved), without a trailing slash.
    let path: String
    /// The root directory, open for lookups beneath it; kept for the life of the process.
    private let descriptor: Int32
    /// Whether directories without index.html are listed (otherwise 403).
    let listsDirectories: Bool

    /// Opens the root at `path`; nil when it is not a directory.
    init?(path: String, listsDirectories: Bool) {
        guard let canonical = realpath(path, nil) else { return nil }
        defer { free(canonical) }
        let descriptor = open(canonical, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        let text = String(cString: canonical)
        self.path = text == "/" ? "" : text
        self.descriptor = descriptor
        self.listsDirectories = listsDirectories
    }

    /// Looks `target` up.
    func lookup(_ target: RequestTarget) -> Lookup {
        if !target.segments.isEmpty, let found = lookupBeneathRoot(target) { return found }
        let candidate = target.segments.isEmpty ? path + "/" : path + "/" + target.relativePath
        let resolved: String
        switch resolveInsideRoot(candidate) {
        case .inside(let canonical): resolved = canonical
        case .refused(let status): return .failure(status)
        }
        let descriptor = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return .failure(Self.status(forOpenError: errno)) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            return .failure(.internalServerError)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard !target.hasTrailingSlash || target.segments.isEmpty else {
                close(descriptor)
                return .failure(.notFound)
            }
            let name = target.segments.last ?? ""
            return .file(descriptor: descriptor, metadata: Self.metadata(info), name: name)
        case S_IFDIR:
            close(descriptor)
            guard target.hasTrailingSlash else { return .redirectToDirectory }
            return directoryIndex(resolved, target)
        default:
            close(descriptor)  // devices, FIFOs, sockets are never served
            return .failure(.forbidden)
        }
    }

    /// The fast path for regular files: one openat2 that the kernel confines to the root. Nil when
    /// the careful path must decide: a directory, a symbolic link that the kernel refuses to follow
    /// beneath the root (an absolute one may still lead inside it), or no openat2 on this system.
    private func lookupBeneathRoot(_ target: RequestTarget) -> Lookup? {
        let file = shim_open_beneath(descriptor, target.relativePath, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard file >= 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .failure(.notFound) : nil
        }
        var info = stat()
        guard fstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(file)
            return nil
        }
        guard !target.hasTrailingSlash else {
            close(file)
            return .failure(.notFound)
        }
        return .file(descriptor: file, metadata: Self.metadata(info), name: target.segments.last ?? "")
    }

    /// `index.html` if the directory has one, else its listing (or 403 without listings).
    private func directoryIndex(_ directory: String, _ target: RequestTarget) -> Lookup {
        if case .inside(let index) = resolveInsideRoot(directory + "/index.html") {
            let descriptor = open(index, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
            var info = stat()
            if descriptor >= 0, fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                return .file(descriptor: descriptor, metadata: Self.metadata(info), name: "index.html")
            }
            if descriptor >= 0 { close(descriptor) }
        }
        guard listsDirectories else { return .failure(.forbidden) }
        guard let entries = entries(of: directory) else { return .failure(Self.status(forOpenError: errno)) }
        return .listing(entries)
    }

    /// 403 when access is denied, 503 when the process or system is out of descriptors (the
    /// client may retry), 404 otherwise.
    private static func status(forOpenError code: Int32) -> HTTPStatus {
        switch code {
        case EACCES, EPERM: .forbidden
        case EMFILE, ENFILE, ENOMEM: .serviceUnavailable
        default: .notFound
        }
    }

    /// Where `resolveInsideRoot` found a path to lead.
    private enum Resolution {
        /// Its canonical form: the root or below it.
        case inside(String)
        /// Nothing to serve: 404 when it does not exist or leaves the root (through a symbolic
        /// link), 403 when a directory on the way may not be searched (as nginx answers).
        case refused(HTTPStatus)
    }

    /// Resolves `candidate` (symbolic links included) and checks that it stays inside the root.
    private func resolveInsideRoot(_ candidate: String) -> Resolution {
        guard let canonical = realpath(candidate, nil) else { return .refused(Self.status(forOpenError: errno)) }
        defer { free(canonical) }
        let resolved = String(cString: canonical)
        // Compare bytes: String's == and hasPrefix use canonical equivalence, under which a sibling
        // directory spelled with decomposed accents would pass for the root.
        let inside = resolved.utf8.elementsEqual(path.utf8) || (path.isEmpty && resolved == "/")
            || resolved.utf8.starts(with: (path + "/").utf8)
        return inside ? .inside(resolved) : .refused(.notFound)
    }

    /// The regular files and directories in `directory` (canonical, inside the root) that a
    /// request can reach: names without control characters, in UTF-8, and no symbolic link that
    /// leads out of the root (which `lookup` would answer with 404).
    private func entries(of directory: String) -> [DirectoryEntry]? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(stream) {
            let reachableName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                RequestTarget.reachableName(raw.prefix { $0 != 0 })
            }
            guard let name = reachableName, name != ".", name != ".." else { continue }
            var info = stat()
            guard fstatat(dirfd(stream), name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFLNK {
                guard case .inside = resolveInsideRoot(directory + "/" + name),
                      fstatat(dirfd(stream), name, &info, 0) == 0 else { continue }
            }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR else { continue }
            entries.append(DirectoryEntry(name: name, isDirectory: kind == S_IFDIR, size: Int64(info.st_size),
                                          modified: Int(modificationTime(of: info).tv_sec)))
        }
        return entries
    }

    private static func metadata(_ info: stat) -> FileMetadata {
        let modified = modificationTime(of: info)
        return FileMetadata(size: Int64(info.st_size), modified: Int(modified.tv_sec), modifiedNanoseconds: Int(modified.tv_nsec))
    }
}

/// When `info`'s file was last modified (`st_mtim` in Glibc, `st_mtimespec` in Darwin).
private func modificationTime(of info: stat) -> timespec {
    #if canImport(Glibc)
    info.st_mtim
    #else
    info.st_mtimespec
    #endif
}
