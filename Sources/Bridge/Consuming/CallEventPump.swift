import CallEvents
import KafkaClient
import Logging
import NIOCore
import ServerSupport
import Synchronization

/// Applies what the Kafka consumer reads to the ``RoomHub``, on the consumer's poll thread
/// (``KafkaConsumerHandler``): each fetched batch is decoded, then published to the hub,
/// which hands each event to the event loops as soon as it is applied. Between the fetch and
/// the event loops there is no other thread or task to wait for; the hub never waits on a
/// socket.
///
/// The consumer's partition changes come in line with the records: the topic's id sets the
/// incarnation of room positions, and partitions that started over void the positions and
/// histories of the old one (``RoomHub/startOver(_:incarnation:)``).
final class CallEventPump: KafkaConsumerHandler {
    private let hub: RoomHub
    /// Ready once the start-up window is applied (``CatchUpMonitor``).
    private let readiness: Readiness
    private let metrics: BridgeMetrics
    private let logger: Logger

    private struct State {
        var incarnation: UInt32 = 0
        var invalidLogged: ContinuousClock.Instant?
    }

    /// Only the poll thread touches it, one batch at a time; the lock is never contended.
    private let state = Mutex(State())

    init(hub: RoomHub, readiness: Readiness, metrics: BridgeMetrics, logger: Logger) {
        self.hub = hub
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
    }

    func handle(_ events: [KafkaConsumerEvent]) {
        // Staleness is measured once the start-up window is applied: replayed events are
        // old by design.
        let live = readiness.status == .ready
        let fetched = live ? NIODeadline.now().uptimeNanoseconds : nil
        state.withLock { state in
            var batch: [ConsumedEvent] = []
            batch.reserveCapacity(events.count)
            for item in events {
                switch item {
                case .record(let record):
                    if let event = decode(record, fetched: fetched, state: &state) { batch.append(event) }
                case .partitionsAssigned(let change):
                    // Records before the change belong to the incarnation before it.
                    hub.publish(batch)
                    batch.removeAll(keepingCapacity: true)
                    state.incarnation = Self.incarnation(after: change, current: state.incarnation)
                    hub.adopt(incarnation: state.incarnation)
                case .partitionsRestarted(let change):
                    hub.publish(batch)
                    batch.removeAll(keepingCapacity: true)
                    state.incarnation = Self.incarnation(after: change, current: state.incarnation)
                    metrics.partitionRestarts(change.reason).increment()
                    logger.warning(
                        "partitions started over: subscribers get a fresh snapshot",
                        metadata: [
                            "reason": "\(change.reason)",
                            "partitions": "\(change.partitions.map(String.init).joined(separator: ","))",
                        ]
                    )
                    hub.startOver(change.partitions, incarnation: state.incarnation)
                }
            }
            hub.publish(batch)
        }
    }

    /// `fetched`: when the batch was taken, for a live event; nil while replaying.
    private func decode(_ record: KafkaConsumerRecord, fetched: UInt64?, state: inout State) -> ConsumedEvent? {
        do {
            return ConsumedEvent(
                partition: record.partition, offset: record.offset, event: try CallEvent.decode(record.value),
                cloudEvent: record.value,
                liveRecordMilliseconds: fetched == nil ? nil : record.timestampMilliseconds,
                liveFetchedUptimeNanoseconds: fetched
            )
        } catch {
            // Not ours to fix (another producer wrote it): count it, log now and then.
            metrics.invalidRecords.increment()
            let now = ContinuousClock.now
            if state.invalidLogged.map({ now - $0 > .seconds(10) }) ?? true {
                state.invalidLogged = now
                logger.warning(
                    "skipping a record that is not a call event",
                    metadata: ["partition": "\(record.partition)", "offset": "\(record.offset)", "error": "\(error)"]
                )
            }
            return nil
        }
    }

    /// The incarnation of room positions after `change`. Derived from what every Bridge
    /// instance sees alike, so that positions stay portable between instances: the topic's
    /// id (its first 32 bits, random in a UUID) where the broker gives one; otherwise, and for
    /// partitions that started over within one topic, the current one mixed with the
    /// partitions (an instance that did not see the same start-over then answers
    /// `recovered:false`, never a wrong resume).
    static func incarnation(after change: KafkaPartitionChange, current: UInt32) -> UInt32 {
        switch change.reason {
        case .assigned, .topicRecreated:
            if let id = change.topicID { return UInt32(truncatingIfNeeded: id.mostSignificantBits >> 32) }
            if change.reason == .assigned { return current }
        case .offsetOutOfRange:
            break
        }
        // FNV-1a over the current incarnation and the partitions.
        var hash: UInt32 = 2_166_136_261
        for value in [current] + change.partitions.map({ UInt32(bitPattern: $0) }) {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash = (hash ^ ((value >> UInt32(shift)) & 0xFF)) &* 16_777_619
            }
        }
        return hash
    }
}
