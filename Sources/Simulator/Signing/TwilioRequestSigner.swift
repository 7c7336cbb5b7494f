import Crypto
import Foundation

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, full URL followed by every
/// POST parameter's name and value, sorted by name)), as twilio-python's
/// `RequestValidator.compute_signature` computes it.
struct TwilioRequestSigner: WebhookSigner {
    static let header = "X-Twilio-Signature"

    private let authToken: String

    init(authToken: String) {
        self.authToken = authToken
    }

    /// The signature of `url` and `parameters`. Parameters are sorted by name, and values of
    /// a repeated name by value, comparing bytes (Python's string order for these texts).
    func signature(url: String, parameters: [(name: String, value: String)]) -> String {
        let sorted = parameters.sorted { left, right in
            left.name == right.name
                ? left.value.utf8.lexicographicallyPrecedes(right.value.utf8)
                : left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
        var message = url
        for parameter in sorted {
            message += parameter.name
            message += parameter.value
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(message.utf8), using: SymmetricKey(data: Array(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    func headers(
        body: [UInt8], url: String, formParameters: [(name: String, value: String)], date: Date
    ) -> [(name: String, value: String)] {
        [(Self.header, signature(url: url, parameters: formParameters))]
    }

    func forged() -> any WebhookSigner {
        TwilioRequestSigner(authToken: "forged-" + authToken)
    }
}
