import Foundation

/// Puts a provider's authentication on a webhook: the headers a real delivery of `body`
/// to `url` at `date` carries. Timestamped schemes sign `date`, so a retry of the same body
/// is signed afresh, as providers do.
protocol WebhookSigner: Sendable {
    /// - Parameters:
    ///   - body: the raw body, exactly as sent.
    ///   - url: the full URL the provider calls (Twilio signs it; the others ignore it).
    ///   - formParameters: the decoded form fields of a form body (Twilio signs them).
    ///   - date: when the delivery is sent.
    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)]

    /// A signer of the same scheme with a different key: its deliveries must be refused (401).
    func forged() -> any WebhookSigner
}
