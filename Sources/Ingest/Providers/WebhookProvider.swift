/// One webhook sender (Twilio, Vapi, Retell, Telnyx, generic): how its deliveries are
/// authenticated and what they mean.
///
/// Ingest checks the content type, then calls ``accept(_:)``: ``authenticate(_:)``, then
/// ``normalize(_:)``. Size limits are enforced before any of them.
package protocol WebhookProvider: Sendable {
    /// The path segment: `/webhooks/{name}`, and the CloudEvent source `callbridge/ingest/{name}`.
    static var name: String { get }

    /// Media types (lowercase, without parameters) this provider's deliveries use,
    /// e.g. `application/json`. Anything else is answered 415 before parsing.
    var acceptedContentTypes: Set<String> { get }

    /// Checks the delivery is from the provider. Must only read raw bytes and headers,
    /// and compare secrets in constant time.
    /// - Throws: ``WebhookRejection/unauthorized(_:)``.
    func authenticate(_ request: WebhookRequest) throws(WebhookRejection)

    /// Parses an authenticated delivery.
    /// - Throws: ``WebhookRejection/malformed(_:)`` or ``WebhookRejection/missingField(_:)``.
    func normalize(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome

    /// Authenticates, then normalizes a delivery. A provider that reads its body for both
    /// (Twilio signs its form's parameters) implements it to read the body once.
    func accept(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome
}

extension WebhookProvider {
    /// ``name`` of the provider's type.
    package var name: String { Self.name }

    package func accept(_ request: WebhookRequest) throws(WebhookRejection) -> WebhookOutcome {
        try authenticate(request)
        return try normalize(request)
    }
}
