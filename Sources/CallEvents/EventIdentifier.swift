import Crypto
import NIOCore
import WireFormats

/// Deterministic event ids: the same webhook delivery always yields the same id.
///
/// Providers retry webhooks (a timeout, a 503 from Ingest), and every retry must become
/// the *same* event so consumers can drop duplicates by `id`. Two different deliveries
/// about the same call and type, such as Vapi's `status-update` "ended" and its
/// `end-of-call-report`, must still get *different* ids, because both are real events.
/// So the id is derived from:
/// - the provider name (`twilio`, …; case-sensitive),
/// - the call id,
/// - the event type,
/// - the SHA-256 of the raw delivery bytes (the webhook body exactly as received, before
///   any parsing, so re-serialization cannot change it); or, for a provider whose retries
///   change the body (Telnyx's `meta.attempt`), the SHA-256 of the tag
///   `callbridge.provider-event-id.v1` and the provider's own event id, which its retries keep.
///
/// Construction: SHA-256 over the ASCII tag `callbridge.event-id.v1` followed by each of
/// the four inputs as an 8-byte big-endian length and then its bytes. The length prefix
/// keeps the framing unambiguous, so `("ab", "c")` and `("a", "bc")` differ; the tag
/// separates these digests from any other SHA-256 use and versions the scheme. The first
/// 16 bytes of the digest become an RFC 9562 UUID version 8 (custom): the version nibble is
/// set to `8` and the variant bits to `10`, leaving 122 bits of the hash. The text form
/// is the usual lowercase `xxxxxxxx-xxxx-8xxx-[89ab]xxx-xxxxxxxxxxxx`.
public enum EventIdentifier {
    private static let tag: [UInt8] = Array("callbridge.event-id.v1".utf8)

    /// The id of the event made from the delivery `body` (a `ByteBuffer`'s readable bytes).
    public static func make(provider: String, callId: String, type: CallEventType, delivery body: ByteBuffer) -> String
    {
        var bodyHasher = SHA256()
        body.withUnsafeReadableBytes { bodyHasher.update(bufferPointer: $0) }
        return make(provider: provider, callId: callId, type: type, deliveryDigest: bodyHasher.finalize())
    }

    /// The id of the event made from the delivery `body` (e.g. a `[UInt8]` or `Data`).
    public static func make<Body: Sequence<UInt8>>(
        provider: String, callId: String, type: CallEventType, delivery body: Body
    ) -> String {
        var bodyHasher = SHA256()
        if body.withContiguousStorageIfAvailable({ bodyHasher.update(bufferPointer: UnsafeRawBufferPointer($0)) })
            == nil
        {
            Array(body).withUnsafeBytes { bodyHasher.update(bufferPointer: $0) }
        }
        return make(provider: provider, callId: callId, type: type, deliveryDigest: bodyHasher.finalize())
    }

    /// The id of the event a provider names `providerEventID` (the same in every retry).
    public static func make(provider: String, callId: String, type: CallEventType, providerEventID: String) -> String {
        var idHasher = SHA256()
        idHasher.update(data: providerEventTag)
        idHasher.update(data: Array(providerEventID.utf8))
        return make(provider: provider, callId: callId, type: type, deliveryDigest: idHasher.finalize())
    }

    private static let providerEventTag: [UInt8] = Array("callbridge.provider-event-id.v1".utf8)

    private static func make(
        provider: String, callId: String, type: CallEventType, deliveryDigest: SHA256Digest
    ) -> String {
        var hasher = SHA256()
        hasher.update(data: tag)
        func field(_ bytes: UnsafeRawBufferPointer) {
            var length = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: bytes)
        }
        func field(_ text: String) {
            var text = text  // `withUTF8` is mutating; a native string is not copied
            text.withUTF8 { field(UnsafeRawBufferPointer($0)) }
        }
        field(provider)
        field(callId)
        field(type.rawValue)
        deliveryDigest.withUnsafeBytes { field($0) }

        return hasher.finalize().withUnsafeBytes { uuidText(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// The UUID text `xxxxxxxx-xxxx-8xxx-[89ab]xxx-xxxxxxxxxxxx` of 16 digest bytes, with the
    /// version and variant bits set; written straight into the string (this runs for
    /// every webhook).
    private static func uuidText(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            for (index, var byte) in bytes.enumerated() {
                if index == 6 { byte = (byte & 0x0F) | 0x80 }  // version 8
                if index == 8 { byte = (byte & 0x3F) | 0x80 }  // variant 0b10 (RFC 9562)
                if index == 4 || index == 6 || index == 8 || index == 10 {  // 8-4-4-4-12
                    text[position] = UInt8(ascii: "-")
                    position += 1
                }
                text[position] = Hex.digits[Int(byte >> 4)]
                text[position + 1] = Hex.digits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }
}
