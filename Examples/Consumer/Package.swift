// swift-tools-version: 6.2
// A package that depends on the library the way an app would (here by path), proving that linking
// it finds libevent through the CLibevent system-library target. `make test` builds and runs it.
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(name: "swift-libevent", path: "../..")],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [.product(name: "Libevent", package: "swift-libevent")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
