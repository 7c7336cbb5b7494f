/// Lowercase hexadecimal text of bytes, written by hand because digests are formatted
/// on the hot path and `String(format:)` is both slow and locale-dependent.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The lowercase hex of `bytes`, two characters per byte.
    static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let hex = bytes.withContiguousStorageIfAvailable { lowercase(UnsafeRawBufferPointer($0)) }
        return hex ?? lowercase(Array(bytes))
    }

    /// The lowercase hex of `bytes`, written straight into the string's storage (one
    /// allocation, no intermediate array).
    static func lowercase(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
