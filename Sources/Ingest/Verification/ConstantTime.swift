/// Comparisons of secrets and signatures whose running time does not depend on where the
/// inputs differ, so a caller cannot learn a correct value byte by byte from response times.
enum ConstantTime {
    /// True when `a` and `b` hold the same bytes.
    ///
    /// Every byte of the longer input is visited whatever the contents; only the lengths
    /// (which are not secret: signatures and digests have fixed, public sizes) affect the
    /// time taken. There is no early exit.
    static func equals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        // Compare in place when both are contiguous (arrays, digests, native strings' UTF-8),
        // which is every call on the webhook path; copy only the rare other collections.
        let inPlace = a.withContiguousStorageIfAvailable { left in
            b.withContiguousStorageIfAvailable { right in equals(left, right) }
        }
        if let inPlace, let result = inPlace {
            return result
        }
        return Array(a).withUnsafeBufferPointer { left in
            Array(b).withUnsafeBufferPointer { right in equals(left, right) }
        }
    }

    /// True when the UTF-8 bytes of `a` and `b` are the same (no Unicode normalization).
    static func equals(_ a: String, _ b: String) -> Bool {
        equals(a.utf8, b.utf8)
    }

    private static func equals(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = max(left.count, right.count)
        // Unequal lengths already make the result false, but the loop still runs in full.
        var difference: UInt = left.count == right.count ? 0 : 1
        var index = 0
        while index < count {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= UInt(x ^ y)
            index += 1
        }
        return difference == 0
    }
}
