import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServerSupport
import ServiceLifecycle

/// The HTTP and WebSocket server: a NIO channel pipeline per connection (the connection
/// guard, HTTP/1.1 with NIO's WebSocket upgrader, then the Hummingbird router of
/// ``BridgeRoutes``; after an upgrade a ``WebSocketTransport``), and one ``LoopFanOut`` per
/// event loop.
///
/// A ServiceLifecycle service: on graceful shutdown it stops accepting, closes every
/// subscriber with 1001 (polling ones get a close packet), waits for them to close (bounded), and shuts its event loops down.
final class BridgeServer: Service, Sendable {
    struct Configuration: Sendable {
        var host = "127.0.0.1"
        var port = 8081
        /// Event loop threads; default: one per core.
        var eventLoopThreads = System.coreCount
        var connection = ConnectionSettings()
        /// Origins allowed from browsers (CORS headers, WebSocket `Origin` check).
        var cors = CORSPolicy.none
        /// Connection cap, request and idle timeouts (the ``ConnectionGuard``'s).
        var connections = ConnectionLimits(maxConnections: 100_000)
    }

    /// The same bounds as Ingest's (Hummingbird's defaults): 80 KB per header field and for
    /// all of them, at most 1,000 fields; more is answered 431 (NIO's own cap is 65,534 fields).
    static let requestHeadLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldCount = 1000
        return limits
    }()

    private let configuration: Configuration
    private let hub: RoomHub
    private let verifier: DashboardTokenVerifier
    private let readiness: Readiness
    private let registry: PrometheusCollectorRegistry?
    private let dashboard: DashboardPage
    private let metrics: BridgeMetrics
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let fanOuts: LoopFanOuts

    init(
        configuration: Configuration,
        dashboard: DashboardPage,
        hub: RoomHub,
        verifier: DashboardTokenVerifier,
        readiness: Readiness,
        registry: PrometheusCollectorRegistry?,
        metrics: BridgeMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.hub = hub
        self.verifier = verifier
        self.readiness = readiness
        self.registry = registry
        self.dashboard = dashboard
        self.metrics = metrics
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        self.fanOuts = LoopFanOuts(group: group, metrics: metrics)
    }

    func run() async throws {
        let dependencies = SubscriberDependencies(
            hub: hub, readiness: readiness, verifier: verifier, settings: configuration.connection,
            cors: configuration.cors, metrics: metrics, logger: logger
        )
        let sessions = PollingSessions()
        let polling = PollingEndpoint(sessions: sessions, dependencies: dependencies)
        let events = ServerSentEventsEndpoint(dependencies: dependencies)
        let limit = configuration.connection.outboundLimitBytes
        let fanOuts = self.fanOuts
        let logger = self.logger
        let responder = BridgeRoutes(
            dashboard: dashboard, readiness: readiness, registry: registry, polling: polling, events: events,
            cors: dependencies.cors, fanOuts: fanOuts
        ).buildResponder()
        let connections = ServerConnections(
            limits: configuration.connections, metricsPrefix: "callbridge_bridge", logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Writability turns false past the outbound bound; the subscriber then checks
            // whether the client is stuck (see OutboundBound).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: limit / 2, high: limit))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let fanOut = fanOuts.fanOut(for: channel.eventLoop)
                    let upgrade = WebSocketUpgrade(dependencies: dependencies, sessions: sessions, fanOut: fanOut)
                    let http = RouterChannelHandler(
                        responder: responder, upgrade: upgrade, maximumBodyBytes: polling.maximumPayload, logger: logger
                    )
                    let progress = HTTPProgressObserver()
                    // The upgrade's completion runs on this channel's loop.
                    let handlers = NIOLoopBound((progress: progress, http: http), eventLoop: channel.eventLoop)
                    let pipeline = channel.pipeline.syncOperations
                    // First, on raw bytes: the cap, the timeouts, and the JSON answers to
                    // malformed HTTP (so NIO's own error handling, an empty 400, is off).
                    try pipeline.addHandler(connections.makeGuard())
                    try pipeline.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrade.makeUpgrader()],
                            completionHandler: { context in
                                // A subscriber now, with its own ping/pong liveness: no more timeouts.
                                context.triggerUserOutboundEvent(ConnectionGuard.Progress.upgraded, promise: nil)
                                context.pipeline.syncOperations.removeHandler(handlers.value.progress, promise: nil)
                                context.pipeline.syncOperations.removeHandler(handlers.value.http, promise: nil)
                            }
                        ),
                        withErrorHandling: false,
                        withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: Self.requestHeadLimits
                    )
                    try pipeline.addHandler(progress)
                    try pipeline.addHandler(http)
                }
            }

        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        logger.info(
            "bridge listening",
            metadata: [
                "address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "eventLoops": "\(fanOuts.all.count)",
            ]
        )
        for fanOut in fanOuts.all {
            fanOut.startHeartbeat(tick: .seconds(1))
        }

        try? await gracefulShutdown()

        logger.info("bridge stopping: closing WebSockets with 1001")
        try? await channel.close()
        let closing = fanOuts.all.map { $0.closeAll(code: 1001, reason: "server shutting down") }
        // Bounded: each connection force-closes after its close grace (2 s).
        try? await EventLoopFuture.andAllComplete(closing, on: group.any()).get()
        try await group.shutdownGracefully()
        logger.info("bridge stopped")
    }
}
