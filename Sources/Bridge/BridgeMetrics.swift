import Foundation
import KafkaClient
import Metrics

/// The Bridge's metrics, created once at start with bounded labels (protocols, room kinds;
/// partitions are bounded by the topic), so no event or connection creates a metric.
package final class BridgeMetrics: Sendable {
    let plainConnections = Meter(label: "callbridge_bridge_connections", dimensions: [("protocol", "ws")])
    let socketIOConnections = Meter(label: "callbridge_bridge_connections", dimensions: [("protocol", "socketio")])
    let serverSentEventsConnections = Meter(label: "callbridge_bridge_connections", dimensions: [("protocol", "sse")])
    let adminSubscribers = Meter(label: "callbridge_bridge_subscribers", dimensions: [("room_kind", "admin")])
    let clientSubscribers = Meter(label: "callbridge_bridge_subscribers", dimensions: [("room_kind", "client")])
    let eventsConsumed = Counter(label: "callbridge_bridge_events_consumed_total")
    let duplicateEvents = Counter(label: "callbridge_bridge_duplicate_events_total")
    let invalidRecords = Counter(label: "callbridge_bridge_invalid_records_total")
    let framesSent = Counter(label: "callbridge_bridge_frames_sent_total")
    let slowConsumerCloses = Counter(label: "callbridge_bridge_slow_consumer_closes_total")
    let rejectedUpgrades = Counter(label: "callbridge_bridge_rejected_upgrades_total")
    let topicRecreatedRestarts = Counter(
        label: "callbridge_bridge_partition_restarts_total", dimensions: [("reason", "topic_recreated")])
    let offsetOutOfRangeRestarts = Counter(
        label: "callbridge_bridge_partition_restarts_total", dimensions: [("reason", "offset_out_of_range")])
    /// Partitions of the calls topic, as the consumer last read them.
    let topicPartitions = Gauge(label: "callbridge_bridge_topic_partitions")

    /// How stale dashboards are: seconds from a live record's timestamp to the event applied
    /// to its rooms, and to its frames handed to the sockets, per protocol (see the
    /// operations docs). A histogram with ``stalenessBuckets``.
    package static let stalenessLabel = "callbridge_bridge_event_staleness_seconds"
    package static let stalenessBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10),
        .seconds(30), .seconds(60),
    ]
    let appliedStaleness = Timer(label: stalenessLabel, dimensions: [("stage", "applied")])
    let plainWrittenStaleness = Timer(label: stalenessLabel, dimensions: [("stage", "written"), ("protocol", "ws")])
    let socketIOWrittenStaleness = Timer(
        label: stalenessLabel, dimensions: [("stage", "written"), ("protocol", "socketio")])
    let serverSentEventsWrittenStaleness = Timer(
        label: stalenessLabel, dimensions: [("stage", "written"), ("protocol", "sse")])

    /// The Bridge's own time: seconds from the consumer's poll thread taking a live event's
    /// batch from librdkafka to the event's frames handed to the sockets, per protocol. One
    /// monotonic clock, so neither Kafka nor clock skew is in it. A histogram with
    /// ``fanOutBuckets``.
    package static let fanOutLabel = "callbridge_bridge_fanout_seconds"
    package static let fanOutBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]
    let plainFanOut = Timer(label: fanOutLabel, dimensions: [("protocol", "ws")])
    let socketIOFanOut = Timer(label: fanOutLabel, dimensions: [("protocol", "socketio")])
    let serverSentEventsFanOut = Timer(label: fanOutLabel, dimensions: [("protocol", "sse")])

    package init() {}

    func connections(_ kind: SubscriberProtocol) -> Meter {
        switch kind {
        case .plain: plainConnections
        case .socketIO: socketIOConnections
        case .serverSentEvents: serverSentEventsConnections
        }
    }

    func writtenStaleness(_ kind: SubscriberProtocol) -> Timer {
        switch kind {
        case .plain: plainWrittenStaleness
        case .socketIO: socketIOWrittenStaleness
        case .serverSentEvents: serverSentEventsWrittenStaleness
        }
    }

    func fanOut(_ kind: SubscriberProtocol) -> Timer {
        switch kind {
        case .plain: plainFanOut
        case .socketIO: socketIOFanOut
        case .serverSentEvents: serverSentEventsFanOut
        }
    }

    /// Nanoseconds since the epoch, by the wall clock: record timestamps are wall-clock
    /// times (the producer's or the broker's), so staleness includes any skew between hosts.
    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// `now` minus a record's timestamp, in nanoseconds; 0 when the record looks newer
    /// (clock skew).
    static func staleness(sinceRecordMilliseconds recorded: Int64, now: Int64) -> Int64 {
        max(0, now - recorded * 1_000_000)
    }

    func subscribers(_ room: RoomName) -> Meter {
        switch room {
        case .admin: adminSubscribers
        case .client: clientSubscribers
        }
    }

    /// Times the consumer started partitions over, by why.
    func partitionRestarts(_ reason: KafkaPartitionChange.Reason) -> Counter {
        switch reason {
        case .topicRecreated: topicRecreatedRestarts
        case .offsetOutOfRange, .assigned: offsetOutOfRangeRestarts
        }
    }

    /// Records behind the end of a partition (one gauge per partition).
    func consumerLag(partition: Int32) -> Gauge {
        Gauge(label: "callbridge_bridge_consumer_lag", dimensions: [("partition", String(partition))])
    }
}

/// The protocols a subscriber can speak.
package enum SubscriberProtocol: Sendable, CaseIterable {
    /// The plain JSON protocol of `GET /ws`.
    case plain
    /// Engine.IO v4 / Socket.IO v5 of `GET /socket.io/` (WebSocket or long-polling).
    case socketIO
    /// Server-Sent Events of `GET /events`.
    case serverSentEvents

    /// A bit of its own, for sets of protocols kept in a byte.
    var bit: UInt8 {
        switch self {
        case .plain: 1
        case .socketIO: 2
        case .serverSentEvents: 4
        }
    }
}
