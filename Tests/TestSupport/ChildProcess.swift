import Foundation
import Libevent

/// A program started by a test, with its standard output readable line by line. Killed (SIGKILL)
/// when freed if still running.
public final class ChildProcess {
    public let process = Process()
    private let output = Pipe()
    private let errorOutput: Pipe?
    private var pending = Data()

    /// Starts the executable `name` that SwiftPM built next to the test bundle. With
    /// `capturingStandardError`, standard error is kept for `standardErrorText()` (read it only
    /// after the process ended); otherwise it goes to the test's own standard error.
    /// With a `launcher` (such as `["/usr/bin/prlimit", "--nofile=64:64"]`), the launcher runs with
    /// the product's path and `arguments` after its own; it must exec the product, so the process
    /// is the product's.
    public init(builtProduct name: String, arguments: [String], capturingStandardError: Bool = false,
                launcher: [String] = []) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent(name)
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = launcher.dropFirst() + [executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.standardOutput = output
        errorOutput = capturingStandardError ? Pipe() : nil
        if let errorOutput { process.standardError = errorOutput }
        try process.run()
    }

    /// Waits up to `timeout` for the process to exit by itself; returns its status, or nil if it is
    /// still running.
    public func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The process's resident set size in KiB, from /proc (nil once it has exited).
    public var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }

    /// CPU time (user + system) the process has used so far, from /proc.
    public var cpuTime: Duration? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let afterName = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return .milliseconds((user + system) * 1000 / Int(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Everything the process wrote to standard error (when captured), read to its end.
    public func standardErrorText() -> String {
        guard let errorOutput else { return "" }
        return String(decoding: errorOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
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
        try listeningAddress(prefix: "listening on ")
    }

    /// Reads a `listening on udp ADDRESS` line and returns the address.
    public func udpListeningAddress() throws -> SocketAddress {
        try listeningAddress(prefix: "listening on udp ")
    }

    private func listeningAddress(prefix: String) throws -> SocketAddress {
        guard let line = readLine(), line.hasPrefix(prefix) else {
            throw LibeventError("child did not print '\(prefix)ADDRESS'", code: 0)
        }
        return try SocketAddress(parsing: String(line.dropFirst(prefix.count)))
    }

    /// Sends `signal` and waits up to `grace` for the process to exit; returns its exit status, or
    /// nil when it had to be killed.
    public func terminate(with signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) -> Int32? {
        kill(process.processIdentifier, signal)
        if let status = waitForExit(timeout: grace) { return status }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }
}
