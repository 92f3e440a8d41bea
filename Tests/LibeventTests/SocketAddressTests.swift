import Glibc
import Libevent
import TestSupport
import Testing

@Suite struct SocketAddressTests {
    @Test(arguments: ["127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0", "[fe80::1]:65535"])
    func parsesAndFormatsBack(_ text: String) throws {
        #expect(try SocketAddress(parsing: text).description == text)
    }

    @Test func exposesHostPortAndFamily() throws {
        let v6 = try SocketAddress(parsing: "[::1]:443")
        #expect(v6.family == .ipv6 && v6.host == "::1" && v6.port == 443)
        var v4 = try SocketAddress(host: "10.1.2.3", port: 7)
        #expect(v4.family == .ipv4 && v4.description == "10.1.2.3:7")
        v4.port = 9
        #expect(v4.description == "10.1.2.3:9")
        #expect(try SocketAddress(host: "::1", port: 80) == SocketAddress(parsing: "[::1]:80"))
    }

    @Test(arguments: ["", "localhost:80", "1.2.3:4", "[::1", "1.2.3.4:99999", "::1]:80"])
    func rejectsWhatIsNotANumericAddress(_ text: String) {
        #expect(throws: LibeventError.self) { try SocketAddress(parsing: text) }
    }
}

@Suite struct LibeventErrorTests {
    @Test func describesOperationAndErrno() {
        let error = LibeventError("bind 127.0.0.1:80", code: EADDRINUSE)
        #expect(error.description == "bind 127.0.0.1:80: Address already in use (errno \(EADDRINUSE))")
        #expect(LibeventError("event_base_new", code: 0).description == "event_base_new failed")
    }
}
