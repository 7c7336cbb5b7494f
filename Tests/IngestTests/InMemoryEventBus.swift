import KafkaClient
import ServerSupport
import ServiceLifecycle
import Synchronization

@testable import Ingest

/// An ``EventBus`` in memory: keeps the records it acknowledges, in order, and answers
/// each publish as the test tells it (acknowledge, time out, fail). Its readiness is the
/// test's to set.
final class InMemoryEventBus: EventBus {
    /// How the bus answers the next publishes.
    enum Answer: Sendable {
        case acknowledge
        /// What Kafka's producer throws when the publish timeout passes without an acknowledgement.
        case timeOut
        case fail(any Error)
    }

    let readiness: Readiness
    var services: [any Service] { [] }

    private struct State {
        var answer = Answer.acknowledge
        var records: [KafkaProducerRecord] = []
        /// Per topic, the offset of the next record.
        var offsets: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    init(readiness: Readiness.Status = .ready) {
        self.readiness = Readiness(readiness)
    }

    /// The records acknowledged so far, in order.
    var records: [KafkaProducerRecord] {
        state.withLock { $0.records }
    }

    /// The records acknowledged so far on `topic`, in order.
    func records(on topic: String) -> [KafkaProducerRecord] {
        records.filter { $0.topic == topic }
    }

    /// Sets how the next publishes are answered.
    func answer(_ answer: Answer) {
        state.withLock { $0.answer = answer }
    }

    func publish(_ record: KafkaProducerRecord) async throws -> KafkaDelivery {
        let outcome: Result<KafkaDelivery, any Error> = state.withLock { state in
            switch state.answer {
            case .acknowledge:
                let offset = state.offsets[record.topic, default: 0]
                state.offsets[record.topic] = offset + 1
                state.records.append(record)
                return .success(KafkaDelivery(topic: record.topic, partition: 0, offset: offset))
            case .timeOut:
                return .failure(
                    KafkaError(
                        code: .messageTimedOut, reason: "Local: Message timed out", isRetriable: true,
                        librdkafkaName: "_MSG_TIMED_OUT"))
            case .fail(let error):
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
