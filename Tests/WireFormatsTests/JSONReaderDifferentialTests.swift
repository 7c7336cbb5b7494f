import Foundation
import Testing
import WireFormats

/// The hand-written reader against Foundation's `JSONSerialization`, document by document,
/// over a corpus in the categories of JSONTestSuite (must accept, must refuse, either) plus
/// deep nesting, huge numbers, invalid UTF-8 and repeated names. Each case names the verdict
/// it must get: both parsers agree (and read the same values), or they differ in one of the
/// documented ways (``JSONDifferential/DeliberateDifference``). The same comparison judges
/// every input of the `json` fuzz target (scripts/fuzz.sh).
@Suite("JSONReader against JSONSerialization")
struct JSONReaderDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var expected: JSONDifferential.Verdict
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ expected: JSONDifferential.Verdict) {
            self.init(name, bytes: Array(text.utf8), expected)
        }

        init(_ name: String, bytes: [UInt8], _ expected: JSONDifferential.Verdict) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }
    }

    static func nested(_ depth: Int, open: String, close: String, inner: String = "") -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    /// Documents both parsers must accept, reading the same values.
    static let accepted: [Case] = [
        Case("empty array", "[]", .bothAccepted),
        Case("empty object", "{}", .bothAccepted),
        Case("whitespace around", " \t\r\n[1]\n\t ", .bothAccepted),
        Case("top-level number", "0", .bothAccepted),
        Case("top-level string", #""x""#, .bothAccepted),
        Case("top-level literals", "[true,false,null]", .bothAccepted),
        Case("booleans and numbers kept apart", "[true,1,1.0,0,false]", .bothAccepted),
        Case("negative zero", "[-0]", .bothAccepted),
        Case("fraction and exponents", "[1.5,-1.5e10,1E+2,1e-2,0.000001,-1E-1,1.0e+0]", .bothAccepted),
        Case("largest double", "[1.7976931348623157e308]", .bothAccepted),
        Case("smallest subnormal", "[5e-324]", .bothAccepted),
        Case("underflow to zero", "[1e-400]", .bothAccepted),
        Case("integer beyond 64 bits", "[123456789012345678901234567890]", .bothAccepted),
        Case("integer of 60 digits", "[" + String(repeating: "9", count: 60) + "]", .bothAccepted),
        Case("Int64 bounds", "[9223372036854775807,-9223372036854775808]", .bothAccepted),
        Case("every short escape", #"["\"\\\/\b\f\n\r\t"]"#, .bothAccepted),
        Case("escaped NUL", #"["\u0000"]"#, .bothAccepted),
        Case("escaped BMP character", #"["\u00e9\u4E2D"]"#, .bothAccepted),
        Case("escaped surrogate pair", #"["\uD834\uDD1E"]"#, .bothAccepted),
        Case("raw two-, three- and four-byte UTF-8", "[\"é中𝄞\"]", .bothAccepted),
        Case("noncharacter U+FFFF, escaped and raw", "[\"\\uFFFF\",\"\u{FFFF}\"]", .bothAccepted),
        Case("line and paragraph separators", "[\"\u{2028}\u{2029}\",\"\\u2028\"]", .bothAccepted),
        Case("escaped byte order mark", #"["\uFEFF"]"#, .bothAccepted),
        Case("empty member name", #"{"":0}"#, .bothAccepted),
        Case("escaped member name", #"{"\u0061":1,"b":2}"#, .bothAccepted),
        Case("nested mixed", #"{"a":[1,{"b":null,"c":[{}]}],"d":{"e":"f"}}"#, .bothAccepted),
        Case("64 nested arrays", nested(64, open: "[", close: "]"), .bothAccepted),
        Case("64 nested objects", nested(63, open: #"{"a":"#, close: "}", inner: "{}"), .bothAccepted),
        Case("long string", "[\"" + String(repeating: "abcé", count: 25_000) + "\"]", .bothAccepted),
        Case("many members", "{" + (0..<2000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}", .bothAccepted),
        Case(
            "a webhook body",
            #"{"type":"call.started","callId":"c-1","from":"+14155550100","durationMs":1234.5,"meta":{"attempt":2}}"#,
            .bothAccepted),
    ]

    /// Documents neither may accept (RFC 8259).
    static let refused: [Case] = [
        Case("empty document", "", .bothRefused),
        Case("only whitespace", " \n", .bothRefused),
        Case("unclosed array", "[1", .bothRefused),
        Case("unclosed object", #"{"a":1"#, .bothRefused),
        Case("unopened array", "]", .bothRefused),
        Case("missing comma", "[1 2]", .bothRefused),
        Case("missing colon", #"{"a" 1}"#, .bothRefused),
        Case("missing value", #"{"a":}"#, .bothRefused),
        Case("unquoted name", "{a:1}", .bothRefused),
        Case("single quotes", "['a']", .bothRefused),
        Case("leading comma", "[,1]", .bothRefused),
        Case("double comma", "[1,,2]", .bothRefused),
        Case("comma alone in object", "{,}", .bothRefused),
        Case("semicolon", "[1;2]", .bothRefused),
        Case("leading zero", "[01]", .bothRefused),
        Case("negative leading zero", "[-01]", .bothRefused),
        Case("no integer part", "[.5]", .bothRefused),
        Case("no fraction digits", "[1.]", .bothRefused),
        Case("plus sign", "[+1]", .bothRefused),
        Case("hex number", "[0x10]", .bothRefused),
        Case("exponent without digits", "[1e]", .bothRefused),
        Case("signed exponent without digits", "[1e+]", .bothRefused),
        Case("minus alone", "[-]", .bothRefused),
        Case("NaN", "[NaN]", .bothRefused),
        Case("Infinity", "[Infinity,-Infinity]", .bothRefused),
        Case("truncated literal", "[tru]", .bothRefused),
        Case("capitalized literal", "[True]", .bothRefused),
        Case("unterminated string", #"["a]"#, .bothRefused),
        Case("unknown escape", #"["\x41"]"#, .bothRefused),
        Case("escaped single quote", #"["\'"]"#, .bothRefused),
        Case("short unicode escape", #"["\u12"]"#, .bothRefused),
        Case("non-hex unicode escape", #"["\uZZZZ"]"#, .bothRefused),
        Case("lone high surrogate", #"["\uD800"]"#, .bothRefused),
        Case("lone low surrogate", #"["\uDC00"]"#, .bothRefused),
        Case("high surrogate then a letter", #"["\uD800\u0041"]"#, .bothRefused),
        Case("raw tab in a string", "[\"a\tb\"]", .bothRefused),
        Case("raw control character in a string", "[\"\u{1F}\"]", .bothRefused),
        Case("NUL byte outside a string", bytes: Array("[".utf8) + [0] + Array("]".utf8), .bothRefused),
        Case("invalid UTF-8 byte", bytes: [0x5B, 0x22, 0xFF, 0x22, 0x5D], .bothRefused),
        Case("overlong encoding", bytes: [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D], .bothRefused),
        Case("surrogate encoded in UTF-8", bytes: [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D], .bothRefused),
        Case("truncated multi-byte sequence", bytes: [0x5B, 0x22, 0xE2, 0x82, 0x22, 0x5D], .bothRefused),
        Case("code point beyond U+10FFFF", bytes: [0x5B, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22, 0x5D], .bothRefused),
        Case("invalid UTF-8 in a member name", bytes: [0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D], .bothRefused),
        Case("text after the value", "[1]x", .bothRefused),
        Case("two values", "[1][2]", .bothRefused),
        Case("block comment", "/* c */ []", .bothRefused),
        Case("line comment", "[] // c", .bothRefused),
        Case("form feed as whitespace", "[1]\u{0C}", .bothRefused),
        Case("no-break space as whitespace", "\u{00A0}[]", .bothRefused),
        Case("600 nested arrays", nested(600, open: "[", close: "]"), .bothRefused),
    ]

    /// Documents the two read differently on purpose.
    static let deliberate: [Case] = [
        Case("repeated name", #"{"a":1,"a":2}"#, .deliberate(.repeatedMemberName)),
        Case("repeated name and value", #"{"a":1,"a":1}"#, .deliberate(.repeatedMemberName)),
        Case("repeated name, nested", #"{"x":[{"a":1,"a":2}]}"#, .deliberate(.repeatedMemberName)),
        Case("canonically equal names", "{\"\u{E9}\":1,\"e\u{301}\":2}", .deliberate(.repeatedMemberName)),
        Case("65 nested arrays", nested(65, open: "[", close: "]"), .deliberate(.nestingBeyondLimit)),
        Case(
            "65 nested objects", nested(64, open: #"{"a":"#, close: "}", inner: "{}"), .deliberate(.nestingBeyondLimit)),
        Case("500 nested arrays", nested(500, open: "[", close: "]"), .deliberate(.nestingBeyondLimit)),
        Case("byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), .deliberate(.byteOrderMark)),
        Case(
            "UTF-16 big-endian with mark", bytes: [0xFE, 0xFF, 0x00, 0x5B, 0x00, 0x31, 0x00, 0x5D],
            .deliberate(.notUTF8)),
        Case("UTF-16 little-endian", bytes: [0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00], .deliberate(.notUTF8)),
        Case("UTF-32 big-endian", bytes: [0, 0, 0, 0x5B, 0, 0, 0, 0x5D], .deliberate(.notUTF8)),
        Case("trailing comma in an array", "[1,]", .deliberate(.trailingComma)),
        Case("trailing comma in an object", #"{"a":1 , }"#, .deliberate(.trailingComma)),
        Case("raw U+FEFF starting a string", "[\"\u{FEFF}x\"]", .deliberate(.byteOrderMarkInString)),
        Case("raw U+FEFF starting a name", "{\"\u{FEFF}k\":1}", .deliberate(.byteOrderMarkInString)),
        Case("number beyond Double", "[1e400]", .deliberate(.numberBeyondDouble)),
        Case("negative number beyond Double", #"{"a":-1e309}"#, .deliberate(.numberBeyondDouble)),
    ]

    @Test("both parsers accept, and read the same values", arguments: accepted)
    func bothAccept(_ example: Case) {
        #expect(verdict(example) == example.expected)
    }

    @Test("both parsers refuse", arguments: refused)
    func bothRefuse(_ example: Case) {
        #expect(verdict(example) == example.expected)
    }

    @Test("the parsers differ only as documented", arguments: deliberate)
    func differAsDocumented(_ example: Case) {
        #expect(verdict(example) == example.expected)
    }

    @Test("every documented difference has a case")
    func everyDifferenceIsExercised() {
        let exercised = Set(
            Self.deliberate.compactMap { example -> JSONDifferential.DeliberateDifference? in
                if case .deliberate(let difference) = example.expected { return difference }
                return nil
            })
        #expect(exercised == Set(JSONDifferential.DeliberateDifference.allCases))
    }

    @Test("a value read differently is a mismatch, not agreement")
    func comparisonSeesValues() {
        // The comparison must be able to fail: a reference that reads `[1,2]` as `[1,3]`.
        let verdict = Array("[1,2]".utf8).withUnsafeBytes { bytes in
            JSONDifferential.compare(bytes, reference: { _ in [1, 3] as [Any] })
        }
        guard case .mismatch(let what) = verdict else {
            Issue.record("expected a mismatch, got \(verdict)")
            return
        }
        #expect(what.contains("$[1]"))
    }

    func verdict(_ example: Case) -> JSONDifferential.Verdict {
        example.bytes.withUnsafeBytes { JSONDifferential.compare($0) }
    }
}
