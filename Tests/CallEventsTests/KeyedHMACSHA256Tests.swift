import CallEvents
import Crypto
import Testing

@Suite("KeyedHMACSHA256")
struct KeyedHMACSHA256Tests {
    /// Key lengths around SHA-256's 64-byte block: padded, exact, and hashed first.
    static let keyLengths = [0, 1, 20, 63, 64, 65, 200]

    @Test("equals Crypto's HMAC<SHA256> for keys shorter than, equal to and longer than a block", arguments: keyLengths)
    func matchesCrypto(keyLength: Int) {
        let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let keyed = KeyedHMACSHA256(key: key)
        for message in [[], Array("1714608475.".utf8), Array(repeating: 0xA5, count: 1000)] as [[UInt8]] {
            var mac = keyed
            mac.update(bytes: message)
            #expect(Array(mac.finalize()) == Array(HMAC<SHA256>.authenticationCode(for: message, using: key)))
        }
    }

    @Test("a message fed in pieces, contiguous or not, gives the MAC of the whole")
    func pieces() {
        let key = SymmetricKey(data: Array("generic-test-secret-xyz".utf8))
        let keyed = KeyedHMACSHA256(key: key)
        var mac = keyed
        mac.update(bytes: "1714608475".utf8)
        mac.update(bytes: [UInt8(ascii: ".")])
        mac.update(bytes: Array(#"{"type":"call.started"}"#.utf8).lazy.map { $0 })
        let whole = Array(#"1714608475.{"type":"call.started"}"#.utf8)
        #expect(Array(mac.finalize()) == Array(HMAC<SHA256>.authenticationCode(for: whole, using: key)))
        // The keyed value itself is untouched by the copies fed above.
        var fresh = keyed
        fresh.update(bytes: whole)
        #expect(Array(fresh.finalize()) == Array(HMAC<SHA256>.authenticationCode(for: whole, using: key)))
    }
}
