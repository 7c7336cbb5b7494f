import NIOCore

/// A record to publish.
public struct KafkaProducerRecord: Sendable {
    public var topic: String
    /// The key decides the partition (records with the same key keep their order).
    public var key: ByteBuffer?
    public var value: ByteBuffer
    public var headers: [KafkaHeader]
    /// A fixed partition, or nil to let the partitioner choose from the key.
    public var partition: Int32?
    /// The record's timestamp in milliseconds since the epoch, or nil for "now".
    public var timestampMilliseconds: Int64?

    public init(
        topic: String,
        key: ByteBuffer? = nil,
        value: ByteBuffer,
        headers: [KafkaHeader] = [],
        partition: Int32? = nil,
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// A record keyed by the UTF-8 bytes of `key`.
    public init(topic: String, key: String, value: ByteBuffer, headers: [KafkaHeader] = []) {
        self.init(topic: topic, key: ByteBuffer(string: key), value: value, headers: headers)
    }
}
