/// Hexadecimal text of bytes (digests, signatures), for every target: written by hand because
/// digests are formatted on the hot path and `String(format:)` is both slow and
/// locale-dependent.
public enum Hex {
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The lowercase hex of `bytes`, two characters per byte. Inlinable, like `decode`, so
    /// that callers in other modules get it specialized (signatures are checked per webhook).
    @inlinable
    public static func lowercase<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let hex = bytes.withContiguousStorageIfAvailable { lowercase(UnsafeRawBufferPointer($0)) }
        return hex ?? lowercase(Array(bytes))
    }

    /// The lowercase hex of `bytes`, written straight into the string's storage (one
    /// allocation, no intermediate array).
    public static func lowercase(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    /// The bytes of `text` (either case), or nil when it is not an even run of hex digits.
    @inlinable
    public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        // Straight from the bytes when they are contiguous (always, for native strings).
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode(bytes: $0) }) {
            return decoded
        }
        return decode(bytes: text.utf8)
    }

    @inlinable
    static func decode(bytes utf8: some Collection<UInt8>) -> [UInt8]? {
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var characters = utf8.makeIterator()
        while let first = characters.next() {
            guard let second = characters.next(), let high = nibble(first), let low = nibble(second) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    @inlinable
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
