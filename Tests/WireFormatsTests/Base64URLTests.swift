import Testing
import WireFormats

@Suite("base64url")
struct Base64URLTests {
    @Test("encoded without padding, in the URL-safe alphabet, and decoded back")
    func roundTrip() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode(Array("{\"alg\":\"HS256\"}".utf8)) == "eyJhbGciOiJIUzI1NiJ9")
        #expect(Base64URL.encode([]) == "")
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 53 + 250) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test(
        "padding, the standard alphabet, other characters and impossible lengths are refused",
        arguments: [
            "eQ==", "+/8", "a b", "abcde", "ab.c", "é",
        ])
    func refused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("padding is added where it is missing, and only where it can be")
    func padding() {
        #expect(Base64Padding.padded("YQ") == "YQ==")
        #expect(Base64Padding.padded("YWI") == "YWI=")
        #expect(Base64Padding.padded("YWJj") == "YWJj")
        #expect(Base64Padding.padded("") == "")
        #expect(Base64Padding.padded("YWJjZ") == nil)
    }
}
