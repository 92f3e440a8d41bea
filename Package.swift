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
            name: "LibeventTests",
            dependencies: ["Libevent", "TestSupport", "libevent-emfile-probe"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "echo-server",
            dependencies: ["Libevent"],
            path: "Examples/echo-server",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "libevent-emfile-probe",
            dependencies: ["Libevent"],
            path: "Tests/EMFILEProbe",
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
