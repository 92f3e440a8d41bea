// swift-tools-version: 6.0
// The SwiftNIO peer of the echo benchmark: one event loop, the canonical echo handler. A separate
// package, so the library itself never depends on NIO.
import PackageDescription

let package = Package(
    name: "nio-echo",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .executableTarget(
            name: "nio-echo",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
