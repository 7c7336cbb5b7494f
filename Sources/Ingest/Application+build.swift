import CallEvents
import Hummingbird
import Logging
import Prometheus
import ServerSupport

/// Builds the Ingest application: HTTP routes over `bus` (``KafkaEventBus`` in the service,
/// an in-memory one in the tests), as one Hummingbird application whose ServiceGroup the
/// caller runs, with the bus's services.
///
/// On shutdown the HTTP server stops first (no new requests, in-flight ones finish), then
/// the bus's services in reverse order (Kafka: the readiness monitor, then the producer
/// flushes what is in flight).
package func buildApplication(
    _ configuration: IngestConfiguration,
    bus: some EventBus,
    metricsRegistry: PrometheusCollectorRegistry?,
    logger: Logger
) async throws -> some ApplicationProtocol {
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
        limits: configuration.connections.fittedToFileLimit(logger: logger), metricsPrefix: "callbridge_ingest",
        logger: logger
    )
    let router = Router()
    let webhooks = WebhookController<BasicRequestContext>(
        providers: providers,
        publisher: CallEventPublisher(
            bus: bus,
            topic: configuration.topic,
            deadLetterTopic: configuration.deadLetterTopic,
            callerHasher: callerHasher
        ),
        metrics: IngestMetrics(),
        maxBodyBytes: configuration.maxBodyBytes,
        retryAfterSeconds: max(1, Int(configuration.publishTimeout.components.seconds))
    )
    router.addRoutes(webhooks.routes, atPath: "/webhooks")
    OperationsController(readiness: bus.readiness, registry: metricsRegistry).addRoutes(to: router)

    return Application(
        responder: WebhookResponder(webhooks: webhooks, router: router.buildResponder()),
        server: .guardedHTTP1(connections),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "CallBridge-Ingest"
        ),
        services: bus.services,
        logger: logger
    )
}
