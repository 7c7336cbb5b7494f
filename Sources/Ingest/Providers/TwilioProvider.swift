import CallEvents
import Foundation
import NIOCore
import WireFormats

/// Twilio Voice status callbacks (`application/x-www-form-urlencoded`, or JSON with a
/// `bodySHA256` URL parameter), authenticated by `X-Twilio-Signature`.
///
/// `CallStatus` `in-progress`/`answered` → `call.started`; `completed`, `busy`, `failed`,
/// `no-answer`, `canceled` → `call.ended` with the status as end reason; anything else
/// (`queued`, `initiated`, `ringing`, …) is ignored. Twilio carries no metadata, so the
/// `clientId` comes from the status callback URL (`?clientId=…`, part of what Twilio signs).
struct TwilioProvider: WebhookProvider {
    static let formContentType = "application/x-www-form-urlencoded"
    static let jsonContentType = "application/json"

    static let name = "twilio"
    let acceptedContentTypes: Set<String> = [formContentType, jsonContentType]

    /// The public URL Twilio calls, without a trailing slash (e.g. `https://hooks.example.com`).
    let publicBaseURL: String
    let signature: TwilioSignature

    /// - Parameters:
    ///   - authToken: the account's auth token, key of `X-Twilio-Signature`.
    ///   - publicBaseURL: scheme, host (and port, path prefix if any) Twilio calls; the
    ///     request's path and query are appended to it to rebuild the signed URL.
    init(authToken: String, publicBaseURL: String) {
        var base = publicBaseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        self.publicBaseURL = base
        signature = TwilioSignature(authToken: authToken)
    }

    /// The URL Twilio signed for `request`.
    func signedURL(for request: WebhookRequest) -> String {
        publicBaseURL + request.uri
    }

    /// The body is read once, for the signature (which covers the form's parameters) and
    /// for the event.
    func accept(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        let form = Self.form(of: request)
        try authenticate(request, form: form)
        return try normalize(request, form: form)
    }

