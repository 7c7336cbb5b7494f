/// Where a fan-out consumer starts reading each partition.
public enum KafkaStartPosition: Sendable, Hashable {
    /// The oldest record the broker still holds.
    case earliest
    /// Only records produced after the consumer is assigned.
    case latest
    /// The given offset per partition; a partition missing from the map starts at its
    /// earliest record (a partition that did not exist when the offsets were taken holds
    /// only records the caller has not seen). An offset past the end of a partition
    /// (the partition was deleted and re-created) also restarts at its earliest record.
    case offsets([Int32: Int64])
    /// The first record whose timestamp is at or after this many milliseconds since the epoch.
    ///
    /// The offset comes from the broker's ListOffsets by timestamp; records older than the
    /// timestamp are then skipped as well, because some brokers (the embedded Tansu among them)
    /// answer that request with the start of the partition.
    case timestamp(milliseconds: Int64)
}
