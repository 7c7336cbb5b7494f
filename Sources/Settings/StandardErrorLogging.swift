import Logging

/// How every CallBridge executable logs: to standard error, at the level of its `--log-level`.
public enum StandardErrorLogging {
    /// Bootstraps the logging system with a ``DeferredMetadataLogHandler`` at `level`. Only
    /// executables call this, once, before they build anything that logs.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
