/// Receives what a ``KafkaConsumer`` reads directly on its poll thread, the moment a fetch
/// returns: the alternative to iterating ``KafkaConsumer/events`` for a reader whose work
/// per record is short and never waits.
///
/// A reader of ``KafkaConsumer/events`` runs on Swift's cooperative pool, so each batch
/// crosses from the poll thread to a task that must first get a pool thread; under CPU
/// contention that wait is the tail of the latency. A handler pays no such hand-off.
public protocol KafkaConsumerHandler: Sendable {
    /// Called on the consumer's poll thread, one call at a time, with records in order per
    /// partition and, in fan-out mode, the partition changes in line with them.
    ///
    /// The next fetch waits until this returns: that is the back-pressure. So it must not
    /// block on I/O or on anything that waits for other work of the same process.
    func handle(_ events: [KafkaConsumerEvent])
}
