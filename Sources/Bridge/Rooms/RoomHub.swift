import CallEvents
import Foundation
import NIOCore
import Synchronization

/// Every room's state, and the hand-off of events to the event loops whose connections
/// subscribe to them.
///
/// One lock orders everything: applying an event (state, history, sequence number) and
/// joining a room (snapshot or replay, then membership) never interleave, so a joining
/// subscriber gets every event exactly once, either in what the join returns or live.
/// Live delivery carries the sequence number, and a subscription ignores events numbered
/// at or below the one it joined after. The lock is never held while writing to a socket:
/// frames are encoded under it and handed to the event loops after it is released.
package final class RoomHub: Sendable {
    private struct State {
        var rooms: [RoomName: Room] = [:]
        /// Per partition, the highest offset applied.
        var consumed: [Int32: Int64] = [:]
        var sequence: UInt64 = 0
        var seenEventIDs: RecentEventIDs
        /// Which incarnation of the topic's offsets the positions speak of (``RoomPosition``).
        var incarnation: UInt32 = 0
        /// How many times offsets started over.
        var startOvers = 0
        /// Whether the consumer has been assigned the topic (and so knows its incarnation).
        var assigned = false
    }

    private let state: Mutex<State>
    private let limits: RoomLimits
    private let metrics: BridgeMetrics

    package init(limits: RoomLimits, recentEventIDs: Int = 100_000, metrics: BridgeMetrics) {
        self.limits = limits
        self.metrics = metrics
        self.state = Mutex(State(seenEventIDs: RecentEventIDs(capacity: recentEventIDs)))
    }

    /// Applies consumed events, in order, to their rooms (`admin` and each one's client's)
    /// and hands each event to the event loops with subscribers there as soon as it is
    /// applied: a loop starts writing the first events of a fetched batch while the rest are
    /// still being applied, and one that is busy takes what arrived meanwhile in one drain.
    /// A duplicate event id changes nothing.
    package func publish(_ events: [ConsumedEvent]) {
        guard !events.isEmpty else { return }
        let now = ContinuousClock.now
        var handOffs: [(LoopFanOut, FanOutItem)] = []  // reused: no allocation per event
        for event in events {
            state.withLock { state in
                apply(event, now: now, state: &state, into: &handOffs)
            }
            for (fanOut, item) in handOffs {
                fanOut.enqueue(item)
            }
            handOffs.removeAll(keepingCapacity: true)
        }
        metrics.eventsConsumed.increment(by: Int64(events.count))
        var wallClock: Int64?  // read once per batch
        for event in events {
            guard let recorded = event.liveRecordMilliseconds else { continue }
            let now = wallClock ?? BridgeMetrics.wallClockNanoseconds()
            wallClock = now
            metrics.appliedStaleness.recordNanoseconds(
                BridgeMetrics.staleness(sinceRecordMilliseconds: recorded, now: now))
        }
    }

    private func apply(
        _ event: ConsumedEvent, now: ContinuousClock.Instant, state: inout State,
        into handOffs: inout [(LoopFanOut, FanOutItem)]
    ) {
        state.consumed[event.partition] = max(state.consumed[event.partition, default: -1], event.offset)
        guard state.seenEventIDs.insert(event.event.id) else {
            metrics.duplicateEvents.increment()
            return
        }
        state.sequence += 1
        let sequence = state.sequence
        let incarnation = state.incarnation
        let limits = self.limits
        for name in RoomName.rooms(forClient: event.event.data.clientId) {
            state.rooms.withValue(for: name, default: Room(name: name, limits: limits, incarnation: incarnation)) {
                room in
                let position = room.record(event, now: now)
                guard !room.subscribedLoops.isEmpty else { return }
                // Encoded once per room, for the protocols spoken there; every subscriber gets the
                // same bytes. SSE carries the plain protocol's message.
                let plainFrame =
                    room.plainSubscribers > 0 || room.serverSentEventsSubscribers > 0
                    ? PlainProtocol.eventFrame(room: name, position: position, cloudEvent: event.cloudEvent) : nil
                let item = FanOutItem(
                    sequence: sequence,
                    room: name,
                    position: position,
                    plainFrame: plainFrame,
                    socketIOFrame: room.socketIOSubscribers > 0
                        ? SocketIOProtocol.eventFrame(event.event, position: position) : nil,
                    serverSentEventsFrame: room.serverSentEventsSubscribers > 0
                        ? ServerSentEventsProtocol.eventFrame(event.event.type, plainFrame: plainFrame!) : nil,
                    liveRecordMilliseconds: event.liveRecordMilliseconds,
                    liveFetchedUptimeNanoseconds: event.liveFetchedUptimeNanoseconds
                )
                for loop in room.subscribedLoops.values {
                    handOffs.append((loop.fanOut, item))
                }
            }
        }
    }

    /// What a join sends the subscriber first, and the sequence number after which live
    /// events are its own.
    package struct Join {
        var frames: [ByteBuffer]
        var joinedAfter: UInt64
        /// The room's position when joined.
        var position: String
        /// Whether the `since` given was honoured (nil: none was given).
        var recovered: Bool?
        /// The room's position after each frame of `frames` (what a stream's id names).
        var framePositions: [String] = []
        /// Bytes of `frames`, which may exceed the slow-consumer bound on their own.
        var byteCount: Int { frames.reduce(0) { $0 + $1.readableBytes } }
    }

    /// Subscribes `fanOut`'s loop to `room` and returns what to send first: the events after
    /// `since` when it can be honoured (for the plain protocol followed by `resumed`), else
    /// a snapshot (with `recovered:false` in the plain protocol when `since` was given).
    package func join(
        _ room: RoomName, since: RoomPosition?, protocol kind: SubscriberProtocol, fanOut: LoopFanOut
    ) -> Join {
        let limits = self.limits
        return state.withLock { state in
            let consumed = state.consumed
            let joinedAfter = state.sequence
            let incarnation = state.incarnation
            return state.rooms.withValue(for: room, default: Room(name: room, limits: limits, incarnation: incarnation))
            { entry in
                entry.subscribe(fanOut, protocol: kind)
                let position = entry.position.encoded
                let missed = since.flatMap {
                    Self.replay(of: entry, after: $0, consumed: consumed, incarnation: incarnation)
                }
                let frames: [ByteBuffer]
                switch (kind, missed) {
                case (.plain, let missed?):
                    frames =
                        missed.map {
                            PlainProtocol.eventFrame(room: room, position: $0.position, cloudEvent: $0.event.cloudEvent)
                        }
                        + [PlainProtocol.resumedFrame(room: room, position: position, replayed: missed.count)]
                case (.plain, nil):
                    let recovered: Bool? = since == nil ? nil : false
                    frames = [
                        PlainProtocol.snapshotFrame(
                            room: room, calls: entry.calls, position: position, recovered: recovered)
                    ]
                case (.socketIO, let missed?):
                    frames = missed.map { SocketIOProtocol.eventFrame($0.event.event, position: $0.position) }
                case (.socketIO, nil):
                    frames = [SocketIOProtocol.snapshotFrame(room: room, calls: entry.calls, position: position)]
                case (.serverSentEvents, let missed?):
                    frames = missed.map {
                        ServerSentEventsProtocol.eventFrame(
                            $0.event.event.type,
                            plainFrame: PlainProtocol.eventFrame(
                                room: room, position: $0.position, cloudEvent: $0.event.cloudEvent)
                        )
                    }
                    return Join(
                        frames: frames, joinedAfter: joinedAfter, position: position, recovered: true,
                        framePositions: missed.map(\.position)
                    )
                case (.serverSentEvents, nil):
                    let recovered: Bool? = since == nil ? nil : false
                    frames = [
                        ServerSentEventsProtocol.snapshotFrame(
                            plainFrame: PlainProtocol.snapshotFrame(
                                room: room, calls: entry.calls, position: position, recovered: recovered)
                        )
                    ]
                    return Join(
                        frames: frames, joinedAfter: joinedAfter, position: position, recovered: recovered,
                        framePositions: [position])
                }
                return Join(
                    frames: frames, joinedAfter: joinedAfter, position: position,
                    recovered: since == nil ? nil : missed != nil)
            }
        }
    }

    /// Whether this instance may not have consumed what `position` names yet: it has not been
    /// assigned the topic (it is starting), or the position names offsets of the current
    /// incarnation beyond what it consumed (it is behind the instance that issued it).
    func isBehind(_ position: RoomPosition) -> Bool {
        state.withLock { state in
            guard state.assigned else { return true }
            return position.incarnation == state.incarnation
                && position.offsets.contains { partition, offset in offset > state.consumed[partition, default: -1] }
        }
    }

    /// The room's events after `since`, or nil when they cannot be told exactly: a position
    /// of another incarnation of the offsets, one naming offsets this instance has not
    /// consumed (it is behind), or one older than the history held.
    private static func replay(
        of room: Room, after since: RoomPosition, consumed: [Int32: Int64], incarnation: UInt32
    ) -> [RoomHistory.Entry]? {
        let ahead = since.offsets.contains { partition, offset in offset > consumed[partition, default: -1] }
        guard since.incarnation == incarnation, !ahead else { return nil }
        return room.history.entries(after: since)
    }

    /// The incarnation of the topic's offsets, learnt when the consumer first reads it; rooms
    /// that hold no offsets yet take it as it is.
    func adopt(incarnation: UInt32) {
        state.withLock { state in
            state.assigned = true
            guard state.incarnation != incarnation else { return }
            state.incarnation = incarnation
            for name in Array(state.rooms.keys) {
                state.rooms[name]!.startOver([], incarnation: incarnation)
            }
        }
    }

    /// Offsets started over: the topic was re-created, or the broker no longer holds what the
    /// consumer was reading. Every position and history entry of the old incarnation is void,
    /// so every subscriber gets a fresh snapshot (`recovered:false` in the plain protocol)
    /// with a position of the new one; the calls stay. Records read again after this that
    /// were already applied are dropped as duplicates by their event id.
    func startOver(_ partitions: [Int32], incarnation: UInt32) {
        let handOffs = state.withLock { state -> [(LoopFanOut, FanOutItem)] in
            state.incarnation = incarnation
            state.assigned = true
            state.startOvers += 1
            for partition in partitions { state.consumed[partition] = nil }
            state.sequence += 1
            let sequence = state.sequence
            var handOffs: [(LoopFanOut, FanOutItem)] = []
            for name in Array(state.rooms.keys) {
                state.rooms[name]!.startOver(partitions, incarnation: incarnation)
                let room = state.rooms[name]!
                guard !room.subscribedLoops.isEmpty else { continue }
                let position = room.position.encoded
                let item = FanOutItem(
                    sequence: sequence,
                    room: name,
                    position: position,
                    plainFrame: room.plainSubscribers > 0
                        ? PlainProtocol.snapshotFrame(
                            room: name, calls: room.calls, position: position, recovered: false) : nil,
                    socketIOFrame: room.socketIOSubscribers > 0
                        ? SocketIOProtocol.snapshotFrame(room: name, calls: room.calls, position: position) : nil,
                    serverSentEventsFrame: room.serverSentEventsSubscribers > 0
                        ? ServerSentEventsProtocol.snapshotFrame(
                            plainFrame: PlainProtocol.snapshotFrame(
                                room: name, calls: room.calls, position: position, recovered: false)
                        ) : nil
                )
                for loop in room.subscribedLoops.values {
                    handOffs.append((loop.fanOut, item))
                }
            }
            return handOffs
        }
        for (fanOut, item) in handOffs {
            fanOut.enqueue(item)
        }
    }

    /// How many times offsets started over (``startOver(_:incarnation:)``).
    var startOverCount: Int {
        state.withLock { $0.startOvers }
    }

    /// Removes one subscription of `fanOut`'s loop from `room`.
    func leave(_ room: RoomName, protocol kind: SubscriberProtocol, fanOut: LoopFanOut) {
        state.withLock { state in
            guard state.rooms[room] != nil else { return }
            state.rooms[room]!.unsubscribe(fanOut, protocol: kind)
            if state.rooms[room]!.isIdle { state.rooms[room] = nil }
        }
    }

    /// Drops expired active calls and history past its age, in every room.
    func maintain(now: Date = Date(), instant: ContinuousClock.Instant = .now) {
        let maximumLength = TimeInterval(limits.maximumCallLength.components.seconds)
        state.withLock { state in
            for name in Array(state.rooms.keys) {
                state.rooms[name]!.calls.expire(now: now, maximumLength: maximumLength)
                state.rooms[name]!.history.trim(now: instant)
                if state.rooms[name]!.isIdle { state.rooms[name] = nil }
            }
        }
    }

    /// Per partition, the highest offset applied so far.
    var consumedOffsets: [Int32: Int64] {
        state.withLock { $0.consumed }
    }

    /// The calls a room shows now (for tests and diagnostics).
    func calls(in room: RoomName) -> RoomCalls? {
        state.withLock { $0.rooms[room]?.calls }
    }
}

