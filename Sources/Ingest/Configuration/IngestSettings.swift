import Foundation
import Logging
import ServerSupport
import Settings

/// Every setting of Ingest, declared once: flag, environment variable, help, range. The
/// defaults are ``IngestConfiguration``'s.
package enum IngestSettings {
    static let defaults = IngestConfiguration()

    static let host = ServerSettings.host(default: defaults.host)
    static let port = ServerSettings.port(default: defaults.port)
    static let kafkaBrokers = ServerSettings.kafkaBrokers(default: defaults.kafkaBrokers)
    static let topic = ServerSettings.topic(default: defaults.topic)
    static let deadLetterTopic = Setting<String>(
        flag: "--dead-letter-topic", environment: "DEAD_LETTER_TOPIC", default: defaults.deadLetterTopic,
        help: "Topic for authentic deliveries that cannot be normalized"
    )
    static let topicPartitions = Setting<Int>(
        flag: "--topic-partitions", environment: "TOPIC_PARTITIONS", default: defaults.topicPartitions, in: 1...10_000,
        help: "Partitions when creating the topics"
    )
    static let replicationFactor = Setting<Int>(
        flag: "--replication-factor", environment: "TOPIC_REPLICATION_FACTOR", default: defaults.replicationFactor,
        in: 1...100,
        help: "Replication factor when creating the topics"
    )
    static let publishTimeout = Setting<Duration>(
        flag: "--publish-timeout-ms", environment: "PUBLISH_TIMEOUT_MS", default: defaults.publishTimeout,
        unit: .milliseconds,
        in: 100...600_000, help: "Milliseconds to wait for Kafka's acknowledgement before answering 503"
    )
    static let kafkaLinger = Setting<Duration>(
        flag: "--kafka-linger-ms", environment: "KAFKA_LINGER_MS", default: defaults.kafkaLinger, unit: .milliseconds,
        in: 0...5000,
        help: "Milliseconds the producer waits for more webhooks to share a Kafka batch; every answer waits as long"
    )
    static let maxBodyBytes = Setting<Int>(
        flag: "--max-body-bytes", environment: "MAX_BODY_BYTES", default: defaults.maxBodyBytes, in: 1024...(16 << 20),
        help: "Largest accepted webhook body in bytes"
    )
    static let signatureTolerance = Setting<Duration>(
        flag: "--signature-tolerance-seconds", environment: "SIGNATURE_TOLERANCE_SECONDS",
        default: defaults.signatureTolerance,
        unit: .seconds, in: 1...86_400, help: "Accepted age of signature timestamps in seconds"
    )
    static let publicBaseURL = Setting<String>(
        flag: "--public-base-url", environment: "PUBLIC_BASE_URL", defaultDescription: "http://HOST:PORT",
        help: "The URL providers call, for Twilio's signature"
    ) { text in
        guard URL(string: text)?.scheme != nil else {
            throw InvalidSettingValue(
                "must be an absolute URL such as https://hooks.example.com, not '\(text.prefix(100))'")
        }
        return text
    }
    static let connections = ServerSettings.Connections(defaults: defaults.connections)
    package static let logLevel = Setting<Logger.Level>.logLevel

    static let twilioAuthToken = WebhookSecretSettings.twilioAuthToken
    static let vapiSecret = WebhookSecretSettings.vapiSecret
    static let retellAPIKey = WebhookSecretSettings.retellAPIKey
    static let telnyxPublicKey = WebhookSecretSettings.telnyxPublicKey
    static let genericWebhookSecret = WebhookSecretSettings.genericWebhookSecret
    static let callerHashKey = Setting.secret(
        "CALLER_HASH_KEY", fileFlag: "--caller-hash-key-file", what: "the caller-hash key")

    /// In the order `--help` lists them.
    package static let all: [any DeclaredSetting] =
        [
            host, port, kafkaBrokers, topic, deadLetterTopic, topicPartitions, replicationFactor, publishTimeout,
            kafkaLinger,
            maxBodyBytes, signatureTolerance, publicBaseURL,
        ] + connections.all + [
            logLevel, twilioAuthToken, vapiSecret, retellAPIKey, telnyxPublicKey, genericWebhookSecret, callerHashKey,
        ]
}

extension IngestConfiguration {
    /// The configuration Ingest's settings give.
    package init(reading reader: SettingsReader) throws(ConfigurationError) {
        typealias S = IngestSettings
        self.init()
        host = try reader.value(S.host)
        port = try reader.value(S.port)
        kafkaBrokers = try reader.value(S.kafkaBrokers)
        topic = try reader.value(S.topic)
        deadLetterTopic = try reader.value(S.deadLetterTopic)
        topicPartitions = try reader.value(S.topicPartitions)
        replicationFactor = try reader.value(S.replicationFactor)
        publishTimeout = try reader.value(S.publishTimeout)
        kafkaLinger = try reader.value(S.kafkaLinger)
        maxBodyBytes = try reader.value(S.maxBodyBytes)
        signatureTolerance = try reader.value(S.signatureTolerance)
        publicBaseURL = try reader.optionalValue(S.publicBaseURL)
        connections = try S.connections.limits(from: reader)
        secrets = Secrets(
            twilioAuthToken: try reader.optionalValue(S.twilioAuthToken),
            vapiSecret: try reader.optionalValue(S.vapiSecret),
            retellAPIKey: try reader.optionalValue(S.retellAPIKey),
            telnyxPublicKey: try reader.optionalValue(S.telnyxPublicKey),
            genericWebhookSecret: try reader.optionalValue(S.genericWebhookSecret),
            callerHashKey: try reader.optionalValue(S.callerHashKey)
        )
    }
}
