import KafkaClient
import Logging
import Metrics
import ServerSupport
import ServiceLifecycle

/// Decides readiness and reports consumer lag and the topic's partition count.
///
/// At start it reads the end offset of every partition; the Bridge is ready once the hub
/// has applied every record up to them (records older than the replay window, which the
/// consumer skips, count as done; if offsets start over meanwhile, they are read again).
/// After that it publishes each partition's lag every few seconds, and says so when the
/// topic has another partition count than expected.
struct CatchUpMonitor: Service {
    let admin: KafkaAdminClient
    let consumer: KafkaConsumer
    let hub: RoomHub
    let topic: String
    let expectedPartitions: Int
    let readiness: Readiness
    let metrics: BridgeMetrics
    let logger: Logger
    var lagInterval: Duration = .seconds(5)

    func run() async throws {
        // Sleeps end at once on graceful shutdown.
        await cancelWhenGracefulShutdown { await monitor() }
    }

    private func monitor() async {
        let started = ContinuousClock.now
        var startOvers = hub.startOverCount
        guard var targets = await readEndOffsets() else { return }
        if targets.values.allSatisfy({ $0 == 0 }) {
            readiness.update(.ready)
            logger.info("ready: nothing to replay", metadata: ["topic": "\(topic)"])
        } else {
            let total = targets.values.reduce(0, +)
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                if hub.startOverCount != startOvers {
                    // The offsets aimed at belong to an earlier incarnation of the topic.
                    startOvers = hub.startOverCount
                    guard let current = await readEndOffsets() else { return }
                    targets = current
                }
                // Done through offset N means N + 1 records of the partition are behind us.
                let applied = hub.consumedOffsets
                let skipped = Dictionary(
                    uniqueKeysWithValues: consumer.progress().map { ($0.partition, $0.skippedThrough ?? -1) })
                let remaining = targets.reduce(Int64(0)) { sum, target in
                    let doneThrough = max(applied[target.key] ?? -1, skipped[target.key] ?? -1)
                    return sum + max(0, target.value - (doneThrough + 1))
                }
                if remaining == 0 {
                    readiness.update(.ready)
                    logger.info(
                        "ready: caught up with the replay window",
                        metadata: [
                            "records": "\(total)", "seconds": "\((ContinuousClock.now - started).components.seconds)",
                        ]
                    )
                    break
                }
                readiness.update(.notReady("replaying: \(remaining) of \(total) records to go"))
                try? await Task.sleep(for: .milliseconds(100))
            }
        }

        var gauges: [Int32: Gauge] = [:]
        var reportedCount: Int?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let progress = consumer.progress()
            reportPartitionCount(progress.count, previous: &reportedCount)
            for partition in progress {
                guard let lag = partition.lag else { continue }
                let gauge = gauges[partition.partition] ?? metrics.consumerLag(partition: partition.partition)
                gauges[partition.partition] = gauge
                gauge.record(lag)
            }
            try? await Task.sleep(for: lagInterval)
        }
    }

    /// Publishes the count of partitions read, and warns when it is not the expected one
    /// (once per change): a topic auto-created by a broker with its own default, or created
    /// by an Ingest configured differently, spreads calls over other partitions than planned.
    private func reportPartitionCount(_ count: Int, previous: inout Int?) {
        guard count > 0, count != previous else { return }
        previous = count
        metrics.topicPartitions.record(count)
        if count != expectedPartitions {
            logger.warning(
                "the topic's partition count is not the configured one",
                metadata: ["topic": "\(topic)", "partitions": "\(count)", "configured": "\(expectedPartitions)"]
            )
        }
    }

    /// The topic's end offsets; an empty map if the topic does not exist yet (nothing to
    /// replay: its partitions are followed from the start when they appear). Retries
    /// while Kafka is unreachable; nil if shutdown came first.
    private func readEndOffsets() async -> [Int32: Int64]? {
        var attempt = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                return try await admin.endOffsets(of: topic, timeout: .seconds(5))
            } catch let error as KafkaError where error.code == .unknownTopicOrPartition {
                logger.warning("topic does not exist yet: nothing to replay", metadata: ["topic": "\(topic)"])
                return [:]
            } catch {
                attempt += 1
                readiness.update(.notReady("cannot read the end offsets of \(topic): \(error)"))
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning(
                        "cannot read end offsets; retrying", metadata: ["topic": "\(topic)", "error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return nil
    }
}
