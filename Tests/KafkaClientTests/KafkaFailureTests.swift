import EmbeddedBroker
import Foundation
import KafkaClient
import NIOCore
import Testing

/// What the client does when the broker is down, restarts, or is asked for bad things.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct KafkaFailureTests {
    @Test("a send to a broker that is down fails within its delivery timeout with a clear error")
    func sendToDownBrokerTimesOut() async throws {
        // A port where nothing listens: start a broker to get a free port, then stop it.
        let broker = try await EmbeddedBroker.start()
        let servers = broker.bootstrapServers
        await broker.stop()

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                connection: KafkaConnectionConfiguration(bootstrapServers: [servers]),
                deliveryTimeout: .seconds(2)
            ),
            logger: testLogger("producer")
        )
        let started = ContinuousClock.now
        let outcome: Result<KafkaDelivery, KafkaError> = try await withRunning([producer]) {
            do {
                return .success(try await producer.send(KafkaProducerRecord(topic: "nowhere", value: ByteBuffer(string: "x"))))
            } catch let error as KafkaError {
                return .failure(error)
            }
        }
        let elapsed = ContinuousClock.now - started

        guard case .failure(let error) = outcome else {
            Issue.record("a send to a stopped broker was acknowledged: \(outcome)")
            return
        }
        #expect(error.code == .messageTimedOut)
        #expect(error.isRetriable)
        #expect(error.librdkafkaName == "_MSG_TIMED_OUT")
        #expect(error.description.contains("timed out"))
        // It waited for the timeout rather than failing at once, and did not hang past it.
        #expect(elapsed >= .milliseconds(1500))
        #expect(elapsed < .seconds(12))
    }

    @Test("prepare loads an existing topic into the producer; with the broker down it fails within its timeout")
    func prepareTopics() async throws {
        let (broker, topic) = try await brokerWithTopic("prepare", partitions: 3)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection(broker), deliveryTimeout: .seconds(5)),
            logger: testLogger("producer")
        )
        try await withRunning([producer]) {
            try await producer.prepare(topics: [topic], timeout: .seconds(5))
            let delivery = try await producer.send(KafkaProducerRecord(topic: topic, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v")))
            #expect((0..<3).contains(delivery.partition))

            await broker.stop()
            let started = ContinuousClock.now
            await #expect(throws: KafkaError.self, "prepare with the broker down must fail, not report the topic as ready") {
                try await producer.prepare(topics: [topic], timeout: .seconds(1))
            }
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("producer and fan-out consumer carry on after the broker restarts")
    func surviveBrokerRestart() async throws {
        let (broker, topic) = try await brokerWithTopic("restart", partitions: 3)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection(broker), deliveryTimeout: .seconds(10)),
            logger: testLogger("producer")
        )
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)

        let records = try await withRunning([producer, consumer]) {
            func sendBatch(_ prefix: String) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<100 {
                        group.addTask {
                            _ = try await producer.send(KafkaProducerRecord(
                                topic: topic, key: "k\(index % 7)", value: ByteBuffer(string: "\(prefix)\(index)")
                            ))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await sendBatch("before-")
            await collector.waitFor(count: 100)

            // The embedded broker keeps everything in memory: a restart loses the topic,
            // which is re-created (3 partitions) by the next produce.
            try await broker.restart()
            try await sendBatch("after-")
            await collector.waitFor(count: 200, timeout: .seconds(60))
            return await collector.settle(for: .seconds(1))
        }

        let values = Set(records.map(\.valueString))
        #expect(values.isSuperset(of: (0..<100).map { "before-\($0)" }))
        #expect(values.isSuperset(of: (0..<100).map { "after-\($0)" }), "records sent after the restart reach the consumer")
    }

    @Test("admin: create a topic if missing, read its partitions, unknown topics are a clear error")
    func adminTopics() async throws {
        let broker = try await EmbeddedBroker.start()
        defer { Task { await broker.stop() } }
        let admin = try KafkaAdminClient(connection: connection(broker), logger: testLogger("admin"))
        let topic = uniqueTopic("admin")

        #expect(try await admin.createTopicIfMissing(topic, partitions: 6) == true)
        #expect(try await admin.createTopicIfMissing(topic, partitions: 6) == false)
        #expect(try await admin.partitions(of: topic) == [0, 1, 2, 3, 4, 5])

        await #expect(throws: KafkaError.self) {
            try await admin.createTopicIfMissing("", partitions: 1)
        }
        do {
            _ = try await admin.partitions(of: uniqueTopic("missing"), timeout: .seconds(5))
            Issue.record("partitions of a missing topic did not fail")
        } catch let error as KafkaError {
            #expect(error.code == .unknownTopicOrPartition)
        }
    }

    @Test("a rejected librdkafka property is a configuration error naming it")
    func badConfiguration() throws {
        var connection = KafkaConnectionConfiguration()
        connection.additionalProperties["no.such.property"] = "1"
        do {
            _ = try KafkaProducer(configuration: .init(connection: connection), logger: testLogger("producer"))
            Issue.record("a bad property was accepted")
        } catch let error as KafkaError {
            #expect(error.code == .configuration)
            #expect(error.reason.contains("no.such.property"))
        }
    }
}
