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

    @Option(help: "TCP port to listen on; 0 picks a free one.")
    var port: UInt16 = 8080

    @Option(help: "Directory to serve (default: the bundled sample site).")
    var root: String = bundledSite

    @Flag(help: "Answer 403 for directories without index.html instead of listing them.")
    var noListing = false

    @Flag(help: "Log each request to standard error in Common Log Format.")
    var accessLog = false

    func validate() throws {
        guard DocumentRoot(path: root, listsDirectories: true) != nil else {
            throw ValidationError("--root '\(root)' is not a readable directory")
        }
    }

    func run() throws {
        guard let documentRoot = DocumentRoot(path: root, listsDirectories: !noListing) else {
            throw ValidationError("--root '\(root)' is not a readable directory")
        }
        let base = try EventBase()
        let server = try HTTPServer(base: base, address: try options.address(port: port), root: documentRoot,
                                    options: options, logsAccess: accessLog)
        _ = try GracefulShutdown(base: base, begin: server.beginShutdown, isFinished: { server.isFinished })
        announceListening(on: server.localAddress)
        try base.run()
    }
}
