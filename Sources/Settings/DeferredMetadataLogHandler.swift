import Logging

/// Logs like `StreamLogHandler.standardError`, but renders the logger's own metadata only
/// when a message is actually written.
///
/// Hummingbird gives every Ingest request a logger with a fresh `hb.request.id`. A
/// `StreamLogHandler` renders its whole metadata into a string each time it is set, so
/// every webhook paid for formatting a prefix that, at the usual levels, is never written
/// (a cost seen in Ingest's profile, docs/benchmarks.md). This handler keeps the metadata as a
/// dictionary and hands it to the stream handler with each message, merged exactly as the
/// stream handler merges it (its own metadata, then the metadata provider's, then the
/// message's), so the output is the same.
public struct DeferredMetadataLogHandler: LogHandler {
    /// Writes the lines; given all metadata with each message, it holds none of its own.
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String) {
        stream = StreamLogHandler.standardError(label: label, metadataProvider: nil)
        metadataProvider = LoggingSystem.metadataProvider
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { $1 }
        }
        if let explicit = event.metadata {
            merged.merge(explicit) { $1 }
        }
        var event = event
        event.metadata = merged.isEmpty ? nil : merged
        stream.log(event: event)
    }
}
