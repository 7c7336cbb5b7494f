/// Lowercase hexadecimal text of bytes, written by hand because digests are formatted
/// on the hot path and `String(format:)` is both slow and locale-dependent.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The lowercase hex of `bytes`, two characters per byte.
    static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
