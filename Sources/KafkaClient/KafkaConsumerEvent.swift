/// What a ``KafkaConsumer`` hands its reader, in the order it happened.
///
/// The points where the consumer starts reading partitions come in line with the records, so
/// the reader knows exactly which records were read before and which after.
public enum KafkaConsumerEvent: Sendable {
    /// A record.
    case record(KafkaConsumerRecord)
    /// Fan-out mode: partitions the consumer starts reading, on its first assignment and
    /// when partitions are added to the topic.
    case partitionsAssigned(KafkaPartitionChange)
    /// Fan-out mode: partitions whose offsets started over, now read again from their start.
    /// Positions taken from them before this point no longer name the same records.
    case partitionsRestarted(KafkaPartitionChange)
}
