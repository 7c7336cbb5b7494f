/// Settings of a ``KafkaProducer``.
///
/// Durability is not configurable: every producer waits for all in-sync replicas
/// (`acks=all`) and is idempotent, so a retried send never duplicates or reorders a record.
/// A producer never creates a topic (`allow.auto.create.topics=false`): a broker that creates
/// one on the first send uses its own default partition count, so topics are created by
/// whoever knows the intended layout (``KafkaAdminClient/createTopicIfMissing(_:partitions:replicationFactor:timeout:)``),
/// and a send to a missing topic waits for it until the delivery timeout.
public struct KafkaProducerConfiguration: Sendable {
    public var connection: KafkaConnectionConfiguration
    /// How long ``KafkaProducer/send(_:)`` waits for the broker's acknowledgement, retries
    /// included, before failing with ``KafkaError/Code/messageTimedOut``. Default: 30 s.
    /// It is shared by two attempts (librdkafka's `message.timeout.ms` is half of it): see
    /// "Recovery" in ``KafkaProducer``.
    public var deliveryTimeout: Duration
    /// How long librdkafka waits for more records before sending a batch (`linger.ms`).
    /// Default: 1 ms: concurrent sends still share batches, and a lone send is not held back.
    public var linger: Duration
    /// Most records librdkafka holds before ``KafkaProducer/send(_:)`` fails with
    /// ``KafkaError/Code/queueFull`` (`queue.buffering.max.messages`). Default: 100,000.
    public var maximumQueuedMessages: Int
    /// How long a graceful shutdown waits for records still in flight. Default: 10 s.
    public var shutdownFlushTimeout: Duration

    public init(
        connection: KafkaConnectionConfiguration = .init(),
        deliveryTimeout: Duration = .seconds(30),
        linger: Duration = .milliseconds(1),
        maximumQueuedMessages: Int = 100_000,
        shutdownFlushTimeout: Duration = .seconds(10)
    ) {
        self.connection = connection
        self.deliveryTimeout = deliveryTimeout
        self.linger = linger
        self.maximumQueuedMessages = maximumQueuedMessages
        self.shutdownFlushTimeout = shutdownFlushTimeout
    }

    var librdkafkaProperties: [String: String] {
        connection.librdkafkaProperties(with: [
            "acks": "all",
            "enable.idempotence": "true",
            "allow.auto.create.topics": "false",
            "linger.ms": String(linger.wholeMilliseconds),
            "queue.buffering.max.messages": String(maximumQueuedMessages),
            // Two attempts share the delivery timeout: see "Recovery" in KafkaProducer.
            "message.timeout.ms": String(max(1, deliveryTimeout.wholeMilliseconds / 2)),
        ])
    }
}
