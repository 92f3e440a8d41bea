public import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server's command line. Conforming types get a `main()` that keeps the examples' contract:
/// `--help` prints usage and exits 0; a bad argument prints one line on stderr and exits 2; an error
/// thrown by `run()` (a port in use, say) prints one line on stderr and exits 1.
public protocol ServerCommand: ParsableCommand {}

extension ServerCommand {
    /// Parses the command line and runs the server, exiting with the contract's status.
    public static func main() {
        let name = configuration.commandName ?? "server"
        var command: Self
        do {
            command = try parse()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            printError("\(name): \(firstLine(of: message(for: error)))")
            exitProcess(2)
        }
        do {
            try command.run()
        } catch {
            if let code = error as? ExitCode { exitProcess(code.rawValue) }
            printError("\(name): \(firstLine(of: String(describing: error)))")
            exitProcess(1)
        }
        exitProcess(0)
    }
}

/// Writes `line` and a newline to standard error in one write (stderr is unbuffered).
public func printError(_ line: String) {
    let text = line + "\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}

private func firstLine(of message: String) -> String {
    String(message.split(separator: "\n", omittingEmptySubsequences: true).first ?? "invalid arguments")
}

/// Ends the process (at file scope, where `exit` is the C library's and not `ParsableCommand`'s).
private func exitProcess(_ status: Int32) -> Never {
    exit(status)
}
