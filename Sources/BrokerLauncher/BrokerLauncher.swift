import ArgumentParser
import EmbeddedBroker
import Foundation
import Logging
import ServiceLifecycle

/// `callbridge-broker`: runs the embedded broker in the foreground for the run script
/// and the Python integration tests.
@main
struct BrokerLauncher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callbridge-broker",
        abstract: "Run the embedded Kafka-compatible broker (Tansu) until SIGINT or SIGTERM.",
        discussion: """
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
    )

    @Option(help: ArgumentHelp("Address to listen on and advertise to clients (default: $BROKER_HOST, else 127.0.0.1).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free port (default: $BROKER_PORT, else 9092).", valueName: "port"))
    var port: Int?

    @Option(name: .customLong("tansu"), help: ArgumentHelp("Tansu binary to run (default: $TANSU_BIN, else .venv/bin/tansu, else tansu on PATH).", valueName: "path"))
    var tansuPath: String?

    @Option(help: ArgumentHelp("File to write \"HOST:PORT\\n\" to once the broker answers.", valueName: "path"))
    var readyFile: String?

    @Option(help: ArgumentHelp("Seconds to wait for Tansu to answer before giving up.", valueName: "seconds"))
    var startupTimeout: Double = 15

    @Option(help: ArgumentHelp("Log level of this launcher: trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: Logger.Level = .info

    func resolvedHost() -> String {
        if let host { return host }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BROKER_HOST"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "127.0.0.1"
    }

    func resolvedPort() throws -> Int {
        if let port { return port }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BROKER_PORT"], !fromEnvironment.isEmpty {
            guard let value = Int(fromEnvironment) else {
                throw ValidationError("BROKER_PORT must be a port number, not \"\(fromEnvironment)\".")
            }
            return value
        }
        return 9092
    }

    func validate() throws {
        guard (0...65535).contains(try resolvedPort()) else {
            throw ValidationError("The port must be between 0 and 65535 (0 picks a free port).")
        }
        guard startupTimeout > 0 else {
            throw ValidationError("--startup-timeout must be positive.")
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "callbridge-broker")

        if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        defer {
            if let readyFile { try? FileManager.default.removeItem(atPath: readyFile) }
        }
        let broker = BrokerService(
            configuration: EmbeddedBroker.Configuration(
                host: resolvedHost(),
                port: try resolvedPort(),
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

extension Logger.Level: @retroactive ExpressibleByArgument {}
