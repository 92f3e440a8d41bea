import Glibc      // Darwin on macOS
import Libevent

/// C's passiveTCPsock: socket(), bind(), listen(), plus the non-blocking flag an event loop needs.
func passiveTCPSocket(_ address: SocketAddress, backlog: Int32) throws -> Int32 {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)  // SOCK_STREAM alone on macOS
    guard fd >= 0 else { throw LibeventError("socket", code: errno) }
    var on: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
    guard address.withUnsafeSockaddr({ bind(fd, $0, $1) }) == 0 else { throw LibeventError("bind", code: errno) }
    guard listen(fd, backlog) == 0 else { throw LibeventError("listen", code: errno) }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    return fd
}

final class EchoServer {
    let base: EventBase
    let masterSocket: Int32
    var readSet: [Int32: DescriptorWatcher] = [:]           // fd_set afds
    var pending: [Int32: Buffer] = [:]                       // bytes not yet written back
    var writeSet: [Int32: DescriptorWatcher] = [:]           // fd_set wfds

    init(base: EventBase, address: SocketAddress) throws {
        self.base = base
        masterSocket = try passiveTCPSocket(address, backlog: 32)
        // FD_ZERO(&afds); FD_SET(m_sock, &afds);
        readSet[masterSocket] = try DescriptorWatcher(base: base, descriptor: masterSocket, events: .read) {
            [unowned self] _, _ in self.acceptClient()                         // if (FD_ISSET(m_sock, &rfds))
        }
    }

    func acceptClient() {
        let client = accept(masterSocket, nil, nil)                          // s_sock = accept(m_sock, ...)
        guard client >= 0 else { return }                                    // EAGAIN: another loop took it
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        pending[client] = Buffer()
        readSet[client] = try? DescriptorWatcher(base: base, descriptor: client, events: .read) {
            [unowned self] _, _ in self.clientReadable(client)               // FD_SET(s_sock, &afds)
        }
    }

    func clientReadable(_ fd: Int32) {                                        // fd != m_sock && FD_ISSET(fd, &rfds)
        guard let output = pending[fd] else { return }
        let n: Int?
        do { n = try output.read(from: fd) } catch { return closeClient(fd) }   // n = read(fd, buf, ...)
        guard let n else { return }                                          // EAGAIN: nothing after all
        if n == 0 { return closeClient(fd) }                                 // if (n <= 0) close
        flush(fd)                                                            // write(fd, buf, n)
    }

    func flush(_ fd: Int32) {
        guard let output = pending[fd] else { return }
        do { _ = try output.write(to: fd) } catch { return closeClient(fd) }
        if output.isEmpty {
            writeSet.removeValue(forKey: fd)?.close()                        // FD_CLR(fd, &wfds)
        } else if writeSet[fd] == nil {                                      // FD_SET(fd, &wfds)
            writeSet[fd] = try? DescriptorWatcher(base: base, descriptor: fd, events: .write) {
                [unowned self] _, _ in self.flush(fd)
            }
        }
    }

    func closeClient(_ fd: Int32) {
        readSet.removeValue(forKey: fd)?.close()                             // FD_CLR(fd, &afds)
        writeSet.removeValue(forKey: fd)?.close()
        pending[fd] = nil
        close(fd)                                                            // close(fd)
    }
}

let base = try EventBase()
let server = try EchoServer(base: base, address: SocketAddress(parsing: "127.0.0.1:7007"))
_ = try SignalWatcher(base: base, signal: SIGINT) { _, _ in base.stop() }
print("listening on 127.0.0.1:7007")
try base.run()                                                               // for (;;) { select(...); ... }
