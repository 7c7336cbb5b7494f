import NIOCore

/// What a ``KafkaConsumer`` reads: records, in order per partition, and in fan-out mode the
/// points where partitions start being read (``KafkaConsumerEvent``).
///
/// Only one task may iterate it. The sequence applies back-pressure: when its reader falls
/// behind by ``KafkaConsumerConfiguration/maximumBufferedRecords``, the poll loop stops
/// fetching until the reader catches up. It ends when the consumer shuts down. A reader that
/// wants only the records writes `for await case .record(let record) in consumer.events`.
public struct KafkaConsumerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerEvent

    typealias Producer = NIOAsyncSequenceProducer<
        KafkaConsumerEvent,
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        ConsumerDemand
    >

    let producer: Producer

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        public mutating func next() async -> KafkaConsumerEvent? {
            await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: producer.makeAsyncIterator())
    }
}
