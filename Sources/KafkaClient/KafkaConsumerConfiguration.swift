/// Settings of a ``KafkaConsumer``.
public struct KafkaConsumerConfiguration: Sendable {
    /// How the consumer gets its partitions.
    public enum Mode: Sendable {
        /// A consumer group: the group's members share the topics' partitions, and the
        /// group's committed offsets say where to resume. `startWithoutCommittedOffset`
        /// applies to partitions the group has no offset for (only `.earliest` or `.latest`).
        case group(id: String, topics: [String], startWithoutCommittedOffset: KafkaStartPosition = .earliest)
        /// Every partition of `topic` is assigned to this consumer with no group, so every
        /// instance sees every record. New partitions are picked up as they appear.
        case fanOut(topic: String, start: KafkaStartPosition)
    }

    public var connection: KafkaConnectionConfiguration
    public var mode: Mode
    /// Longest time the broker holds a fetch waiting for new records (`fetch.wait.max.ms`).
    /// Default: 10 ms (librdkafka: 500 ms), which bounds the delivery latency of a quiet topic.
    public var fetchMaxWait: Duration
    /// Group mode: how long the group waits for a silent member before rebalancing
    /// (`session.timeout.ms`). Default: 6 s. Some brokers, the embedded Tansu among them,
    /// answer a JoinGroup only after half of this, so a short session joins quickly.
    public var sessionTimeout: Duration
    /// Fan-out mode: how often the topic's partition list is re-read, to follow new
    /// partitions and a topic that was re-created. Default: 2 s.
    public var partitionDiscoveryInterval: Duration
    /// Records held for a slow reader of ``KafkaConsumer/events`` before the poll loop
    /// stops fetching (back-pressure; a ``KafkaConsumerHandler`` needs none). Default: 10,000.
    public var maximumBufferedRecords: Int
    /// Most records handed over at once from the poll loop (one ``KafkaConsumerHandler``
    /// call at most). Default: 500.
    public var maximumBatchSize: Int

    public init(
        connection: KafkaConnectionConfiguration = .init(),
        mode: Mode,
        fetchMaxWait: Duration = .milliseconds(10),
        sessionTimeout: Duration = .seconds(6),
        partitionDiscoveryInterval: Duration = .seconds(2),
        maximumBufferedRecords: Int = 10_000,
        maximumBatchSize: Int = 500
    ) {
        self.connection = connection
        self.mode = mode
        self.fetchMaxWait = fetchMaxWait
        self.sessionTimeout = sessionTimeout
        self.partitionDiscoveryInterval = partitionDiscoveryInterval
        self.maximumBufferedRecords = maximumBufferedRecords
        self.maximumBatchSize = maximumBatchSize
    }

    var librdkafkaProperties: [String: String] {
        var properties: [String: String] = [:]
        properties["fetch.wait.max.ms"] = String(fetchMaxWait.wholeMilliseconds)
        properties["fetch.error.backoff.ms"] = "100"
        properties["enable.partition.eof"] = "false"
        switch mode {
        case .group(let id, _, let start):
            properties["group.id"] = id
            properties["session.timeout.ms"] = String(sessionTimeout.wholeMilliseconds)
            properties["heartbeat.interval.ms"] = String(max(100, sessionTimeout.wholeMilliseconds / 3))
            properties["auto.offset.reset"] = start == .latest ? "latest" : "earliest"
            properties["enable.auto.commit"] = "true"
        case .fanOut:
            // librdkafka's (incremental) manual assignment requires a group.id, but this
            // consumer never subscribes, so no group is ever joined: a name unique to this
            // instance keeps any broker-side bookkeeping apart from everything else.
            properties["group.id"] = "callbridge-fanout-\(UInt64.random(in: 0...UInt64.max))"
            // Offsets are never committed: positions belong to the caller.
            properties["enable.auto.commit"] = "false"
            properties["enable.auto.offset.store"] = "false"
            // A position the broker no longer holds is reported, not silently reset: the
            // consumer starts the partition over itself and tells its reader (FanOutAssignment).
            properties["auto.offset.reset"] = "error"
        }
        return connection.librdkafkaProperties(with: properties)
    }
}
