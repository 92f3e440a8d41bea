// swift-tools-version: 6.0
// The SwiftNIO peer of the HTTP benchmark: a static file server on one event loop with NIOHTTP1,
// sending files as FileRegions (sendfile). A separate package, so the library never depends on NIO.
import PackageDescription

let package = Package(
    name: "nio-file-server",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .executableTarget(
            name: "nio-file-server",
            dependencies: [
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
