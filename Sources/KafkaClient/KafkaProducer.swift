import Logging
import ServiceLifecycle
import Synchronization

/// Publishes records to Kafka; each ``send(_:)`` returns once the broker acknowledged the
/// record (`acks=all`, idempotent producer) or fails with a ``KafkaError``.
///
/// The producer is a ServiceLifecycle `Service`: add it to the executable's `ServiceGroup`
/// (or call ``run()`` in a task). ``run()`` drives librdkafka's poll loop on a dedicated
/// thread, which is what completes sends, and on graceful shutdown stops accepting sends
/// and flushes what is in flight before returning. Sends made before ``run()`` starts wait
/// for it.
///
/// Many concurrent sends are batched together by librdkafka (see
/// ``KafkaProducerConfiguration/linger``).
///
/// ## Recovery
/// An idempotent producer is tied to a producer id the broker issued. If the broker
/// forgets it (a broker that keeps its state in memory restarted) or librdkafka reports a
/// fatal error, the librdkafka handle can never deliver again. So each send gets up to two
/// attempts of half the delivery timeout each: when the first fails with a retriable or
/// fatal error, the handle is replaced by a fresh one (a new producer id) and the record is
/// sent again there. The old handle is polled until its last reports are in, then destroyed.
/// A record retried this way may be stored twice, if the first attempt reached the broker
/// but its acknowledgement did not come back; consumers deduplicate by event id.
public final class KafkaProducer: Service, Sendable {
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let pollThread = PollThread(name: "kafka-producer")
    private let accepting = Atomic<Bool>(true)
    private let clients: Mutex<Clients>

    /// The librdkafka handle sends go to, and replaced ones still draining.
    private struct Clients {
        var current: RdKafkaClient
        var generation: Int
        var retired: [RdKafkaClient]
    }

