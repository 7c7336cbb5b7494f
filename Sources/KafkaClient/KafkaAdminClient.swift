import Logging

/// Topic administration: create a topic if it is missing, read a topic's partitions and end offsets.
///
/// Each call blocks a thread of NIO's blocking-I/O pool (never the cooperative pool) until
/// the broker answers or the timeout passes.
public final class KafkaAdminClient: Sendable {
    private let client: RdKafkaClient

    public init(connection: KafkaConnectionConfiguration, logger: Logger) throws {
        // Asking for a missing topic's partitions must not create it.
        let properties = connection.librdkafkaProperties(with: ["allow.auto.create.topics": "false"])
        self.client = try RdKafkaClient.make(kind: .producer, properties: properties, logger: logger)
    }

    /// Creates `topic` with `partitions` partitions unless it exists.
    /// - Returns: true if it was created, false if it already existed (whatever its partition count).
    @discardableResult
    public func createTopicIfMissing(
        _ topic: String,
        partitions: Int,
        replicationFactor: Int = 1,
        timeout: Duration = .seconds(10)
    ) async throws -> Bool {
        guard partitions > 0, replicationFactor > 0, !topic.isEmpty else {
            throw KafkaError(
                code: .invalidArgument,
                reason: "create topic '\(topic)': needs a name, partitions > 0 and replication factor > 0",
                isRetriable: false
            )
        }
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        return try await runBlocking { [client] in
            try client.createTopic(
                name: topic,
                partitions: Int32(clamping: partitions),
                replicationFactor: Int32(clamping: replicationFactor),
                timeoutMilliseconds: milliseconds
            )
        }
    }

    /// The partition ids of `topic`, sorted.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/unknownTopicOrPartition`` if it does not exist.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) async throws -> [Int32] {
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        return try await runBlocking { [client] in
            try client.partitionIDs(topic: topic, timeoutMilliseconds: milliseconds)
        }
    }

    /// The end offset (the offset the next record will get) of every partition of `topic`.
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/unknownTopicOrPartition`` if it does not exist.
    public func endOffsets(of topic: String, timeout: Duration = .seconds(10)) async throws -> [Int32: Int64] {
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        return try await runBlocking { [client] in
            let partitions = try client.partitionIDs(topic: topic, timeoutMilliseconds: milliseconds)
            return try client.queryEndOffsets(topic: topic, partitions: partitions, timeoutMilliseconds: milliseconds)
        }
    }
}
