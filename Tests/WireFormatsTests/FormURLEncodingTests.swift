import Testing

@testable import WireFormats

@Suite("Form and query encoding")
struct FormURLEncodingTests {
    @Test(
        "a name or value decodes `+` as a space and `%XX` as a byte",
        arguments: [
            ("a+b", "a b"), ("%2B1%20555", "+1 555"), ("a%2eb", "a.b"), ("%C3%A9t%C3%A9", "été"), ("plain", "plain"),
            ("", ""),
            ("%e2%98%8E", "☎"),
        ])
    func decoding(encoded: String, decoded: String) {
        #expect(FormURLEncoding.decode(Substring(encoded)) == decoded)
    }

    @Test(
        "a malformed escape is kept as it came; bytes that are not UTF-8 become U+FFFD",
        arguments: [
            ("%", "%"), ("a%4", "a%4"), ("%ZZ", "%ZZ"), ("%4G%41", "%4GA"), ("%4%41", "%4%41"), ("a%2Eb%ZZ", "a.b%ZZ"),
            ("%FF", "\u{FFFD}"), ("%C3", "\u{FFFD}"),
        ])
    func malformed(encoded: String, decoded: String) {
        #expect(FormURLEncoding.decode(Substring(encoded)) == decoded)
    }

    @Test("a path decodes escapes but keeps `+`")
    func path() {
        #expect(FormURLEncoding.decodePath("/a+b%2Fc") == "/a+b/c")
        #expect(FormURLEncoding.decodePath("/%77s") == "/ws")
    }

    @Test("pairs keep their order and repeats; empty pairs are skipped; no `=` is an empty value")
    func pairs() {
        let pairs = FormURLEncoding.pairs("a=1&&b=&a=2&flag&=x&c=d=e")
        #expect(pairs.map(\.name) == ["a", "b", "a", "flag", "", "c"])
        #expect(pairs.map(\.value) == ["1", "", "2", "", "x", "d=e"])
        #expect(FormURLEncoding.pairs("").isEmpty)
    }

    @Test("the query of a URI ends at a fragment; values of a name come in order, decoded")
    func query() {
        #expect(FormURLEncoding.query(of: "/p?a=1&b=2#frag") == "a=1&b=2")
        #expect(FormURLEncoding.query(of: "https://h.example/p?x") == "x")
        #expect(FormURLEncoding.query(of: "/p?") == "")
        #expect(FormURLEncoding.query(of: "/p#a?b") == nil)
        #expect(FormURLEncoding.query(of: "/p") == nil)
        #expect(
            FormURLEncoding.values(named: "client Id", in: "client+Id=a%2Bb&x=1&client%20Id=&clientId=z") == [
                "a+b", "",
            ])
        #expect(FormURLEncoding.values(named: "missing", in: "a=1").isEmpty)
    }

    @Test("encoding: unreserved characters as they are, a space as `+`, the rest as `%XX`")
    func encoding() {
        #expect(FormURLEncoding.encode([("From", "+1 555"), ("a&b", "x=y~")]) == "From=%2B1+555&a%26b=x%3Dy~")
        #expect(FormURLEncoding.encode("été") == "%C3%A9t%C3%A9")
        for text in ["+1 555", "a&b=c", "été ☎", "%41", "~-._"] {
            #expect(FormURLEncoding.decode(Substring(FormURLEncoding.encode(text))) == text)
        }
    }
}

@Suite("Form bodies")
struct FormBodyTests {
    func body(_ text: String) -> FormBody {
        FormBody(Array(text.utf8))
    }

    @Test("a strict form: parameters in order, repeats kept, empty values")
    func strict() {
        let form = body("CallSid=CA1&From=%2B14155550100&Digits=1&Digits=2&Empty=&Caller=a+b")
        #expect(form.flaw == nil)
        #expect(form.parameters.map(\.name) == ["CallSid", "From", "Digits", "Digits", "Empty", "Caller"])
        #expect(form.parameters.map(\.value) == ["CA1", "+14155550100", "1", "2", "", "a b"])
        #expect(body("").parameters.isEmpty && body("").flaw == nil)
    }

    @Test("the first flaw is named; the parameters are still read leniently")
    func flaws() {
        #expect(body("a=1&junk&b=%ZZ").flaw == .notAPair("junk"))
        #expect(body("a=1&b=%ZZ&junk").flaw == .badEscape(name: "b"))
        #expect(body("a%G1=1").flaw == .badEscape(name: "a%G1"))
        #expect(body("a=%FF").flaw == .badEscape(name: "a"))
        #expect(body("=1&a=2").flaw == .emptyName)
        let lenient = body("a=1&b=%ZZ&c")
        #expect(lenient.parameters.map(\.name) == ["a", "b", "c"])
        #expect(lenient.parameters.map(\.value) == ["1", "%ZZ", ""])
    }

    @Test("a body that is not UTF-8 is flawed before anything else, and read with U+FFFD")
    func notUTF8() {
        let form = FormBody([UInt8(ascii: "a"), UInt8(ascii: "="), 0xFF, UInt8(ascii: "&"), UInt8(ascii: "b")])
        #expect(form.flaw == .notUTF8)
        #expect(form.parameters.map(\.value) == ["\u{FFFD}", ""])
    }
}
