/// What a response says about one version of a file, formatted once: its validators
/// (`ETag`, `Last-Modified`) and its `Content-Type`. A server that keeps it with a cached file
/// answers later requests for the file without formatting them again.
public struct FileDescription: Sendable {
    /// Size and modification time.
    public let metadata: FileMetadata
    /// `metadata.entityTag`.
    public let entityTag: String
    /// `metadata.modified` as an HTTP date.
    public let lastModified: String
    /// The media type, from the file's name.
    public let contentType: String

    /// Formats the fields for a file with `metadata`, named `name` (for the `Content-Type`).
    public init(metadata: FileMetadata, name: String) {
        self.metadata = metadata
        entityTag = metadata.entityTag
        lastModified = HTTPDate.format(metadata.modified)
        contentType = ContentType.forFile(named: name)
    }
}
