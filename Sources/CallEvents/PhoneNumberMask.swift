/// Masks phone numbers so that they never reach Kafka in full.
///
/// A masked number keeps only its last four digits behind `***`:
/// `"+1 (415) 555-4321"` becomes `"***4321"`. That is enough for a person to recognise
/// "their" caller on a dashboard, and too little to call anyone back.
///
/// The rules, in order:
/// - `nil`, the empty string, or only whitespace → `nil`: there was no number, so the
///   field stays absent rather than pretending there was one.
/// - Everything that is not a digit is dropped before counting (`+`, spaces, `-`, `(`,
///   `)`, `.`, `sip:`, letters). Decimal digits of other scripts, such as fullwidth `４`
///   or Arabic-Indic `٤`, count as the ASCII digit of the same value, so the output is
///   always ASCII.
/// - No digits at all (`"anonymous"`, `"sip:alice@example.com"`, `"Restricted"`) → `"***"`:
///   something was there, but there is nothing to show.
/// - Four digits or fewer (`"1234"`, an extension, a short code) → `"***"`: showing the
///   last four would show the whole number.
/// - Five digits or more → `"***"` followed by the last four digits.
///
/// The output never contains anything from the input but those last four digits, so
/// the full number (and any text around it) cannot survive.
public enum PhoneNumberMask {
    /// What stands in for the hidden digits.
    public static let prefix = "***"

    /// The masked form of `number`; see ``PhoneNumberMask`` for the rules.
    public static func mask(_ number: String?) -> String? {
        guard let number, hasNonWhitespace(number) else { return nil }
        let digits = PhoneDigits.ascii(of: number)
        guard digits.count > 4 else { return prefix }
        return prefix + String(decoding: digits.suffix(4), as: UTF8.self)
    }

    /// True when some character of `number` is not whitespace (`Character.isWhitespace`).
    ///
    /// ASCII text, which is what providers send, is checked byte by byte: there every
    /// character is one byte (or CR LF) and the whitespace ones are space and U+0009…U+000D.
    /// Anything else goes through `Character`, whose grapheme breaking is far slower.
    private static func hasNonWhitespace(_ number: String) -> Bool {
        let utf8 = number.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            return number.contains { !$0.isWhitespace }
        }
        return utf8.contains { $0 != 0x20 && !(0x09...0x0D).contains($0) }
    }
}
