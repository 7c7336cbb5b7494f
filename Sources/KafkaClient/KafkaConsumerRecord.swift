import NIOCore

/// A record read from Kafka.
public struct KafkaConsumerRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch, or nil if the broker gave none.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: ByteBuffer?,
        value: ByteBuffer,
        headers: [KafkaHeader],
        timestampMilliseconds: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The first header with this name.
    public func header(_ key: String) -> KafkaHeader? {
        headers.first { $0.key == key }
    }
}
