/// Partitions of one topic that a fan-out ``KafkaConsumer`` starts reading (see
/// ``KafkaConsumerEvent``), and why.
public struct KafkaPartitionChange: Sendable, Hashable {
    /// Why the partitions are read from here.
    public enum Reason: Sendable, Hashable {
        /// The consumer's first assignment, or partitions added to the topic.
        case assigned
        /// The topic was deleted and created again: its id changed, or it was missing and came
        /// back. Every partition starts over at offset 0 (an in-memory broker that restarted
        /// does this too).
        case topicRecreated
        /// The broker no longer holds the offset the consumer was at: retention deleted it
        /// before it was read (the position is below the partition's start), or the partition
        /// was truncated (above its end). Records between may never have been read.
        case offsetOutOfRange
    }

    public var topic: String
    /// The topic's id, when the broker gives one.
    public var topicID: KafkaTopicID?
    public var partitions: [Int32]
    public var reason: Reason

    public init(topic: String, topicID: KafkaTopicID?, partitions: [Int32], reason: Reason) {
        self.topic = topic
        self.topicID = topicID
        self.partitions = partitions
        self.reason = reason
    }
}
