import KafkaClient
import NIOCore

/// Sends `messages` records as fast as the producer acknowledges them.
///
/// With `batchSize` > 1 the wrapper's `send(contentsOf:)` is used instead: `window / batchSize`
/// sender tasks each send `batchSize` records per call (one continuation per batch).
///
/// Concurrency: `window` sender tasks, each sending one record at a time (awaiting its
/// acknowledgement) until all `messages` are claimed, so `window` sends stay outstanding.
/// `send` returns only after the broker's acknowledgement, so outstanding sends are what
/// lets librdkafka fill its batches (linger 1 ms). This is cheaper per record than a
/// sliding window of one child task per send (a task allocation and an extra enqueue per
/// record), and the senders are unstructured tasks, not children of a task group, because
/// a task group removes each finished child from a linked list of its children
/// (`TaskGroup::removeChildTask`, linear in the group's size), which is costly with tens
/// of thousands of children (docs/benchmarks.md). The window must stay below the producer's
/// 100,000-record queue (`queueFull` otherwise).
struct ThroughputPhase {
    let producer: KafkaProducer
    let admin: KafkaAdminClient
    let partitions: Int
    let messages: Int
    let messageSize: Int
    let window: Int
    /// 1: `send(_:)` per record; more: `send(contentsOf:)` with batches of this many records.
    let batchSize: Int

    func run() async throws -> ThroughputResult {
        let topic = "bench-throughput-\(UInt32.random(in: 0...UInt32.max))"
        try await admin.createTopicIfMissing(topic, partitions: partitions)

        // Warm-up (not timed): metadata, connections and the idempotent producer id.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for partition in 0..<partitions {
                let record = KafkaProducerRecord(
                    topic: topic,
                    value: BenchmarkPayload.make(
                        size: messageSize, sequence: BenchmarkPayload.warmUpSequence, sentAt: 0),
                    partition: Int32(partition)
                )
                group.addTask { _ = try await producer.send(record) }
            }
            try await group.waitForAll()
        }

        // One value for every record: the wrapper copies it into librdkafka, as the
        // baseline's produce() copies its bytes.
        let record = KafkaProducerRecord(
            topic: topic,
            value: BenchmarkPayload.make(size: messageSize, sequence: 0, sentAt: 0)
        )
        let acknowledged = SharedCounter()
        let total = messages
        progress(
            "throughput: sending \(total) records of \(messageSize) B to \(topic) (\(partitions) partitions, window \(window)\(batchSize > 1 ? ", send(contentsOf:) of \(batchSize)" : ""))"
        )
        let reporter = reportProgress { "throughput: \(acknowledged.current) / \(total) acknowledged" }
        defer { reporter.cancel() }

        let start = monotonicNanoseconds()
        let claimed = SharedCounter()
        // Unstructured tasks rather than children of one task group: a group removes each
        // finished child from a linked list of its children, so finishing thousands of
        // children costs time quadratic in their number.
        let batch = batchSize
        let senders = (0..<max(1, min(window, total) / batch)).map { _ in
            Task { () -> Int in
                var failed = 0
                if batch == 1 {
                    // Each sender sends one record at a time until all are claimed.
                    while claimed.increment() < total {
                        if !(await send(record)) { failed += 1 }
                        acknowledged.add()
                    }
                } else {
                    // Each sender sends `batch` records per call until all are claimed.
                    while true {
                        let first = claimed.add(batch)
                        guard first < total else { break }
                        let count = min(batch, total - first)
                        let results = await producer.send(contentsOf: Array(repeating: record, count: count))
                        for case .failure(let error) in results {
                            FailureLog.shared.note(error)
                            failed += 1
                        }
                        acknowledged.add(count)
                    }
                }
                return failed
            }
        }
        var failed = 0
        for sender in senders {
            failed += await sender.value
        }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9

        let result = ThroughputResult(
            messages: total,
            messageSize: messageSize,
            window: window,
            batchSize: batchSize,
            seconds: elapsed,
            messagesPerSecond: Double(total) / elapsed,
            megabytesPerSecond: Double(total * messageSize) / elapsed / 1e6,
            failed: failed
        )
        progress(
            String(format: "throughput: %d records in %.3f s = %.0f msg/s", total, elapsed, result.messagesPerSecond))
        return result
    }

    private func send(_ record: KafkaProducerRecord) async -> Bool {
        do {
            _ = try await producer.send(record)
            return true
        } catch {
            FailureLog.shared.note(error)
            return false
        }
    }
}
