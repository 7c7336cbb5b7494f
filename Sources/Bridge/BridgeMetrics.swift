import KafkaClient
import Metrics

/// The Bridge's metrics, created once at start with bounded labels (protocols, room kinds;
/// partitions are bounded by the topic), so no event or connection creates a metric.
final class BridgeMetrics: Sendable {
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
    let topicRecreatedRestarts = Counter(label: "callbridge_bridge_partition_restarts_total", dimensions: [("reason", "topic_recreated")])
    let offsetOutOfRangeRestarts = Counter(label: "callbridge_bridge_partition_restarts_total", dimensions: [("reason", "offset_out_of_range")])
    /// Partitions of the calls topic, as the consumer last read them.
    let topicPartitions = Gauge(label: "callbridge_bridge_topic_partitions")

    func connections(_ kind: SubscriberProtocol) -> Meter {
        switch kind {
        case .plain: plainConnections
        case .socketIO: socketIOConnections
        case .serverSentEvents: serverSentEventsConnections
        }
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
enum SubscriberProtocol: Sendable {
    /// The plain JSON protocol of `GET /ws`.
    case plain
    /// Engine.IO v4 / Socket.IO v5 of `GET /socket.io/` (WebSocket or long-polling).
    case socketIO
    /// Server-Sent Events of `GET /events`.
    case serverSentEvents
}
