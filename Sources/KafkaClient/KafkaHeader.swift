import NIOCore

/// A Kafka record header: a name and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `value`.
    public init(key: String, string value: String) {
        self.key = key
        self.value = ByteBuffer(string: value)
    }

    /// The value as UTF-8 text, if there is a value.
    public var stringValue: String? { value.map { String(buffer: $0) } }
}