    func authenticate(_ request: WebhookRequest) throws(WebhookRejection) {
        try authenticate(request, form: Self.form(of: request))
    }

    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        try normalize(request, form: Self.form(of: request))
    }

    /// The form of a form-encoded delivery; nil for a JSON one.
    private static func form(of request: WebhookRequest) -> FormBody? {
        isJSON(request) ? nil : FormBody(request.body.readableBytesView)
    }

    private func authenticate(_ request: WebhookRequest, form: FormBody?) throws(WebhookRejection) {
        guard let header = request.header(TwilioSignature.header) else {
            throw .unauthorized("missing \(TwilioSignature.header) header")
        }
        let url = signedURL(for: request)
        do {
            if let form {
                try signature.verify(signature: header, url: url, parameters: form.parameters)
            } else {
                try signature.verify(signature: header, url: url, parameters: [])
                try TwilioSignature.verifyBodyHash(body: request.body.readableBytesView, url: url)
            }
        } catch {
            throw .unauthorized(error.description)
        }
    }

    private func normalize(_ request: WebhookRequest, form: FormBody?) throws(WebhookRejection) -> WebhookOutcome {
        // JSON cannot repeat a field: the parser refuses a member given twice.
        let (fields, conflicting) =
            if let form { try Self.formFields(form) } else { (try Self.jsonFields(request.body), Set<String>()) }
        /// The first of `names` present and not blank. One given twice with different values
        /// is refused: which of them Twilio meant would be a guess.
        func field(_ names: String...) throws(WebhookRejection) -> String? {
            for name in names {
                guard !conflicting.contains(name) else {
                    throw .malformed("\(name) is given more than once, with different values: the body is ambiguous")
                }
                if let value = fields[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
            }
            return nil
        }

        guard let status = try field("CallStatus")?.lowercased() else {
            throw .missing("CallStatus")
        }
        let type: CallEventType
        switch status {
        case "in-progress", "answered":
            type = .started
        case "completed", "busy", "failed", "no-answer", "canceled":
            type = .ended
        default:
            return .ignored(reason: "Twilio CallStatus '\(status.prefix(64))' is not a call lifecycle event")
        }
        guard let callId = try field("CallSid") else {
            throw .missing("CallSid")
        }
        guard let clientId = try ClientID.fromQuery(request) else {
            throw ClientID.missing("")
        }

        var timestamp: Date?
        if let text = try field("Timestamp") {
            guard let date = RFC2822Date.parse(text) else {
                throw .malformed(
                    "Timestamp is not an RFC 2822 date such as 'Sun, 25 Mar 2018 09:53:19 +0000': \(String(text.prefix(64)).debugDescription)"
                )
            }
            timestamp = date
        }
        var call = NormalizedCall(
            type: type,
            callId: callId,
            clientId: clientId,
            direction: try field("Direction").flatMap(Self.direction),
            from: try field("From", "Caller"),
            to: try field("To", "Called"),
            occurredAt: timestamp ?? request.receivedAt
        )
        if type == .ended {
            call.endReason = status
            if let text = try field("CallDuration") {
                guard SignatureHeader.isDigits(text), let seconds = Int(text) else {
                    throw .malformed(
                        "CallDuration must be a whole number of seconds, not \(String(text.prefix(32)).debugDescription)"
                    )
                }
                call.durationSeconds = seconds
            }
        }
        // Twilio gives no start or end of its own: the status callback's Timestamp is the one.
        CallTiming.fill(
            for: type, eventTime: timestamp, startedAt: &call.startedAt, endedAt: &call.endedAt,
            durationSeconds: &call.durationSeconds)
        return .call(call)
    }

    /// Twilio's `Direction`: `inbound`, `outbound-api`, `outbound-dial`, and with Elastic SIP
    /// Trunking `trunking-originating` (PSTN → the customer's infrastructure, so inbound to the
    /// business) and `trunking-terminating` (the customer's infrastructure → PSTN, outbound).
    static func direction(_ value: String) -> String? {
        let value = value.lowercased()
        if value == "inbound" || value == "trunking-originating" { return "inbound" }
        if value.hasPrefix("outbound") || value == "trunking-terminating" { return "outbound" }
        return nil
    }

    private static func isJSON(_ request: WebhookRequest) -> Bool {
        guard let contentType = request.header("content-type") else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmedWhitespace().lowercased() == jsonContentType
    }

    /// The first value of each parameter of a strictly checked form body, and the names given
    /// again with a different value (Twilio may repeat parameters, such as `Digits`; only the
    /// ones an event is built from must be unambiguous, and `normalize` checks those).
    static func formFields(
        _ form: FormBody
    ) throws(WebhookRejection) -> (fields: [String: String], conflicting: Set<String>) {
        switch form.flaw {
        case nil:
            break
        case .notUTF8:
            throw .malformed("body is not UTF-8 form data (application/x-www-form-urlencoded)")
        case .notAPair(let pair):
            throw .malformed("body is not form-urlencoded: '\(pair.prefix(32))' is not name=value")
        case .badEscape(let name):
            throw .malformed("body is not form-urlencoded: bad %-escape in '\(name.prefix(32))'")
        case .emptyName:
            throw .malformed("body is not form-urlencoded: a parameter has no name")
        }
        var fields: [String: String] = [:]
        var conflicting: Set<String> = []
        for (name, value) in form.parameters {
            if let first = fields[name] {
                if !first.utf8.elementsEqual(value.utf8) { conflicting.insert(name) }
            } else {
                fields[name] = value
            }
        }
        return (fields, conflicting)
    }

    /// Twilio's JSON mode: a flat object of strings (numbers and booleans are read as their text).
    static func jsonFields(_ body: ByteBuffer) throws(WebhookRejection) -> [String: String] {
        let object = try JSONObject.parse(body, provider: "Twilio")
        var fields: [String: String] = [:]
        for (name, value) in object.fields {
            switch value {
            case .null: continue
            case .string(let text): fields[name] = text
            case .bool(let flag): fields[name] = flag ? "true" : "false"
            case .number(let number):
                fields[name] = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .array, .object:
                throw .malformed("\(name) must be a string, not \(value.kind.phrase)")
            }
        }
        return fields
    }
}
