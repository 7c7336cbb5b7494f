import CallEvents
import NIOCore

/// One room's state: its calls, its position, its replayable history, and which event
/// loops have subscribers in it (so an event is handed only to those loops).
struct Room: Sendable {
    let name: RoomName
    var calls: RoomCalls
    var position: RoomPosition
    var history: RoomHistory
    /// Subscriber counts per event loop's fan-out.
    var subscribedLoops: [ObjectIdentifier: (fanOut: LoopFanOut, count: Int)] = [:]

    init(name: RoomName, limits: RoomLimits, incarnation: UInt32) {
        self.name = name
        self.position = RoomPosition(incarnation: incarnation)
        self.calls = RoomCalls(recentLimit: limits.recentCalls, activeLimit: limits.activeCalls)
        self.history = RoomHistory(maximumCount: limits.historyEvents, maximumAge: limits.historyAge)
    }

    /// Applies an event and stores it for resumes; returns its plain-protocol frame.
    mutating func record(_ event: ConsumedEvent, now: ContinuousClock.Instant) -> ByteBuffer {
        calls.apply(event.event)
        position.advance(partition: event.partition, offset: event.offset)
        let frame = PlainProtocol.eventFrame(room: name, position: position.encoded, cloudEvent: event.cloudEvent)
        history.append(.init(partition: event.partition, offset: event.offset, storedAt: now, plainFrame: frame))
        return frame
    }

    /// Offsets start over (``RoomHub/startOver(_:)``): positions and history of the old
    /// incarnation are void; the calls stay as they are.
    mutating func startOver(_ partitions: [Int32], incarnation: UInt32) {
        position = position.startingOver(partitions, incarnation: incarnation)
        history.removeAll()
    }

    var isIdle: Bool {
        subscribedLoops.isEmpty && calls.active.isEmpty && calls.recentCount == 0 && history.entries.isEmpty
    }
}

/// Bounds of every room's state.
struct RoomLimits: Sendable {
    /// Ended calls a snapshot shows (the contract's 20).
    var recentCalls = 20
    /// Active calls a room holds; past this the oldest is dropped.
    var activeCalls = 10_000
    /// Events kept for `since` resumes.
    var historyEvents = 1000
    /// Oldest event kept for `since` resumes.
    var historyAge: Duration = .seconds(3600)
    /// An active call older than this is dropped (its end was lost).
    var maximumCallLength: Duration = .seconds(4 * 3600)
}

/// A record of the calls topic, decoded.
struct ConsumedEvent: Sendable {
    var partition: Int32
    var offset: Int64
    var event: CallEvent
    /// The record's value: the CloudEvent exactly as on Kafka.
    var cloudEvent: ByteBuffer
}
