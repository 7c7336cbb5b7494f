import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServerSupport

/// `Ingest`: receives provider webhooks, verifies and normalizes them, and publishes call
/// lifecycle events to Kafka, answering only once Kafka acknowledged.
// The fuzzing build has libFuzzer's main instead (Fuzzing/).
#if !CALLBRIDGE_FUZZ
@main
#endif
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Ingest",
        abstract: "Receives call webhooks (Twilio, Vapi, Retell, Telnyx, generic) and publishes them to Kafka.",
        discussion: """
            Every option can also be set by the environment variable named in its help; the flag wins.
            Secrets come from the environment or from a file (--NAME-file), never from a flag:
              TWILIO_AUTH_TOKEN, VAPI_SECRET, RETELL_API_KEY, TELNYX_PUBLIC_KEY (base64 Ed25519),
              GENERIC_WEBHOOK_SECRET, CALLER_HASH_KEY.
            A provider whose secret is not configured answers 404 (disabled).
            """
    )

    @Option(help: "Address to listen on (env HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (env PORT, default 8080).")
    var port: Int?
    @Option(help: "Kafka bootstrap servers, comma-separated (env KAFKA_BROKERS, default 127.0.0.1:9092).")
    var kafkaBrokers: String?
    @Option(help: "Topic of call lifecycle events (env CALLS_TOPIC, default calls.lifecycle.v1).")
    var topic: String?
    @Option(help: "Topic for authentic deliveries that cannot be normalized (env DEAD_LETTER_TOPIC, default calls.deadletter.v1).")
    var deadLetterTopic: String?
    @Option(help: "Partitions when creating the topics (env TOPIC_PARTITIONS, default 6).")
    var topicPartitions: Int?
    @Option(help: "Replication factor when creating the topics (env TOPIC_REPLICATION_FACTOR, default 1).")
    var replicationFactor: Int?
    @Option(help: "Milliseconds to wait for Kafka's acknowledgement before answering 503 (env PUBLISH_TIMEOUT_MS, default 5000).")
    var publishTimeoutMs: Int?
    @Option(help: "Milliseconds the producer waits for more webhooks to share a Kafka batch; every answer waits as long (env KAFKA_LINGER_MS, default 1).")
    var kafkaLingerMs: Int?
    @Option(help: "Largest accepted webhook body in bytes (env MAX_BODY_BYTES, default 65536).")
    var maxBodyBytes: Int?
    @Option(help: "Accepted age of signature timestamps in seconds (env SIGNATURE_TOLERANCE_SECONDS, default 300).")
    var signatureToleranceSeconds: Int?
    @Option(help: "The URL providers call, for Twilio's signature (env PUBLIC_BASE_URL, default http://HOST:PORT).")
    var publicBaseURL: String?
    @OptionGroup var connectionOptions: ConnectionOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL, default info).")
    var logLevel: String?

    @Option(help: "File holding the Twilio auth token (instead of env TWILIO_AUTH_TOKEN).")
    var twilioAuthTokenFile: String?
    @Option(help: "File holding the Vapi secret (instead of env VAPI_SECRET).")
    var vapiSecretFile: String?
    @Option(help: "File holding the Retell API key (instead of env RETELL_API_KEY).")
    var retellApiKeyFile: String?
    @Option(help: "File holding the Telnyx public key, base64 (instead of env TELNYX_PUBLIC_KEY).")
    var telnyxPublicKeyFile: String?
    @Option(help: "File holding the generic webhook secret (instead of env GENERIC_WEBHOOK_SECRET).")
    var genericWebhookSecretFile: String?
    @Option(help: "File holding the caller-hash key (instead of env CALLER_HASH_KEY).")
    var callerHashKeyFile: String?

    func run() async throws {
        let (configuration, level) = try CommandSupport.resolve { setting in
            (try resolve(setting), try setting.logLevel(logLevel))
        }
        CommandSupport.bootstrapLogging(level: level)
        let registry = PrometheusCollectorRegistry()
        var metricsFactory = PrometheusMetricsFactory(registry: registry)
        metricsFactory.durationHistogramBuckets[IngestMetrics.publishDurationLabel] = IngestMetrics.publishDurationBuckets
        MetricsSystem.bootstrap(metricsFactory)

        let logger = Logger(label: "callbridge.ingest")
        let bus = try KafkaEventBus(configuration: configuration, logger: logger)
        let app = try await buildApplication(configuration, bus: bus, metricsRegistry: registry, logger: logger)
        try await app.runService()
    }

    private func resolve(_ setting: Setting) throws -> IngestConfiguration {
        var configuration = IngestConfiguration()
        configuration.host = setting.string(host, env: "HOST", default: configuration.host)
        configuration.port = try setting.integer(port, env: "PORT", default: configuration.port, in: 0...65535, flagName: "--port")
        configuration.kafkaBrokers = setting.string(kafkaBrokers, env: "KAFKA_BROKERS", default: configuration.kafkaBrokers)
        configuration.topic = setting.string(topic, env: "CALLS_TOPIC", default: configuration.topic)
        configuration.deadLetterTopic = setting.string(deadLetterTopic, env: "DEAD_LETTER_TOPIC", default: configuration.deadLetterTopic)
        configuration.topicPartitions = try setting.integer(
            topicPartitions, env: "TOPIC_PARTITIONS", default: configuration.topicPartitions, in: 1...10_000, flagName: "--topic-partitions"
        )
        configuration.replicationFactor = try setting.integer(
            replicationFactor, env: "TOPIC_REPLICATION_FACTOR", default: configuration.replicationFactor, in: 1...100,
            flagName: "--replication-factor"
        )
        configuration.publishTimeout = .milliseconds(try setting.integer(
            publishTimeoutMs, env: "PUBLISH_TIMEOUT_MS", default: 5000, in: 100...600_000, flagName: "--publish-timeout-ms"
        ))
        configuration.kafkaLinger = .milliseconds(try setting.integer(
            kafkaLingerMs, env: "KAFKA_LINGER_MS", default: 1, in: 0...5000, flagName: "--kafka-linger-ms"
        ))
        configuration.maxBodyBytes = try setting.integer(
            maxBodyBytes, env: "MAX_BODY_BYTES", default: configuration.maxBodyBytes, in: 1024...(16 << 20), flagName: "--max-body-bytes"
        )
        configuration.signatureTolerance = .seconds(try setting.integer(
            signatureToleranceSeconds, env: "SIGNATURE_TOLERANCE_SECONDS", default: 300, in: 1...86_400,
            flagName: "--signature-tolerance-seconds"
        ))
        configuration.connections = try connectionOptions.resolve(setting, defaultMaxConnections: configuration.connections.maxConnections)
        configuration.publicBaseURL = setting.optionalString(publicBaseURL, env: "PUBLIC_BASE_URL")
        if let url = configuration.publicBaseURL, URL(string: url)?.scheme == nil {
            throw ConfigurationError("PUBLIC_BASE_URL '\(url)' is not an absolute URL such as https://hooks.example.com")
        }
        guard !configuration.topic.isEmpty, !configuration.kafkaBrokers.isEmpty else {
            throw ConfigurationError("the topic and the Kafka brokers must not be empty")
        }
        configuration.secrets = IngestConfiguration.Secrets(
            twilioAuthToken: try setting.secret(env: "TWILIO_AUTH_TOKEN", file: twilioAuthTokenFile),
            vapiSecret: try setting.secret(env: "VAPI_SECRET", file: vapiSecretFile),
            retellAPIKey: try setting.secret(env: "RETELL_API_KEY", file: retellApiKeyFile),
            telnyxPublicKey: try setting.secret(env: "TELNYX_PUBLIC_KEY", file: telnyxPublicKeyFile),
            genericWebhookSecret: try setting.secret(env: "GENERIC_WEBHOOK_SECRET", file: genericWebhookSecretFile),
            callerHashKey: try setting.secret(env: "CALLER_HASH_KEY", file: callerHashKeyFile)
        )
        return configuration
    }
}
