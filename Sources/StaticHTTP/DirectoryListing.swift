/// One entry of a directory listing.
public struct DirectoryEntry: Sendable {
    /// The file name (any bytes a file name may hold, shown escaped).
    public var name: String
    /// Whether the entry is a directory (listed with a trailing `/`).
    public var isDirectory: Bool
    /// The size in bytes (files only).
    public var size: Int64
    /// Modification time, seconds since the epoch.
    public var modified: Int

    /// An entry.
    public init(name: String, isDirectory: Bool, size: Int64, modified: Int) {
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
        self.modified = modified
    }
}

/// The HTML index of a directory: names HTML-escaped, links percent-encoded, directories first.
public enum DirectoryListing {
    /// The page for the directory at `target` holding `entries`.
    public static func page(for target: RequestTarget, entries: [DirectoryEntry]) -> String {
        let title = HTML.escape("Index of /" + target.relativePath + (target.segments.isEmpty ? "" : "/"))
        var rows = target.segments.isEmpty ? "" : "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n"
        let sorted = entries.sorted { ($0.isDirectory ? 0 : 1, $0.name) < ($1.isDirectory ? 0 : 1, $1.name) }
        for entry in sorted {
            let link = PercentEncoding.encodeSegment(entry.name) + (entry.isDirectory ? "/" : "")
            let shown = HTML.escape(entry.name) + (entry.isDirectory ? "/" : "")
            let size = entry.isDirectory ? "-" : String(entry.size)
            rows += "<tr><td><a href=\"./\(HTML.escape(link))\">\(shown)</a></td>"
                + "<td>\(HTTPDate.format(entry.modified))</td><td>\(size)</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(title)</title>
            <style>body{font-family:sans-serif;margin:2em}td{padding:0 1.5em 0 0}</style></head>
            <body><h1>\(title)</h1>
            <table>
            \(rows)</table>
            </body></html>

            """
    }
}
