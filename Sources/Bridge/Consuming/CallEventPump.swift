import CallEvents
import KafkaClient
import Logging
import ServerSupport
import ServiceLifecycle

/// Moves records from the Kafka consumer into the ``RoomHub``. It never waits on a
/// socket: the hub only encodes and hands frames to the event loops.
///
/// The consumer's partition changes come in line with the records: the topic's id sets the
/// incarnation of room positions, and partitions that started over void the positions and
/// histories of the old one (``RoomHub/startOver(_:incarnation:)``).
struct CallEventPump: Service {
    let consumer: KafkaConsumer
    let hub: RoomHub
    /// Ready once the start-up window is applied (``CatchUpMonitor``).
    let readiness: Readiness
    let metrics: BridgeMetrics
    let logger: Logger

    func run() async throws {
        var invalidLogged: ContinuousClock.Instant?
        var incarnation: UInt32 = 0
        for await item in consumer.events.cancelOnGracefulShutdown() {
            let record: KafkaConsumerRecord
            switch item {
            case .record(let value):
                record = value
            case .partitionsAssigned(let change):
                incarnation = Self.incarnation(after: change, current: incarnation)
                hub.adopt(incarnation: incarnation)
                continue
            case .partitionsRestarted(let change):
                incarnation = Self.incarnation(after: change, current: incarnation)
                metrics.partitionRestarts(change.reason).increment()
                logger.warning(
                    "partitions started over: subscribers get a fresh snapshot",
                    metadata: ["reason": "\(change.reason)", "partitions": "\(change.partitions.map(String.init).joined(separator: ","))"]
                )
                hub.startOver(change.partitions, incarnation: incarnation)
                continue
            }
            let event: CallEvent
            do {
                event = try CallEvent.decode(record.value)
            } catch {
                // Not ours to fix (another producer wrote it): count it, log now and then.
                metrics.invalidRecords.increment()
                let now = ContinuousClock.now
                if invalidLogged.map({ now - $0 > .seconds(10) }) ?? true {
                    invalidLogged = now
                    logger.warning(
                        "skipping a record that is not a call event",
                        metadata: ["partition": "\(record.partition)", "offset": "\(record.offset)", "error": "\(error)"]
                    )
                }
                continue
            }
            // Staleness is measured once the start-up window is applied: replayed events are
            // old by design.
            let live = readiness.status == .ready
            hub.publish(ConsumedEvent(
                partition: record.partition, offset: record.offset, event: event, cloudEvent: record.value,
                liveRecordMilliseconds: live ? record.timestampMilliseconds : nil
            ))
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
