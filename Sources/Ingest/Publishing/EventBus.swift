import KafkaClient
import ServerSupport
import ServiceLifecycle

/// Where Ingest's records go, and whether they can go there now: Kafka
/// (``KafkaEventBus``), or memory in the tests.
///
/// Records reach the bus already built (``CallEventPublisher``: the event keyed by its call
/// id, dead letters keyed by provider, numbers masked), so whatever bus they go to, they are
/// the same bytes.
package protocol EventBus: Sendable {
    /// What `GET /readyz` answers: whether the bus answers and its topics exist.
    var readiness: Readiness { get }

    /// What must run while the application runs, in start order (the application stops
    /// them in reverse order, after the HTTP server).
    var services: [any Service] { get }

    /// Publishes `record` and returns where the bus stored it, once it acknowledged it.
    /// - Throws: when the bus did not acknowledge within the publish timeout, or refused the
    ///   record (a ``KafkaError`` from Kafka); the webhook is then answered 503.
    func publish(_ record: KafkaProducerRecord) async throws -> KafkaDelivery
}
