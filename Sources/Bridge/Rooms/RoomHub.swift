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
final class RoomHub: Sendable {
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
    }

    private let state: Mutex<State>
    private let limits: RoomLimits
    private let metrics: BridgeMetrics

    init(limits: RoomLimits, recentEventIDs: Int = 100_000, metrics: BridgeMetrics) {
        self.limits = limits
        self.metrics = metrics
        self.state = Mutex(State(seenEventIDs: RecentEventIDs(capacity: recentEventIDs)))
    }

    /// Applies a consumed event to its rooms (`admin` and its client's) and hands it to
    /// the loops with subscribers there. A duplicate event id changes nothing.
    func publish(_ event: ConsumedEvent) {
        let now = ContinuousClock.now
        let batches = state.withLock { state -> [ObjectIdentifier: (LoopFanOut, [FanOutItem])] in
            state.consumed[event.partition] = max(state.consumed[event.partition, default: -1], event.offset)
            guard state.seenEventIDs.insert(event.event.id) else {
                metrics.duplicateEvents.increment()
                return [:]
            }
            state.sequence += 1
            let sequence = state.sequence
            let socketIOFrame = SocketIOProtocol.eventFrame(event.event)
            var batches: [ObjectIdentifier: (LoopFanOut, [FanOutItem])] = [:]
            let incarnation = state.incarnation
            for name in RoomName.rooms(forClient: event.event.data.clientId) {
                let limits = self.limits
                let plainFrame = state.rooms[name, default: Room(name: name, limits: limits, incarnation: incarnation)].record(event, now: now)
                for (id, loop) in state.rooms[name]!.subscribedLoops {
                    let item = FanOutItem(sequence: sequence, room: name, plainFrame: plainFrame, socketIOFrame: socketIOFrame)
                    batches[id, default: (loop.fanOut, [])].1.append(item)
                }
            }
            return batches
        }
        metrics.eventsConsumed.increment()
        for (fanOut, items) in batches.values {
            fanOut.enqueue(items)
        }
    }

    /// What a join sends the subscriber first, and the sequence number after which live
    /// events are its own.
    struct Join {
        var frames: [ByteBuffer]
        var joinedAfter: UInt64
        /// Bytes of `frames`, which may exceed the slow-consumer bound on their own.
        var byteCount: Int { frames.reduce(0) { $0 + $1.readableBytes } }
    }

    /// Subscribes `fanOut`'s loop to `room` and returns what to send first: for Socket.IO
    /// a `calls:snapshot`; for the plain protocol the events after `since` and `resumed`,
    /// or a snapshot (with `recovered:false` when `since` could not be honoured).
    func join(_ room: RoomName, since: RoomPosition?, protocol kind: SubscriberProtocol, fanOut: LoopFanOut) -> Join {
        let fanOutID = ObjectIdentifier(fanOut)
        let limits = self.limits
        return state.withLock { state in
            let consumed = state.consumed
            let joinedAfter = state.sequence
            let incarnation = state.incarnation
            return state.rooms.withValue(for: room, default: Room(name: room, limits: limits, incarnation: incarnation)) { entry in
                entry.subscribedLoops[fanOutID, default: (fanOut, 0)].count += 1
                let position = entry.position.encoded
                switch kind {
                case .socketIO:
                    return Join(frames: [SocketIOProtocol.snapshotFrame(room: room, calls: entry.calls)], joinedAfter: joinedAfter)
                case .plain:
                    guard let since else {
                        return Join(
                            frames: [PlainProtocol.snapshotFrame(room: room, calls: entry.calls, position: position, recovered: nil)],
                            joinedAfter: joinedAfter
                        )
                    }
                    // A position of another incarnation of the offsets, or naming offsets this
                    // instance has not consumed (it is behind), cannot be resumed from here.
                    let ahead = since.offsets.contains { partition, offset in offset > consumed[partition, default: -1] }
                    guard since.incarnation == incarnation, !ahead, let missed = entry.history.entries(after: since) else {
                        return Join(
                            frames: [PlainProtocol.snapshotFrame(room: room, calls: entry.calls, position: position, recovered: false)],
                            joinedAfter: joinedAfter
                        )
                    }
                    var frames = missed.map(\.plainFrame)
                    frames.append(PlainProtocol.resumedFrame(room: room, position: position, replayed: missed.count))
                    return Join(frames: frames, joinedAfter: joinedAfter)
                }
            }
        }
    }

    /// The incarnation of the topic's offsets, learnt when the consumer first reads it; rooms
    /// that hold no offsets yet take it as it is.
    func adopt(incarnation: UInt32) {
        state.withLock { state in
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
        let batches = state.withLock { state -> [ObjectIdentifier: (LoopFanOut, [FanOutItem])] in
            state.incarnation = incarnation
            state.startOvers += 1
            for partition in partitions { state.consumed[partition] = nil }
            state.sequence += 1
            let sequence = state.sequence
            var batches: [ObjectIdentifier: (LoopFanOut, [FanOutItem])] = [:]
            for name in Array(state.rooms.keys) {
                state.rooms[name]!.startOver(partitions, incarnation: incarnation)
                let room = state.rooms[name]!
                guard !room.subscribedLoops.isEmpty else { continue }
                let item = FanOutItem(
                    sequence: sequence,
                    room: name,
                    plainFrame: PlainProtocol.snapshotFrame(room: name, calls: room.calls, position: room.position.encoded, recovered: false),
                    socketIOFrame: SocketIOProtocol.snapshotFrame(room: name, calls: room.calls)
                )
                for (id, loop) in room.subscribedLoops {
                    batches[id, default: (loop.fanOut, [])].1.append(item)
                }
            }
            return batches
        }
        for (fanOut, items) in batches.values {
            fanOut.enqueue(items)
        }
    }

    /// How many times offsets started over (``startOver(_:incarnation:)``).
    var startOverCount: Int {
        state.withLock { $0.startOvers }
    }

    /// Removes one subscription of `fanOut`'s loop from `room`.
    func leave(_ room: RoomName, fanOut: LoopFanOut) {
        let fanOutID = ObjectIdentifier(fanOut)
        state.withLock { state in
            guard var entry = state.rooms[room]?.subscribedLoops[fanOutID] else { return }
            entry.count -= 1
            state.rooms[room]!.subscribedLoops[fanOutID] = entry.count > 0 ? entry : nil
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

/// One event for one room, ready to write: the plain protocol's frame for the room and
/// the Socket.IO frame (the same for every room).
struct FanOutItem: Sendable {
    var sequence: UInt64
    var room: RoomName
    var plainFrame: ByteBuffer
    var socketIOFrame: ByteBuffer
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
