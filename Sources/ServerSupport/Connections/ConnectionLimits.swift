import Logging

/// How many connections a server keeps open, and how long a connection may take to send
/// a request or stay idle between requests (so idle sockets cannot starve real clients).
public struct ConnectionLimits: Sendable {
    /// Connections past this many are answered 503 and closed.
    public var maxConnections: Int
    /// A request's head and body must arrive within this time of the connection opening
    /// (first request) or of the request's first byte; else 408 and close.
    public var requestTimeout: Duration
    /// A connection with no request in progress is closed after this time.
    public var idleTimeout: Duration
    /// Refused connections answered at once (each holds a file while its 503 is read);
    /// past this many, a refused connection is closed without an answer, so that refusals
    /// cannot use up the open-file limit either. Set from that limit at start.
    public var maxRefusalsInFlight = 256

    public static let defaultRequestTimeoutMilliseconds = 10_000
    public static let defaultIdleTimeoutMilliseconds = 60_000

    public init(
        maxConnections: Int,
        requestTimeout: Duration = .milliseconds(ConnectionLimits.defaultRequestTimeoutMilliseconds),
        idleTimeout: Duration = .milliseconds(ConnectionLimits.defaultIdleTimeoutMilliseconds)
    ) {
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    /// Raises the open-file limit as far as the system allows and lowers `maxConnections`
    /// to what it leaves room for; logs both.
    public func fittedToFileLimit(logger: Logger) -> ConnectionLimits {
        guard let files = FileLimit.raiseToHardLimit() else {
            logger.warning("could not read the open-file limit (RLIMIT_NOFILE); max connections unchanged")
            return self
        }
        logger.info("open-file limit", metadata: ["soft": "\(files.soft)", "hard": "\(files.hard)"])
        var fitted = self
        let room = FileLimit.connections(fitting: files.soft)
        if maxConnections > room {
            logger.notice(
                "max connections lowered to fit the open-file limit",
                metadata: ["configured": "\(maxConnections)", "lowered": "\(room)", "openFiles": "\(files.soft)"]
            )
            fitted.maxConnections = room
        }
        fitted.maxRefusalsInFlight = FileLimit.refusals(fitting: files.soft, connections: fitted.maxConnections)
        return fitted
    }
}
