import Bridge
import Logging
import Metrics
import Prometheus
import ServerSupport
import Settings

/// `Bridge`: consumes call events from Kafka and pushes them to WebSocket dashboards in
/// rooms, with snapshots, resume, per-room authorization and a Socket.IO endpoint.
// The fuzzing build has libFuzzer's main instead (FuzzingMain.swift).
#if !CALLBRIDGE_FUZZ
@main
#endif
struct BridgeCommand: SettingsCommand {
    static let commandName = "Bridge"
    static let abstract =
        "Pushes call events from Kafka to WebSocket dashboards (plain JSON at /ws, Socket.IO at /socket.io/)."
    static let discussion = """
        Every option can also be set by the environment variable named in its help: the flag wins, \
        then the environment, then the default.
        The token key comes from a file (--jwt-secret-file PATH, else env BRIDGE_JWT_SECRET_FILE=PATH) \
        or the environment (BRIDGE_JWT_SECRET), never from a flag. Dashboards authenticate with \
        HS256 JWTs carrying exp and role admin, or role client with a clientId. See docs/bridge.md.
        """
    static let settings = BridgeSettings.all

    let configuration: BridgeConfiguration
    let logLevel: Logger.Level

    init(reading settings: SettingsReader) throws {
        configuration = try BridgeConfiguration(reading: settings)
        logLevel = try settings.value(BridgeSettings.logLevel)
    }

    func run() async throws {
        StandardErrorLogging.bootstrap(level: logLevel)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[BridgeMetrics.stalenessLabel] = BridgeMetrics.stalenessBuckets
        factory.durationHistogramBuckets[BridgeMetrics.fanOutLabel] = BridgeMetrics.fanOutBuckets
        MetricsSystem.bootstrap(factory)

        let logger = Logger(label: "callbridge.bridge")
        let group = try await buildApplication(configuration, metricsRegistry: registry, logger: logger)
        try await group.run()
    }
}
