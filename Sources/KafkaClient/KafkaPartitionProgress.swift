/// How far a consumer has read one partition.
public struct KafkaPartitionProgress: Sendable, Hashable {
    public var partition: Int32
    /// Offset of the next record the consumer will hand out (records it skipped count as
    /// read); nil until the partition has been fetched from.
    public var position: Int64?
    /// The partition's end offset as last reported by the broker; nil until known.
    public var endOffset: Int64?

    public init(partition: Int32, position: Int64?, endOffset: Int64?) {
        self.partition = partition
        self.position = position
        self.endOffset = endOffset
    }

    /// Records between the position and the end; nil while either is unknown.
    public var lag: Int64? {
        guard let position, let endOffset else { return nil }
        return max(0, endOffset - position)
    }
}
