import Foundation
import Libevent
import TestSupport
import Testing

/// Whether `text` has the shape of a `ctime` line, `Sat Nov 28 19:50:12 2026`, and CR LF.
private func isDaytimeLine(_ text: String) -> Bool {
    text.wholeMatch(of: #/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9]\d \d\d:\d\d:\d\d \d{4}\r\n$/#) != nil
}

@Suite(.timeLimit(.minutes(1)))
struct DaytimeServerTests {
    @Test func tcpAndUDPAnswerWithTheDateLine() throws {
        let server = try ChildProcess(builtProduct: "daytime-server", arguments: ["--port", "0"])
        let tcpAddress = try server.listeningAddress()
        let udpAddress = try server.udpListeningAddress()

        let client = try blockingClient(to: tcpAddress)
        defer { close(client) }
        var line: [UInt8] = []
        while case let bytes = readAvailable(client), !bytes.isEmpty { line += bytes }
        let text = String(decoding: line, as: UTF8.self)
        #expect(isDaytimeLine(text), "TCP answer \(text.debugDescription), then close")

        for request in [[], [UInt8]("what time is it?".utf8)] {
            let answer = try udpExchange(request, with: udpAddress)
            #expect(isDaytimeLine(String(decoding: answer, as: UTF8.self)),
                    "UDP answer to a \(request.count)-byte datagram")
        }
        #expect(server.terminate() == 0)
    }

    @Test func tcpOnlyAndUDPOnly() throws {
        let tcpOnly = try ChildProcess(builtProduct: "daytime-server", arguments: ["--port", "0", "--tcp"])
        #expect(tcpOnly.readLine()?.hasPrefix("listening on 127.0.0.1:") == true)
        #expect(tcpOnly.terminate() == 0)
        #expect(tcpOnly.readLine() == nil, "no UDP line")

        let udpOnly = try ChildProcess(builtProduct: "daytime-server", arguments: ["--port", "0", "--udp"])
        let address = try udpOnly.udpListeningAddress()
        #expect(!(try udpExchange([], with: address)).isEmpty)
        #expect(udpOnly.terminate() == 0)
    }

    /// Sends one datagram and waits up to 5 s for the answer.
    private func udpExchange(_ request: [UInt8], with address: SocketAddress) throws -> [UInt8] {
        let socket = Glibc.socket(address.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(socket) }
        setTimeout(SO_RCVTIMEO, of: socket, to: .seconds(5))
        let sent = request.withUnsafeBytes { bytes in
            address.withUnsafeSockaddr { sendto(socket, bytes.baseAddress, bytes.count, 0, $0, $1) }
        }
        try #require(sent == request.count)
        var answer = [UInt8](repeating: 0, count: 512)
        let count = recv(socket, &answer, answer.count, 0)
        try #require(count > 0, "an answer within 5 s")
        return Array(answer[0..<count])
    }
}
