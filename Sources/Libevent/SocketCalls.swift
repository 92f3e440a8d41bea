internal import CLibevent
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few socket system calls the core makes itself, each turning failure into `LibeventError`.
enum SocketCalls {
    #if canImport(Glibc)
    /// `SOCK_STREAM` as `socket()` takes it (Glibc imports the socket types as an enum, Darwin as
    /// plain integers).
    static let streamType = Int32(SOCK_STREAM.rawValue)
    /// `SOCK_DGRAM` as `socket()` takes it.
    static let datagramType = Int32(SOCK_DGRAM.rawValue)
    #else
    /// `SOCK_STREAM` as `socket()` takes it.
    static let streamType = SOCK_STREAM
    /// `SOCK_DGRAM` as `socket()` takes it.
    static let datagramType = SOCK_DGRAM
    #endif

    /// Whether a failed read, write or receive on a non-blocking descriptor failed only for now
    /// (`code` is EAGAIN, EWOULDBLOCK or EINTR): the caller waits for the next readiness rather
    /// than report an error.
    static func failedForNow(_ code: Int32 = errno) -> Bool {
        code == EAGAIN || code == EWOULDBLOCK || code == EINTR
    }

    /// A new non-blocking, close-on-exec socket of `address`'s family.
    static func makeSocket(for address: SocketAddress, type: Int32) throws -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(address.cFamily, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LibeventError.lastError("socket") }
        #else
        let descriptor = socket(address.cFamily, type, 0)
        guard descriptor >= 0 else { throw LibeventError.lastError("socket") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        #endif
        return descriptor
    }

    /// Sets an integer socket option.
    static func setOption(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw LibeventError.lastError("setsockopt(\(label))")
        }
    }

    /// Binds `descriptor` to `address`.
    static func bindSocket(_ descriptor: Int32, to address: SocketAddress) throws {
        let result = address.withSockaddr { bind(descriptor, $0, $1) }
        guard result == 0 else { throw LibeventError.lastError("bind \(address)") }
    }

    /// Starts connecting the non-blocking socket `descriptor` to `address`: 0 when connected at
    /// once, EINPROGRESS while under way, or the errno of a failure.
    static func startConnect(_ descriptor: Int32, to address: SocketAddress) -> Int32 {
        let result = address.withSockaddr { connect(descriptor, $0, $1) }
        return result == 0 ? 0 : errno
    }

    /// Closes `descriptor` (for types whose own `close()` hides the system call).
    static func closeDescriptor(_ descriptor: Int32) {
        close(descriptor)
    }

    /// Runs `body` with a new socket; closes the socket when `body` throws.
    static func closingOnError<R>(_ descriptor: Int32, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch {
            close(descriptor)
            throw error
        }
    }
}
