import KafkaClient
import Logging
import ServerSupport
import ServiceLifecycle

/// The ``EventBus`` of the running service: Kafka, through an idempotent producer whose
/// delivery timeout is the publish timeout, and the monitor that creates the topics and
/// tells whether Kafka answers (``KafkaReadiness``).
package struct KafkaEventBus: EventBus {
    let producer: KafkaProducer
    let monitor: KafkaReadiness

    /// Creates the producer and the monitor; neither connects before it runs.
    /// - Throws: ``KafkaError`` when librdkafka refuses the configuration.
    package init(configuration: IngestConfiguration, logger: Logger) throws {
        let connection = KafkaConnectionConfiguration(
            brokers: configuration.kafkaBrokers, clientID: "callbridge-ingest")
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                connection: connection, deliveryTimeout: configuration.publishTimeout, linger: configuration.kafkaLinger
            ),
            logger: logger
        )
        monitor = KafkaReadiness(
            admin: try KafkaAdminClient(connection: connection, logger: logger),
            producer: producer,
            topics: [configuration.topic, configuration.deadLetterTopic],
            partitions: configuration.topicPartitions,
            replicationFactor: configuration.replicationFactor,
            logger: logger
        )
    }

    package var readiness: Readiness { monitor.readiness }

    /// The producer first, so that on shutdown it is the last to stop and flushes what the
    /// webhooks still in flight sent.
    package var services: [any Service] { [producer, monitor] }

    package func publish(_ record: KafkaProducerRecord) async throws -> KafkaDelivery {
        try await producer.send(record)
    }
}
