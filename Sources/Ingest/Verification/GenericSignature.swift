import Crypto
import Foundation

/// The generic provider's `X-Signature: t=<unix seconds>,v1=<hex>` where
/// `v1` = HMAC-SHA256(secret, "<t>.<raw body>"), `t` exactly as sent. Several `v1=` entries
/// may be given (for example during a secret rotation); one matching is enough.
struct GenericSignature: Sendable {
    static let header = "X-Signature"

    private let key: SymmetricKey
    let window: TimestampWindow

    init(secret: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        key = SymmetricKey(data: Array(secret.utf8))
        window = TimestampWindow(tolerance: tolerance, now: now)
    }

    /// The header value a sender would put on `body` at `timestamp` (unix seconds).
    func header(body: some Collection<UInt8>, timestamp: Int64) -> String {
        let t = String(timestamp)
        return "t=\(t),v1=\(Hex.encode(mac(body: body, timestamp: t)))"
    }

    /// Checks `header` (nil when absent) against `body`.
    func verify(header: String?, body: some Collection<UInt8>) throws(SignatureFailure) {
        guard let header, !header.trimmedWhitespace().isEmpty else {
            throw SignatureFailure("missing \(Self.header) header")
        }
        var timestamp: String?
        var signatures: [String] = []
        for item in SignatureHeader.items(header) {
            switch item.key {
            case "t": timestamp = timestamp ?? item.value
            case "v1": signatures.append(item.value)
            default: continue
            }
        }
        guard let timestamp, SignatureHeader.isDigits(timestamp), let seconds = Int64(timestamp) else {
            throw SignatureFailure("\(Self.header) has no valid t=<unix seconds> timestamp")
        }
        guard !signatures.isEmpty else {
            throw SignatureFailure("\(Self.header) has no v1=<hex HMAC-SHA256> signature")
        }
        try window.check(Date(timeIntervalSince1970: Double(seconds)), source: "\(Self.header) timestamp")
        let expected = mac(body: body, timestamp: timestamp)
        var valid = false
        for signature in signatures {
            guard let provided = Hex.decode(signature) else { continue }
            valid = ConstantTime.equals(expected, provided) || valid
        }
        guard valid else {
            throw SignatureFailure("\(Self.header) does not match the body: wrong secret or altered body")
        }
    }

    private func mac(body: some Collection<UInt8>, timestamp: String) -> [UInt8] {
        var authenticator = HMAC<SHA256>(key: key)
        authenticator.update(data: Array(timestamp.utf8))
        authenticator.update(data: Array(".".utf8))
        authenticator.update(data: Array(body))
        return Array(authenticator.finalize())
    }
}
