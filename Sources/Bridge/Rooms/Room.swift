import CallEvents
import NIOCore

/// One room's state: its calls, its position, its replayable history, and who subscribes
/// to it (which event loops, so an event is handed only to those; and which protocols, so
/// an event is encoded only for those). A room knows events, not wire formats.
struct Room: Sendable {
    let name: RoomName
    var calls: RoomCalls
    var position: RoomPosition
    var history: RoomHistory
    /// Subscriber counts per event loop's fan-out.
    var subscribedLoops: [ObjectIdentifier: (fanOut: LoopFanOut, count: Int)] = [:]
    /// Subscriber counts per protocol.
    private(set) var plainSubscribers = 0
    private(set) var socketIOSubscribers = 0
    private(set) var serverSentEventsSubscribers = 0

    init(name: RoomName, limits: RoomLimits, incarnation: UInt32) {
        self.name = name
        self.position = RoomPosition(incarnation: incarnation)
        self.calls = RoomCalls(recentLimit: limits.recentCalls, activeLimit: limits.activeCalls)
        self.history = RoomHistory(maximumCount: limits.historyEvents, maximumAge: limits.historyAge)
    }

    /// Applies an event and stores it for resumes; returns the room's position after it.
    mutating func record(_ event: ConsumedEvent, now: ContinuousClock.Instant) -> String {
        calls.apply(event.event)
        position.advance(partition: event.partition, offset: event.offset)
        let encoded = position.encoded
        history.append(.init(event: event, position: encoded, storedAt: now))
        return encoded
    }

    /// Offsets start over (``RoomHub/startOver(_:)``): positions and history of the old
    /// incarnation are void; the calls stay as they are.
    mutating func startOver(_ partitions: [Int32], incarnation: UInt32) {
        position = position.startingOver(partitions, incarnation: incarnation)
        history.removeAll()
    }

    mutating func subscribe(_ fanOut: LoopFanOut, protocol kind: SubscriberProtocol) {
        subscribedLoops[ObjectIdentifier(fanOut), default: (fanOut, 0)].count += 1
        switch kind {
        case .plain: plainSubscribers += 1
        case .socketIO: socketIOSubscribers += 1
        case .serverSentEvents: serverSentEventsSubscribers += 1
        }
    }

    mutating func unsubscribe(_ fanOut: LoopFanOut, protocol kind: SubscriberProtocol) {
        let id = ObjectIdentifier(fanOut)
        guard var entry = subscribedLoops[id] else { return }
        entry.count -= 1
        subscribedLoops[id] = entry.count > 0 ? entry : nil
        switch kind {
        case .plain: plainSubscribers -= 1
        case .socketIO: socketIOSubscribers -= 1
        case .serverSentEvents: serverSentEventsSubscribers -= 1
        }
    }

    var isIdle: Bool {
        subscribedLoops.isEmpty && calls.active.isEmpty && calls.recentCount == 0 && history.entries.isEmpty
    }
}

/// Bounds of every room's state.
package struct RoomLimits: Sendable {
    /// Ended calls a snapshot shows (the contract's 20).
    var recentCalls = 20
    /// Active calls a room holds; past this the oldest is dropped.
    var activeCalls = 10_000
    /// Events kept for resumes (`since`, Socket.IO recovery).
    var historyEvents = 1000
    /// Oldest event kept for resumes.
    var historyAge: Duration = .seconds(3600)
    /// An active call older than this is dropped (its end was lost).
    var maximumCallLength: Duration = .seconds(4 * 3600)
}

/// A record of the calls topic, decoded.
package struct ConsumedEvent: Sendable {
    var partition: Int32
    var offset: Int64
    var event: CallEvent
    /// The record's value: the CloudEvent exactly as on Kafka.
    var cloudEvent: ByteBuffer
    /// The record's timestamp (ms since the epoch) when the event is live, for the staleness
    /// metrics; nil while the start-up window is replayed, or when the broker gave none.
    var liveRecordMilliseconds: Int64? = nil
    /// When the consumer's poll thread took the event's batch (monotonic clock) when the
    /// event is live, for ``BridgeMetrics/fanOut(_:)``; nil while the window is replayed.
    var liveFetchedUptimeNanoseconds: UInt64? = nil

    package init(
        partition: Int32, offset: Int64, event: CallEvent, cloudEvent: ByteBuffer,
        liveRecordMilliseconds: Int64? = nil, liveFetchedUptimeNanoseconds: UInt64? = nil
    ) {
        self.partition = partition
        self.offset = offset
        self.event = event
        self.cloudEvent = cloudEvent
        self.liveRecordMilliseconds = liveRecordMilliseconds
        self.liveFetchedUptimeNanoseconds = liveFetchedUptimeNanoseconds
    }
}
