import NIOCore
import Testing
import WireFormats

@Suite("JSONValue parsing")
struct JSONValueTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue(parsing: ByteBuffer(string: text))
    }

    func parse(bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { raw in try JSONValue(parsing: raw) }
    }

    @Test("every kind, nested, with types kept apart")
    func everyKind() throws {
        let value = try parse(#" { "a": [1, true, null, "x", {"b": -2.5e1}], "c": {}, "d": [] , "e": false } "#)
        #expect(
            value
                == .object([
                    "a": .array([.number(1), .bool(true), .null, .string("x"), .object(["b": .number(-25)])]),
                    "c": .object([:]),
                    "d": .array([]),
                    "e": .bool(false),
                ]))
        #expect(try parse("1") != parse("true"))
        #expect(try parse("0").kind == .number)
        #expect(try parse("null").kind.phrase == "null")
        #expect(try parse("[]").kind.phrase == "an array")
    }

    @Test(
        "numbers follow RFC 8259",
        arguments: ["0", "-0", "12", "-3.25", "1e3", "1E+3", "2.5e-2", "123456789012345678901234"])
    func validNumbers(text: String) throws {
        #expect(try parse(text) == .number(Double(text)!))
    }

    @Test(
        "numbers outside the grammar are refused",
        arguments: ["01", "1.", ".5", "+1", "-", "1e", "NaN", "Infinity", "0x10", "1.5.2"])
    func invalidNumbers(text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test("escapes, including a surrogate pair, and UTF-8 text")
    func strings() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\ud83d\ude00""#) == .string("é😀"))
        #expect(try parse("\"naïve ☎\"") == .string("naïve ☎"))
    }

    @Test("bad strings are refused")
    func badStrings() {
        #expect(throws: JSONSyntaxError.self) { try parse(#""\ud83d""#) }  // unpaired surrogate
        #expect(throws: JSONSyntaxError.self) { try parse(#""\x41""#) }  // unknown escape
        #expect(throws: JSONSyntaxError.self) { try parse("\"a\nb\"") }  // raw control character
        #expect(throws: JSONSyntaxError.self) { try parse(#""open"#) }  // unterminated
        #expect(throws: JSONSyntaxError.self) { try parse(bytes: [0x22, 0xFF, 0x22]) }  // not UTF-8
    }

    @Test(
        "structure errors are refused",
        arguments: [
            "", "   ", "{", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "{} {}", "true false", "nul", "[1]x",
        ])
    func badStructure(text: String) {
        #expect(throws: JSONSyntaxError.self) { try parse(text) }
    }

    @Test("nesting is limited, so a hostile body cannot exhaust the stack")
    func depth() throws {
        let limit = JSONReader.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try parse(deepest) }
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        let error = try #require(throws: JSONSyntaxError.self) { try parse(tooDeep) }
        #expect(error.message.contains("nesting"))
        #expect(throws: JSONSyntaxError.self) { try parse(String(repeating: #"{"a":"#, count: 100_000)) }
    }

    @Test(
        "a member name given twice in one object is refused, naming it",
        arguments: [
            (#"{"clientId":"acme","callId":"c","clientId":"globex"}"#, #"member "clientId" appears more than once"#),
            (
                #"{"call":{"metadata":{"clientId":"acme","clientId":"globex"}}}"#,
                #"member "clientId" appears more than once"#
            ),
            (#"[{"a":1},{"b":1,"b":1}]"#, #"member "b" appears more than once"#),
            // Equal as Swift strings (canonically equivalent), so one dictionary key: still two members.
            ("{\"caf\u{E9}\":1,\"cafe\u{301}\":2}", "appears more than once"),
            ("{\"K\":1,\"\u{212A}\":2}", "appears more than once"),
            (#"{"K":1,"\u212a":2}"#, "appears more than once"),
        ]
    )
    func duplicateMembers(_ text: String, _ message: String) throws {
        let error = try #require(throws: JSONSyntaxError.self) { try parse(text) }
        #expect(error.message.contains(message), "\(error)")
    }

    @Test("the same name in different objects, or in another letter case, is no duplicate")
    func distinctMembers() throws {
        let value = try parse(#"{"a":{"a":1},"A":[{"a":2},{"a":3}]}"#)
        #expect(
            value
                == .object([
                    "a": .object(["a": .number(1)]),
                    "A": .array([.object(["a": .number(2)]), .object(["a": .number(3)])]),
                ]))
    }

    @Test("errors say where")
    func errorOffset() {
        let error = #expect(throws: JSONSyntaxError.self) { try parse(#"{"a": tru}"#) }
        #expect(error?.offset == 6)
        #expect(error?.description.contains("at byte 6") == true)
    }
}
