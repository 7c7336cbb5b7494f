import CallEvents
import Testing

@Suite("PhoneNumberMask")
struct PhoneNumberMaskTests {
    @Test(
        "keeps only the last four digits",
        arguments: [
            ("+1 (415) 555-4321", "***4321"),
            ("+14155554321", "***4321"),
            ("14155554321", "***4321"),
            ("+44 20 7946 0958", "***0958"),
            ("415.555.1212", "***1212"),
            ("sip:+14155554321@sip.example.com", "***4321"),
            ("tel:+1-415-555-0000", "***0000"),
            ("  +1 415 555 4321  ", "***4321"),
        ]
    )
    func keepsLastFourDigits(input: String, expected: String) {
        #expect(PhoneNumberMask.mask(input) == expected)
    }

    @Test("five digits show four; four or fewer show none")
    func shortNumbers() {
        #expect(PhoneNumberMask.mask("12345") == "***2345")
        #expect(PhoneNumberMask.mask("1234") == "***")
        #expect(PhoneNumberMask.mask("123") == "***")
        #expect(PhoneNumberMask.mask("7") == "***")
        // Formatting characters do not count as digits: still only four digits.
        #expect(PhoneNumberMask.mask("+1-2-3-4") == "***")
        #expect(PhoneNumberMask.mask("(12) 34") == "***")
        #expect(PhoneNumberMask.mask("+1-2-3-4-5") == "***2345")
    }

    @Test(
        "a value with no digits becomes *** only",
        arguments: ["anonymous", "Anonymous", "Restricted", "sip:alice@example.com", "+", "()-", "client:agent-one"]
    )
    func noDigits(input: String) {
        #expect(PhoneNumberMask.mask(input) == "***")
    }

    @Test(
        "nil, empty and whitespace-only inputs stay absent",
        arguments: [nil, "", " ", "\t\n", "\r\n\u{0B}\u{0C}", " \u{A0}\u{2003} "] as [String?]
    )
    func absent(input: String?) {
        #expect(PhoneNumberMask.mask(input) == nil)
    }

    @Test("ASCII control characters that are not whitespace still count as something")
    func nonWhitespaceControls() {
        // U+001C…U+001F are not Unicode whitespace, so the field is present, with no digits.
        #expect(PhoneNumberMask.mask("\u{1C}") == "***")
        #expect(PhoneNumberMask.mask(" \u{1F}\t") == "***")
        // A combining mark on a space makes a non-whitespace character only by grapheme rules.
        #expect(PhoneNumberMask.mask(" \u{301}") == (" \u{301}".contains { !$0.isWhitespace } ? "***" : nil))
    }

    @Test("decimal digits of other scripts count, and come out as ASCII")
    func unicodeDigits() {
        // Fullwidth digits (U+FF10…) and Arabic-Indic digits (U+0660…).
        #expect(PhoneNumberMask.mask("＋１ ４１５ ５５５ ４３２１") == "***4321")
        #expect(PhoneNumberMask.mask("٠١٢٣٤٥٦٧٨٩") == "***6789")
        // Four fullwidth digits are still a short number.
        #expect(PhoneNumberMask.mask("１２３４") == "***")
        // Superscripts and fractions are not decimal digits.
        #expect(PhoneNumberMask.mask("¹²³⁴⁵½") == "***")
    }

    @Test("the output never contains more than the last four digits of the input")
    func neverLeaks() {
        let inputs = [
            "+1 (415) 555-4321", "14155554321", "+447911123456", "0049 30 1234567",
            "sip:bob@10.0.0.1", "secret-extension-98765", "12345", "+1 415 555 4321 ext. 99",
        ]
        for input in inputs {
            let masked = PhoneNumberMask.mask(input)!
            #expect(masked.hasPrefix("***"))
            let shown = masked.dropFirst(3)
            #expect(shown.count <= 4)
            #expect(shown.allSatisfy { $0.isASCII })
            #expect(shown.allSatisfy { $0.isNumber })
            // Nothing but digits from the end of the input.
            let digits = input.filter(\.isNumber)
            #expect(digits.hasSuffix(shown))
        }
    }
}
