import Glibc      // SIGINT (Darwin on macOS)
import Libevent

let base = try EventBase()
let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:7007")) { _, descriptor, _ in
    guard let socket = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
    socket.outputLimit = 1 << 20                  // stop reading while 1 MiB waits to be sent
    try? socket.setNoDelay(true)                  // answer at once (Nagle's algorithm off)
    socket.onRead = { $0.output.moveAll(from: $0.input) }
    socket.onEvent = { socket, event in
        if event == .endOfStream { socket.closeAfterFlushing() } else { socket.close() }
    }
    socket.enable(.read)
}
_ = try SignalWatcher(base: base, signal: SIGINT) { _, _ in base.stop() }
print("listening on \(listener.localAddress)")
try base.run()
