import Logging

/// What every CallBridge executable does before it builds its application.
public enum CommandSupport {
    /// Logs go to standard error at `level` (see ``DeferredMetadataLogHandler``). Only
    /// executables call this, once.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
