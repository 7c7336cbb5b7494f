import Logging
import Settings

/// Every setting of `callbridge-broker`, declared once.
enum BrokerLauncherSettings {
    static let host = Setting<String>(
        flag: "--host", environment: "BROKER_HOST", default: "127.0.0.1", valueName: "host",
        help: "Address to listen on and advertise to clients"
    )
    static let port = Setting<Int>(
        flag: "--port", environment: "BROKER_PORT", default: 9092, in: 0...65535, valueName: "port",
        help: "Port to listen on; 0 picks a free port"
    )
    /// Without it, EmbeddedBroker's TansuLocator looks (TANSU_BIN, .venv/bin/tansu, PATH).
    static let tansuPath = Setting<String>(
        flag: "--tansu", defaultDescription: "$TANSU_BIN, else .venv/bin/tansu, else tansu on PATH", valueName: "path",
        help: "Tansu binary to run"
    )
    static let readyFile = Setting<String>(
        flag: "--ready-file", valueName: "path", help: "File to write \"HOST:PORT\\n\" to once the broker answers"
    )
    static let startupTimeout = Setting<Double>(
        flag: "--startup-timeout", default: 15, in: 0.001...3600, valueName: "seconds",
        help: "Seconds to wait for Tansu to answer before giving up"
    )
    static let logLevel = Setting<Logger.Level>(
        flag: "--log-level", default: .info, valueName: "level",
        help: "Log level of this launcher: trace, debug, info, notice, warning, error or critical"
    )

    /// In the order `--help` lists them.
    static let all: [any DeclaredSetting] = [host, port, tansuPath, readyFile, startupTimeout, logLevel]
}
