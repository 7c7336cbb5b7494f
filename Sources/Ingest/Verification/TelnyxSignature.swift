import Crypto
import Foundation
import WireFormats

/// Telnyx's `telnyx-signature-ed25519`: base64 of an Ed25519 signature over
/// `"<telnyx-timestamp>|<raw body>"`, with `telnyx-timestamp` in unix seconds, verified with
/// the account's public key (base64 of its 32 raw bytes).
struct TelnyxSignature: Sendable {
    static let signatureHeader = "telnyx-signature-ed25519"
    static let timestampHeader = "telnyx-timestamp"

    let publicKey: Curve25519.Signing.PublicKey
    let window: TimestampWindow

    /// - Throws: ``SignatureKeyError`` when `publicKeyBase64` is not base64 of 32 bytes.
    init(
        publicKeyBase64: String, tolerance: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init
    ) throws(SignatureKeyError) {
        publicKey = try Self.publicKey(fromBase64: publicKeyBase64)
        window = TimestampWindow(tolerance: tolerance, now: now)
    }

    init(
        publicKey: Curve25519.Signing.PublicKey, tolerance: Duration = .seconds(300),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.publicKey = publicKey
        window = TimestampWindow(tolerance: tolerance, now: now)
    }

    static func publicKey(fromBase64 text: String) throws(SignatureKeyError) -> Curve25519.Signing.PublicKey {
        let trimmed = text.trimmedWhitespaceAndNewlines()
        guard let raw = Data(base64Encoded: trimmed) else {
            throw SignatureKeyError(
                "TELNYX_PUBLIC_KEY is not base64 (expected the base64 of the 32-byte Ed25519 public key from the Telnyx portal)"
            )
        }
        guard raw.count == 32 else {
            throw SignatureKeyError(
                "TELNYX_PUBLIC_KEY decodes to \(raw.count) bytes; an Ed25519 public key is 32 bytes")
        }
        do {
            return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw SignatureKeyError("TELNYX_PUBLIC_KEY is not a usable Ed25519 public key: \(error)")
        }
    }

    /// The message Telnyx signs.
    static func signedMessage(timestamp: String, body: some Collection<UInt8>) -> [UInt8] {
        Array(timestamp.utf8) + [UInt8(ascii: "|")] + Array(body)
    }

    /// Checks the two headers (nil when absent) against `body`.
    func verify(signature: String?, timestamp: String?, body: some Collection<UInt8>) throws(SignatureFailure) {
        guard let signature, !signature.isEmpty else {
            throw SignatureFailure("missing \(Self.signatureHeader) header")
        }
        guard let timestamp = timestamp?.trimmedWhitespace(), !timestamp.isEmpty else {
            throw SignatureFailure("missing \(Self.timestampHeader) header")
        }
        guard SignatureHeader.isDigits(timestamp), let seconds = Int64(timestamp) else {
            throw SignatureFailure("\(Self.timestampHeader) is not unix seconds")
        }
        try window.check(Date(timeIntervalSince1970: Double(seconds)), source: Self.timestampHeader)
        guard let signatureBytes = Data(base64Encoded: signature.trimmedWhitespace()) else {
            throw SignatureFailure("\(Self.signatureHeader) is not base64")
        }
        guard publicKey.isValidSignature(signatureBytes, for: Self.signedMessage(timestamp: timestamp, body: body))
        else {
            throw SignatureFailure("\(Self.signatureHeader) does not match the body: wrong public key or altered body")
        }
    }
}
