import NIOCore

/// The ``LoopFanOut`` of each event loop of the server: a connection's subscriber is fed by
/// the fan-out of the loop its channel runs on.
struct LoopFanOuts: Sendable {
    private let byLoop: [ObjectIdentifier: LoopFanOut]

    init(group: any EventLoopGroup, metrics: BridgeMetrics) {
        var byLoop: [ObjectIdentifier: LoopFanOut] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = LoopFanOut(eventLoop: loop, metrics: metrics)
        }
        self.byLoop = byLoop
    }

    var all: Dictionary<ObjectIdentifier, LoopFanOut>.Values { byLoop.values }

    /// The fan-out of `loop`. A loop outside the group (an `EmbeddedChannel`'s, in router
    /// tests) gets one of the group's: its work then runs on that fan-out's loop.
    func fanOut(for loop: any EventLoop) -> LoopFanOut {
        byLoop[ObjectIdentifier(loop)] ?? byLoop.values.first!
    }
}
