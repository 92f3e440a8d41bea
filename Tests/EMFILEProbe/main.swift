// A child process for LibeventTests: an echo server whose descriptor limit is lowered to the first
// argument, so the test can drive its listener into EMFILE without touching the test process.
// Prints `listening on ADDRESS`, then on SIGTERM `accept-errors N cpu-ms M` and exits 0.
import Glibc
import Libevent

func fail(_ message: String, status: Int32) -> Never {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

guard CommandLine.arguments.count == 2, let limit = UInt(CommandLine.arguments[1]) else {
    fail("usage: libevent-emfile-probe DESCRIPTOR-LIMIT", status: 2)
}
var resourceLimit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &resourceLimit)
resourceLimit.rlim_cur = limit
guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &resourceLimit) == 0 else {
    fail("setrlimit failed", status: 1)
}

let base = try EventBase()
var acceptErrors = 0
let listener = try Listener(base: base, address: SocketAddress(parsing: "127.0.0.1:0")) { _, descriptor, _ in
    guard let socket = try? BufferedSocket(base: base, descriptor: descriptor) else { return }
    socket.onRead = { $0.output.moveAll(from: $0.input) }
    socket.onEvent = { socket, _ in socket.close() }
    socket.enable(.read)
}
listener.onAcceptError = { _, _ in acceptErrors += 1 }
_ = try SignalWatcher(base: base, signal: SIGTERM) { _, _ in base.stop() }
print("listening on \(listener.localAddress)")
fflush(nil)
try base.run()
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let cpuMilliseconds = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
    + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
print("accept-errors \(acceptErrors) cpu-ms \(cpuMilliseconds)")
fflush(nil)
