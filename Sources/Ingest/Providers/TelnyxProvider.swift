import CallEvents
import Crypto
import Foundation
import WireFormats

/// Telnyx Call Control webhooks (`{"data":{"event_type":…,"payload":{…}}}`), authenticated
/// by an Ed25519 signature (`telnyx-signature-ed25519` over `"<telnyx-timestamp>|<body>"`).
///
/// `call.answered` → `call.started`; `call.hangup` → `call.ended` (end reason
/// `hangup_cause`); other events (`call.initiated`, …) are ignored.
struct TelnyxProvider: WebhookProvider {
    static let name = "telnyx"
    let acceptedContentTypes: Set<String> = ["application/json"]

    let signature: TelnyxSignature

    /// - Parameters:
    ///   - publicKey: the account's Ed25519 public key, base64 of its 32 raw bytes (`TELNYX_PUBLIC_KEY`).
    ///   - tolerance: accepted distance between `telnyx-timestamp` and `now`.
    ///   - now: the clock timestamps are checked against.
    /// - Throws: ``SignatureKeyError`` when the key is not base64 of a 32-byte Ed25519 key.
    init(
        publicKey: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init
    ) throws(SignatureKeyError) {
        signature = try TelnyxSignature(publicKeyBase64: publicKey, tolerance: tolerance, now: now)
    }

    init(
        publicKey: Curve25519.Signing.PublicKey, tolerance: Duration = .seconds(300),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        signature = TelnyxSignature(publicKey: publicKey, tolerance: tolerance, now: now)
    }

    func authenticate(_ request: WebhookRequest) throws(WebhookRejection) {
        do {
            try signature.verify(
                signature: request.header(TelnyxSignature.signatureHeader),
                timestamp: request.header(TelnyxSignature.timestampHeader),
                body: request.body.readableBytesView
            )
        } catch {
            throw .unauthorized(error.description)
        }
    }

    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        let root = try JSONObject.parse(request.body, provider: "Telnyx")
        guard let data = try root.object("data") else {
            throw .missing("data", "a Telnyx webhook is {\"data\":{\"event_type\":…,\"payload\":{…}}}")
        }
        guard let eventType = try data.nonEmptyString("event_type") else {
            throw .missing("data.event_type")
        }
        let type: CallEventType
        switch eventType {
        case "call.answered": type = .started
        case "call.hangup": type = .ended
        default: return .ignored(reason: "Telnyx event_type '\(eventType.prefix(64))' is not a call lifecycle event")
        }
        let payload = try data.object("payload")
        var callId: String?
        for key in ["call_control_id", "call_session_id", "call_leg_id"] where callId == nil {
            callId = try payload?.nonEmptyString(key)
        }
        guard let callId else {
            throw .missing(
                "data.payload.call_control_id", "none of call_control_id, call_session_id, call_leg_id is given")
        }
        var clientId = try ClientID.fromQuery(request)
        if clientId == nil, let state = try payload?.nonEmptyString("client_state") {
            clientId = try Self.clientId(fromClientState: state)
        }
        guard let clientId else {
            throw ClientID.missing("data.payload.client_state (base64 of the clientId or of {\"clientId\":…})")
        }

        let occurredAt = try data.date("occurred_at", numbers: nil)
        var startedAt = try payload?.date("start_time", numbers: nil)
        var endedAt = try payload?.date("end_time", numbers: nil)
        var durationSeconds: Int?
        var endReason: String?
        if type == .ended {
            endReason = try payload?.nonEmptyString("hangup_cause")
        }
        CallTiming.fill(
            for: type, eventTime: occurredAt, startedAt: &startedAt, endedAt: &endedAt,
            durationSeconds: &durationSeconds)

        return .call(
            NormalizedCall(
                type: type,
                callId: callId,
                clientId: clientId,
                direction: try payload?.nonEmptyString("direction").flatMap(CallDirection.normalized),
                from: try payload?.nonEmptyString("from"),
                to: try payload?.nonEmptyString("to"),
                startedAt: startedAt,
                endedAt: endedAt,
                durationSeconds: durationSeconds,
                endReason: endReason,
                occurredAt: occurredAt ?? (type == .started ? startedAt : endedAt) ?? request.receivedAt,
                // Telnyx counts its retries in the body (`meta.attempt`): the event's own id is what stays.
                providerEventID: try data.nonEmptyString("id")
            ))
    }

    /// `client_state` is base64: of a JSON object carrying `clientId`, or of the clientId itself.
    static func clientId(fromClientState state: String) throws(WebhookRejection) -> String {
        let source = "data.payload.client_state"
        guard
            let decoded = Data(base64Encoded: state) ?? Base64Padding.padded(state).flatMap({ Data(base64Encoded: $0) })
        else {
            throw .missingField("clientId could not be read: \(source) is not base64")
        }
        if decoded.first == UInt8(ascii: "{") {
            if let object = try? decoded.withUnsafeBytes({ bytes in try JSONValue(parsing: bytes) }),
                case .object(let fields) = object
            {
                guard let value = fields["clientId"], value != .null else {
                    throw .missingField("clientId is missing: \(source) decodes to a JSON object without clientId")
                }
                guard case .string(let text) = value else {
                    throw .missingField(
                        "clientId in \(source) is \(value.kind.phrase): it must be a string of \(ClientID.rule)")
                }
                return try ClientID.validated(text, source: "\(source).clientId")
            }
        }
        guard let text = String(validating: Array(decoded), as: UTF8.self) else {
            throw .missingField("clientId could not be read: \(source) does not decode to UTF-8 text")
        }
        return try ClientID.validated(text, source: source)
    }
}
