import EmbeddedBroker
import Foundation
import KafkaClient
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Creates `topic` on a broker that lost it (the embedded broker keeps nothing across a
/// restart), as Ingest does: producers never create topics.
func recreate(_ topic: String, partitions: Int, on broker: EmbeddedBroker) async throws {
    let admin = try KafkaAdminClient(connection: connection(broker), logger: testLogger("admin"))
    try await admin.createTopicIfMissing(topic, partitions: partitions)
}

/// A quiet logger: warnings and worse only, so test output stays readable.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel =
        ProcessInfo.processInfo.environment["CALLBRIDGE_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        ?? .warning
    return logger
}

/// Runs `services` (producers, consumers) in child tasks while `body` runs, then cancels
/// them, which makes each drain and stop as on a graceful shutdown.
func withRunning<Result: Sendable>(
    _ services: [any Service],
    _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services {
            group.addTask { try await service.run() }
        }
        do {
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            throw error
        }
    }
}

func connection(_ broker: EmbeddedBroker) -> KafkaConnectionConfiguration {
    var connection = KafkaConnectionConfiguration(
        bootstrapServers: [broker.bootstrapServers], clientID: "callbridge-tests")
    // e.g. CALLBRIDGE_RDKAFKA_DEBUG=eos,msg with CALLBRIDGE_TEST_LOG_LEVEL=debug to see librdkafka's reasoning.
    if let debug = ProcessInfo.processInfo.environment["CALLBRIDGE_RDKAFKA_DEBUG"] {
        connection.additionalProperties["debug"] = debug
    }
    return connection
}

/// A fresh broker on a free port with one new topic of `partitions` partitions.
func brokerWithTopic(_ prefix: String, partitions: Int) async throws -> (EmbeddedBroker, String) {
    let broker = try await EmbeddedBroker.start()
    let topic = uniqueTopic(prefix)
    let admin = try KafkaAdminClient(connection: connection(broker), logger: testLogger("admin"))
    try await admin.createTopicIfMissing(topic, partitions: partitions)
    return (broker, topic)
}

func uniqueTopic(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// A ``KafkaConsumerHandler`` that keeps everything it is handed, and the OS threads it ran on.
final class HandlerCollector: KafkaConsumerHandler {
    private let storage = Mutex<(events: [KafkaConsumerEvent], threads: Set<String>)>(([], []))

    func handle(_ events: [KafkaConsumerEvent]) {
        // The OS thread's name (at most 15 bytes).
        let thread =
            (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
            ?? "unknown"
        storage.withLock {
            $0.events.append(contentsOf: events)
            $0.threads.insert(thread)
        }
    }

    var received: (events: [KafkaConsumerEvent], threads: Set<String>) { storage.withLock { $0 } }

    var recordCount: Int {
        storage.withLock { storage in
            storage.events.count { if case .record = $0 { true } else { false } }
        }
    }
}

/// Reads a consumer's events in the background for the whole test, so a test can wait
/// for a count of records and then look at everything that arrived (duplicates included).
final class RecordCollector: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[KafkaConsumerEvent]>([])
    }

    private let storage = Storage()
    private let reader: Task<Void, Never>

    init(_ consumer: KafkaConsumer) {
        let storage = self.storage
        reader = Task {
            for await event in consumer.events {
                storage.events.withLock { $0.append(event) }
            }
        }
    }

    deinit { reader.cancel() }

    /// Everything the consumer handed out, in order.
    var events: [KafkaConsumerEvent] { storage.events.withLock { $0 } }

    var records: [KafkaConsumerRecord] {
        events.compactMap { event in
            if case .record(let record) = event { return record }
            return nil
        }
    }

    /// Waits until at least `count` records arrived or `timeout` passed; returns them all.
    @discardableResult
    func waitFor(count: Int, timeout: Duration = .seconds(30)) async -> [KafkaConsumerRecord] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if records.count >= count { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return records
    }

    /// Waits `duration` and returns what arrived, to check that nothing more comes.
    func settle(for duration: Duration) async -> [KafkaConsumerRecord] {
        try? await Task.sleep(for: duration)
        return records
    }
}

extension KafkaConsumerRecord {
    var valueString: String { String(buffer: value) }
    var keyString: String? { key.map { String(buffer: $0) } }
}
