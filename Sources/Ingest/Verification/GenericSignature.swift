import CallEvents
import Crypto
import Foundation
import HTTPTypes
import WireFormats

/// The generic provider's `X-Signature: t=<unix seconds>,v1=<hex>` where
/// `v1` = HMAC-SHA256(secret, "<t>.<raw body>"), `t` exactly as sent. Several `v1=` entries
/// may be given (for example during a secret rotation); one matching is enough.
struct GenericSignature: Sendable {
    static let header = "X-Signature"
    static let headerName = HTTPField.Name(header)!

    /// HMAC-SHA256 keyed with the secret once, copied for each webhook.
    private let keyedMAC: KeyedHMACSHA256
    let window: TimestampWindow

    init(secret: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        keyedMAC = KeyedHMACSHA256(key: SymmetricKey(data: Array(secret.utf8)))
        window = TimestampWindow(tolerance: tolerance, now: now)
    }

    /// The header value a sender would put on `body` at `timestamp` (unix seconds).
    func header(body: some Collection<UInt8>, timestamp: Int64) -> String {
        let t = String(timestamp)
        return "t=\(t),v1=\(Hex.lowercase(mac(body: body, timestamp: t)))"
    }

    /// Checks `header` (nil when absent) against `body`.
    ///
    /// The header is read in two passes over its items rather than collected into arrays:
    /// this runs for every webhook, and the items are slices of the header, not copies.
    func verify(header: String?, body: some Collection<UInt8>) throws(SignatureFailure) {
        guard let header, header.utf8.contains(where: { $0 != 0x20 && $0 != 0x09 }) else {
            throw SignatureFailure("missing \(Self.header) header")
        }
        var timestamp: Substring?
        var hasSignature = false
        SignatureHeader.forEachItem(header) { key, value in
            switch key {
            case "t": timestamp = timestamp ?? value
            case "v1": hasSignature = true
            default: break
            }
        }
        guard let timestamp, SignatureHeader.isDigits(timestamp), let seconds = Int64(timestamp) else {
            throw SignatureFailure("\(Self.header) has no valid t=<unix seconds> timestamp")
        }
        guard hasSignature else {
            throw SignatureFailure("\(Self.header) has no v1=<hex HMAC-SHA256> signature")
        }
        try window.check(Date(timeIntervalSince1970: Double(seconds)), source: "\(Self.header) timestamp")
        let expected = mac(body: body, timestamp: timestamp)
        var valid = false
        SignatureHeader.forEachItem(header) { key, value in
            guard key == "v1", let provided = Hex.decode(value) else { return }
            // Every signature is compared, in constant time, even after one matched.
            valid = expected.withUnsafeBytes { ConstantTime.equals($0, provided) } || valid
        }
        guard valid else {
            throw SignatureFailure("\(Self.header) does not match the body: wrong secret or altered body")
        }
    }

    private static let separator: [UInt8] = Array(".".utf8)

    private func mac(body: some Collection<UInt8>, timestamp: some StringProtocol) -> SHA256Digest {
        var authenticator = keyedMAC
        authenticator.update(bytes: timestamp.utf8)
        authenticator.update(bytes: Self.separator)
        authenticator.update(bytes: body)
        return authenticator.finalize()
    }
}
