import Foundation
import Libevent

/// A program started by a test, with its standard output readable line by line. Killed (SIGKILL)
/// when freed if still running.
public final class ChildProcess {
    public let process = Process()
    private let output = Pipe()
    private var pending = Data()

    /// Starts the executable `name` that SwiftPM built next to the test bundle.
    public init(builtProduct name: String, arguments: [String]) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent(name)
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The next line of standard output, or nil at end of output.
    public func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { return nil }
            pending.append(more)
        }
    }

    /// Reads the `listening on ADDRESS` line and returns the address.
    public func listeningAddress() throws -> SocketAddress {
        guard let line = readLine(), line.hasPrefix("listening on ") else {
            throw LibeventError("child did not print its address", code: 0)
        }
        return try SocketAddress(parsing: String(line.dropFirst("listening on ".count)))
    }

    /// Sends `signal` and waits up to `grace` for the process to exit; returns its exit status, or
    /// nil when it had to be killed.
    public func terminate(with signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }
}
