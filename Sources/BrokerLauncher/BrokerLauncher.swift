import EmbeddedBroker
import Foundation
import Logging
import ServiceLifecycle
import Settings

/// `callbridge-broker`: runs the embedded broker in the foreground for the run script
/// and the Python integration tests.
@main
struct BrokerLauncher: SettingsCommand {
    static let commandName = "callbridge-broker"
    static let abstract = "Run the embedded Kafka-compatible broker (Tansu) until SIGINT or SIGTERM."
    static let discussion = """
        Starts Tansu listening on HOST:PORT and waits until it answers Kafka requests \
        (it is probed with a Kafka ApiVersions request). Then it writes "HOST:PORT" and a \
        newline to --ready-file (atomically: write a temporary file, then rename), prints

          callbridge-broker: ready on HOST:PORT (tansu log: PATH)

        and runs until SIGINT or SIGTERM, when it stops Tansu and exits 0. If Tansu \
        exits on its own, or cannot be started, it exits 1 with a message on stderr. \
        The ready file is removed at start (a stale one) and on exit.

        Storage is in memory: a restart loses every topic and committed offset. Tansu's \
        output goes to a log file in a temporary directory (its path is printed). Tansu \
        never outlives this process, even if this process is killed with SIGKILL.

        Environment: BROKER_HOST and BROKER_PORT give the defaults of --host and --port; \
        TANSU_BIN the Tansu binary. Without --tansu or TANSU_BIN, .venv/bin/tansu is looked \
        for in the current directory, next to this executable and in their parents, then \
        tansu on PATH. Run scripts/setup.sh to install it.
        """
    static let settings = BrokerLauncherSettings.all

    let host: String
    let port: Int
    let tansuPath: String?
    let readyFile: String?
    let startupTimeout: Double
    let logLevel: Logger.Level

    init(reading settings: SettingsReader) throws {
        typealias S = BrokerLauncherSettings
        host = try settings.value(S.host)
        port = try settings.value(S.port)
        tansuPath = try settings.optionalValue(S.tansuPath)
        readyFile = try settings.optionalValue(S.readyFile)
        startupTimeout = try settings.value(S.startupTimeout)
        logLevel = try settings.value(S.logLevel)
    }

    func run() async throws {
        StandardErrorLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "callbridge-broker")

        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        defer {
            if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        }
        let broker = BrokerService(
            configuration: EmbeddedBroker.Configuration(
                host: host,
                port: port,
                tansuPath: tansuPath,
                startupTimeout: .milliseconds(Int(startupTimeout * 1000))
            ),
            readyFile: readyFile,
            logger: logger
        )
        // The group handles the signals from before Tansu starts, so one that arrives
        // during startup still stops it cleanly.
        try await ServiceGroup(services: [broker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
