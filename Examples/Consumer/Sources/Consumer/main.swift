import Libevent

// Round-trip a few bytes over loopback through the library, then report the backend.
let base = try EventBase()
var echoed = ""
let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { listener, descriptor, _ in
    guard let socket = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
    socket.onRead = { $0.output.moveAll(from: $0.input) }
    socket.onEvent = { socket, _ in socket.close() }
    socket.enable(.read)
    listener.close()
}
let client = try BufferedSocket(base: base)
client.onEvent = { socket, event in
    if event == .connected { socket.output.append("hello from a consumer") }
}
client.onRead = { socket in
    echoed += socket.input.readLine(ending: .any) ?? String(decoding: socket.input.removeFirst(upTo: .max), as: UTF8.self)
    socket.close()
}
client.enable(.read)
try client.connect(to: listener.localAddress)
try base.run()
guard echoed == "hello from a consumer" else {
    print("consumer FAILED: echoed \(echoed.debugDescription)")
    throw LibeventError("consumer round trip", code: 0)
}
print("consumer ok: \(base.backendName), echoed \(echoed.utf8.count) bytes")
