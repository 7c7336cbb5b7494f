import CallEvents
import Testing

@Suite("Client ids")
struct ClientIDTests {
    @Test(
        "1–128 characters of A-Z a-z 0-9 . _ - are client ids",
        arguments: ["acme", "Kcme", "Acme_Corp-2.eu", "a", "0", String(repeating: "a", count: 128)]
    )
    func accepted(_ text: String) throws {
        #expect(ClientID.isValid(text))
        #expect(try #require(ClientID(text)).text == text)
    }

    @Test(
        "anything else is not, whatever it looks like",
        arguments: [
            "", String(repeating: "a", count: 129), "../admin", "acme,globex", "*", "client:acme", "acme corp",
            "acme/1",
            "acme\n", "a\u{0}b",
            "\u{FF41}\u{FF43}\u{FF4D}\u{FF45}",  // full-width "acme"
            "\u{202E}emca",  // RIGHT-TO-LEFT OVERRIDE
            "\u{212A}cme",  // KELVIN SIGN, canonically equivalent to K
            "caf\u{E9}", "cafe\u{301}",  // é precomposed and decomposed
        ]
    )
    func refused(_ text: String) {
        #expect(!ClientID.isValid(text))
        #expect(ClientID(text) == nil)
    }

    @Test("ids compare byte for byte, unlike the Swift strings they come from")
    func byteEquality() throws {
        #expect("\u{212A}cme" == "Kcme")  // why: String equality is canonical equivalence
        let kcme = try #require(ClientID("Kcme"))
        #expect(ClientID("\u{212A}cme") != kcme)
        #expect(ClientID(String("xKcme".dropFirst())) == kcme)
        #expect(Set([kcme, try #require(ClientID("kcme"))]).count == 2)
        #expect(kcme.description == "Kcme")
    }
}
