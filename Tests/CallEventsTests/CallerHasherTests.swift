import CallEvents
import Testing

@Suite("CallerHasher")
struct CallerHasherTests {
    // Computed independently with Python:
    //   hmac.new(b"test-caller-hash-key", b"14155554321", "sha256").hexdigest()
    static let knownHash = "27b08515e0416378a5b86a83c20e27ab318111e95f5fb1fe42080a11095aa0de"
    //   hmac.new(b"another-key", b"14155554321", "sha256").hexdigest()
    static let knownHashOtherKey = "ae0366ca373f084b47c9ff1f76cc5bc99e29c1bc0c1eccf88e70d991b31aa745"

    let hasher = CallerHasher(key: "test-caller-hash-key")!

    @Test("matches HMAC-SHA256 computed independently")
    func knownVector() {
        #expect(hasher.hash("14155554321") == Self.knownHash)
        #expect(CallerHasher(key: "another-key")!.hash("14155554321") == Self.knownHashOtherKey)
    }

    @Test(
        "formatting does not change the hash",
        arguments: [
            "+1 415-555-4321", "+14155554321", "(1) 415 555 4321", "1.415.555.4321", "tel:+1-415-555-4321",
            "＋１４１５５５５４３２１",
        ]
    )
    func normalization(input: String) {
        #expect(hasher.hash(input) == Self.knownHash)
    }

    @Test("different numbers and different keys give different hashes")
    func differs() {
        #expect(hasher.hash("14155554322") != Self.knownHash)
        // No country code is a different digit string, hence a different hash.
        #expect(hasher.hash("4155554321") != Self.knownHash)
        #expect(CallerHasher(key: "test-caller-hash-key2")!.hash("14155554321") != Self.knownHash)
    }

    @Test("a String key is its UTF-8 bytes")
    func stringKeyIsBytes() {
        let fromBytes = CallerHasher(key: Array("test-caller-hash-key".utf8))!
        #expect(fromBytes.hash("14155554321") == Self.knownHash)
    }

    @Test("lowercase hex of 32 bytes")
    func format() throws {
        let hash = try #require(hasher.hash("+44 20 7946 0958"))
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test(
        "no number, or no digits, gives no hash",
        arguments: [nil, "", "anonymous", "sip:alice@example.com", "+() -"] as [String?])
    func absent(input: String?) {
        #expect(hasher.hash(input) == nil)
    }

    @Test("an empty key is refused")
    func emptyKey() {
        #expect(CallerHasher(key: "") == nil)
        #expect(CallerHasher(key: [UInt8]()) == nil)
        #expect(CallerHasher(key: [0]) != nil)
    }
}
