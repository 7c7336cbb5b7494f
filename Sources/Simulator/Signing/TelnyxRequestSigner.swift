import Crypto
import Foundation

/// Telnyx's `telnyx-signature-ed25519`: base64 of an Ed25519 signature over
/// `"<telnyx-timestamp>|<raw body>"`, with `telnyx-timestamp` in unix seconds. Telnyx signs
/// with its private key; Ingest holds the public one (`TELNYX_PUBLIC_KEY`).
struct TelnyxRequestSigner: WebhookSigner {
    static let signatureHeader = "telnyx-signature-ed25519"
    static let timestampHeader = "telnyx-timestamp"

    let privateKey: Curve25519.Signing.PrivateKey

    init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    /// The base64 signature of `body` at `timestamp` (unix seconds, as text).
    func signature(body: [UInt8], timestamp: String) throws -> String {
        let message = Array(timestamp.utf8) + [UInt8(ascii: "|")] + body
        return try privateKey.signature(for: message).base64EncodedString()
    }

    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = String(Int64(date.timeIntervalSince1970.rounded(.down)))
        // Signing with a valid key cannot fail; an empty signature would be refused (401)
        // and counted as unexpected, never sent silently as valid.
        let signature = (try? signature(body: body, timestamp: timestamp)) ?? ""
        return [(Self.signatureHeader, signature), (Self.timestampHeader, timestamp)]
    }

    func forged() -> any WebhookSigner {
        TelnyxRequestSigner(privateKey: Curve25519.Signing.PrivateKey())
    }
}
