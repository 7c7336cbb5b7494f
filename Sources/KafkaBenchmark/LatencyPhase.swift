import Histogram
import KafkaClient
import Logging
import NIOCore
import Synchronization

/// Produce-to-consume latency at a fixed rate: a fan-out consumer from `.latest` on a fresh
/// topic, a producer sending `rate` records per second for `duration` seconds, each record
/// carrying its send time; the consumer records receive - send (µs) in an HdrHistogram.
struct LatencyPhase {
    let producer: KafkaProducer
    let admin: KafkaAdminClient
    let connection: KafkaConnectionConfiguration
    let logger: Logger
    let partitions: Int
    let messageSize: Int
    let rate: Double
    let duration: Double

    /// Partitions that delivered a warm-up record: the consumer reads them from `.latest`.
    private final class WarmUp: Sendable {
        let seen = Mutex<Set<Int32>>([])
    }

    private struct Received: Sendable {
        var histogram: Histogram<UInt64>
        var count: Int
    }

    func run() async throws -> LatencyResult {
        let topic = "bench-latency-\(UInt32.random(in: 0...UInt32.max))"
        try await admin.createTopicIfMissing(topic, partitions: partitions)

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection, mode: .fanOut(topic: topic, start: .latest)),
            logger: logger
        )
        let consumerService = RunningService(consumer, logger: logger)

        let expected = Int((rate * duration).rounded())
        let warmUp = WarmUp()
        let received = SharedCounter()
        let receiver = Task { () -> Received in
            // 1 µs to 60 s, 3 significant digits.
            var histogram = Histogram<UInt64>(
                lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var count = 0
            for await case .record(let record) in consumer.events {
                let now = monotonicNanoseconds()
                guard let (sentAt, sequence) = BenchmarkPayload.decode(record.value) else { continue }
                if sequence == BenchmarkPayload.warmUpSequence {
                    _ = warmUp.seen.withLock { $0.insert(record.partition) }
                    continue
                }
                let microseconds = now > sentAt ? (now - sentAt) / 1000 : 0
                _ = histogram.record(max(1, min(microseconds, 60_000_000)))
                count += 1
                received.add()
                if count == expected { break }
            }
            return Received(histogram: histogram, count: count)
        }

        // Assignment: warm-up records to every partition until each has come back.
        progress("latency: waiting for the consumer's assignment of \(topic)")
        let warmUpDeadline = ContinuousClock.now + .seconds(30)
        while warmUp.seen.withLock({ $0.count }) < partitions {
            guard ContinuousClock.now < warmUpDeadline else {
                await consumerService.stop()
                throw BenchmarkFailure("latency: the consumer was not assigned every partition of \(topic) within 30 s")
            }
            let missing = (0..<Int32(partitions)).filter { partition in !warmUp.seen.withLock { $0.contains(partition) }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for partition in missing {
                    let record = KafkaProducerRecord(
                        topic: topic,
                        value: BenchmarkPayload.make(
                            size: messageSize, sequence: BenchmarkPayload.warmUpSequence, sentAt: 0),
                        partition: partition
                    )
                    group.addTask { _ = try await producer.send(record) }
                }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(200))
        }

        // Paced sending: the i-th record is due at start + i / rate (absolute deadlines, so
        // a late wake-up does not shift the ones after it). Each send runs in its own child
        // task, because `send` returns only after the acknowledgement.
        progress("latency: sending \(expected) records at \(rate)/s for \(duration) s")
        let sent = SharedCounter()
        let reporter = reportProgress { "latency: \(sent.current) sent, \(received.current) received" }
        defer { reporter.cancel() }
        let intervalNanoseconds = 1e9 / rate
        let clock = ContinuousClock()
        let start = clock.now + .milliseconds(5)
        let size = messageSize
        let sendStart = monotonicNanoseconds()
        let sendEnd = try await withThrowingTaskGroup(of: Void.self, returning: UInt64.self) { group in
            for index in 0..<expected {
                let due = start + .nanoseconds(Int64((Double(index) * intervalNanoseconds).rounded()))
                if clock.now < due {
                    try await Task.sleep(until: due, clock: clock)
                }
                group.addTask {
                    let record = KafkaProducerRecord(
                        topic: topic,
                        value: BenchmarkPayload.make(
                            size: size, sequence: UInt64(index), sentAt: monotonicNanoseconds())
                    )
                    do {
                        _ = try await producer.send(record)
                    } catch {
                        FailureLog.shared.note(error)
                    }
                }
                sent.add()
            }
            let lastDispatch = monotonicNanoseconds()
            try await group.waitForAll()
            return lastDispatch
        }
        // From the first to the last send call: (expected - 1) intervals.
        let sendSeconds = Double(sendEnd - sendStart) / 1e9

        // Every record must arrive; give up 10 s after the last send.
        let timeout = Task {
            try await Task.sleep(for: .seconds(10))
            progress("latency: timed out waiting for records (\(received.current) of \(expected) received)")
            await consumerService.stop()
        }
        let result = await receiver.value
        timeout.cancel()

        let histogram = result.histogram
        func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        let latency = LatencyResult(
            rate: rate,
            duration: duration,
            sent: expected,
            received: result.count,
            achievedRate: expected > 1 ? Double(expected - 1) / sendSeconds : rate,
            p50Milliseconds: milliseconds(histogram.valueAtPercentile(50)),
            p90Milliseconds: milliseconds(histogram.valueAtPercentile(90)),
            p99Milliseconds: milliseconds(histogram.valueAtPercentile(99)),
            maxMilliseconds: milliseconds(histogram.max),
            meanMilliseconds: histogram.mean / 1000
        )
        progress(
            String(
                format: "latency: %d / %d received, p50 %.3f ms, p99 %.3f ms",
                latency.received, latency.sent, latency.p50Milliseconds, latency.p99Milliseconds))

        await consumerService.stop()
        return latency
    }
}
