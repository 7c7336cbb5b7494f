import ArgumentParser
import EmbeddedBroker
import Foundation
import KafkaClient
import Logging
import ServiceLifecycle

/// `kafka-benchmark`: produce throughput and produce-to-consume latency of the Swift Kafka
/// wrapper (Sources/KafkaClient). `tools/bench/kafka_baseline.py` measures the same two
/// phases with a plain librdkafka client (confluent-kafka); `scripts/bench-kafka.sh` runs
/// both against one broker and compares them.
@main
struct KafkaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-benchmark",
        abstract: "Measure produce throughput and produce-to-consume latency of the Swift Kafka client.",
        discussion: """
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
    )

    @Option(help: ArgumentHelp("Bootstrap servers, e.g. 127.0.0.1:9092 (default: start an embedded broker).", valueName: "host:port"))
    var brokers: String?

    @Option(help: "Records sent in the throughput phase.")
    var messages: Int = 200_000

    @Option(help: "Size of each record value in bytes (about one call event).")
    var messageSize: Int = 200

    @Option(help: "Latency phase: records per second.")
    var rate: Double = 1000

    @Option(help: "Latency phase: seconds of paced sending.")
    var duration: Double = 10

    @Option(help: "Partitions of each benchmark topic.")
    var partitions: Int = 6

    @Option(help: ArgumentHelp(
        "Throughput phase: records outstanding at once (that many sender tasks, each awaiting one send; must stay below the producer's 100,000-record queue).",
        valueName: "count"))
    var window: Int = 20_000

    @Option(help: ArgumentHelp(
        "Throughput phase: 1 sends each record with send(_:); more uses send(contentsOf:) with batches of this many records.",
        valueName: "count"))
    var batchSize: Int = 1

    @Option(help: ArgumentHelp("Phases to run: all, throughput or latency.", valueName: "phase"))
    var phase: Phase = .all

    @Flag(help: "Print one JSON object with the results on stdout (progress still goes to stderr).")
    var json = false

    @Option(help: ArgumentHelp("Log level of the Kafka client and broker: trace ... critical.", valueName: "level"))
    var logLevel: Logger.Level = .warning

    @Flag(help: ArgumentHelp(
        "Only start an embedded broker, write HOST:PORT to --ready-file and run until SIGINT/SIGTERM (for scripts without callbridge-broker).",
        visibility: .hidden))
    var serveBroker = false

    @Option(help: ArgumentHelp("With --serve-broker: file to write HOST:PORT to once the broker answers.", visibility: .hidden))
    var readyFile: String?

    enum Phase: String, ExpressibleByArgument, CaseIterable, Sendable {
        case all, throughput, latency
    }

    func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive.") }
        guard messageSize >= BenchmarkPayload.headerSize else {
            throw ValidationError("--message-size must be at least \(BenchmarkPayload.headerSize) bytes (send time and sequence number).")
        }
        guard rate > 0, duration > 0 else { throw ValidationError("--rate and --duration must be positive.") }
        guard partitions > 0 else { throw ValidationError("--partitions must be positive.") }
        guard (1..<100_000).contains(window) else { throw ValidationError("--window must be between 1 and 99,999.") }
        guard (1...window).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and --window.") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
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
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(connection: connection), logger: logger)
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

extension Logger.Level: @retroactive ExpressibleByArgument {}
