import NIOCore

extension ByteBuffer {
    /// Writes `string` as a quoted JSON string. Inlinable: events and frames are written
    /// with it in other modules, once per field.
    ///
    /// Only what RFC 8259 requires is escaped: `"` and `\` as `\"` and `\\`, and the
    /// control characters U+0000…U+001F as `\u00XX`. Everything else, including non-ASCII
    /// text, is copied through as its UTF-8 bytes (a Swift `String` is always valid
    /// Unicode, so the output is always valid UTF-8). Unescaped runs are copied in one
    /// `memcpy`, so the common case (nothing to escape) costs a single scan and copy.
    @inlinable
    public mutating func writeJSONString(_ string: String) {
        writeInteger(UInt8(ascii: "\""))
        var string = string  // `withUTF8` is mutating; for native strings this does not copy
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index {
                    writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<index]))
                }
                if byte < 0x20 {
                    writeStaticString("\\u00")
                    writeInteger(Hex.digits[Int(byte >> 4)])
                    writeInteger(Hex.digits[Int(byte & 0x0F)])
                } else {
                    writeInteger(UInt8(ascii: "\\"))
                    writeInteger(byte)
                }
                runStart = index + 1
            }
            if runStart < utf8.count {
                writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<utf8.count]))
            }
        }
        writeInteger(UInt8(ascii: "\""))
    }

    /// Writes `value` as a JSON number in decimal, without going through `String`.
    @inlinable
    public mutating func writeJSONInteger(_ value: Int) {
        if value == 0 {
            writeInteger(UInt8(ascii: "0"))
            return
        }
        if value < 0 {
            writeInteger(UInt8(ascii: "-"))
        }
        // `magnitude` keeps Int.min representable.
        var remaining = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes > 19 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { scratch in
            var position = scratch.count
            while remaining > 0 {
                position -= 1
                scratch[position] = 0x30 + UInt8(remaining % 10)
                remaining /= 10
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }
}
