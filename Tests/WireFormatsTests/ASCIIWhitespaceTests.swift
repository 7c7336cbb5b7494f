import Foundation
import Testing
import WireFormats

@Suite("ASCII whitespace trimming")
struct ASCIIWhitespaceTests {
    @Test(
        "trimming whitespace and newlines agrees with Foundation",
        arguments: [
            "abc", " abc", "abc\n", "\t a b \r\n", "", " ", "x", "\u{A0}abc\u{2003}", "é", " é ", "a\u{85}",
            "\u{1F}a\u{1F}",
        ]
    )
    func trimming(text: String) {
        #expect(text.trimmedWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test(
        "spaces and tabs are trimmed at both ends, nothing else",
        arguments: [
            ("  a b\t", "a b"), ("\t\t", ""), ("", ""), ("x", "x"), ("\na\n", "\na\n"), ("\u{A0}a", "\u{A0}a"),
            (" é ", "é"),
        ])
    func spacesAndTabs(text: String, expected: String) {
        #expect(text.trimmedWhitespace() == expected)
        // On a slice of a longer text, the same: the slice's bounds are respected.
        #expect(("[" + text + "]").dropFirst().dropLast().trimmingWhitespace() == expected)
    }
}
