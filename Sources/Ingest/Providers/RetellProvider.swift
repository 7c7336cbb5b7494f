import CallEvents
import Foundation

/// Retell AI webhooks (`{"event":…,"call":{…}}`), authenticated by `x-retell-signature`.
///
/// `call_started` → `call.started`; `call_ended` → `call.ended` (end reason
/// `disconnection_reason`); `call_analyzed` and other events are ignored.
struct RetellProvider: WebhookProvider {
    static let name = "retell"
    let acceptedContentTypes: Set<String> = ["application/json"]

    let signature: RetellSignature

    /// - Parameters:
    ///   - apiKey: the Retell API key (`RETELL_API_KEY`), key of `x-retell-signature`.
    ///   - tolerance: accepted distance between the signature's timestamp and `now`.
    ///   - now: the clock timestamps are checked against.
    init(apiKey: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        signature = RetellSignature(apiKey: apiKey, tolerance: tolerance, now: now)
    }

    func authenticate(_ request: WebhookRequest) throws(WebhookRejection) {
        do {
            try signature.verify(header: request.header(RetellSignature.header), body: request.body.readableBytesView)
        } catch {
            throw .unauthorized(error.description)
        }
    }

    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        let root = try JSONObject.parse(request.body, provider: "Retell")
        guard let event = try root.nonEmptyString("event") else {
            throw .missing("event")
        }
        let type: CallEventType
        switch event {
        case "call_started": type = .started
        case "call_ended": type = .ended
        default: return .ignored(reason: "Retell event '\(event.prefix(64))' is not a call lifecycle event")
        }
        guard let call = try root.object("call"), let callId = try call.nonEmptyString("call_id") else {
            throw .missing("call.call_id")
        }
        var clientId = try ClientID.fromQuery(request)
        if clientId == nil {
            clientId = try ClientID.fromMetadata(call.lenientObject("metadata"))
        }
        guard let clientId else {
            throw ClientID.missing("call.metadata.clientId")
        }

        var startedAt = try call.epochMilliseconds("start_timestamp")
        var endedAt = try call.epochMilliseconds("end_timestamp")
        var durationSeconds: Int?
        var endReason: String?
        if type == .ended {
            durationSeconds = try call.durationFromMilliseconds("duration_ms")
            endReason = try call.nonEmptyString("disconnection_reason")
        }
        // Retell sends no event time: its start and end timestamps are all there is.
        CallTiming.fill(
            for: type, eventTime: nil, startedAt: &startedAt, endedAt: &endedAt, durationSeconds: &durationSeconds)

        return .call(
            NormalizedCall(
                type: type,
                callId: callId,
                clientId: clientId,
                direction: try call.nonEmptyString("direction").flatMap(CallDirection.normalized),
                from: try call.nonEmptyString("from_number"),
                to: try call.nonEmptyString("to_number"),
                startedAt: startedAt,
                endedAt: endedAt,
                durationSeconds: durationSeconds,
                endReason: endReason,
                // Retell sends no event time: the start (or end) of the call is when it happened.
                occurredAt: (type == .started ? startedAt : endedAt) ?? request.receivedAt
            ))
    }
}
