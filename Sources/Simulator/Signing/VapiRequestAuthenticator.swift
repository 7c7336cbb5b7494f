import Foundation

/// Vapi's server-URL authentication: the shared secret, either as the legacy
/// `X-Vapi-Secret` header or as a bearer credential (`Authorization: Bearer …`), the two
/// forms Ingest accepts. Vapi signs nothing: the secret itself travels (over TLS in production).
struct VapiRequestAuthenticator: WebhookSigner {
    static let secretHeader = "X-Vapi-Secret"

    private let secret: String
    /// True to send `Authorization: Bearer`, false for `X-Vapi-Secret`.
    let bearer: Bool

    init(secret: String, bearer: Bool = false) {
        self.secret = secret
        self.bearer = bearer
    }

    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)] {
        bearer ? [("Authorization", "Bearer \(secret)")] : [(Self.secretHeader, secret)]
    }

    func forged() -> any WebhookSigner {
        VapiRequestAuthenticator(secret: "forged-" + secret, bearer: bearer)
    }
}
