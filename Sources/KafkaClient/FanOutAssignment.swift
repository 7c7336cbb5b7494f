import Logging

/// The manual partition assignment of a fan-out consumer: every partition of one topic,
/// each from the configured start, kept current as partitions appear, and started over
/// where the topic's offsets no longer mean what they meant.
///
/// Offsets start over when the topic is deleted and created again (an in-memory broker that
/// restarts does this), and a consumer that kept its old positions would skip every record
/// of the new topic below them. It is detected four ways: the topic's id changed (or the
/// topic was missing and came back) when its metadata is read every few seconds; the
/// broker answered that a position is out of range (`auto.offset.reset=error`, which also
/// reports retention that deleted records before they were read); a partition's end, as the
/// last fetch reported it, is below the next offset to read (brokers that answer such a
/// fetch with nothing rather than an error); and a lost broker connection has the topic's id
/// checked again at once, and every 250 ms until the broker answers. (Pausing the partitions
/// meanwhile raced with their re-assignment inside librdkafka: a test process crashed.)
struct FanOutAssignment: Sendable {
    let topic: String
    let start: KafkaStartPosition
    private(set) var assigned: Set<Int32> = []
    private var topicID: KafkaTopicID?
    private var nextRefresh: ContinuousClock.Instant = .now
    private var topicMissing = false
    /// A broker connection was lost and the topic's id was not read again since.
    private var verifying = false
    /// Partitions the broker reported out of range, with the position it refused.
    private var outOfRange: [Int32: Int64] = [:]
    /// Per partition, the offset of the next record to read, where known (an exact start, or
    /// after a record was read).
    private var nextOffsets: [Int32: Int64] = [:]
    /// For a timestamp start: partitions that have reached the start time.
    private var reachedStart: Set<Int32> = []
    /// For a timestamp start: per partition, the last offset skipped as older than the start.
    private(set) var skippedThrough: [Int32: Int64] = [:]

    init(topic: String, start: KafkaStartPosition) {
        self.topic = topic
        self.start = start
    }

    func isDue(at now: ContinuousClock.Instant) -> Bool {
        now >= nextRefresh
    }

    /// A broker connection was lost: check the topic's id as soon as the broker answers.
    mutating func connectionLost(now: ContinuousClock.Instant) {
        guard !assigned.isEmpty else { return }
        verifying = true
        nextRefresh = now
    }

    /// The broker no longer holds these positions: start the partitions over at the next refresh.
    mutating func offsetsOutOfRange(_ positions: [Int32: Int64], now: ContinuousClock.Instant) {
        outOfRange.merge(positions) { first, _ in first }
        nextRefresh = now
    }

