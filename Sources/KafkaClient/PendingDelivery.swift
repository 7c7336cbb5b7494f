/// One `send` in flight: the record, how many attempts it has had, and the continuation
/// the caller waits on. Travels through librdkafka as the record's opaque pointer and is
/// completed by the delivery report, on the producer's poll thread.
final class PendingDelivery: @unchecked Sendable {
    let record: KafkaProducerRecord
    let continuation: CheckedContinuation<KafkaDelivery, any Error>
    /// Which librdkafka handle the current attempt went to (see `KafkaProducer`).
    var generation: Int
    var attempts = 1
    /// Set while in flight, so a failed attempt can be retried; cleared on completion to
    /// break the reference cycle.
    var onFailure: ((PendingDelivery, KafkaError) -> Void)?

    init(
        record: KafkaProducerRecord,
        continuation: CheckedContinuation<KafkaDelivery, any Error>,
        generation: Int,
        onFailure: @escaping (PendingDelivery, KafkaError) -> Void
    ) {
        self.record = record
        self.continuation = continuation
        self.generation = generation
        self.onFailure = onFailure
    }

    func succeed(_ delivery: KafkaDelivery) {
        onFailure = nil
        continuation.resume(returning: delivery)
    }

    func fail(_ error: KafkaError) {
        if let onFailure {
            onFailure(self, error)
        } else {
            continuation.resume(throwing: error)
        }
    }

    /// Ends the send with `error`, whatever the retry policy would say.
    func finish(throwing error: KafkaError) {
        onFailure = nil
        continuation.resume(throwing: error)
    }
}
