import CallEvents
import Crypto
import Foundation
import WireFormats

/// Retell's `x-retell-signature: v=<unix ms>,d=<lowercase hex>`, where
/// `d` = HMAC-SHA256(key = API key, message = raw body bytes followed by the decimal
/// timestamp exactly as sent in `v`). Timestamps further than the tolerance from now are refused.
struct RetellSignature: Sendable {
    static let header = "x-retell-signature"

    private let key: SymmetricKey
    let window: TimestampWindow

    init(apiKey: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        key = SymmetricKey(data: Array(apiKey.utf8))
        window = TimestampWindow(tolerance: tolerance, now: now)
    }

    /// The header value a sender would put on `body` at `timestampMilliseconds`.
    func header(body: some Collection<UInt8>, timestampMilliseconds: Int64) -> String {
        let timestamp = String(timestampMilliseconds)
        return "v=\(timestamp),d=\(Hex.lowercase(mac(body: body, timestamp: timestamp)))"
    }

    /// Checks `header` (nil when absent) against `body`.
    func verify(header: String?, body: some Collection<UInt8>) throws(SignatureFailure) {
        guard let header, !header.trimmingWhitespace().isEmpty else {
            throw SignatureFailure("missing \(Self.header) header")
        }
        var timestamp: String?
        var digests: [String] = []
        for item in SignatureHeader.items(header) {
            switch item.key {
            case "v": timestamp = timestamp ?? item.value
            case "d": digests.append(item.value)
            default: continue
            }
        }
        guard let timestamp, SignatureHeader.isDigits(timestamp), let milliseconds = Int64(timestamp) else {
            throw SignatureFailure("\(Self.header) has no valid v=<unix milliseconds> timestamp")
        }
        guard !digests.isEmpty else {
            throw SignatureFailure("\(Self.header) has no d=<hex digest>")
        }
        try window.check(Date(timeIntervalSince1970: Double(milliseconds) / 1000), source: "\(Self.header) timestamp")
        let expected = mac(body: body, timestamp: timestamp)
        var valid = false
        for digest in digests {
            guard let provided = Hex.decode(digest) else { continue }
            valid = ConstantTime.equals(expected, provided) || valid
        }
        guard valid else {
            throw SignatureFailure("\(Self.header) does not match the body: wrong API key or altered body")
        }
    }

    private func mac(body: some Collection<UInt8>, timestamp: String) -> [UInt8] {
        var authenticator = HMAC<SHA256>(key: key)
        authenticator.update(data: Array(body))
        authenticator.update(data: Array(timestamp.utf8))
        return Array(authenticator.finalize())
    }
}
