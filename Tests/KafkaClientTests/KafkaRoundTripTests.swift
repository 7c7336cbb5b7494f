import EmbeddedBroker
import Foundation
import KafkaClient
import NIOCore
import Testing

/// Producer and consumer against a real embedded broker over TCP.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct KafkaRoundTripTests {
    @Test("10,000 records produced with acks=all are all consumed back, in order per key (consumer group)")
    func tenThousandRecordsRoundTrip() async throws {
        let (broker, topic) = try await brokerWithTopic("roundtrip", partitions: 6)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(connection: connection(broker), deliveryTimeout: .seconds(20)),
            logger: testLogger("producer")
        )
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker),
                mode: .group(id: "roundtrip-\(topic)", topics: [topic])
            ),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let keys = 64
        let total = 10_000

        let deliveries = try await withRunning([producer, consumer]) {
            // Each key's records are sent one after another (the order we expect back);
            // the keys are sent concurrently so librdkafka batches across them.
            let deliveries = try await withThrowingTaskGroup(of: [KafkaDelivery].self) { group in
                for key in 0..<keys {
                    group.addTask {
                        var acknowledged: [KafkaDelivery] = []
                        for sequence in stride(from: key, to: total, by: keys) {
                            acknowledged.append(
                                try await producer.send(
                                    KafkaProducerRecord(
                                        topic: topic,
                                        key: "call-\(key)",
                                        value: ByteBuffer(string: "\(key):\(sequence)"),
                                        headers: [KafkaHeader(key: "content-type", string: "text/plain")]
                                    )))
                        }
                        return acknowledged
                    }
                }
                return try await group.reduce(into: []) { $0.append(contentsOf: $1) }
            }
            await collector.waitFor(count: total, timeout: .seconds(60))
            return deliveries
        }

        #expect(deliveries.count == total)
        #expect(Set(deliveries.map { "\($0.partition)/\($0.offset)" }).count == total, "every ack names its own offset")
        #expect(deliveries.allSatisfy { $0.topic == topic && (0..<6).contains($0.partition) })

        let records = collector.records
        #expect(records.count == total)
        #expect(Set(records.map(\.valueString)).count == total, "no record lost or duplicated")
        var lastSequence: [String: Int] = [:]
        for record in records {
            let parts = record.valueString.split(separator: ":")
            let key = try #require(record.keyString)
            #expect(key == "call-\(parts[0])")
            let sequence = Int(parts[1])!
            #expect(sequence > lastSequence[key, default: -1], "records of \(key) out of order")
            lastSequence[key] = sequence
            #expect(record.header("content-type")?.stringValue == "text/plain")
            #expect(record.timestampMilliseconds != nil)
        }
        // One key always lands on one partition.
        let partitionsPerKey = Dictionary(grouping: records, by: { $0.keyString ?? "" }).mapValues {
            Set($0.map(\.partition))
        }
        #expect(partitionsPerKey.values.allSatisfy { $0.count == 1 })
    }

    @Test("send(contentsOf:) returns each record's outcome in order, and the records arrive")
    func batchSend() async throws {
        let (broker, topic) = try await brokerWithTopic("batch", partitions: 1)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let (results, empty, invalid) = try await withRunning([producer, consumer]) {
            let results = await producer.send(
                contentsOf: (0..<250).map {
                    KafkaProducerRecord(topic: topic, value: ByteBuffer(string: "b\($0)"))
                })
            let empty = await producer.send(contentsOf: [])
            let invalid = await producer.send(contentsOf: [KafkaProducerRecord(topic: "", value: ByteBuffer())])
            await collector.waitFor(count: 250)
            return (results, empty, invalid)
        }

        // One partition: the offsets follow the order of the batch.
        #expect(try results.map { try $0.get().offset } == (0..<250).map(Int64.init))
        #expect(empty.isEmpty)
        guard case .failure(let error) = invalid.first else {
            Issue.record("a record without a topic was accepted")
            return
        }
        #expect(error.code == .invalidArgument)
        #expect(collector.records.map(\.valueString) == (0..<250).map { "b\($0)" })
    }

    @Test("two fan-out consumers (no group) each receive every record")
    func twoFanOutConsumers() async throws {
        let (broker, topic) = try await brokerWithTopic("fanout", partitions: 3)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        let consumers = try (0..<2).map { _ in
            try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
                logger: testLogger("consumer")
            )
        }
        let collectors = consumers.map(RecordCollector.init)
        let total = 600

        try await withRunning([producer] + consumers) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<total {
                    group.addTask {
                        _ = try await producer.send(
                            KafkaProducerRecord(
                                topic: topic, key: "k\(index % 17)", value: ByteBuffer(string: "v\(index)")
                            ))
                    }
                }
                try await group.waitForAll()
            }
            for collector in collectors { await collector.waitFor(count: total) }
        }

        let expected = Set((0..<total).map { "v\($0)" })
        for collector in collectors {
            let records = collector.records
            #expect(records.count == total)
            #expect(Set(records.map(\.valueString)) == expected)
            #expect(
                Set(records.map(\.partition)) == [0, 1, 2], "every partition is assigned to every fan-out consumer")
        }
    }

    @Test(
        "a consumer with a handler hands it every record on the poll thread, the assignment first, in order per partition; its sequence ends at once"
    )
    func handlerDelivery() async throws {
        let (broker, topic) = try await brokerWithTopic("handler", partitions: 3)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        let handler = HandlerCollector()
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .earliest)),
            handler: handler,
            logger: testLogger("consumer")
        )
        var iterator = consumer.events.makeAsyncIterator()
        #expect(await iterator.next() == nil, "everything goes to the handler")
        let total = 300
        try await withRunning([producer, consumer]) {
            for index in 0..<total {
                _ = try await producer.send(
                    KafkaProducerRecord(topic: topic, key: "k\(index % 7)", value: ByteBuffer(string: "\(index)")))
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while handler.recordCount < total, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        let (events, threads) = handler.received
        guard case .partitionsAssigned(let change)? = events.first else {
            Issue.record("the assignment comes first, got \(String(describing: events.first))")
            return
        }
        #expect(Set(change.partitions) == [0, 1, 2])
        let records = events.compactMap { event -> KafkaConsumerRecord? in
            if case .record(let record) = event { return record }
            return nil
        }
        #expect(records.count == total)
        for partition in Int32(0)..<3 {
            let offsets = records.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(0..<Int64(offsets.count)), "partition \(partition) in order, each once")
        }
        #expect(threads == ["kafka-consumer"], "called on the poll thread only")
    }

    @Test("a fan-out consumer started from an offset begins at that record")
    func startFromOffset() async throws {
        let (broker, topic) = try await brokerWithTopic("offset", partitions: 1)
        defer { Task { await broker.stop() } }

        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        try await withRunning([producer]) {
            for index in 0..<100 {
                let delivery = try await producer.send(
                    KafkaProducerRecord(topic: topic, value: ByteBuffer(string: "r\(index)")))
                #expect(delivery.offset == Int64(index))
            }
        }

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker), mode: .fanOut(topic: topic, start: .offsets([0: 40]))),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let records = try await withRunning([consumer]) {
            await collector.waitFor(count: 60)
            return await collector.settle(for: .milliseconds(500))
        }
        #expect(records.map(\.offset) == Array(40..<100))
        #expect(records.first?.valueString == "r40")
    }

    @Test("a fan-out consumer started from a timestamp begins at the first record at or after it")
    func startFromTimestamp() async throws {
        let (broker, topic) = try await brokerWithTopic("timestamp", partitions: 2)
        defer { Task { await broker.stop() } }

        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let old = now - 3_600_000
        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        try await withRunning([producer]) {
            for index in 0..<100 {
                // The first half is an hour old, the second half is new.
                let timestamp = index < 50 ? old + Int64(index) : now + Int64(index)
                _ = try await producer.send(
                    KafkaProducerRecord(
                        topic: topic,
                        key: ByteBuffer(string: "k\(index % 5)"),
                        value: ByteBuffer(string: "r\(index)"),
                        timestampMilliseconds: timestamp
                    ))
            }
        }

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker),
                mode: .fanOut(topic: topic, start: .timestamp(milliseconds: now - 60_000))
            ),
            logger: testLogger("consumer")
        )
        let collector = RecordCollector(consumer)
        let records = try await withRunning([consumer]) {
            await collector.waitFor(count: 50)
            return await collector.settle(for: .milliseconds(500))
        }
        #expect(Set(records.map(\.valueString)) == Set((50..<100).map { "r\($0)" }))
        #expect(records.count == 50)
        #expect(records.allSatisfy { ($0.timestampMilliseconds ?? 0) >= now })
    }

    @Test("end offsets, and a fan-out consumer's progress: position, end, and the records skipped before its start")
    func endOffsetsAndProgress() async throws {
        let (broker, topic) = try await brokerWithTopic("progress", partitions: 2)
        defer { Task { await broker.stop() } }

        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let producer = try KafkaProducer(
            configuration: .init(connection: connection(broker)), logger: testLogger("producer"))
        var lastOldOffset: [Int32: Int64] = [:]
        try await withRunning([producer]) {
            for index in 0..<40 {
                // Per partition, ten old records, then ten new ones.
                let isOld = index < 20
                let delivery = try await producer.send(
                    KafkaProducerRecord(
                        topic: topic,
                        key: ByteBuffer(string: "k\(index)"),
                        value: ByteBuffer(string: "r\(index)"),
                        partition: Int32(index % 2),
                        timestampMilliseconds: isOld ? now - 3_600_000 : now
                    ))
                if isOld { lastOldOffset[delivery.partition] = delivery.offset }
            }
        }

        let admin = try KafkaAdminClient(connection: connection(broker), logger: testLogger("admin"))
        let ends = try await admin.endOffsets(of: topic)
        #expect(ends.keys.sorted() == [0, 1])
        #expect(ends.values.reduce(0, +) == 40)
        await #expect(throws: KafkaError.self) { try await admin.endOffsets(of: uniqueTopic("missing")) }

        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                connection: connection(broker),
                mode: .fanOut(topic: topic, start: .timestamp(milliseconds: now - 60_000))
            ),
            logger: testLogger("consumer")
        )
        #expect(consumer.progress().isEmpty)  // nothing assigned yet
        let collector = RecordCollector(consumer)
        let progress = try await withRunning([consumer]) {
            await collector.waitFor(count: 20)
            let deadline = ContinuousClock.now + .seconds(10)
            var progress = consumer.progress()
            while ContinuousClock.now < deadline, progress.map({ $0.position ?? 0 }).reduce(0, +) < 40 {
                try? await Task.sleep(for: .milliseconds(50))
                progress = consumer.progress()
            }
            return progress
        }
        #expect(collector.records.count == 20)
        #expect(progress.map(\.partition) == ends.keys.sorted())
        for partition in progress {
            #expect(partition.position == ends[partition.partition])
            #expect(partition.lag == 0)
            #expect(partition.skippedThrough == lastOldOffset[partition.partition])
        }
    }
}
