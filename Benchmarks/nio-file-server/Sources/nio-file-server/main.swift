// usage: nio-file-server PORT ROOT   (prints "listening on 127.0.0.1:PORT"; one event loop)
//
// GET and HEAD of regular files under ROOT (paths with ".." refused), keep-alive and pipelining as
// NIOHTTP1 does them, each file sent as a FileRegion. Files are opened on the event loop, as nginx,
// evhttp and file-server open them, rather than on a thread pool.
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

final class FileHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let root: String
    private var request: HTTPRequestHead?

    init(root: String) {
        self.root = root
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            if let request { respond(to: request, context: context) }
            request = nil
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard request.method == .GET || request.method == .HEAD, !path.contains("..") else {
            return sendEmpty(.badRequest, to: request, context: context)
        }
        let descriptor = open(root + path, O_RDONLY | O_CLOEXEC)
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            if descriptor >= 0 { close(descriptor) }
            return sendEmpty(.notFound, to: request, context: context)
        }
        var headers = HTTPHeaders([("Content-Type", "application/octet-stream"), ("Content-Length", String(info.st_size))])
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))),
                      promise: nil)
        let file = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        if request.method == .GET, info.st_size > 0 {
            let region = FileRegion(fileHandle: file, readerIndex: 0, endIndex: Int(info.st_size))
            context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
        }
        let keepAlive = request.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            try? file.close()
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func sendEmpty(_ status: HTTPResponseStatus, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("Content-Length", "0"), ("Connection", "close")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let port = Int(arguments.first!) else {
    print("usage: nio-file-server PORT ROOT")
    exit(2)
}
let root = arguments.last!
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 511)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(FileHandler(root: root))
        }
    }
let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
print("listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)")
fflush(nil)
try channel.closeFuture.wait()
