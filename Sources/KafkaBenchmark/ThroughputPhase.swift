import KafkaClient
import NIOCore

/// Sends `messages` records as fast as the producer acknowledges them.
///
/// Concurrency: `window` sender tasks, each sending one record at a time (awaiting its
/// acknowledgement) until all `messages` are claimed, so `window` sends stay outstanding.
/// `send` returns only after the broker's acknowledgement, so outstanding sends are what
/// lets librdkafka fill its batches (linger 1 ms). This is cheaper per record than a
/// sliding window of one child task per send (a task allocation and an extra enqueue per
/// record), and the senders are unstructured tasks, not children of a task group, because
/// a task group removes each finished child from a linked list of its children
/// (`TaskGroup::removeChildTask`, linear in the group's size): with 20,000 children that
/// took 18-20 % of the CPU in `perf`. The window must stay below the producer's
/// 100,000-record queue (`queueFull` otherwise).
struct ThroughputPhase {
    let producer: KafkaProducer
    let admin: KafkaAdminClient
    let partitions: Int
    let messages: Int
    let messageSize: Int
    let window: Int

    func run() async throws -> ThroughputResult {
        let topic = "bench-throughput-\(UInt32.random(in: 0...UInt32.max))"
        try await admin.createTopicIfMissing(topic, partitions: partitions)

        // Warm-up (not timed): metadata, connections and the idempotent producer id.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for partition in 0..<partitions {
                let record = KafkaProducerRecord(
                    topic: topic,
                    value: BenchmarkPayload.make(size: messageSize, sequence: BenchmarkPayload.warmUpSequence, sentAt: 0),
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
        progress("throughput: sending \(total) records of \(messageSize) B to \(topic) (\(partitions) partitions, window \(window))")
        let reporter = reportProgress { "throughput: \(acknowledged.current) / \(total) acknowledged" }
        defer { reporter.cancel() }

        let start = monotonicNanoseconds()
        let claimed = SharedCounter()
        // Unstructured tasks rather than children of one task group: a group removes each
        // finished child from a linked list of its children, so finishing thousands of
        // children costs time quadratic in their number (20 % of the CPU here).
        let senders = (0..<min(window, total)).map { _ in
            Task { () -> Int in
                // Each sender sends one record at a time until all are claimed.
                var failed = 0
                while claimed.increment() < total {
                    if !(await send(record)) { failed += 1 }
                    acknowledged.add()
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
            seconds: elapsed,
            messagesPerSecond: Double(total) / elapsed,
            megabytesPerSecond: Double(total * messageSize) / elapsed / 1e6,
            failed: failed
        )
        progress(String(format: "throughput: %d records in %.3f s = %.0f msg/s", total, elapsed, result.messagesPerSecond))
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
