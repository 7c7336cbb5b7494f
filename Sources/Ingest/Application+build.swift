import CallEvents
import Hummingbird
import KafkaClient
import Logging
import Prometheus
import ServerSupport

/// Builds the Ingest application: HTTP routes, the Kafka producer and the readiness
/// monitor, as one Hummingbird application whose ServiceGroup the caller runs.
///
/// On shutdown the HTTP server stops first (no new requests, in-flight ones finish), then
/// the readiness monitor, then the producer flushes what is in flight.
func buildApplication(
    _ configuration: IngestConfiguration,
    metricsRegistry: PrometheusCollectorRegistry?,
    logger: Logger
) async throws -> some ApplicationProtocol {
    var connection = KafkaConnectionConfiguration(brokers: configuration.kafkaBrokers, clientID: "callbridge-ingest")
    connection.clientID = "callbridge-ingest"
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(
            connection: connection, deliveryTimeout: configuration.publishTimeout, linger: configuration.kafkaLinger
        ),
        logger: logger
    )
    let readiness = KafkaReadiness(
        admin: try KafkaAdminClient(connection: connection, logger: logger),
        producer: producer,
        topics: [configuration.topic, configuration.deadLetterTopic],
        partitions: configuration.topicPartitions,
        replicationFactor: configuration.replicationFactor,
        logger: logger
    )

    let providers = try WebhookProviders.enabled(by: configuration)
    let callerHasher = configuration.secrets.callerHashKey.flatMap { CallerHasher(key: $0) }
    if callerHasher == nil {
        logger.warning("CALLER_HASH_KEY is not set: events will carry no callerHash")
    }
    logger.info(
        "ingest configured",
        metadata: [
            "providers": "\(providers.keys.sorted().joined(separator: ","))",
            "topic": "\(configuration.topic)",
            "kafka": "\(configuration.kafkaBrokers)",
            "publicBaseURL": "\(configuration.resolvedPublicBaseURL)",
        ]
    )

    let connections = ServerConnections(
        limits: configuration.connections.fittedToFileLimit(logger: logger), metricsPrefix: "callbridge_ingest", logger: logger
    )
    let router = Router()
    let webhooks = WebhookController<BasicRequestContext>(
        providers: providers,
        publisher: CallEventPublisher(
            producer: producer,
            topic: configuration.topic,
            deadLetterTopic: configuration.deadLetterTopic,
            callerHasher: callerHasher
        ),
        metrics: IngestMetrics(),
        maxBodyBytes: configuration.maxBodyBytes,
        retryAfterSeconds: max(1, Int(configuration.publishTimeout.components.seconds))
    )
    router.addRoutes(webhooks.routes, atPath: "/webhooks")
    OperationsController(readiness: readiness.readiness, registry: metricsRegistry).addRoutes(to: router)

    return Application(
        responder: WebhookResponder(webhooks: webhooks, router: router.buildResponder()),
        server: .guardedHTTP1(connections),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "CallBridge-Ingest"
        ),
        services: [producer, readiness],
        logger: logger
    )
}
