import Foundation
import Ingest
import Logging
import Metrics
import Prometheus
import ServerSupport
import Settings

/// `Ingest`: receives provider webhooks, verifies and normalizes them, and publishes call
/// lifecycle events to Kafka, answering only once Kafka acknowledged.
// The fuzzing build has libFuzzer's main instead (FuzzingMain.swift).
#if !CALLBRIDGE_FUZZ
@main
#endif
struct IngestCommand: SettingsCommand {
    static let commandName = "Ingest"
    static let abstract = "Receives call webhooks (Twilio, Vapi, Retell, Telnyx, generic) and publishes them to Kafka."
    static let discussion = """
        Every option can also be set by the environment variable named in its help: the flag wins, \
        then the environment, then the default.
        Secrets come from a file (--NAME-file PATH, else env NAME_FILE=PATH) or the environment \
        (NAME), never from a flag; a file named by a flag wins over NAME, NAME over NAME_FILE:
          TWILIO_AUTH_TOKEN, VAPI_SECRET, RETELL_API_KEY, TELNYX_PUBLIC_KEY (base64 Ed25519),
          GENERIC_WEBHOOK_SECRET, CALLER_HASH_KEY.
        A provider whose secret is not configured answers 404 (disabled).
        """
    static let settings = IngestSettings.all

    let configuration: IngestConfiguration
    let logLevel: Logger.Level

    init(reading settings: SettingsReader) throws {
        configuration = try IngestConfiguration(reading: settings)
        logLevel = try settings.value(IngestSettings.logLevel)
    }

    func run() async throws {
        StandardErrorLogging.bootstrap(level: logLevel)
        let registry = PrometheusCollectorRegistry()
        var metricsFactory = PrometheusMetricsFactory(registry: registry)
        metricsFactory.durationHistogramBuckets[IngestMetrics.publishDurationLabel] =
            IngestMetrics.publishDurationBuckets
        MetricsSystem.bootstrap(metricsFactory)

        let logger = Logger(label: "callbridge.ingest")
        let bus = try KafkaEventBus(configuration: configuration, logger: logger)
        let app = try await buildApplication(configuration, bus: bus, metricsRegistry: registry, logger: logger)
        try await app.runService()
    }
}
