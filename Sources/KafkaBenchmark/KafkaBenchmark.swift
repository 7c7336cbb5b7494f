import EmbeddedBroker
import Foundation
import KafkaClient
import Logging
import ServiceLifecycle
import Settings

/// `kafka-benchmark`: produce throughput and produce-to-consume latency of the Swift Kafka
/// wrapper (Sources/KafkaClient). `tools/bench/kafka_baseline.py` measures the same two
/// phases with a plain librdkafka client (confluent-kafka); `scripts/bench-kafka.sh` runs
/// both against one broker and compares them.
@main
struct KafkaBenchmark: SettingsCommand {
    static let commandName = "kafka-benchmark"
    static let abstract = "Measure produce throughput and produce-to-consume latency of the Swift Kafka client."
    static let discussion = """
        Two phases, each on a fresh topic (created with KafkaAdminClient):

        throughput: one KafkaProducer (acks=all, idempotent, linger 1 ms: the wrapper's \
        fixed settings and defaults) sends --messages records of --message-size bytes with \
        at most --window sends outstanding; the time from the first send to the last \
        acknowledgement gives msg/s and MB/s. --batch-size N > 1 sends with \
        send(contentsOf:) in batches of N instead of one send(_:) per record.

        latency: a fan-out KafkaConsumer from .latest (assignment confirmed by a warm-up \
        record on every partition), then records are sent at --rate per second for \
        --duration seconds, each carrying its CLOCK_MONOTONIC send time; the consumer \
        records receive - send in an HdrHistogram (p50, p90, p99, max). Every record must arrive.

        Without --brokers an embedded broker (Tansu) is started for the run and stopped after it.
        """
    static let settings = KafkaBenchmarkSettings.all

    let brokers: String?
    let messages: Int
    let messageSize: Int
    let rate: Double
    let duration: Double
    let partitions: Int
    let window: Int
    let batchSize: Int
    let phase: Phase
    let json: Bool
    let logLevel: Logger.Level
    let serveBroker: Bool
    let readyFile: String?

    enum Phase: String, SettingValue, CaseIterable, Sendable {
        case all, throughput, latency
    }

    init(reading settings: SettingsReader) throws {
        typealias S = KafkaBenchmarkSettings
        brokers = try settings.optionalValue(S.brokers)
        messages = try settings.value(S.messages)
        messageSize = try settings.value(S.messageSize)
        rate = try settings.value(S.rate)
        duration = try settings.value(S.duration)
        partitions = try settings.value(S.partitions)
        window = try settings.value(S.window)
        batchSize = try settings.value(S.batchSize)
        guard batchSize <= window else {
            throw ConfigurationError("--batch-size must be between 1 and --window, not \(batchSize)")
        }
        phase = try settings.value(S.phase)
        json = try settings.value(S.json)
        logLevel = try settings.value(S.logLevel)
        serveBroker = try settings.value(S.serveBroker)
        readyFile = try settings.optionalValue(S.readyFile)
    }

    func run() async throws {
        StandardErrorLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "kafka-benchmark")

        if serveBroker {
            try await serveBrokerUntilSignalled(logger: logger)
            return
        }

        var broker: EmbeddedBroker?
        let bootstrap: String
        if let brokers {
            bootstrap = brokers
        } else {
            let started = try await EmbeddedBroker.start(logger: logger)
            progress("started an embedded broker on \(started.bootstrapServers) (log: \(started.logPath))")
            broker = started
            bootstrap = started.bootstrapServers
        }

        let outcome: Result<BenchmarkResults, any Error>
        do {
            outcome = .success(try await runPhases(bootstrap: bootstrap, logger: logger))
        } catch {
            outcome = .failure(error)
        }
        await broker?.stop()
        let results = try outcome.get()

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            results.printSummary()
        }
        if let throughput = results.throughput, throughput.failed > 0 {
            throw BenchmarkFailure("throughput phase: \(throughput.failed) of \(throughput.messages) sends failed")
        }
        if let latency = results.latency, latency.received != latency.sent {
            throw BenchmarkFailure("latency phase: \(latency.sent) records sent but \(latency.received) received")
        }
    }

    private func runPhases(bootstrap: String, logger: Logger) async throws -> BenchmarkResults {
        let connection = KafkaConnectionConfiguration(brokers: bootstrap, clientID: "kafka-benchmark")
        let admin = try KafkaAdminClient(connection: connection, logger: logger)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection), logger: logger)
        let producerService = RunningService(producer, logger: logger)

        let outcome: Result<BenchmarkResults, any Error>
        do {
            var results = BenchmarkResults(client: "swift-wrapper", brokers: bootstrap)
            if phase != .latency {
                results.throughput = try await ThroughputPhase(
                    producer: producer, admin: admin, partitions: partitions,
                    messages: messages, messageSize: messageSize, window: window, batchSize: batchSize
                ).run()
            }
            if phase != .throughput {
                results.latency = try await LatencyPhase(
                    producer: producer, admin: admin, connection: connection, logger: logger,
                    partitions: partitions, messageSize: messageSize, rate: rate, duration: duration
                ).run()
            }
            outcome = .success(results)
        } catch {
            outcome = .failure(error)
        }
        // A graceful shutdown flushes what is in flight, then stops the poll thread.
        await producerService.stop()
        return try outcome.get()
    }

    private func serveBrokerUntilSignalled(logger: Logger) async throws {
        let broker = try await EmbeddedBroker.start(logger: logger)
        if let readyFile {
            let temporary = readyFile + ".tmp"
            try (broker.bootstrapServers + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, readyFile) == 0 else {
                await broker.stop()
                throw BenchmarkFailure("could not write \(readyFile)")
            }
        }
        progress("broker ready on \(broker.bootstrapServers) (log: \(broker.logPath))")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WaitForShutdown())],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try? await group.run()
        await broker.stop()
        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
    }
}

/// Runs until graceful shutdown (a signal).
private struct WaitForShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
