/// The one place that decides what "the digits of a phone number" are, shared by
/// ``PhoneNumberMask`` and ``CallerHasher`` so the mask and the hash can never disagree
/// about which characters count.
enum PhoneDigits {
    /// The decimal digits of `number` as ASCII bytes (`0x30`…`0x39`), in order.
    ///
    /// Everything that is not a digit (`+`, spaces, dashes, parentheses, `sip:` prefixes,
    /// letters) is dropped. Decimal digits of other scripts (Unicode category Nd, e.g.
    /// fullwidth `４` or Arabic-Indic `٤`) count as the ASCII digit of the same value: a
    /// number typed on another keyboard is still the same number, so it must mask the same,
    /// hash the same, and, above all, never slip through the mask because "it had no digits".
    static func ascii(of number: String) -> [UInt8] {
        var digits: [UInt8] = []
        digits.reserveCapacity(number.utf8.count)
        // Byte by byte for ASCII text, which is what providers send; other text is decoded
        // into scalars so that digits of other scripts count.
        if number.utf8.allSatisfy({ $0 < 0x80 }) {
            for byte in number.utf8 where byte >= 0x30 && byte <= 0x39 {
                digits.append(byte)
            }
            return digits
        }
        for scalar in number.unicodeScalars {
            if scalar.isASCII {
                let value = UInt8(truncatingIfNeeded: scalar.value)
                if value >= 0x30 && value <= 0x39 {
                    digits.append(value)
                }
            } else if scalar.properties.numericType == .decimal,
                let value = scalar.properties.numericValue,
                value >= 0, value <= 9
            {
                digits.append(0x30 + UInt8(value))
            }
        }
        return digits
    }
}
