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
                return .success(
                    try await producer.send(KafkaProducerRecord(topic: "nowhere", value: ByteBuffer(string: "x"))))
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
            let delivery = try await producer.send(
                KafkaProducerRecord(topic: topic, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v")))
            #expect((0..<3).contains(delivery.partition))

            await broker.stop()
            let started = ContinuousClock.now
            await #expect(
                throws: KafkaError.self, "prepare with the broker down must fail, not report the topic as ready"
            ) {
                try await producer.prepare(topics: [topic], timeout: .seconds(1))
            }
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test(
        "producer and fan-out consumer carry on after the broker restarts; the consumer reads the re-created topic from its start"
    )
    func surviveBrokerRestart() async throws {
        let (broker, topic) = try await brokerWithTopic("restart", partitions: 3)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection(broker), deliveryTimeout: .seconds(10)),
            logger: testLogger("producer")
        )
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)

        let events = try await withRunning([producer, consumer]) {
            func sendBatch(_ prefix: String, count: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<count {
                        group.addTask {
                            _ = try await producer.send(
                                KafkaProducerRecord(
                                    topic: topic, key: "k\(index % 7)", value: ByteBuffer(string: "\(prefix)\(index)")
                                ))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await sendBatch("before-", count: 100)
            await collector.waitFor(count: 100)

            // The embedded broker keeps everything in memory: a restart loses the topic.
            // Re-created at once with three times as many records as before, the new topic
            // holds records at every offset the consumer had reached.
            try await broker.restart()
            try await recreate(topic, partitions: 3, on: broker)
            try await sendBatch("after-", count: 300)
            await collector.waitFor(count: 400, timeout: .seconds(60))
            try? await Task.sleep(for: .seconds(1))
            return collector.events
        }

        let values = Set(
            events.compactMap { event -> String? in
                if case .record(let record) = event { return record.valueString }
                return nil
            })
        #expect(values.isSuperset(of: (0..<100).map { "before-\($0)" }))
        let after = (0..<300).map { "after-\($0)" }
        #expect(
            values.isSuperset(of: after),
            "missing after the restart: \(after.filter { !values.contains($0) }.count) of 300")
        let restart = events.firstIndex { event in
            if case .partitionsRestarted(let change) = event {
                return change.reason == .topicRecreated && change.partitions == [0, 1, 2]
            }
            return false
        }
        let lastBefore = events.lastIndex { event in
            if case .record(let record) = event { return record.valueString.hasPrefix("before-") }
            return false
        }
        #expect(restart != nil, "the consumer said that the topic was re-created")
        if let restart, let lastBefore {
            #expect(restart > lastBefore, "the restart comes after every record of the old topic")
        }
    }

    @Test("a fan-out consumer whose position the broker no longer holds says so and reads the partition from its start")
    func offsetOutOfRange() async throws {
        let (broker, topic) = try await brokerWithTopic("range", partitions: 1)
        defer { Task { await broker.stop() } }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection(broker), deliveryTimeout: .seconds(10)),
            logger: testLogger("producer")
        )
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .offsets([0: 1000]))),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let events = try await withRunning([producer, consumer]) {
            for index in 0..<10 {
                _ = try await producer.send(KafkaProducerRecord(topic: topic, value: ByteBuffer(string: "r\(index)")))
            }
            await collector.waitFor(count: 10, timeout: .seconds(30))
            return collector.events
        }
        let restarted = events.contains { event in
            if case .partitionsRestarted(let change) = event {
                return change.reason == .offsetOutOfRange && change.partitions == [0]
            }
            return false
        }
        #expect(restarted, "offset 1000 of a 10-record partition is out of range: the consumer reports it")
        #expect(collector.records.map(\.valueString) == (0..<10).map { "r\($0)" })
    }

    @Test("a fan-out consumer reports the topic's id with its first assignment")
    func assignmentCarriesTopicID() async throws {
        let (broker, topic) = try await brokerWithTopic("assigned", partitions: 2)
        defer { Task { await broker.stop() } }
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let assigned = try await withRunning([consumer]) { () -> KafkaPartitionChange? in
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                for case .partitionsAssigned(let change) in collector.events { return change }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }
        #expect(assigned?.partitions == [0, 1])
        #expect(assigned?.reason == .assigned)
        #expect(assigned?.topicID != nil, "the embedded broker gives topics ids")
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
