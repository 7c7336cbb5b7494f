import Settings

/// The settings Ingest and the Bridge share: where they listen, where Kafka is, and the
/// connection limits. Each executable gives the defaults of its configuration.
public enum ServerSettings {
    public static func host(default value: String) -> Setting<String> {
        Setting(flag: "--host", environment: "HOST", default: value, help: "Address to listen on")
    }

    public static func port(default value: Int) -> Setting<Int> {
        Setting(flag: "--port", environment: "PORT", default: value, in: 0...65535, help: "Port to listen on")
    }

    public static func kafkaBrokers(default value: String) -> Setting<String> {
        Setting(
            flag: "--kafka-brokers", environment: "KAFKA_BROKERS", defaultText: value,
            help: "Kafka bootstrap servers, comma-separated",
            parse: nonEmpty
        )
    }

    public static func topic(default value: String) -> Setting<String> {
        Setting(
            flag: "--topic", environment: "CALLS_TOPIC", defaultText: value, help: "Topic of call lifecycle events",
            parse: nonEmpty)
    }

    @Sendable private static func nonEmpty(_ text: String) throws -> String {
        guard !text.isEmpty else { throw InvalidSettingValue("must not be empty") }
        return text
    }

    /// The settings of ``ConnectionLimits``, with `limits` as their defaults.
    public struct Connections: Sendable {
        public let maxConnections: Setting<Int>
        public let requestTimeout: Setting<Duration>
        public let idleTimeout: Setting<Duration>

        public init(defaults limits: ConnectionLimits) {
            maxConnections = Setting(
                flag: "--max-connections", environment: "MAX_CONNECTIONS", default: limits.maxConnections,
                in: 1...10_000_000,
                help: "Most connections kept open, lowered to fit the open-file limit; more are answered 503"
            )
            requestTimeout = Setting(
                flag: "--request-timeout-ms", environment: "REQUEST_TIMEOUT_MS", default: limits.requestTimeout,
                unit: .milliseconds,
                in: 100...3_600_000, help: "Milliseconds a connection has to send a whole request; then 408 and close"
            )
            idleTimeout = Setting(
                flag: "--idle-timeout-ms", environment: "IDLE_TIMEOUT_MS", default: limits.idleTimeout,
                unit: .milliseconds,
                in: 100...86_400_000, help: "Milliseconds a connection may stay open with no request in progress"
            )
        }

        public var all: [any DeclaredSetting] { [maxConnections, requestTimeout, idleTimeout] }

        public func limits(from reader: SettingsReader) throws(ConfigurationError) -> ConnectionLimits {
            ConnectionLimits(
                maxConnections: try reader.value(maxConnections),
                requestTimeout: try reader.value(requestTimeout),
                idleTimeout: try reader.value(idleTimeout)
            )
        }
    }
}
