import Synchronization

/// What `GET /readyz` answers: ready, or not ready and why. Set by whatever watches the
/// service's dependencies (Ingest: Kafka answers and the topics exist; Bridge: the replay
/// window is applied), read by the HTTP handler.
public final class Readiness: Sendable {
    public enum Status: Sendable, Equatable {
        case ready
        case notReady(String)
    }

    private let current: Mutex<Status>

    public init(_ initial: Status) {
        current = Mutex(initial)
    }

    public var status: Status {
        current.withLock { $0 }
    }

    /// Sets the status; returns the one it replaces (to log changes only).
    @discardableResult
    public func update(_ status: Status) -> Status {
        current.withLock { current in
            defer { current = status }
            return current
        }
    }
}
