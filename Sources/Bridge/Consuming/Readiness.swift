import Synchronization

/// Whether the Bridge serves an up-to-date view: false until the replay window has been
/// consumed up to the end offsets read at start.
final class Readiness: Sendable {
    enum Status: Sendable, Equatable {
        case ready
        case notReady(String)
    }

    private let current = Mutex(Status.notReady("replaying the event window"))

    var status: Status {
        current.withLock { $0 }
    }

    func update(_ status: Status) {
        current.withLock { $0 = status }
    }
}
