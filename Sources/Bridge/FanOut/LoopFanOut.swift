import NIOConcurrencyHelpers
import NIOCore

/// The subscribers whose channels live on one event loop, and the delivery of events to them.
///
/// Fan-out costs one hand-off per event loop, not one per subscriber: the hub enqueues an
/// event's frames here from the consumer's poll thread; the loop then writes the same
/// buffers to each of its subscribers and flushes each channel once per batch. Events that
/// arrive while a batch is pending join it, so a busy loop batches more.
///
/// Everything except ``enqueue(_:)`` runs on ``eventLoop`` only.
package final class LoopFanOut: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let metrics: BridgeMetrics

    private struct Inbox {
        var items: [FanOutItem] = []
        var drainScheduled = false
    }

    /// Written from the hub's thread, drained on the loop.
    private let inbox = NIOLockedValueBox(Inbox())

    // Loop-confined state. The buffers are kept between drains, so a drain allocates nothing.
    private var draining: [FanOutItem] = []
    /// Connections written to in the current drain, flushed once at its end.
    private var unflushed: [Subscriber] = []
    private var connections: [ObjectIdentifier: Subscriber] = [:]
    private var members: [RoomName: [ObjectIdentifier: Membership]] = [:]
    private var heartbeat: RepeatedTask?

    private struct Membership {
        let connection: Subscriber
        /// Events numbered at or below this reached the subscriber when it joined.
        let joinedAfter: UInt64
    }

    package init(eventLoop: any EventLoop, metrics: BridgeMetrics) {
        self.eventLoop = eventLoop
        self.metrics = metrics
    }

    // MARK: Delivery

    /// Hands an event's frames for one room to this loop. Any thread; never blocks on a socket.
    func enqueue(_ item: FanOutItem) {
        let mustSchedule = inbox.withLockedValue { inbox in
            inbox.items.append(item)
            defer { inbox.drainScheduled = true }
            return !inbox.drainScheduled
        }
        if mustSchedule {
            eventLoop.execute { self.drain() }
        }
    }

    private func drain() {
        // The inbox and `draining` swap buffers, so that neither is reallocated per drain.
        inbox.withLockedValue { inbox in
            swap(&inbox.items, &draining)
            inbox.drainScheduled = false
        }
        defer { draining.removeAll(keepingCapacity: true) }
        var frames = 0
        for item in draining {
            guard let subscribers = members[item.room] else { continue }
            var protocolsWritten: UInt8 = 0  // SubscriberProtocol.bit of each; no allocation per item
            for membership in subscribers.values where item.sequence > membership.joinedAfter {
                let connection = membership.connection
                guard connection.write(item) else { continue }
                frames += 1
                protocolsWritten |= connection.kind.bit
                if !connection.hasUnflushedWrites {
                    connection.hasUnflushedWrites = true
                    unflushed.append(connection)
                }
            }
            if protocolsWritten != 0, item.liveRecordMilliseconds != nil || item.liveFetchedUptimeNanoseconds != nil {
                writtenLive.append(
                    WrittenLiveItem(
                        recordMilliseconds: item.liveRecordMilliseconds,
                        fetchedUptimeNanoseconds: item.liveFetchedUptimeNanoseconds,
                        protocols: protocolsWritten
                    ))
            }
        }
        for connection in unflushed {
            connection.flushWrites()
        }
        unflushed.removeAll(keepingCapacity: true)
        if frames > 0 { metrics.framesSent.increment(by: Int64(frames)) }
        if !writtenLive.isEmpty { recordTimes() }
    }

    /// A live item written in the current drain: when it was recorded and fetched, and the
    /// protocols it was written in on this loop (``SubscriberProtocol/bit``).
    private struct WrittenLiveItem {
        var recordMilliseconds: Int64?
        var fetchedUptimeNanoseconds: UInt64?
        var protocols: UInt8
    }

    /// Loop-confined, kept between drains.
    private var writtenLive: [WrittenLiveItem] = []

    /// Once the drain's writes are flushed: record timestamp → written (staleness) and poll
    /// thread → written (the Bridge's own time), once per live item and protocol written, with
    /// each clock read once per drain.
    private func recordTimes() {
        let wallClock = BridgeMetrics.wallClockNanoseconds()
        let uptime = NIODeadline.now().uptimeNanoseconds
        for item in writtenLive {
            for kind in SubscriberProtocol.allCases where item.protocols & kind.bit != 0 {
                if let recorded = item.recordMilliseconds {
                    metrics.writtenStaleness(kind).recordNanoseconds(
                        BridgeMetrics.staleness(sinceRecordMilliseconds: recorded, now: wallClock))
                }
                if let fetched = item.fetchedUptimeNanoseconds {
                    metrics.fanOut(kind).recordNanoseconds(Int64(truncatingIfNeeded: uptime &- min(fetched, uptime)))
                }
            }
        }
        writtenLive.removeAll(keepingCapacity: true)
    }

    // MARK: Membership (on the loop)

    func register(_ connection: Subscriber) {
        eventLoop.preconditionInEventLoop()
        connections[ObjectIdentifier(connection)] = connection
    }

    func unregister(_ connection: Subscriber) {
        eventLoop.preconditionInEventLoop()
        connections[ObjectIdentifier(connection)] = nil
    }

    func addMember(_ connection: Subscriber, room: RoomName, joinedAfter: UInt64) {
        eventLoop.preconditionInEventLoop()
        members[room, default: [:]][ObjectIdentifier(connection)] = Membership(
            connection: connection, joinedAfter: joinedAfter)
    }

    func removeMember(_ connection: Subscriber, room: RoomName) {
        eventLoop.preconditionInEventLoop()
        members[room]?[ObjectIdentifier(connection)] = nil
        if members[room]?.isEmpty == true { members[room] = nil }
    }

    // MARK: Heartbeats and shutdown

    /// Starts the loop's heartbeat: once per `tick`, every connection checks its pings.
    func startHeartbeat(tick: TimeAmount) {
        eventLoop.execute {
            self.heartbeat = self.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
                let now = self.eventLoop.now
                for connection in self.connections.values {
                    connection.heartbeat(now: now)
                }
            }
        }
    }

    /// Closes every connection with `code` and completes when they are all closed.
    func closeAll(code: UInt16, reason: String) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.heartbeat?.cancel()
            self.heartbeat = nil
            let closed = self.connections.values.map { $0.close(code: code, reason: reason) }
            return EventLoopFuture.andAllComplete(closed, on: self.eventLoop)
        }
    }
}
