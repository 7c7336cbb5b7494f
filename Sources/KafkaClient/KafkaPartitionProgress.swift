/// How far a consumer has read one partition.
///
/// ``position`` counts records fetched from the broker, including those still waiting in
/// ``KafkaConsumer/records`` for the reader: to know what the reader has *processed*, the
/// reader tracks its own offsets (plus ``skippedThrough``).
public struct KafkaPartitionProgress: Sendable, Hashable {
    public var partition: Int32
    /// Offset of the next record the consumer will hand out (records it skipped count as
    /// read); nil until the partition has been fetched from.
    public var position: Int64?
    /// The partition's end offset as last reported by the broker; nil until known.
    public var endOffset: Int64?
    /// Timestamp start: the last offset skipped because its record was older than the
    /// start (such records never reach ``KafkaConsumer/records``); nil if none was.
    public var skippedThrough: Int64?

    public init(partition: Int32, position: Int64?, endOffset: Int64?, skippedThrough: Int64? = nil) {
        self.partition = partition
        self.position = position
        self.endOffset = endOffset
        self.skippedThrough = skippedThrough
    }

    /// Records between the position and the end; nil while either is unknown.
    public var lag: Int64? {
        guard let position, let endOffset else { return nil }
        return max(0, endOffset - position)
    }
}
