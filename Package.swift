// swift-tools-version: 6.2
import PackageDescription

/// Every target of ours is built in Swift 6 mode with warnings as errors.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "swift-libevent",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Libevent", targets: ["Libevent"]),
        .library(name: "CompletionPort", targets: ["CompletionPort"]),
        .executable(name: "echo-server", targets: ["echo-server"]),
        .executable(name: "daytime-server", targets: ["daytime-server"]),
        .executable(name: "select-echo", targets: ["select-echo"]),
        .executable(name: "file-server", targets: ["file-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibevent",
            path: "CLibevent",
            pkgConfig: "libevent",
            providers: [.apt(["libevent-dev"]), .brew(["libevent"])]
        ),
        .target(
            name: "Libevent",
            dependencies: ["CLibevent"],
            swiftSettings: strict
        ),
        .target(
            name: "CompletionPort",
            dependencies: ["Libevent"],
            swiftSettings: strict
        ),
        .target(
            name: "StaticHTTP",
            swiftSettings: strict
        ),
        .target(
            name: "ServerSupport",
            dependencies: [
                "Libevent", "CompletionPort",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Libevent"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CompletionPortTests",
            dependencies: ["CompletionPort", "Libevent", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StaticHTTPTests",
            dependencies: ["StaticHTTP"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ExampleServerTests",
            dependencies: ["Libevent", "TestSupport", "echo-server", "daytime-server", "select-echo", "file-server"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LibeventTests",
            dependencies: ["Libevent", "TestSupport", "libevent-emfile-probe"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "echo-server",
            dependencies: ["Libevent", "CompletionPort", "ServerSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/echo-server",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "daytime-server",
            dependencies: ["Libevent", "ServerSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/daytime-server",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "select-echo",
            dependencies: ["Libevent", "ServerSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/select-echo",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "libevent-emfile-probe",
            dependencies: ["Libevent"],
            path: "Tests/EMFILEProbe",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "file-server",
            dependencies: ["CLibevent", "Libevent", "CompletionPort", "ServerSupport", "StaticHTTP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/file-server",
            exclude: ["site"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
