import NIOConcurrencyHelpers

/// One record in flight: travels through librdkafka as the record's opaque pointer and is
/// completed by its delivery report, on the producer's poll thread.
///
/// It completes either a single `send` or one slot of a `send(contentsOf:)` batch; a
/// failed attempt is first offered to the producer for a retry on a fresh handle.
final class PendingDelivery: @unchecked Sendable {
    enum Completion {
        case single(UnsafeContinuation<KafkaDelivery, any Error>)
        case batch(DeliveryBatch, index: Int)
    }

    let record: KafkaProducerRecord
    private let completion: Completion
    /// Strong on purpose: a producer with records in flight stays alive until their reports are in.
    private let producer: KafkaProducer
    /// Which librdkafka handle the current attempt went to (see `KafkaProducer`).
    var generation: Int
    var attempts = 1

    init(record: KafkaProducerRecord, completion: Completion, producer: KafkaProducer, generation: Int) {
        self.record = record
        self.completion = completion
        self.producer = producer
        self.generation = generation
    }

    func succeed(_ delivery: KafkaDelivery) {
        complete(.success(delivery))
    }

    /// An attempt failed: retried on a fresh handle if the producer's policy says so.
    func fail(_ error: KafkaError) {
        if !producer.retry(self, after: error) {
            complete(.failure(error))
        }
    }

    func complete(_ result: Result<KafkaDelivery, KafkaError>) {
        switch completion {
        case .single(let continuation):
            continuation.resume(with: result.mapError { $0 as any Error })
        case .batch(let batch, let index):
            batch.complete(index, result)
        }
    }
}

/// The results of one `send(contentsOf:)`: its caller is resumed once, when the last
/// record's report is in, instead of once per record.
final class DeliveryBatch: @unchecked Sendable {
    private var results: [Result<KafkaDelivery, KafkaError>?]
    private var remaining: Int
    private let lock = NIOLock()
    private let continuation: UnsafeContinuation<[Result<KafkaDelivery, KafkaError>], Never>

    init(count: Int, continuation: UnsafeContinuation<[Result<KafkaDelivery, KafkaError>], Never>) {
        self.results = Array(repeating: nil, count: count)
        self.remaining = count
        self.continuation = continuation
    }

    func complete(_ index: Int, _ result: Result<KafkaDelivery, KafkaError>) {
        let finished: [Result<KafkaDelivery, KafkaError>]? = lock.withLock {
            results[index] = result
            remaining -= 1
            return remaining == 0 ? results.map { $0! } : nil
        }
        if let finished { continuation.resume(returning: finished) }
    }
}
