import NIOCore

/// The records a ``KafkaConsumer`` reads, in order per partition.
///
/// Only one task may iterate it. The sequence applies back-pressure: when its reader falls
/// behind by ``KafkaConsumerConfiguration/maximumBufferedRecords``, the poll loop stops
/// fetching until the reader catches up. It ends when the consumer shuts down.
public struct KafkaConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerRecord

    typealias Producer = NIOAsyncSequenceProducer<
        KafkaConsumerRecord,
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        ConsumerDemand
    >

    let producer: Producer

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        public mutating func next() async -> KafkaConsumerRecord? {
            await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: producer.makeAsyncIterator())
    }
}
