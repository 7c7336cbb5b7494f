import Foundation
import KafkaClient
import Logging
import Prometheus
import ServerSupport
import ServiceLifecycle

/// Builds the Bridge: the fan-out Kafka consumer (replaying the configured window, then
/// live), the room hub, the readiness monitor and the WebSocket server, as one
/// ServiceGroup the caller runs.
///
/// Shutdown runs in reverse order: the server first (stops accepting, closes sockets
/// with 1001), then the monitors and the consumer (whose poll thread runs the pump).
package func buildApplication(
    _ configuration: BridgeConfiguration,
    metricsRegistry: PrometheusCollectorRegistry?,
    logger: Logger
) async throws -> ServiceGroup {
    let connection = KafkaConnectionConfiguration(brokers: configuration.kafkaBrokers, clientID: "callbridge-bridge")
    let startMilliseconds =
        Int64(Date().timeIntervalSince1970 * 1000) - Int64(configuration.replayWindow.components.seconds) * 1000
    let metrics = BridgeMetrics()
    let hub = RoomHub(limits: configuration.rooms, metrics: metrics)
    let readiness = Readiness(.notReady("replaying the event window"))
    // The pump applies each fetched batch on the consumer's poll thread.
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            connection: connection,
            mode: .fanOut(topic: configuration.topic, start: .timestamp(milliseconds: startMilliseconds)),
            fetchMaxWait: configuration.fetchMaxWait
        ),
        handler: CallEventPump(hub: hub, readiness: readiness, metrics: metrics, logger: logger),
        logger: logger
    )
    let admin = try KafkaAdminClient(connection: connection, logger: logger)
    let verifier = await DashboardTokenVerifier(secret: configuration.jwtSecret)

    var serverConfiguration = BridgeServer.Configuration()
    serverConfiguration.host = configuration.host
    serverConfiguration.port = configuration.port
    serverConfiguration.connection = configuration.connection
    serverConfiguration.cors = configuration.cors
    serverConfiguration.connections = configuration.connections.fittedToFileLimit(logger: logger)
    if let threads = configuration.eventLoopThreads { serverConfiguration.eventLoopThreads = threads }
    let server = BridgeServer(
        configuration: serverConfiguration,
        dashboard: try DashboardPage.load(),
        hub: hub,
        verifier: verifier,
        readiness: readiness,
        registry: metricsRegistry,
        metrics: metrics,
        logger: logger
    )

    logger.info(
        "bridge configured",
        metadata: [
            "topic": "\(configuration.topic)",
            "kafka": "\(configuration.kafkaBrokers)",
            "replayWindowSeconds": "\(configuration.replayWindow.components.seconds)",
        ]
    )
    return ServiceGroup(
        configuration: .init(
            services: [
                .init(service: consumer),
                .init(
                    service: CatchUpMonitor(
                        admin: admin, consumer: consumer, hub: hub, topic: configuration.topic,
                        expectedPartitions: configuration.topicPartitions,
                        readiness: readiness, metrics: metrics, logger: logger
                    )),
                .init(service: RoomMaintenance(hub: hub)),
                .init(service: server),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
    )
}
