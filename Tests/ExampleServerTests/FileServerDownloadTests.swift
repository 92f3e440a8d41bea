import Foundation
import Libevent
import TestSupport
import Testing

/// Runs curl with `arguments`; returns its exit status and standard output.
private func curl(_ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["curl", "--silent", "--show-error", "--max-time", "60"] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private let hasCurl = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

@Suite(.timeLimit(.minutes(3)))
struct FileServerDownloadTests {
    @Test(.enabled(if: hasCurl, "curl is not installed"))
    func curlSeesTheContract() throws {
        let site = try TemporarySite()
        let (server, address) = try site.start()
        let base = "http://\(address)"
        let (status, text) = try curl(["--http1.1", "\(base)/hello.txt", "\(base)/hello.txt"])
        #expect(status == 0 && text == "hello, world\nhello, world\n", "two requests on one keep-alive connection")
        let (_, ranged) = try curl(["-r", "7-11", "\(base)/hello.txt"])
        #expect(ranged == "world")
        let (_, codes) = try curl(["-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "-I", "\(base)/hello.txt",
                                   "--next", "-o", "/dev/null", "-w", "%{http_code}\n", "-L", "\(base)/sub"])
        #expect(codes == "200 1\n200\n", "HEAD, then a redirect followed to the listing")
        let (_, http10) = try curl(["--http1.0", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/data.bin"])
        #expect(http10 == "200")
        #expect(server.terminate() == 0)
    }

    @Test(.enabled(if: hasCurl, "curl is not installed"))
    func twentyConcurrentDownloadsOfSixtyFourMiBKeepMemoryFlat() throws {
        let site = try TemporarySite()
        try site.makeLargeFile("big.bin", size: 64 << 20)
        let (server, address) = try site.start()
        let idle = try #require(server.residentKiB)
        let downloads = try (0..<20).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["curl", "--silent", "--max-time", "60", "--limit-rate", "64M", "-o", "/dev/null",
                                 "-w", "%{http_code} %{size_download}", "http://\(address)/big.bin"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            return (process, output)
        }
        var peak = idle
        while downloads.contains(where: { $0.0.isRunning }) {
            peak = max(peak, server.residentKiB ?? 0)
            usleep(20_000)
        }
        for (process, output) in downloads {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0 && text == "200 \(64 << 20)")
        }
        #expect(peak < 64 * 1024, "peak RSS \(peak) KiB (idle \(idle) KiB) while sending 20 x 64 MiB")
        #expect(server.terminate() == 0)
    }

    @Test func clientResettingMidDownloadDisturbsNoOne() throws {
        let site = try TemporarySite()
        try site.makeLargeFile("big.bin", size: 16 << 20)
        let (server, address) = try site.start()
        let steady = try HTTPTestClient(address)
        steady.get("/big.bin")
        for _ in 0..<10 {
            let rude = try HTTPTestClient(address)
            rude.get("/big.bin")
            var buffer = [UInt8](repeating: 0, count: 65_536)
            _ = read(rude.descriptor, &buffer, buffer.count)
            var linger = linger(l_onoff: 1, l_linger: 0)  // close with RST
            setsockopt(rude.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }
        let response = try #require(steady.readResponse())
        #expect(response.status == 200 && response.body.count == 16 << 20, "the steady download completes intact")
        steady.get("/hello.txt")
        #expect(steady.readResponse()?.text == "hello, world\n")
        #expect(server.terminate() == 0)
    }

    @Test func sigtermLetsAnInFlightResponseFinish() throws {
        let site = try TemporarySite()
        try site.makeLargeFile("big.bin", size: 32 << 20)
        let (server, address) = try site.start()
        let downloading = try HTTPTestClient(address)
        var small: Int32 = 64 << 10
        setsockopt(downloading.descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let idle = try HTTPTestClient(address)
        downloading.get("/big.bin")
        idle.get("/hello.txt")
        #expect(idle.readResponse()?.status == 200)
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(read(downloading.descriptor, &buffer, buffer.count) > 0, "the download has started")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(idle.isClosedByServer(), "an idle keep-alive connection is closed at once")
        #expect(throws: (any Error).self, "no new connections") { _ = try HTTPTestClient(address) }
        var received = 4096
        while true {
            let count = read(downloading.descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            received += count
        }
        #expect(received > 32 << 20, "the whole response arrived (head and 32 MiB body)")
        #expect(server.waitForExit() == 0)
    }
}
