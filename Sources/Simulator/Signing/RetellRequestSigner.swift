import CallEvents
import Crypto
import Foundation
import WireFormats

/// Retell's `x-retell-signature: v=<unix ms>,d=<hex HMAC-SHA256(API key, body + ms)>`, as
/// retell-sdk's signer computes it.
struct RetellRequestSigner: WebhookSigner {
    static let header = "x-retell-signature"

    private let apiKey: String

    init(apiKey: String) {
        self.apiKey = apiKey
    }

    func signature(body: [UInt8], timestampMilliseconds: Int64) -> String {
        let timestamp = String(timestampMilliseconds)
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(apiKey.utf8)))
        mac.update(data: body)
        mac.update(data: Array(timestamp.utf8))
        return "v=\(timestamp),d=\(Hex.lowercase(mac.finalize()))"
    }

    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)] {
        [
            (
                Self.header,
                signature(body: body, timestampMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
            )
        ]
    }

    func forged() -> any WebhookSigner {
        RetellRequestSigner(apiKey: "forged-" + apiKey)
    }
}
