import CallEvents
import Foundation
import KafkaClient
import NIOCore

/// Turns a normalized call into the CloudEvent on the bus and publishes it; publishes
/// dead letters.
///
/// Phone numbers leave this type masked (`***4321`) and hashed, never in full.
struct CallEventPublisher: Sendable {
    let bus: any EventBus
    let topic: String
    let deadLetterTopic: String
    let callerHasher: CallerHasher?

    /// The event for `call`, with an id derived from the delivery's bytes (or the provider's
    /// own event id, where its retries change the bytes) so a provider's retry of the same
    /// webhook yields the same id.
    func makeEvent(provider: String, call: NormalizedCall, delivery: ByteBuffer) -> CallEvent {
        let details = CallDetails(
            callId: call.callId,
            clientId: call.clientId,
            provider: provider,
            direction: call.direction,
            from: PhoneNumberMask.mask(call.from),
            to: PhoneNumberMask.mask(call.to),
            callerHash: callerHasher?.hash(call.from),
            startedAt: call.startedAt,
            endedAt: call.endedAt,
            durationSeconds: call.durationSeconds,
            endReason: call.endReason
        )
        let id =
            call.providerEventID.map {
                EventIdentifier.make(provider: provider, callId: call.callId, type: call.type, providerEventID: $0)
            } ?? EventIdentifier.make(provider: provider, callId: call.callId, type: call.type, delivery: delivery)
        return CallEvent(type: call.type, id: id, time: call.occurredAt, details: details)
    }

    /// Publishes `event` keyed by its call id and returns once the bus acknowledged it.
    func publish(_ event: CallEvent) async throws -> KafkaDelivery {
        try await bus.publish(
            KafkaProducerRecord(
                topic: topic,
                key: ByteBuffer(string: event.data.callId),
                value: event.encoded(),
                headers: Self.eventHeaders
            ))
    }

    /// The same for every event, so built once rather than per webhook.
    private static let eventHeaders = [KafkaHeader(key: "content-type", string: CallEvent.mediaType)]

    /// Writes an authentic delivery that could not be normalized to the dead-letter topic,
    /// with the reason in a header. Digit runs that could be phone numbers are masked first:
    /// full numbers never reach Kafka.
    func publishDeadLetter(provider: String, request: WebhookRequest, reason: String) async throws {
        var headers = [
            KafkaHeader(key: "x-callbridge-reason", string: reason),
            KafkaHeader(key: "x-callbridge-provider", string: provider),
            KafkaHeader(
                key: "x-callbridge-received-at", string: String(Int64(request.receivedAt.timeIntervalSince1970 * 1000))),
        ]
        if let contentType = request.header("content-type") {
            headers.append(KafkaHeader(key: "content-type", string: contentType))
        }
        _ = try await bus.publish(
            KafkaProducerRecord(
                topic: deadLetterTopic,
                key: ByteBuffer(string: provider),
                value: PhoneNumberRedaction.redact(request.body),
                headers: headers
            ))
    }
}
