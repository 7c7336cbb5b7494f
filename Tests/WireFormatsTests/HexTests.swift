import Testing
import WireFormats

@Suite("Hex")
struct HexTests {
    @Test("hex encodes lowercase and decodes either case")
    func hex() {
        #expect(Hex.lowercase([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.decode("000fa0ff") == [0x00, 0x0f, 0xa0, 0xff])
        #expect(Hex.decode("000FA0FF") == [0x00, 0x0f, 0xa0, 0xff])
        #expect(Hex.decode("") == [])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0x") == nil)
    }

    @Test("slices and non-contiguous sequences decode and encode the same")
    func slices() {
        let text = "xx00ff"
        #expect(Hex.decode(text.dropFirst(2)) == [0x00, 0xff])
        #expect(Hex.lowercase([0xab, 0xcd][...]) == "abcd")
        #expect(Hex.lowercase((0..<3).map { UInt8($0) }.lazy.map { $0 }) == "000102")
    }
}
