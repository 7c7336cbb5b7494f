import Logging

extension Setting where Value == Logger.Level {
    /// `--log-level` (env `LOG_LEVEL`), of the servers and the simulator.
    public static var logLevel: Setting {
        Setting(
            flag: "--log-level", environment: "LOG_LEVEL", default: .info,
            help: "Log level: trace, debug, info, notice, warning, error, critical"
        )
    }
}
