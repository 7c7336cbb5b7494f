/// One provider delivery, before authentication: what is posted where. Built once per call
/// stage and kept, so a retry sends the same bytes (Telnyx's only bumps `meta.attempt`).
struct WebhookContent: Sendable {
    /// Path and query under Ingest's base URL, e.g. `/webhooks/twilio?clientId=acme`.
    var pathAndQuery: String
    var contentType: String
    var body: [UInt8]
    /// The decoded fields of a form body (Twilio signs them); empty for JSON.
    var formParameters: [(name: String, value: String)] = []
    /// Headers the provider adds besides its authentication (e.g. Twilio's idempotency token).
    var extraHeaders: [(name: String, value: String)] = []
}
