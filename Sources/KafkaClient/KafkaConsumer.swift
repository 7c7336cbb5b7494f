import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Reads records from Kafka, handing them either to an AsyncSequence (``events``) or, on
/// the poll thread itself, to a ``KafkaConsumerHandler``.
///
/// Two modes (``KafkaConsumerConfiguration/Mode``): a consumer group, whose members share
/// partitions and commit offsets; or fan-out, where every partition of a topic is assigned
/// to this instance with no group, so every instance sees every record.
///
/// The consumer is a ServiceLifecycle `Service`: ``run()`` drives librdkafka's poll loop on
/// a dedicated thread until graceful shutdown, then ends ``events``. Broker restarts need
/// nothing from the caller: librdkafka reconnects, and in fan-out mode partitions that
/// appear are picked up, and partitions whose offsets started over (the topic was
/// re-created, retention deleted unread records) are read again from their start, with a
/// ``KafkaConsumerEvent/partitionsRestarted(_:)`` in line with the records.
public final class KafkaConsumer: Service, Sendable {
    /// The records, in order per partition, and in fan-out mode the partition changes in
    /// line with them. Iterate it from one task. A consumer made with a
    /// ``KafkaConsumerHandler`` hands everything to the handler: its sequence ends at once.
    public let events: KafkaConsumerEvents

    private let client: RdKafkaClient
    private let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    private let source: KafkaConsumerEvents.Producer.Source
    private let demand = ConsumerDemand()
    private let handler: (any KafkaConsumerHandler)?
    private let pollThread = PollThread(name: "kafka-consumer")
    private let loop: Mutex<PollLoopState>

    /// State only the poll thread touches (behind a lock to keep the type Sendable).
    private struct PollLoopState {
        var assignment: FanOutAssignment?
        var lastLoggedError: (text: String, at: ContinuousClock.Instant)?
    }

    /// A consumer whose reader iterates ``events``.
    public convenience init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        try self.init(configuration: configuration, handler: nil, logger: logger)
    }

    /// A consumer that hands everything it reads to `handler` on its poll thread
    /// (``KafkaConsumerHandler``); ``events`` ends at once.
    public convenience init(
        configuration: KafkaConsumerConfiguration, handler: some KafkaConsumerHandler, logger: Logger
    ) throws {
        try self.init(configuration: configuration, handler: Optional(handler), logger: logger)
    }

    private init(configuration: KafkaConsumerConfiguration, handler: (any KafkaConsumerHandler)?, logger: Logger) throws
    {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.client = try RdKafkaClient.make(
            kind: .consumer,
            properties: configuration.librdkafkaProperties,
            logger: logger
        )
        let highWatermark = max(2, configuration.maximumBufferedRecords)
        let sequence = KafkaConsumerEvents.Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: highWatermark / 2, highWatermark: highWatermark),
            finishOnDeinit: true,
            delegate: demand
        )
        self.source = sequence.source
        self.events = KafkaConsumerEvents(producer: sequence.sequence)
        if handler != nil { source.finish() }
        if case .fanOut(let topic, let start) = configuration.mode {
            loop = Mutex(PollLoopState(assignment: FanOutAssignment(topic: topic, start: start)))
        } else {
            loop = Mutex(PollLoopState(assignment: nil))
        }
    }

    /// Polls until graceful shutdown or cancellation, then closes the consumer and ends ``events``.
    public func run() async throws {
        if case .group(_, let topics, _) = configuration.mode {
            try client.subscribe(topics: topics)
        }
        client.redirectMainQueueToConsumer()
        pollThread.start { [self] in pollOnce() }
        try? await gracefulShutdown()
        await pollThread.stop()
        source.finish()
        _ = try? await runBlocking { [client] in client.closeConsumer() }
        logger.debug("kafka consumer stopped")
    }

    /// Fan-out mode: how far each assigned partition has been read, from librdkafka's
    /// local state (no network round trip); empty before the first assignment and in group mode.
    public func progress() -> [KafkaPartitionProgress] {
        let (topic, partitions, skipped) = loop.withLock { state in
            (
                state.assignment?.topic ?? "", state.assignment.map { Array($0.assigned) } ?? [],
                state.assignment?.skippedThrough ?? [:]
            )
        }
        return client.cachedProgress(topic: topic, partitions: partitions)
            .map {
                KafkaPartitionProgress(
                    partition: $0.key, position: $0.value.position, endOffset: $0.value.end,
                    skippedThrough: skipped[$0.key]
                )
            }
            .sorted { $0.partition < $1.partition }
    }

    /// One turn of the poll thread: keep the fan-out assignment current, then fetch a batch.
    private func pollOnce() {
        let now = ContinuousClock.now
        let changes = loop.withLock { state -> [KafkaConsumerEvent] in
            guard var assignment = state.assignment, assignment.isDue(at: now) else { return [] }
            defer { state.assignment = assignment }
            return assignment.refresh(
                client: client, logger: logger, now: now, interval: configuration.partitionDiscoveryInterval)
        }
        // Changes go ahead of every record fetched after them.
        if !changes.isEmpty { deliver(changes) }

        // A handler's back-pressure is the call itself: the next fetch waits for it.
        guard handler != nil || demand.wait(timeoutSeconds: 0.1) else { return }
        let fetched = client.consume(maximumRecords: configuration.maximumBatchSize, timeoutMilliseconds: 100)
        if !fetched.errors.isEmpty { log(fetched.errors, now: now) }

        let records = loop.withLock { state -> [KafkaConsumerRecord] in
            guard var assignment = state.assignment else { return fetched.records }
            defer { state.assignment = assignment }
            if !fetched.outOfRange.isEmpty { assignment.offsetsOutOfRange(fetched.outOfRange, now: now) }
            if fetched.lostConnection { assignment.connectionLost(now: now) }
            return fetched.records.isEmpty ? [] : assignment.accept(fetched.records)
        }
        guard !records.isEmpty else { return }
        deliver(records.map(KafkaConsumerEvent.record))
    }

    private func deliver(_ events: [KafkaConsumerEvent]) {
        if let handler {
            handler.handle(events)
        } else {
            demand.beforeYield()
            demand.afterYield(source.yield(contentsOf: events))
        }
    }

    /// Consumer errors repeat for as long as their cause lasts (a broker that is down):
    /// log each distinct one, and a repeat at most every 10 s.
    private func log(_ errors: [KafkaError], now: ContinuousClock.Instant) {
        loop.withLock { state in
            for error in errors {
                let text = error.description
                if let last = state.lastLoggedError, last.text == text, now - last.at < .seconds(10) { continue }
                state.lastLoggedError = (text, now)
                logger.warning("kafka consumer error", metadata: ["error": "\(text)"])
            }
        }
    }
}
