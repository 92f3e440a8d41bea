// file-server: a static HTTP/1.1 file server on the completion model (HTTPServer.swift), the
// main job of this package. HTTP parsing, path resolution and response heads are the StaticHTTP
// library; this program does the I/O.
import ArgumentParser
import Libevent
import ServerSupport

@main
struct FileServer: ServerCommand {
    static let configuration = CommandConfiguration(
        commandName: "file-server",
        abstract: "Serves a directory over HTTP/1.1 (GET and HEAD, keep-alive, ranges, conditional requests).")

    /// The sample site next to this source file, served when `--root` is not given.
    static let bundledSite = String(#filePath.dropLast("FileServer.swift".count)) + "site"

    @OptionGroup var options: ServerOptions

    @Option(parsing: .unconditional, help: "TCP port to listen on; 0 picks a free one.")
    var port: UInt16 = 8080

    @Option(help: "Directory to serve (default: the bundled sample site).")
    var root: String = bundledSite

    @Flag(help: "Answer 403 for directories without index.html instead of listing them.")
    var noListing = false

    @Flag(help: "Log each request to standard error in Common Log Format.")
    var accessLog = false

    @Option(name: .customLong("cache-seconds"), parsing: .unconditional,
            help: "Serve files from a cache (in memory up to 16 KiB, else kept open), opening them again after this many seconds (0: off).")
    var cacheSeconds: Double = 1

    func validate() throws {
        guard cacheSeconds.isFinite, cacheSeconds >= 0, cacheSeconds <= 86_400 else {
            throw ValidationError("--cache-seconds must be a number of seconds from 0 to 86400 (got \(cacheSeconds))")
        }
        guard DocumentRoot(path: root, listsDirectories: true) != nil else {
            throw ValidationError("--root '\(root)' is not a readable directory")
        }
    }

    func run() throws {
        guard let documentRoot = DocumentRoot(path: root, listsDirectories: !noListing) else {
            throw ValidationError("--root '\(root)' is not a readable directory")
        }
        let base = try EventBase()
        let fileCache = FileCache(validity: .milliseconds(Int64((cacheSeconds * 1000).rounded())))
        let server = try HTTPServer(base: base, address: try options.address(port: port), root: documentRoot,
                                    fileCache: fileCache, options: options, logsAccess: accessLog)
        _ = try GracefulShutdown(base: base, begin: server.beginShutdown, isFinished: { server.isFinished })
        announceListening(on: server.localAddress)
        try base.run()
    }
}
