// echo-server: echoes every byte back on the same connection, on the readiness model
// (Listener + BufferedSocket). usage: echo-server [--host ADDR] [--port N]
import Glibc
import Libevent

var host = "127.0.0.1"
var port: UInt16 = 7007
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch (flag, arguments.popFirst()) {
    case ("--host", let value?): host = value
    case ("--port", let value?) where UInt16(value) != nil: port = UInt16(value)!
    default:
        let message = "echo-server: bad argument \(flag); usage: echo-server [--host ADDR] [--port N]\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
}

/// Stop reading from a client while this much of its echo waits to be sent.
let outputLimit = 1 << 20

let base = try EventBase()
let listener = try Listener(base: base, address: SocketAddress(host: host, port: port)) { _, descriptor, _ in
    guard let socket = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
    socket.outputLimit = outputLimit
    socket.onRead = { $0.output.moveAll(from: $0.input) }
    socket.onEvent = { socket, event in
        if event == .endOfStream { socket.closeAfterFlushing() } else { socket.close() }
    }
    socket.enable(.read)
}
_ = try SignalWatcher(base: base, signal: SIGTERM) { _, _ in base.stop() }
_ = try SignalWatcher(base: base, signal: SIGINT) { _, _ in base.stop() }
print("listening on \(listener.localAddress)")
fflush(nil)
try base.run()
