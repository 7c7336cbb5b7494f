import CallEvents
import Crypto
import Foundation
import WireFormats

/// The generic webhook's `X-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
struct GenericRequestSigner: WebhookSigner {
    static let header = "X-Signature"

    private let secret: String

    init(secret: String) {
        self.secret = secret
    }

    func signature(body: [UInt8], timestampSeconds: Int64) -> String {
        let timestamp = String(timestampSeconds)
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        mac.update(data: Array("\(timestamp).".utf8))
        mac.update(data: body)
        return "t=\(timestamp),v1=\(Hex.lowercase(mac.finalize()))"
    }

    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)] {
        [(Self.header, signature(body: body, timestampSeconds: Int64(date.timeIntervalSince1970.rounded(.down))))]
    }

    func forged() -> any WebhookSigner {
        GenericRequestSigner(secret: "forged-" + secret)
    }
}
