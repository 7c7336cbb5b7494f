import CallEvents
import KafkaClient
import Logging
import ServiceLifecycle

/// Moves records from the Kafka consumer into the ``RoomHub``. It never waits on a
/// socket: the hub only encodes and hands frames to the event loops.
struct CallEventPump: Service {
    let consumer: KafkaConsumer
    let hub: RoomHub
    let metrics: BridgeMetrics
    let logger: Logger

    func run() async throws {
        var invalidLogged: ContinuousClock.Instant?
        for await record in consumer.records.cancelOnGracefulShutdown() {
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
            hub.publish(ConsumedEvent(partition: record.partition, offset: record.offset, event: event, cloudEvent: record.value))
        }
    }
}
