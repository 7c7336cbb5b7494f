import ArgumentParser
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

/// The flags of ``ConnectionLimits``, shared by both executables (`@OptionGroup`).
public struct ConnectionOptions: ParsableArguments {
    @Option(help: "Most connections kept open; more are answered 503 (env MAX_CONNECTIONS, default Ingest 10000, Bridge 100000, lowered to fit the open-file limit).")
    var maxConnections: Int?
    @Option(help: "Milliseconds a connection has to send a whole request; then 408 and close (env REQUEST_TIMEOUT_MS, default 10000).")
    var requestTimeoutMs: Int?
    @Option(help: "Milliseconds a connection may stay open with no request in progress (env IDLE_TIMEOUT_MS, default 60000).")
    var idleTimeoutMs: Int?

    public init() {}

    public func resolve(_ setting: Setting, defaultMaxConnections: Int) throws -> ConnectionLimits {
        ConnectionLimits(
            maxConnections: try setting.integer(
                maxConnections, env: "MAX_CONNECTIONS", default: defaultMaxConnections, in: 1...10_000_000, flagName: "--max-connections"
            ),
            requestTimeout: .milliseconds(try setting.integer(
                requestTimeoutMs, env: "REQUEST_TIMEOUT_MS", default: ConnectionLimits.defaultRequestTimeoutMilliseconds,
                in: 100...3_600_000, flagName: "--request-timeout-ms"
            )),
            idleTimeout: .milliseconds(try setting.integer(
                idleTimeoutMs, env: "IDLE_TIMEOUT_MS", default: ConnectionLimits.defaultIdleTimeoutMilliseconds,
                in: 100...86_400_000, flagName: "--idle-timeout-ms"
            ))
        )
    }
}
