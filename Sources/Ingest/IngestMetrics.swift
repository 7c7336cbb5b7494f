import KafkaClient
import Metrics

/// Ingest's metrics, created once at start with bounded label values (known providers,
/// the statuses Ingest answers, Kafka error codes), so a request never creates a metric.
package final class IngestMetrics: Sendable {
    static let statuses = [200, 202, 400, 401, 404, 408, 413, 415, 422, 500, 503]
    package static let publishDurationLabel = "callbridge_ingest_publish_duration_seconds"
    package static let publishDurationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5),
    ]
    private static let kafkaErrorCodes: [KafkaError.Code] = [
        .messageTimedOut, .queueFull, .transport, .unknownTopicOrPartition, .timedOut, .fatal, .shutdown,
        .invalidArgument, .brokerError, .configuration, .topicAlreadyExists,
    ]

    private let requests: [String: [Int: Counter]]
    private let deadLetters: [String: Counter]
    private let kafkaErrors: [String: Counter]
    /// Time from handing an event to the producer to Kafka's acknowledgement.
    let publishDuration: Metrics.Timer

    init() {
        let providers = WebhookProviders.names + ["unknown"]
        var requests: [String: [Int: Counter]] = [:]
        for provider in providers {
            var byStatus: [Int: Counter] = [:]
            for status in Self.statuses {
                byStatus[status] = Counter(
                    label: "callbridge_ingest_webhook_requests_total",
                    dimensions: [("provider", provider), ("status", String(status))]
                )
            }
            requests[provider] = byStatus
        }
        self.requests = requests
        self.deadLetters = Dictionary(
            uniqueKeysWithValues: WebhookProviders.names.map {
                ($0, Counter(label: "callbridge_ingest_deadletter_total", dimensions: [("provider", $0)]))
            })
        self.kafkaErrors = Dictionary(
            uniqueKeysWithValues: Self.kafkaErrorCodes.map {
                (
                    $0.description,
                    Counter(label: "callbridge_ingest_kafka_errors_total", dimensions: [("code", $0.description)])
                )
            })
        self.publishDuration = Metrics.Timer(label: Self.publishDurationLabel)
    }

    func recordRequest(provider: String, status: Int) {
        let byStatus = requests[provider] ?? requests["unknown"]!
        (byStatus[status] ?? byStatus[500]!).increment()
    }

    func recordDeadLetter(provider: String) {
        deadLetters[provider]?.increment()
    }

    func recordKafkaError(_ error: KafkaError) {
        kafkaErrors[error.code.description]?.increment()
    }
}
