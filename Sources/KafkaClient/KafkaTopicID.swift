/// A topic's id (KIP-516): the broker gives each topic a random UUID when it is created, so a
/// topic that was deleted and created again under the same name has a new id. Brokers
/// before Kafka 2.8 give none.
public struct KafkaTopicID: Sendable, Hashable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The UUID's 32 hex digits.
    public var description: String {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(mostSignificantBits) + hex(leastSignificantBits)
    }
}
