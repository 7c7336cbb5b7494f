import KafkaClient
import Logging
import Metrics
import ServerSupport
import ServiceLifecycle
import Synchronization

/// Creates Ingest's topics if they are missing and keeps checking that Kafka answers,
/// for `GET /readyz`. Runs as a service: a broker that is down at start, or that comes
/// back empty after a restart, gets the topics (re)created as soon as it answers. Ready
/// also means the producer holds the topics' metadata, so the first webhook is not slower
/// than the next (``KafkaProducer/prepare(topics:timeout:)``).
final class KafkaReadiness: Service, Sendable {
    private let admin: KafkaAdminClient
    private let producer: KafkaProducer
    private let topics: [String]
    private let partitions: Int
    private let replicationFactor: Int
    private let interval: Duration
    private let logger: Logger
    /// What `/readyz` answers (``OperationsController``).
    let readiness = Readiness(.notReady("not checked yet"))
    private let partitionCounts: [String: Gauge]
    /// Per topic, the partition count last reported, so a mismatch is logged once per change.
    private let reportedCounts = Mutex<[String: Int]>([:])

    init(
        admin: KafkaAdminClient,
        producer: KafkaProducer,
        topics: [String],
        partitions: Int,
        replicationFactor: Int,
        interval: Duration = .seconds(2),
        logger: Logger
    ) {
        self.admin = admin
        self.producer = producer
        self.topics = topics
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.interval = interval
        self.logger = logger
        self.partitionCounts = Dictionary(
            uniqueKeysWithValues: topics.map {
                ($0, Gauge(label: "callbridge_ingest_topic_partitions", dimensions: [("topic", $0)]))
            })
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One check: every topic answers with its partitions; a missing one is created. Producers
    /// never create topics (``KafkaProducerConfiguration``), so until this has re-created a
    /// topic that vanished (a broker that lost its data), sends wait for it or answer 503.
    func check() async {
        var problem: String?
        for topic in topics {
            do {
                let partitions = try await admin.partitions(of: topic, timeout: .seconds(2))
                report(partitionCount: partitions.count, of: topic)
            } catch let error as KafkaError where error.code == .unknownTopicOrPartition {
                do {
                    if try await admin.createTopicIfMissing(
                        topic, partitions: partitions, replicationFactor: replicationFactor, timeout: .seconds(5))
                    {
                        logger.info("created topic", metadata: ["topic": "\(topic)", "partitions": "\(partitions)"])
                    }
                } catch {
                    problem = "cannot create topic \(topic): \(error)"
                }
            } catch {
                problem = "Kafka does not answer: \(error)"
            }
        }
        if problem == nil {
            do {
                try await producer.prepare(topics: topics, timeout: .seconds(2))
            } catch {
                problem = "the producer cannot load the topics' metadata: \(error)"
            }
        }
        let new: Readiness.Status = problem.map(Readiness.Status.notReady) ?? .ready
        let old = readiness.update(new)
        if old != new {
            switch new {
            case .ready: logger.info("kafka is reachable; ready")
            case .notReady(let reason): logger.warning("not ready", metadata: ["reason": "\(reason)"])
            }
        }
    }

    /// Publishes a topic's partition count, and warns (once per change) when it is not the
    /// configured one: the topic was created by someone else, with another layout.
    private func report(partitionCount count: Int, of topic: String) {
        let changed = reportedCounts.withLock { counts in
            defer { counts[topic] = count }
            return counts[topic] != count
        }
        guard changed else { return }
        partitionCounts[topic]?.record(count)
        if count != partitions {
            logger.warning(
                "the topic's partition count is not the configured one",
                metadata: ["topic": "\(topic)", "partitions": "\(count)", "configured": "\(partitions)"]
            )
        }
    }
}