/// One event for one room, ready to write: its frame in each protocol spoken in the room
/// (nil for a protocol with no subscriber there when it was published).
struct FanOutItem: Sendable {
    var sequence: UInt64
    var room: RoomName
    /// The room's position after the event.
    var position: String
    var plainFrame: ByteBuffer?
    var socketIOFrame: ByteBuffer?
    var serverSentEventsFrame: ByteBuffer?
    /// ``ConsumedEvent/liveRecordMilliseconds``: the written staleness is measured from it.
    var liveRecordMilliseconds: Int64? = nil
    /// ``ConsumedEvent/liveFetchedUptimeNanoseconds``: the fan-out time is measured from it.
    var liveFetchedUptimeNanoseconds: UInt64? = nil

    func frame(for kind: SubscriberProtocol) -> ByteBuffer? {
        switch kind {
        case .plain: plainFrame
        case .socketIO: socketIOFrame
        case .serverSentEvents: serverSentEventsFrame
        }
    }
}

extension Dictionary {
    /// Runs `body` on the value for `key` (inserting `defaultValue` first if missing) in
    /// place: no copy of the value, unlike reading it out and writing it back.
    fileprivate mutating func withValue<Result>(
        for key: Key,
        default defaultValue: @autoclosure () -> Value,
        _ body: (inout Value) -> Result
    ) -> Result {
        body(&self[key, default: defaultValue()])
    }
}
