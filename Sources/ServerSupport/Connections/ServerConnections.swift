import Logging
import Metrics
import Synchronization

/// What the connections of one server share: their limits, how many are open, and the
/// metrics of refusals and timeouts. One per server; each accepted channel gets a
/// ``ConnectionGuard`` from ``makeGuard()`` as the first handler of its pipeline.
public final class ServerConnections: Sendable {
    public let limits: ConnectionLimits
    let metrics: ConnectionMetrics
    let logger: Logger
    private let openCount = Atomic<Int>(0)
    private let refusingCount = Atomic<Int>(0)

    /// `metricsPrefix` names the service's metrics, e.g. `callbridge_ingest`.
    public init(limits: ConnectionLimits, metricsPrefix: String, logger: Logger) {
        self.limits = limits
        self.metrics = ConnectionMetrics(prefix: metricsPrefix)
        self.logger = logger
    }

    public func makeGuard() -> ConnectionGuard {
        ConnectionGuard(connections: self)
    }

    /// Connections holding a slot now.
    public var open: Int { openCount.load(ordering: .relaxed) }

    /// What a connection holds while it is open: a slot of the cap, or, when refused, a
    /// slot of the refusals being answered.
    enum Slot {
        case connection
        case refusal
    }

    /// Takes a slot; false when all are taken.
    func tryTake(_ slot: Slot) -> Bool {
        switch slot {
        case .connection: Self.tryIncrement(openCount, upTo: limits.maxConnections)
        case .refusal: Self.tryIncrement(refusingCount, upTo: limits.maxRefusalsInFlight)
        }
    }

    func release(_ slot: Slot) {
        switch slot {
        case .connection: openCount.wrappingSubtract(1, ordering: .relaxed)
        case .refusal: refusingCount.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    private static func tryIncrement(_ count: borrowing Atomic<Int>, upTo limit: Int) -> Bool {
        if count.wrappingAdd(1, ordering: .relaxed).newValue <= limit {
            return true
        }
        count.wrappingSubtract(1, ordering: .relaxed)
        return false
    }
}

/// Counters of connections refused at the cap and closed by each timeout, created once
/// per server with fixed labels.
struct ConnectionMetrics: Sendable {
    let refused: Counter
    let requestTimeouts: Counter
    let idleTimeouts: Counter

    init(prefix: String) {
        refused = Counter(label: "\(prefix)_connections_refused_total")
        requestTimeouts = Counter(label: "\(prefix)_connection_timeouts_total", dimensions: [("timeout", "request")])
        idleTimeouts = Counter(label: "\(prefix)_connection_timeouts_total", dimensions: [("timeout", "idle")])
    }
}
