import CallEvents
import Foundation
import WireFormats

/// Vapi server-URL messages (`{"message":{"type":…}}`), authenticated by the shared secret in
/// `X-Vapi-Secret` or `Authorization: Bearer …`, compared in constant time.
///
/// `status-update` with `status` `in-progress` → `call.started`, `ended` → `call.ended`;
/// `end-of-call-report` → `call.ended`; other statuses and message types are ignored.
struct VapiProvider: WebhookProvider {
    static let secretHeader = "X-Vapi-Secret"

    static let name = "vapi"
    let acceptedContentTypes: Set<String> = ["application/json"]

    private let secret: [UInt8]

    /// - Parameter secret: the server secret / bearer token configured in Vapi (`VAPI_SECRET`).
    init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    func authenticate(_ request: WebhookRequest) throws(WebhookRejection) {
        let secretHeader = request.header(Self.secretHeader)
        let authorization = request.header("Authorization")
        guard secretHeader != nil || authorization != nil else {
            throw .unauthorized("missing \(Self.secretHeader) or Authorization: Bearer header")
        }
        var valid = false
        if let secretHeader {
            valid = ConstantTime.equals(Array(secretHeader.trimmingWhitespace().utf8), secret) || valid
        }
        if let token = authorization.flatMap({ BearerToken.token(in: $0) }) {
            valid = ConstantTime.equals(Array(token.utf8), secret) || valid
        }
        guard valid else {
            throw .unauthorized(
                "\(Self.secretHeader) / Authorization bearer token does not match the configured Vapi secret")
        }
    }

    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        let root = try JSONObject.parse(request.body, provider: "Vapi")
        guard let message = try root.object("message") else {
            throw .missing("message", "a Vapi server message is {\"message\":{\"type\":…}}")
        }
        guard let messageType = try message.nonEmptyString("type") else {
            throw .missing("message.type")
        }
        let type: CallEventType
        switch messageType {
        case "status-update":
            guard let status = try message.nonEmptyString("status") else {
                throw .missing("message.status")
            }
            switch status {
            case "in-progress": type = .started
            case "ended": type = .ended
            default: return .ignored(reason: "Vapi status-update '\(status.prefix(64))' is not a call lifecycle event")
            }
        case "end-of-call-report":
            type = .ended
        default:
            return .ignored(reason: "Vapi message type '\(messageType.prefix(64))' is not a call lifecycle event")
        }

        let call = try message.object("call")
        guard let callId = try call?.nonEmptyString("id") else {
            throw .missing("message.call.id")
        }
        var clientId = try ClientID.fromQuery(request)
        if clientId == nil {
            clientId = try Self.metadataClientId(message)
        }
        guard let clientId else {
            throw ClientID.missing("clientId in the assistant's metadata")
        }

        let direction = try call?.nonEmptyString("type").flatMap(Self.direction)
        let customer = try call?.object("customer")?.nonEmptyString("number")
        let callNumber = try call?.object("phoneNumber")?.nonEmptyString("number")
        let messageNumber = try message.object("phoneNumber")?.nonEmptyString("number")
        let business = callNumber ?? messageNumber
        let outbound = direction == "outbound"

        let timestamp = try message.date("timestamp", numbers: .automatic)
        let callStartedAt = try call?.date("startedAt", numbers: .automatic)
        let callEndedAt = try call?.date("endedAt", numbers: .automatic)
        var startedAt = try message.date("startedAt", numbers: .automatic) ?? callStartedAt
        var endedAt = try message.date("endedAt", numbers: .automatic) ?? callEndedAt
        var durationSeconds: Int?
        var endReason: String?
        if type == .ended {
            let callEndedReason = try call?.nonEmptyString("endedReason")
            endReason = try message.nonEmptyString("endedReason") ?? callEndedReason
            let durationMs = try message.durationFromMilliseconds("durationMs")
            durationSeconds = try message.durationSeconds("durationSeconds") ?? durationMs
        }
        CallTiming.fill(
            for: type, eventTime: timestamp, startedAt: &startedAt, endedAt: &endedAt, durationSeconds: &durationSeconds
        )

        return .call(
            NormalizedCall(
                type: type,
                callId: callId,
                clientId: clientId,
                direction: direction,
                from: outbound ? business : customer,
                to: outbound ? customer : business,
                startedAt: startedAt,
                endedAt: endedAt,
                durationSeconds: durationSeconds,
                endReason: endReason,
                occurredAt: timestamp ?? (type == .started ? startedAt : endedAt) ?? request.receivedAt
            ))
    }

    /// `inboundPhoneCall` / `outboundPhoneCall`; web and websocket calls have no direction.
    static func direction(_ callType: String) -> String? {
        switch callType {
        case "inboundPhoneCall": "inbound"
        case "outboundPhoneCall": "outbound"
        default: nil
        }
    }

    /// The clientId from the assistant's metadata, looked for (in this order) in
    /// `message.assistant.metadata`, `message.call.assistant.metadata`,
    /// `message.call.assistantOverrides.metadata` and `message.call.metadata`. Containers of
    /// an unexpected shape are skipped.
    static func metadataClientId(_ message: JSONObject) throws(WebhookRejection) -> String? {
        let call = message.lenientObject("call")
        let candidates = [
            message.lenientObject("assistant")?.lenientObject("metadata"),
            call?.lenientObject("assistant")?.lenientObject("metadata"),
            call?.lenientObject("assistantOverrides")?.lenientObject("metadata"),
            call?.lenientObject("metadata"),
        ]
        for metadata in candidates {
            if let clientId = try ClientID.fromMetadata(metadata) { return clientId }
        }
        return nil
    }
}
