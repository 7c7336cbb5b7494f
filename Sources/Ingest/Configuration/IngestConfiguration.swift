import Foundation
import ServerSupport

/// Everything Ingest is configured with, resolved from flags, environment and secret files
/// (see ``IngestSettings`` for each value's flag and variable); the defaults here are those
/// `--help` shows.
package struct IngestConfiguration: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    /// Comma-separated `host:port` list.
    var kafkaBrokers = "127.0.0.1:9092"
    var topic = "calls.lifecycle.v1"
    var deadLetterTopic = "calls.deadletter.v1"
    /// Partitions of the topics when Ingest creates them.
    var topicPartitions = 6
    var replicationFactor = 1
    /// How long a webhook waits for Kafka's acknowledgement before it is answered 503.
    var publishTimeout: Duration = .seconds(5)
    /// How long the producer waits for more webhooks to share a batch (`linger.ms`).
    var kafkaLinger: Duration = .milliseconds(1)
    /// Larger bodies are answered 413 before they are parsed.
    var maxBodyBytes = 64 * 1024
    /// Accepted distance between a signature's timestamp and now.
    var signatureTolerance: Duration = .seconds(300)
    /// Connection cap, request and idle timeouts.
    var connections = ConnectionLimits(maxConnections: 10_000)
    /// The URL providers call (Twilio signs it); default `http://HOST:PORT`.
    var publicBaseURL: String?
    var secrets = Secrets()

    /// Provider secrets and the caller-hash key. A provider without its secret is disabled (404).
    struct Secrets: Sendable {
        var twilioAuthToken: String?
        var vapiSecret: String?
        var retellAPIKey: String?
        var telnyxPublicKey: String?
        var genericWebhookSecret: String?
        var callerHashKey: String?
    }

    var resolvedPublicBaseURL: String {
        var url = publicBaseURL ?? "http://\(host):\(port)"
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
