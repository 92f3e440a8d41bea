import Foundation
import Libevent
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CommandLineTests {
    static let products = ["echo-server", "daytime-server", "select-echo"]
    static let badArguments = [
        ["--bogus"], ["--port", "65536"], ["--port", "http"], ["--host", "no-such-host.invalid"], ["--host", "1.2.3.4.5"],
        ["--idle-timeout=-1"], ["--idle-timeout", "-1"], ["--idle-timeout", "soon"], ["--max-connections", "0"],
        ["--max-connections", "-5"], ["--port", "-1"], ["extra"],
    ]

    @Test(arguments: products, badArguments)
    func badArgumentsExitTwoWithOneLineOnStandardError(product: String, arguments: [String]) throws {
        let server = try ChildProcess(builtProduct: product, arguments: arguments, capturingStandardError: true)
        #expect(server.waitForExit() == 2)
        let lines = server.standardErrorText().split(separator: "\n")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.hasPrefix("\(product): ") == true)
        #expect(server.readLine() == nil, "nothing on standard output")
    }

    @Test func aNegativeNumberIsNamedAsTheValueThatIsWrong() throws {
        let server = try ChildProcess(builtProduct: "echo-server", arguments: ["--idle-timeout", "-1"], capturingStandardError: true)
        #expect(server.waitForExit() == 2)
        let message = server.standardErrorText()
        #expect(message.contains("--idle-timeout must be a number of seconds above 0 (got -1.0)"), "\(message)")
    }

    @Test func badModeIsRejected() throws {
        let server = try ChildProcess(builtProduct: "echo-server", arguments: ["--model", "threads"], capturingStandardError: true)
        #expect(server.waitForExit() == 2)
        #expect(server.standardErrorText().split(separator: "\n").count == 1)
    }

    @Test(arguments: products)
    func helpExitsZero(product: String) throws {
        let server = try ChildProcess(builtProduct: product, arguments: ["--help"])
        var text = ""
        while let line = server.readLine() { text += line + "\n" }
        #expect(server.waitForExit() == 0)
        #expect(text.contains("--port") && text.contains("--idle-timeout") && text.contains("--max-connections"))
    }

    @Test(arguments: products)
    func portInUseExitsOneWithOneLine(product: String) throws {
        let holder = try ChildProcess(builtProduct: "echo-server", arguments: ["--port", "0"])
        let taken = try holder.listeningAddress()
        let server = try ChildProcess(builtProduct: product, arguments: ["--port", String(taken.port), "--tcp"].filter {
            product == "daytime-server" || $0 != "--tcp"
        }, capturingStandardError: true)
        #expect(server.waitForExit() == 1)
        let message = server.standardErrorText()
        #expect(message.split(separator: "\n").count == 1 && message.contains("Address already in use"), "\(message)")
        #expect(holder.terminate() == 0)
    }
}
