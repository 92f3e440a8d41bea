// swift-tools-version: 6.2
// A package that depends on the library the way an app would (here by path), proving that linking
// it finds libevent through the CLibevent system-library target. `make test` builds it and runs
// Consumer. The other targets are the complete programs the documentation shows (README, Getting
// Started, Porting IOCP code, Porting a select() loop), built so that they keep compiling;
// `DocumentationExampleTests` checks that the documents quote them exactly.
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(name: "swift-libevent", path: "../..")],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "Libevent", package: "swift-libevent")]
        ),
        .executableTarget(
            name: "ReadinessEcho",
            dependencies: [.product(name: "Libevent", package: "swift-libevent")]
        ),
        .executableTarget(
            name: "CompletionEcho",
            dependencies: [.product(name: "Libevent", package: "swift-libevent"),
                           .product(name: "CompletionPort", package: "swift-libevent")]
        ),
        .executableTarget(
            name: "SelectPort",
            dependencies: [.product(name: "Libevent", package: "swift-libevent")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
