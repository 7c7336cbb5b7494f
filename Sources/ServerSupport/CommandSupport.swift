import ArgumentParser
import Logging

/// What every CallBridge executable does before it builds its application.
public enum CommandSupport {
    /// Resolves the settings with `body`; a ``ConfigurationError`` becomes ArgumentParser's
    /// `ValidationError`, so a bad value prints its message with the usage and exits 64.
    public static func resolve<Resolved>(_ body: (Setting) throws -> Resolved) throws -> Resolved {
        do {
            return try body(Setting())
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

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
