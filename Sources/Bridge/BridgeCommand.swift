import ArgumentParser
import Logging
import Metrics
import Prometheus
import ServerSupport

/// `Bridge`: consumes call events from Kafka and pushes them to WebSocket dashboards in
/// rooms, with snapshots, resume, per-room authorization and a Socket.IO endpoint.
// The fuzzing build has libFuzzer's main instead (Fuzzing/).
#if !CALLBRIDGE_FUZZ
@main
#endif
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Bridge",
        abstract: "Pushes call events from Kafka to WebSocket dashboards (plain JSON at /ws, Socket.IO at /socket.io/).",
        discussion: """
            Every option can also be set by the environment variable named in its help; the flag wins.
            The token key comes from the environment (BRIDGE_JWT_SECRET) or a file (--jwt-secret-file),
            never from a flag. Dashboards authenticate with HS256 JWTs carrying exp and
            role admin, or role client with a clientId. See docs/bridge.md.
            """
    )

    @Option(help: "Address to listen on (env HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (env PORT, default 8081).")
    var port: Int?
    @Option(help: "Kafka bootstrap servers, comma-separated (env KAFKA_BROKERS, default 127.0.0.1:9092).")
    var kafkaBrokers: String?
    @Option(help: "Topic of call lifecycle events (env CALLS_TOPIC, default calls.lifecycle.v1).")
    var topic: String?
    @Option(help: "Partitions the topic is expected to have; another count is reported (env TOPIC_PARTITIONS, default 6).")
    var topicPartitions: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL, default info).")
    var logLevel: String?
    @Option(help: "Milliseconds the broker may hold a fetch when there is nothing new (env KAFKA_FETCH_MAX_WAIT_MS, default 5).")
    var kafkaFetchMaxWaitMs: Int?
    @Option(help: "Rebuild room state from events of the last this many seconds at start (env REPLAY_WINDOW_SECONDS, default 86400).")
    var replayWindowSeconds: Int?
    @Option(help: "Drop an active call older than this many seconds (env MAX_CALL_SECONDS, default 14400).")
    var maxCallSeconds: Int?
    @Option(help: "Events each room keeps for resumes with since (env ROOM_HISTORY_EVENTS, default 1000).")
    var historyEvents: Int?
    @Option(help: "Oldest event, in seconds, each room keeps for resumes (env ROOM_HISTORY_SECONDS, default 3600).")
    var historySeconds: Int?
    @Option(help: "Bytes queued for one client before it is closed with 4008 (env OUTBOUND_LIMIT_BYTES, default 1048576).")
    var outboundLimitBytes: Int?
    @Option(help: "Largest client frame in bytes; bigger closes with 1009 (env MAX_CLIENT_FRAME_BYTES, default 4096).")
    var maxClientFrameBytes: Int?
    @Option(help: "Client messages per second allowed, bursts of twice that; more closes with 1008 (env CLIENT_MESSAGES_PER_SECOND, default 20).")
    var clientMessagesPerSecond: Int?
    @Option(help: "Seconds between server pings (env PING_INTERVAL_SECONDS, default 25).")
    var pingIntervalSeconds: Int?
    @Option(help: "Seconds a client may take to answer a ping (env PING_TIMEOUT_SECONDS, default 20).")
    var pingTimeoutSeconds: Int?
    @OptionGroup var connectionOptions: ConnectionOptions
    @Option(help: "Web origins allowed to use /socket.io/ and /events from a browser: scheme://host[:port],... or * (env CORS_ORIGINS, default none). With a list, WebSocket upgrades from other origins get 403.")
    var corsOrigins: String?
    @Option(help: "Event loop threads (env EVENT_LOOP_THREADS, default: one per core).")
    var eventLoopThreads: Int?
    @Option(help: "File holding the HS256 token key (instead of env BRIDGE_JWT_SECRET).")
    var jwtSecretFile: String?

    func run() async throws {
        let (configuration, level) = try CommandSupport.resolve { setting in
            (try resolve(setting), try setting.logLevel(logLevel))
        }
        CommandSupport.bootstrapLogging(level: level)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[BridgeMetrics.stalenessLabel] = BridgeMetrics.stalenessBuckets
        factory.durationHistogramBuckets[BridgeMetrics.fanOutLabel] = BridgeMetrics.fanOutBuckets
        MetricsSystem.bootstrap(factory)

        let logger = Logger(label: "callbridge.bridge")
        let group = try await buildApplication(configuration, metricsRegistry: registry, logger: logger)
        try await group.run()
    }

    private func resolve(_ setting: Setting) throws -> BridgeConfiguration {
        var configuration = BridgeConfiguration()
        configuration.host = setting.string(host, env: "HOST", default: configuration.host)
        configuration.port = try setting.integer(port, env: "PORT", default: configuration.port, in: 0...65535, flagName: "--port")
        configuration.kafkaBrokers = setting.string(kafkaBrokers, env: "KAFKA_BROKERS", default: configuration.kafkaBrokers)
        configuration.topic = setting.string(topic, env: "CALLS_TOPIC", default: configuration.topic)
        guard !configuration.topic.isEmpty, !configuration.kafkaBrokers.isEmpty else {
            throw ConfigurationError("the topic and the Kafka brokers must not be empty")
        }
        configuration.topicPartitions = try setting.integer(
            topicPartitions, env: "TOPIC_PARTITIONS", default: configuration.topicPartitions, in: 1...10_000, flagName: "--topic-partitions"
        )
        configuration.fetchMaxWait = .milliseconds(try setting.integer(
            kafkaFetchMaxWaitMs, env: "KAFKA_FETCH_MAX_WAIT_MS", default: 5, in: 1...10_000, flagName: "--kafka-fetch-max-wait-ms"
        ))
        configuration.replayWindow = .seconds(try setting.integer(
            replayWindowSeconds, env: "REPLAY_WINDOW_SECONDS", default: 86_400, in: 0...(90 * 86_400), flagName: "--replay-window-seconds"
        ))
        configuration.rooms.maximumCallLength = .seconds(try setting.integer(
            maxCallSeconds, env: "MAX_CALL_SECONDS", default: 14_400, in: 60...(7 * 86_400), flagName: "--max-call-seconds"
        ))
        configuration.rooms.historyEvents = try setting.integer(
            historyEvents, env: "ROOM_HISTORY_EVENTS", default: configuration.rooms.historyEvents, in: 0...1_000_000,
            flagName: "--history-events"
        )
        configuration.rooms.historyAge = .seconds(try setting.integer(
            historySeconds, env: "ROOM_HISTORY_SECONDS", default: 3600, in: 1...(7 * 86_400), flagName: "--history-seconds"
        ))
        configuration.connection.outboundLimitBytes = try setting.integer(
            outboundLimitBytes, env: "OUTBOUND_LIMIT_BYTES", default: configuration.connection.outboundLimitBytes,
            in: 4096...(1 << 30), flagName: "--outbound-limit-bytes"
        )
        configuration.connection.maximumClientFrameBytes = try setting.integer(
            maxClientFrameBytes, env: "MAX_CLIENT_FRAME_BYTES", default: configuration.connection.maximumClientFrameBytes,
            in: 256...(1 << 20), flagName: "--max-client-frame-bytes"
        )
        configuration.connection.clientMessagesPerSecond = try setting.integer(
            clientMessagesPerSecond, env: "CLIENT_MESSAGES_PER_SECOND", default: configuration.connection.clientMessagesPerSecond,
            in: 1...10_000, flagName: "--client-messages-per-second"
        )
        configuration.connection.pingInterval = .seconds(Int64(try setting.integer(
            pingIntervalSeconds, env: "PING_INTERVAL_SECONDS", default: 25, in: 1...3600, flagName: "--ping-interval-seconds"
        )))
        configuration.connection.pingTimeout = .seconds(Int64(try setting.integer(
            pingTimeoutSeconds, env: "PING_TIMEOUT_SECONDS", default: 20, in: 1...3600, flagName: "--ping-timeout-seconds"
        )))
        configuration.cors = try CORSPolicy(parsing: setting.string(corsOrigins, env: "CORS_ORIGINS", default: ""))
        configuration.connections = try connectionOptions.resolve(setting, defaultMaxConnections: configuration.connections.maxConnections)
        if eventLoopThreads != nil || setting.optionalString(nil, env: "EVENT_LOOP_THREADS") != nil {
            configuration.eventLoopThreads = try setting.integer(
                eventLoopThreads, env: "EVENT_LOOP_THREADS", default: 1, in: 1...256, flagName: "--event-loop-threads"
            )
        }
        guard let secret = try setting.secret(env: "BRIDGE_JWT_SECRET", file: jwtSecretFile) else {
            throw ConfigurationError("BRIDGE_JWT_SECRET (or --jwt-secret-file) is required: the HS256 key of dashboard tokens")
        }
        // RFC 7518, 3.2: an HS256 key must be at least as long as the hash (32 bytes).
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError("BRIDGE_JWT_SECRET must be at least 32 bytes (RFC 7518: an HS256 key is at least the hash size)")
        }
        configuration.jwtSecret = secret
        return configuration
    }
}