    /// Creates the producer. It connects lazily: a broker that is down is not an error here,
    /// sends then fail after ``KafkaProducerConfiguration/deliveryTimeout``.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let client = try Self.makeClient(configuration: configuration, logger: logger)
        self.clients = Mutex(Clients(current: client, generation: 0, retired: []))
    }

    private static func makeClient(
        configuration: KafkaProducerConfiguration, logger: Logger
    ) throws(KafkaError) -> RdKafkaClient {
        try RdKafkaClient.make(kind: .producer, properties: configuration.librdkafkaProperties, logger: logger)
    }

    /// Publishes `record` and returns where the broker stored it.
    ///
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/messageTimedOut`` when the broker did not
    ///   acknowledge within the delivery timeout, ``KafkaError/Code/queueFull`` when too many
    ///   records are outstanding, ``KafkaError/Code/shutdown`` after shutdown began.
    public func send(_ record: KafkaProducerRecord) async throws -> KafkaDelivery {
        try check(record)
        let (client, generation) = currentClient()
        return try await withUnsafeThrowingContinuation { continuation in
            hand(
                PendingDelivery(
                    record: record, completion: .single(continuation), producer: self, generation: generation),
                to: client)
        }
    }

    /// Publishes `records` and returns each one's outcome, in the same order, once all are
    /// acknowledged or failed.
    ///
    /// Cheaper than one ``send(_:)`` per record when a caller has many records at hand:
    /// the caller is suspended and resumed once for the whole batch. Each record is
    /// delivered (and retried) on its own, so some may fail while others succeed.
    public func send(contentsOf records: [KafkaProducerRecord]) async -> [Result<KafkaDelivery, KafkaError>] {
        guard !records.isEmpty else { return [] }
        for record in records {
            do throws(KafkaError) {
                try check(record)
            } catch {
                return records.map { _ in .failure(error) }
            }
        }
        let (client, generation) = currentClient()
        return await withUnsafeContinuation { continuation in
            let batch = DeliveryBatch(count: records.count, continuation: continuation)
            for (index, record) in records.enumerated() {
                hand(
                    PendingDelivery(
                        record: record, completion: .batch(batch, index: index), producer: self, generation: generation),
                    to: client)
            }
        }
    }

    /// Loads the metadata of `topics` into the producer, so that the first record to each
    /// is sent at once. librdkafka 2.8 holds a record for a topic it knows nothing of until
    /// its next one-second timer: without this, a service's first publish after start waits
    /// for it (docs/kafka-client.md).
    /// Cheap to repeat, and a replaced handle needs it again, so callers may do it on every
    /// readiness check.
    /// - Throws: ``KafkaError`` when a topic does not exist or the broker does not answer in `timeout`.
    public func prepare(topics: [String], timeout: Duration = .seconds(5)) async throws {
        let (client, _) = currentClient()
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        try await runBlocking {
            for topic in topics {
                _ = try client.partitionIDs(topic: topic, timeoutMilliseconds: milliseconds)
            }
        }
    }

    private func check(_ record: KafkaProducerRecord) throws(KafkaError) {
        guard accepting.load(ordering: .relaxed) else {
            throw KafkaError(code: .shutdown, reason: "the producer is shutting down", isRetriable: false)
        }
        guard !record.topic.isEmpty else {
            throw KafkaError(code: .invalidArgument, reason: "a record needs a topic", isRetriable: false)
        }
    }

    /// The handle to send to; a handle that hit a fatal error is replaced first.
    private func currentClient() -> (RdKafkaClient, Int) {
        let (client, generation) = clients.withLock { ($0.current, $0.generation) }
        if let fatal = client.fatalError {
            return replaceClient(ifGeneration: generation, reason: fatal)
        }
        return (client, generation)
    }

    /// Records handed over and not yet acknowledged or failed.
    public var outstandingCount: Int {
        clients.withLock { clients in
            clients.current.outstandingCount + clients.retired.reduce(0) { $0 + $1.outstandingCount }
        }
    }

    /// Called on the poll thread when an attempt failed. Returns true if the record was
    /// handed to a fresh handle (it will be reported again), false to fail it now.
    func retry(_ delivery: PendingDelivery, after error: KafkaError) -> Bool {
        let worthRetrying = (error.isRetriable || error.isFatal) && error.code != .shutdown
        guard worthRetrying, delivery.attempts < 2, accepting.load(ordering: .relaxed) else {
            return false
        }
        let (client, generation) = replaceClient(ifGeneration: delivery.generation, reason: error)
        delivery.attempts += 1
        delivery.generation = generation
        hand(delivery, to: client)
        return true
    }

    /// Gives `delivery` to librdkafka; a record refused at once (full queue, bad argument)
    /// is completed with that error here, otherwise its delivery report completes it.
    private func hand(_ delivery: PendingDelivery, to client: RdKafkaClient) {
        do throws(KafkaError) {
            try client.produce(delivery)
        } catch {
            delivery.complete(.failure(error))
        }
    }

    /// Replaces the handle of `generation` by a fresh one, unless that already happened.
    /// Returns the handle to use now.
    private func replaceClient(ifGeneration generation: Int, reason: KafkaError) -> (RdKafkaClient, Int) {
        clients.withLock { clients in
            guard clients.generation == generation else { return (clients.current, clients.generation) }
            do {
                let fresh = try Self.makeClient(configuration: configuration, logger: logger)
                clients.retired.append(clients.current)
                clients.current = fresh
                clients.generation += 1
                logger.warning(
                    "replaced the kafka producer handle after a failed delivery",
                    metadata: ["reason": "\(reason)", "generation": "\(clients.generation)"]
                )
            } catch {
                logger.error("could not create a new kafka producer handle", metadata: ["error": "\(error)"])
            }
            return (clients.current, clients.generation)
        }
    }

    /// Drives delivery reports until graceful shutdown or cancellation, then flushes.
    public func run() async throws {
        pollThread.start { [self] in pollOnce() }
        logger.debug("kafka producer running")
        // Returns on graceful shutdown; throws on cancellation. Either way we drain.
        try? await gracefulShutdown()
        await shutdown()
    }

    /// One turn of the poll thread: serve the current handle's reports (blocking up to
    /// 100 ms, waking at once for a report), then those of replaced handles.
    private func pollOnce() {
        let (current, retired) = clients.withLock { ($0.current, $0.retired) }
        current.poll(timeoutMilliseconds: 100)
        guard !retired.isEmpty else { return }
        for client in retired { client.poll(timeoutMilliseconds: 0) }
        // A drained handle is destroyed here, on the poll thread, when its last reference goes.
        clients.withLock { $0.retired.removeAll { $0.outstandingCount == 0 } }
    }

    private func shutdown() async {
        accepting.store(false, ordering: .relaxed)
        let timeout = Int32(clamping: configuration.shutdownFlushTimeout.wholeMilliseconds)
        let current = clients.withLock { $0.current }
        let flushed = (try? await runBlocking { current.flush(timeoutMilliseconds: timeout) }) ?? false
        await pollThread.stop()
        // Fail whatever is left (a send that raced with the shutdown, a handle still
        // draining) rather than leave a caller waiting forever.
        let all = clients.withLock { [$0.current] + $0.retired }
        let left = all.reduce(0) { $0 + $1.outstandingCount }
        if !flushed || left > 0 {
            logger.error(
                "kafka producer shut down with records still in flight; failing them",
                metadata: ["outstanding": "\(left)"])
        }
        for client in all { client.purgeOutstanding() }
        logger.debug("kafka producer stopped")
    }
}
