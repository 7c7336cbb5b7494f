import Logging
import NIOCore
import ServerSupport
import Settings

/// Every setting of the Bridge, declared once: flag, environment variable, help, range. The
/// defaults are ``BridgeConfiguration``'s.
package enum BridgeSettings {
    static let defaults = BridgeConfiguration()

    static let host = ServerSettings.host(default: defaults.host)
    static let port = ServerSettings.port(default: defaults.port)
    static let kafkaBrokers = ServerSettings.kafkaBrokers(default: defaults.kafkaBrokers)
    static let topic = ServerSettings.topic(default: defaults.topic)
    static let topicPartitions = Setting<Int>(
        flag: "--topic-partitions", environment: "TOPIC_PARTITIONS", default: defaults.topicPartitions, in: 1...10_000,
        help: "Partitions the topic is expected to have; another count is reported"
    )
    package static let logLevel = Setting<Logger.Level>.logLevel
    static let kafkaFetchMaxWait = Setting<Duration>(
        flag: "--kafka-fetch-max-wait-ms", environment: "KAFKA_FETCH_MAX_WAIT_MS", default: defaults.fetchMaxWait,
        unit: .milliseconds, in: 1...10_000, help: "Milliseconds the broker may hold a fetch when there is nothing new"
    )
    static let replayWindow = Setting<Duration>(
        flag: "--replay-window-seconds", environment: "REPLAY_WINDOW_SECONDS", default: defaults.replayWindow,
        unit: .seconds,
        in: 0...(90 * 86_400), help: "Rebuild room state from events of the last this many seconds at start"
    )
    static let maxCallLength = Setting<Duration>(
        flag: "--max-call-seconds", environment: "MAX_CALL_SECONDS", default: defaults.rooms.maximumCallLength,
        unit: .seconds,
        in: 60...(7 * 86_400), help: "Drop an active call older than this many seconds"
    )
    static let historyEvents = Setting<Int>(
        flag: "--history-events", environment: "ROOM_HISTORY_EVENTS", default: defaults.rooms.historyEvents,
        in: 0...1_000_000,
        help: "Events each room keeps for resumes with since"
    )
    static let historyAge = Setting<Duration>(
        flag: "--history-seconds", environment: "ROOM_HISTORY_SECONDS", default: defaults.rooms.historyAge,
        unit: .seconds,
        in: 1...(7 * 86_400), help: "Oldest event, in seconds, each room keeps for resumes"
    )
    static let outboundLimitBytes = Setting<Int>(
        flag: "--outbound-limit-bytes", environment: "OUTBOUND_LIMIT_BYTES",
        default: defaults.connection.outboundLimitBytes,
        in: 4096...(1 << 30), help: "Bytes queued for one client before it is closed with 4008"
    )
    static let maxClientFrameBytes = Setting<Int>(
        flag: "--max-client-frame-bytes", environment: "MAX_CLIENT_FRAME_BYTES",
        default: defaults.connection.maximumClientFrameBytes, in: 256...(1 << 20),
        help: "Largest client frame in bytes; bigger closes with 1009"
    )
    static let clientMessagesPerSecond = Setting<Int>(
        flag: "--client-messages-per-second", environment: "CLIENT_MESSAGES_PER_SECOND",
        default: defaults.connection.clientMessagesPerSecond, in: 1...10_000,
        help: "Client messages per second allowed, bursts of twice that; more closes with 1008"
    )
    static let pingInterval = Setting<Duration>(
        flag: "--ping-interval-seconds", environment: "PING_INTERVAL_SECONDS",
        default: Duration(defaults.connection.pingInterval),
        unit: .seconds, in: 1...3600, help: "Seconds between server pings"
    )
    static let pingTimeout = Setting<Duration>(
        flag: "--ping-timeout-seconds", environment: "PING_TIMEOUT_SECONDS",
        default: Duration(defaults.connection.pingTimeout),
        unit: .seconds, in: 1...3600, help: "Seconds a client may take to answer a ping"
    )
    static let connections = ServerSettings.Connections(defaults: defaults.connections)
    static let corsOrigins = Setting<CORSPolicy>(
        flag: "--cors-origins", environment: "CORS_ORIGINS", defaultDescription: "none",
        help: """
            Web origins allowed to use /socket.io/ and /events from a browser: scheme://host[:port],... or *; \
            with a list, WebSocket upgrades from other origins get 403
            """
    ) { try CORSPolicy(parsing: $0) }
    static let eventLoopThreads = Setting<Int>(
        flag: "--event-loop-threads", environment: "EVENT_LOOP_THREADS", defaultDescription: "one per core",
        in: 1...256,
        help: "Event loop threads"
    )
    static let jwtSecret = Setting.secret(
        "BRIDGE_JWT_SECRET", fileFlag: "--jwt-secret-file", what: "the HS256 token key")

    /// In the order `--help` lists them.
    package static let all: [any DeclaredSetting] =
        [
            host, port, kafkaBrokers, topic, topicPartitions, logLevel, kafkaFetchMaxWait, replayWindow, maxCallLength,
            historyEvents, historyAge, outboundLimitBytes, maxClientFrameBytes, clientMessagesPerSecond, pingInterval,
            pingTimeout,
        ] + connections.all + [corsOrigins, eventLoopThreads, jwtSecret]
}

extension BridgeConfiguration {
    /// The configuration the Bridge's settings give.
    package init(reading reader: SettingsReader) throws(ConfigurationError) {
        typealias S = BridgeSettings
        self.init()
        host = try reader.value(S.host)
        port = try reader.value(S.port)
        kafkaBrokers = try reader.value(S.kafkaBrokers)
        topic = try reader.value(S.topic)
        topicPartitions = try reader.value(S.topicPartitions)
        fetchMaxWait = try reader.value(S.kafkaFetchMaxWait)
        replayWindow = try reader.value(S.replayWindow)
        rooms.maximumCallLength = try reader.value(S.maxCallLength)
        rooms.historyEvents = try reader.value(S.historyEvents)
        rooms.historyAge = try reader.value(S.historyAge)
        connection.outboundLimitBytes = try reader.value(S.outboundLimitBytes)
        connection.maximumClientFrameBytes = try reader.value(S.maxClientFrameBytes)
        connection.clientMessagesPerSecond = try reader.value(S.clientMessagesPerSecond)
        connection.pingInterval = TimeAmount(try reader.value(S.pingInterval))
        connection.pingTimeout = TimeAmount(try reader.value(S.pingTimeout))
        cors = try reader.optionalValue(S.corsOrigins) ?? .none
        connections = try S.connections.limits(from: reader)
        eventLoopThreads = try reader.optionalValue(S.eventLoopThreads)
        guard let secret = try reader.optionalValue(S.jwtSecret) else {
            throw ConfigurationError(
                "BRIDGE_JWT_SECRET (or --jwt-secret-file) is required: the HS256 key of dashboard tokens")
        }
        // RFC 7518, 3.2: an HS256 key must be at least as long as the hash (32 bytes).
        guard secret.utf8.count >= 32 else {
            throw ConfigurationError(
                "BRIDGE_JWT_SECRET must be at least 32 bytes (RFC 7518: an HS256 key is at least the hash size)")
        }
        jwtSecret = secret
    }
}
