import Crypto
import WireFormats

/// Computes `callerHash`: a keyed HMAC-SHA256 of the caller's phone number, so analytics
/// can count repeat callers without anyone holding the numbers.
///
/// `callerHash = lowercase hex(HMAC-SHA256(key, digits))`, where `digits` are the ASCII
/// digits of the number with everything else dropped (the same digits
/// ``PhoneNumberMask`` counts). Normalizing first makes the hash independent of how a
/// provider formats the number: `"+1 415-555-4321"`, `"(1) 415 555 4321"` and
/// `"14155554321"` all hash alike. It does not add a missing country code, so
/// `"4155554321"` hashes differently from `"14155554321"`; providers send E.164, which
/// always has one.
///
/// The hash is plain HMAC over the digits, with no framing or prefix, so an analyst can
/// recompute it with any HMAC tool, e.g. Python's `hmac.new(key, b"14155554321", "sha256")`.
///
/// Why keyed: there are only about 10¹¹ phone numbers, so an unkeyed hash of one is
/// reversed by trying them all. Without the key that search is impossible; keep the key
/// secret, and know that changing it changes every hash (repeat callers are then counted
/// afresh).
public struct CallerHasher: Sendable {
    /// HMAC-SHA256 keyed once and copied for each number (Ingest hashes every caller).
    private let keyedMAC: KeyedHMACSHA256

    /// A hasher keyed with `key`, or nil when `key` is empty: an empty key would let
    /// anyone recompute (and so reverse) every hash.
    public init?(key: SymmetricKey) {
        guard key.bitCount > 0 else { return nil }
        self.keyedMAC = KeyedHMACSHA256(key: key)
    }

    /// A hasher keyed with the bytes of `key`; nil when `key` is empty.
    public init?(key: [UInt8]) {
        self.init(key: SymmetricKey(data: key))
    }

    /// A hasher keyed with the UTF-8 bytes of `key` (e.g. the `CALLER_HASH_KEY`
    /// environment variable, used as is: not hex- or base64-decoded); nil when `key` is empty.
    public init?(key: String) {
        self.init(key: Array(key.utf8))
    }

    /// The lowercase hex HMAC-SHA256 (64 characters) of the digits of `number`, or nil
    /// when `number` is nil or has no digits (`"anonymous"`), so the field stays absent.
    public func hash(_ number: String?) -> String? {
        guard let number else { return nil }
        let digits = PhoneDigits.ascii(of: number)
        guard !digits.isEmpty else { return nil }
        var authenticator = keyedMAC
        authenticator.update(bytes: digits)
        return authenticator.finalize().withUnsafeBytes { Hex.lowercase($0) }
    }
}
