import CallEvents
import Foundation

/// The generic JSON webhook for senders without a provider of their own:
/// `{"type":"call.started"|"call.ended","callId","clientId","timestamp","from","to",
/// "direction","durationSeconds","endReason"}`, authenticated by
/// `X-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
///
/// Optional `startedAt`/`endedAt` (ISO 8601 or unix seconds) are read when given.
struct GenericProvider: WebhookProvider {
    static let name = "generic"
    let acceptedContentTypes: Set<String> = ["application/json"]

    let signature: GenericSignature

    /// - Parameters:
    ///   - secret: `GENERIC_WEBHOOK_SECRET`, key of `X-Signature`.
    ///   - tolerance: accepted distance between the signature's timestamp and `now`.
    ///   - now: the clock timestamps are checked against.
    init(secret: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        signature = GenericSignature(secret: secret, tolerance: tolerance, now: now)
    }

    func authenticate(_ request: WebhookRequest) throws(WebhookRejection) {
        do {
            try signature.verify(
                header: request.header(GenericSignature.headerName), body: request.body.readableBytesView)
        } catch {
            throw .unauthorized(error.description)
        }
    }

    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        let body = try JSONObject.parse(request.body, provider: "the generic webhook")
        guard let eventType = try body.nonEmptyString("type") else {
            throw .missing("type", "expected \"call.started\" or \"call.ended\"")
        }
        guard let type = CallEventType(rawValue: eventType) else {
            return .ignored(reason: "type '\(eventType.prefix(64))' is not call.started or call.ended")
        }
        guard let callId = try body.nonEmptyString("callId") else {
            throw .missing("callId")
        }
        var clientId = try ClientID.fromQuery(request)
        if clientId == nil, let value = try body.string("clientId") {
            clientId = try ClientID.validated(value, source: "the body's clientId")
        }
        guard let clientId else {
            throw ClientID.missing("\"clientId\" in the body")
        }

        let timestamp = try body.date("timestamp", numbers: .seconds)
        var startedAt = try body.date("startedAt", numbers: .seconds)
        var endedAt = try body.date("endedAt", numbers: .seconds)
        var durationSeconds: Int?
        var endReason: String?
        if type == .ended {
            durationSeconds = try body.durationSeconds("durationSeconds")
            endReason = try body.nonEmptyString("endReason")
        }
        CallTiming.fill(
            for: type, eventTime: timestamp, startedAt: &startedAt, endedAt: &endedAt, durationSeconds: &durationSeconds
        )

        return .call(
            NormalizedCall(
                type: type,
                callId: callId,
                clientId: clientId,
                direction: try body.nonEmptyString("direction").flatMap(CallDirection.normalized),
                from: try body.nonEmptyString("from"),
                to: try body.nonEmptyString("to"),
                startedAt: startedAt,
                endedAt: endedAt,
                durationSeconds: durationSeconds,
                endReason: endReason,
                occurredAt: timestamp ?? (type == .started ? startedAt : endedAt) ?? request.receivedAt
            ))
    }
}
