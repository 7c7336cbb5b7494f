import Crypto
import Foundation
import Settings

/// Reads the Ed25519 private key the simulator signs Telnyx webhooks with (Telnyx keeps its
/// own; a local run makes a pair and gives Ingest the public half).
///
/// Accepted forms: PEM (`-----BEGIN PRIVATE KEY-----`, PKCS #8, as `openssl genpkey
/// -algorithm ed25519` writes it), or base64 of the 32-byte seed, or base64 of 64 bytes
/// (seed followed by the public key, as libsodium and PyNaCl keep a signing key).
enum TelnyxPrivateKey {
    /// The DER of an Ed25519 PKCS #8 key starts with this, then the 32-byte seed (RFC 8410).
    private static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// The key's OID (1.3.101.112) and the OCTET STRING around the seed, for PKCS #8 v2
    /// files that add the public key after the seed.
    private static let ed25519OID: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    private static let seedWrapper: [UInt8] = [0x04, 0x22, 0x04, 0x20]

    /// - Parameter source: what to name in messages (`TELNYX_PRIVATE_KEY` or the file).
    static func parse(_ text: String, source: String) throws(ConfigurationError) -> Curve25519.Signing.PrivateKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let seed: [UInt8]
        if trimmed.hasPrefix("-----BEGIN") {
            seed = try seedFromPEM(trimmed, source: source)
        } else {
            guard let raw = Data(base64Encoded: trimmed) else {
                throw ConfigurationError(
                    "\(source) is neither PEM nor base64 (expected an Ed25519 private key: PEM, or base64 of its 32-byte seed)"
                )
            }
            guard raw.count == 32 || raw.count == 64 else {
                throw ConfigurationError(
                    "\(source) decodes to \(raw.count) bytes; an Ed25519 private key is a 32-byte seed (or 64 bytes: seed and public key)"
                )
            }
            seed = Array(raw.prefix(32))
        }
        do {
            return try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch {
            throw ConfigurationError("\(source) is not a usable Ed25519 private key: \(error)")
        }
    }

    /// The base64 of the public key (what Ingest's `TELNYX_PUBLIC_KEY` holds).
    static func publicKeyBase64(of key: Curve25519.Signing.PrivateKey) -> String {
        key.publicKey.rawRepresentation.base64EncodedString()
    }

    private static func seedFromPEM(_ pem: String, source: String) throws(ConfigurationError) -> [UInt8] {
        guard pem.contains("-----BEGIN PRIVATE KEY-----") else {
            throw ConfigurationError(
                "\(source) is a PEM file but not a PKCS #8 \"PRIVATE KEY\" (make one with: openssl genpkey -algorithm ed25519)"
            )
        }
        let body = pem.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("-----") }
            .joined()
        guard let der = Data(base64Encoded: body).map(Array.init) else {
            throw ConfigurationError("\(source): the PEM body is not base64")
        }
        if der.count == pkcs8Prefix.count + 32, der.starts(with: pkcs8Prefix) {
            return Array(der.suffix(32))
        }
        guard indexOf(ed25519OID, in: der) != nil, let wrapper = indexOf(seedWrapper, in: der),
            der.count >= wrapper + seedWrapper.count + 32
        else {
            throw ConfigurationError("\(source) is not an Ed25519 private key (another algorithm's PEM?)")
        }
        let start = wrapper + seedWrapper.count
        return Array(der[start..<(start + 32)])
    }

    private static func indexOf(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
