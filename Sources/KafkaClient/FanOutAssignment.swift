import Logging

/// The manual partition assignment of a fan-out consumer: every partition of one topic,
/// each from the configured start, kept current as partitions appear or the topic is re-created.
struct FanOutAssignment: Sendable {
    let topic: String
    let start: KafkaStartPosition
    private(set) var assigned: Set<Int32> = []
    private var nextRefresh: ContinuousClock.Instant = .now
    private var topicMissing = false
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

    /// Re-reads the topic's partitions and assigns any not yet assigned. Runs on the poll thread.
    mutating func refresh(client: RdKafkaClient, logger: Logger, now: ContinuousClock.Instant, interval: Duration) {
        // Until the first assignment, look again soon: the topic may be about to appear.
        nextRefresh = now + (assigned.isEmpty ? .milliseconds(250) : interval)
        let partitions: [Int32]
        do {
            partitions = try client.partitionIDs(topic: topic, timeoutMilliseconds: 2000)
        } catch {
            if error.code == .unknownTopicOrPartition, !assigned.isEmpty, !topicMissing {
                logger.warning("topic disappeared; will re-read it from the start when it returns", metadata: ["topic": "\(topic)"])
                topicMissing = true
            } else if assigned.isEmpty {
                logger.debug("waiting for topic", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
            return
        }

        do {
            if topicMissing {
                // The topic was deleted and re-created (an in-memory broker restarting does
                // this): its offsets began again at 0, so everything in it is new to us.
                let existing = assigned.sorted()
                try client.incrementalUnassign(topic: topic, partitions: existing)
                try client.incrementalAssign(topic: topic, partitions: existing.map { ($0, .beginning) })
                topicMissing = false
                logger.info("topic re-created; reading it from the start", metadata: ["topic": "\(topic)"])
            }
            let new = partitions.filter { !assigned.contains($0) }
            guard !new.isEmpty else { return }
            let offsets = assigned.isEmpty
                ? try initialOffsets(client: client, partitions: new)
                // Partitions added after we started hold only records we have not seen.
                : new.map { ($0, RdKafkaOffset.beginning) }
            try client.incrementalAssign(topic: topic, partitions: offsets)
            assigned.formUnion(new)
            logger.info(
                "assigned partitions",
                metadata: ["topic": "\(topic)", "partitions": "\(new.map(String.init).joined(separator: ","))"]
            )
        } catch {
            logger.warning("partition assignment failed; retrying", metadata: ["topic": "\(topic)", "error": "\(error)"])
            nextRefresh = now + .milliseconds(250)
        }
    }

    private func initialOffsets(client: RdKafkaClient, partitions: [Int32]) throws(KafkaError) -> [(Int32, RdKafkaOffset)] {
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

    /// For a timestamp start, drops each partition's records older than the start time until
    /// the first one that is not (brokers that ignore the timestamp in ListOffsets start at 0).
    mutating func dropRecordsBeforeStart(_ records: [KafkaConsumerRecord]) -> [KafkaConsumerRecord] {
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