    /// Re-reads the topic (id and partitions), starts over what needs it and assigns new
    /// partitions. Runs on the poll thread. Returns the changes, for the reader.
    mutating func refresh(
        client: RdKafkaClient, logger: Logger, now: ContinuousClock.Instant, interval: Duration
    ) -> [KafkaConsumerEvent] {
        // Until the first assignment, or while something waits to be resolved, look again soon.
        let pending = assigned.isEmpty || verifying || !outOfRange.isEmpty
        nextRefresh = now + (pending ? .milliseconds(250) : interval)
        let description: (id: KafkaTopicID?, partitions: [Int32])
        do {
            description = try client.describeTopic(topic, timeoutMilliseconds: 2000)
        } catch {
            if error.code == .unknownTopicOrPartition, !assigned.isEmpty, !topicMissing {
                logger.warning(
                    "topic disappeared; will re-read it from the start when it returns", metadata: ["topic": "\(topic)"]
                )
                topicMissing = true
            } else if assigned.isEmpty {
                logger.debug("waiting for topic", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
            return []
        }

        var changes: [KafkaConsumerEvent] = []
        for (partition, progress) in client.cachedProgress(topic: topic, partitions: Array(nextOffsets.keys)) {
            if let end = progress.end, let next = nextOffsets[partition], end < next, outOfRange[partition] == nil {
                outOfRange[partition] = next
            }
        }
        do {
            let idChanged = topicID != nil && description.id != nil && description.id != topicID
            if !assigned.isEmpty, topicMissing || idChanged {
                let partitions = assigned.sorted()
                try startOver(partitions, client: client)
                logger.warning(
                    "topic was re-created; reading it again from the start",
                    metadata: ["topic": "\(topic)", "topicId": "\(description.id.map { "\($0)" } ?? "none")"]
                )
                changes.append(.partitionsRestarted(change(partitions, id: description.id, .topicRecreated)))
            }
            topicMissing = false
            topicID = description.id
            if !outOfRange.isEmpty {
                let partitions = outOfRange.keys.sorted()
                try startOver(partitions, client: client)
                logger.warning(
                    "the broker no longer holds the positions read up to; reading those partitions again from their start",
                    metadata: [
                        "topic": "\(topic)",
                        "positions":
                            "\(outOfRange.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))",
                    ]
                )
                changes.append(.partitionsRestarted(change(partitions, id: description.id, .offsetOutOfRange)))
            }
            verifying = false

            let new = description.partitions.filter { !assigned.contains($0) }
            guard !new.isEmpty else { return changes }
            let offsets =
                assigned.isEmpty
                ? try initialOffsets(client: client, partitions: new)
                // Partitions added after we started hold only records we have not seen.
                : new.map { ($0, RdKafkaOffset.beginning) }
            try client.incrementalAssign(topic: topic, partitions: offsets)
            for case (let partition, .exact(let offset)) in offsets {
                nextOffsets[partition] = offset
            }
            assigned.formUnion(new)
            logger.info(
                "assigned partitions",
                metadata: ["topic": "\(topic)", "partitions": "\(new.map(String.init).joined(separator: ","))"]
            )
            changes.append(.partitionsAssigned(change(new, id: description.id, .assigned)))
        } catch {
            logger.warning(
                "partition assignment failed; retrying", metadata: ["topic": "\(topic)", "error": "\(error)"])
            nextRefresh = now + .milliseconds(250)
        }
        return changes
    }

    /// Reads `partitions` again from their start.
    private mutating func startOver(_ partitions: [Int32], client: RdKafkaClient) throws(KafkaError) {
        try client.incrementalUnassign(topic: topic, partitions: partitions)
        try client.incrementalAssign(topic: topic, partitions: partitions.map { ($0, .beginning) })
        for partition in partitions {
            outOfRange[partition] = nil
            nextOffsets[partition] = nil
            skippedThrough[partition] = nil
            // Records of a topic that started over are all new, whatever their timestamps.
            reachedStart.insert(partition)
        }
    }

    private func change(
        _ partitions: [Int32], id: KafkaTopicID?, _ reason: KafkaPartitionChange.Reason
    ) -> KafkaPartitionChange {
        KafkaPartitionChange(topic: topic, topicID: id, partitions: partitions, reason: reason)
    }

    private func initialOffsets(
        client: RdKafkaClient, partitions: [Int32]
    ) throws(KafkaError) -> [(Int32, RdKafkaOffset)] {
        switch start {
        case .earliest:
            return partitions.map { ($0, .beginning) }
        case .latest:
            return partitions.map { ($0, .end) }
        case .offsets(let offsets):
            return partitions.map { partition in (partition, offsets[partition].map { .exact($0) } ?? .beginning) }
        case .timestamp(let milliseconds):
            let offsets = try client.offsetsForTimes(
                topic: topic,
                partitions: partitions,
                timestampMilliseconds: milliseconds,
                timeoutMilliseconds: 5000
            )
            return partitions.map { ($0, offsets[$0] ?? .beginning) }
        }
    }

    /// Takes note of the records read, and for a timestamp start drops each partition's records
    /// older than the start time until the first one that is not (brokers that ignore the
    /// timestamp in ListOffsets start at 0). Returns the records for the reader.
    mutating func accept(_ records: [KafkaConsumerRecord]) -> [KafkaConsumerRecord] {
        // Records come in offset order per partition: the last one of each counts.
        for record in records {
            nextOffsets[record.partition] = record.offset + 1
        }
        guard case .timestamp(let milliseconds) = start else { return records }
        return records.filter { record in
            if reachedStart.contains(record.partition) { return true }
            guard let timestamp = record.timestampMilliseconds, timestamp < milliseconds else {
                reachedStart.insert(record.partition)
                return true
            }
            skippedThrough[record.partition] = record.offset
            return false
        }
    }
}
