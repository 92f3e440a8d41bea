import Foundation
import Testing

/// The complete programs in the documents are the sources of Examples/Consumer's targets, which
/// `make test` builds: each document must quote its program exactly, so what readers copy compiles.
struct DocumentationExampleTests {
    /// The repository's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// (document, program) pairs, paths from the root.
    static let quotes = [
        ("README.md", "Examples/Consumer/Sources/ReadinessEcho/main.swift"),
        ("Sources/Libevent/Libevent.docc/GettingStarted.md", "Examples/Consumer/Sources/ReadinessEcho/main.swift"),
        ("Sources/Libevent/Libevent.docc/PortingIOCP.md", "Examples/Consumer/Sources/CompletionEcho/main.swift"),
        ("Sources/Libevent/Libevent.docc/PortingSelect.md", "Examples/Consumer/Sources/SelectPort/main.swift"),
    ]

    @Test(arguments: quotes)
    func documentQuotesItsProgramExactly(document: String, program: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(document), encoding: .utf8)
        let code = try String(contentsOf: Self.root.appendingPathComponent(program), encoding: .utf8)
        #expect(text.contains("```swift\n" + code + "```"), "\(document) does not quote \(program) as it is")
    }
}
