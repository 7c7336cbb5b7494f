import Logging
import Settings

/// Every setting of `kafka-benchmark`, declared once (command-line flags only).
enum KafkaBenchmarkSettings {
    static let brokers = Setting<String>(
        flag: "--brokers", defaultDescription: "start an embedded broker", valueName: "host:port",
        help: "Bootstrap servers, e.g. 127.0.0.1:9092"
    )
    static let messages = Setting<Int>(
        flag: "--messages", default: 200_000, in: 1...1_000_000_000, help: "Records sent in the throughput phase"
    )
    static let messageSize = Setting<Int>(
        flag: "--message-size", default: 200, in: BenchmarkPayload.headerSize...(1 << 20),
        help: "Size of each record value in bytes (about one call event; at least the send time and sequence number)"
    )
    static let rate = Setting<Double>(
        flag: "--rate", default: 1000, in: 0.001...10_000_000, help: "Latency phase: records per second")
    static let duration = Setting<Double>(
        flag: "--duration", default: 10, in: 0.001...86_400, help: "Latency phase: seconds of paced sending"
    )
    static let partitions = Setting<Int>(
        flag: "--partitions", default: 6, in: 1...10_000, help: "Partitions of each benchmark topic")
    static let window = Setting<Int>(
        flag: "--window", default: 20_000, in: 1...99_999, valueName: "count",
        help: """
            Throughput phase: records outstanding at once (that many sender tasks, each awaiting one send; \
            must stay below the producer's 100,000-record queue)
            """
    )
    static let batchSize = Setting<Int>(
        flag: "--batch-size", default: 1, in: 1...99_999, valueName: "count",
        help: """
            Throughput phase: 1 sends each record with send(_:); more uses send(contentsOf:) with batches of \
            this many records (at most --window)
            """
    )
    static let phase = Setting<KafkaBenchmark.Phase>(
        flag: "--phase", default: .all, valueName: "phase", help: "Phases to run: all, throughput or latency"
    )
    static let json = Setting.switch(
        flag: "--json", help: "Print one JSON object with the results on stdout (progress still goes to stderr)"
    )
    static let logLevel = Setting<Logger.Level>(
        flag: "--log-level", default: .warning, valueName: "level",
        help: "Log level of the Kafka client and broker: trace ... critical"
    )
    static let serveBroker = Setting.switch(
        flag: "--serve-broker",
        help: """
            Only start an embedded broker, write HOST:PORT to --ready-file and run until SIGINT/SIGTERM \
            (for scripts without callbridge-broker)
            """
    )
    static let readyFile = Setting<String>(
        flag: "--ready-file", valueName: "path",
        help: "With --serve-broker: file to write HOST:PORT to once the broker answers"
    )

    /// In the order `--help` lists them.
    static let all: [any DeclaredSetting] = [
        brokers, messages, messageSize, rate, duration, partitions, window, batchSize, phase, json, logLevel,
        serveBroker, readyFile,
    ]
}
