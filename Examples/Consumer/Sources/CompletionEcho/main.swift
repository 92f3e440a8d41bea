import CompletionPort
import Glibc      // SIGINT (Darwin on macOS)
import Libevent

enum Key { case listener, connection, shutdown }
enum Step { case accept, read, write, reset, stop }
typealias Port = CompletionPort<Key, Step>

let base = try EventBase()
let port = Port(base: base)
let listener = try port.listen(on: SocketAddress(parsing: "127.0.0.1:7007"), key: .listener)

// 100 pre-issued AcceptEx: at most 100 live connections. One Buffer per connection.
let pool = (0..<100).map { _ in port.makeConnection(key: .connection) }
var buffers: [ObjectIdentifier: Buffer] = [:]
for connection in pool {
    buffers[ObjectIdentifier(connection)] = Buffer()
    listener.accept(into: connection, context: .accept)
}

port.onCompletion = { packet in
    guard let connection = packet.connection else {            // a posted packet
        if packet.context == .stop {
            listener.close()
            pool.forEach { $0.close() }
        }
        return
    }
    let data = buffers[ObjectIdentifier(connection)]!
    switch (packet.context, packet.status) {
    case (.accept, .success), (.write, .success):
        connection.read(into: data, context: .read)              // WAIT_REQUEST
    case (.read, .success):
        connection.write(data, context: .write)                  // echo what came
    case (.reset, _):
        listener.accept(into: connection, context: .accept)      // back to WAIT_ACCEPT
    case (.accept, .cancelled):
        break                                                    // listener closed
    default:                                                     // end of stream, error, timeout
        connection.reset(context: .reset)
    }
}
_ = try SignalWatcher(base: base, signal: SIGINT) { watcher, _ in
    watcher.close()
    port.post(key: .shutdown, context: .stop)                    // PostQueuedCompletionStatus
}
try base.run()
