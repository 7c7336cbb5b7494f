/// A pull reader over RFC 8259 JSON text.
///
/// Why not `JSONSerialization`/`JSONDecoder`: consumers decode every event on the bus,
/// so decoding is as hot as encoding; pulling only the fields we know straight out of
/// the bytes avoids building a dictionary of boxed values, keeps `true`/`1` apart (which
/// `NSNumber` does not reliably do across platforms), and lets errors name the exact field.
///
/// The reader checks full JSON syntax for everything it passes over, including skipped
/// values, so a document that is not JSON is always rejected as such. It works on raw
/// bytes that must outlive it (use it inside `withUnsafeBytes` scopes). Ingest reads webhook
/// bodies with it too, through ``JSONValue``. Inlinable, so that the event decoder in
/// CallEvents reads through it as if it were its own code.
public struct JSONReader {
    /// Deeper nesting is refused instead of recursing until the stack overflows.
    public static let maximumDepth = 64

    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position = 0

    /// The byte offset of the next unread byte.
    @inlinable public var offset: Int { position }

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // MARK: - Structure

    // The error paths stay out of line: only the callers' fast paths are inlined.
    @usableFromInline
    func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(message: message, offset: offset ?? self.position)
    }

    @usableFromInline
    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte 0x" + Hex.lowercase([byte])
    }

    @inlinable
    public mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                position += 1
            default:
                return
            }
        }
    }

    /// The kind of the next value (after whitespace), without consuming it.
    @inlinable
    public mutating func peekKind() throws(JSONSyntaxError) -> JSONValueKind {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input, expected a value") }
        guard let kind = JSONValueKind(firstByte: bytes[position]) else {
            throw fail("unexpected \(describe(bytes[position])), expected a value")
        }
        return kind
    }

    @inlinable
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input, expected \(what)") }
        guard bytes[position] == byte else {
            throw fail("unexpected \(describe(bytes[position])), expected \(what)")
        }
        position += 1
    }

    /// Checks that nothing but whitespace follows the top-level value.
    @inlinable
    public mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        if position < bytes.count {
            throw fail("unexpected \(describe(bytes[position])) after the end of the document")
        }
    }

    /// Consumes the `{` of an object.
    @inlinable
    public mutating func beginObject() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"), "'{'")
    }

    /// The next member name of the object being read, with its `:` consumed, or nil
    /// when the closing `}` was consumed. `isFirst` tracks whether a `,` is due; start
    /// it at `true` right after ``beginObject()``.
    @inlinable
    public mutating func nextMemberName(isFirst: inout Bool) throws(JSONSyntaxError) -> String? {
        guard try nextItem(closing: UInt8(ascii: "}"), inside: "an object", isFirst: &isFirst) else { return nil }
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw fail(
                position < bytes.count
                    ? "unexpected \(describe(bytes[position])), expected a member name in double quotes"
                    : "unexpected end of input inside an object")
        }
        let name = try readString()
        try expect(UInt8(ascii: ":"), "':' after a member name")
        return name
    }

    // MARK: - Values

    /// Reads a string value (the next token must be a string).
    @inlinable
    public mutating func readString() throws(JSONSyntaxError) -> String {
        skipWhitespace()
        let start = position
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw fail("expected a string")
        }
        position += 1
        let contentStart = position
        // Fast path: no escapes, which is every string our own encoder writes except
        // the rare ones with quotes, backslashes or control characters.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<position])
                position += 1
                guard let string = String(validating: content, as: UTF8.self) else {
                    throw fail("string is not valid UTF-8", at: start)
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("unescaped control character \(describe(byte)) in a string") }
            position += 1
        }
        guard position < bytes.count else { throw fail("unterminated string", at: start) }

        // Slow path: unescape into a scratch array.
        var scratch = Array(UnsafeRawBufferPointer(rebasing: bytes[contentStart..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: scratch, as: UTF8.self) else {
                    throw fail("string is not valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try readUnicodeEscape()
                    scratch.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    throw fail("invalid escape sequence '\\\(Character(Unicode.Scalar(escape)))'", at: position - 2)
                }
            default:
                if byte < 0x20 { throw fail("unescaped control character \(describe(byte)) in a string") }
                scratch.append(byte)
                position += 1
            }
        }
        throw fail("unterminated string", at: start)
    }

    /// Reads the `XXXX` after `\u` (and a following `\uXXXX` low surrogate when the first
    /// is a high surrogate). Unpaired surrogates are rejected: they are not text.
    @inlinable
    mutating func readUnicodeEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let escapeStart = position - 2
        let first = try readHexQuad()
        switch first {
        case 0xD800...0xDBFF:
            guard position + 1 < bytes.count,
                bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
            else { throw fail("unpaired surrogate in \\u escape", at: escapeStart) }
            position += 2
            let second = try readHexQuad()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw fail("unpaired surrogate in \\u escape", at: escapeStart)
            }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw fail("unpaired surrogate in \\u escape", at: escapeStart)
        default:
            return Unicode.Scalar(first)!
        }
    }

    @inlinable
    mutating func readHexQuad() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit \(describe(byte)) in \\u escape")
            }
            value = value << 4 | nibble
            position += 1
        }
        return value
    }

    /// Where a number was found, and whether it is written as a whole number.
    public struct NumberToken: Sendable {
        /// The bytes of the integer part, including a leading `-`.
        public var integerPart: Range<Int>
        /// True when the number has an exponent or a nonzero fractional digit, i.e. it
        /// is not written as a whole number (`49` and `49.0` are whole, `49.5` and `4.9e1` are not).
        public var hasNonIntegralPart: Bool
        /// The bytes of the whole number, sign to exponent.
        public var text: Range<Int>

        @inlinable
        init(integerPart: Range<Int>, hasNonIntegralPart: Bool, text: Range<Int>) {
            self.integerPart = integerPart
            self.hasNonIntegralPart = hasNonIntegralPart
            self.text = text
        }
    }

    /// The value of a number token as a `Double` (the nearest one, as `Double(_:)` rounds).
    @inlinable
    public func doubleValue(of token: NumberToken) -> Double {
        // The token passed the JSON number grammar, which `Double(_:)` accepts in full.
        Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[token.text]), as: UTF8.self))!
    }

    /// The value of a whole-number token as an `Int`, or nil if it does not fit.
    @inlinable
    public func integerValue(of token: NumberToken) -> Int? {
        var index = token.integerPart.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value = 0
        while index < token.integerPart.upperBound {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            // Accumulate negatively so that Int.min is representable.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// Reads a number, checking the RFC 8259 grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    @inlinable
    public mutating func readNumber() throws(JSONSyntaxError) -> NumberToken {
        skipWhitespace()
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw fail("invalid number", at: start) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) {
                throw fail("invalid number: leading zero", at: start)
            }
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let integerEnd = position
        var nonIntegral = false
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw fail("invalid number: '.' must be followed by a digit", at: start)
            }
            while position < bytes.count, isDigit(bytes[position]) {
                if bytes[position] != UInt8(ascii: "0") { nonIntegral = true }
                position += 1
            }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            nonIntegral = true
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw fail("invalid number: exponent needs digits", at: start)
            }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        return NumberToken(integerPart: start..<integerEnd, hasNonIntegralPart: nonIntegral, text: start..<position)
    }

    @inlinable
    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Consumes `null`.
    @inlinable
    public mutating func readNull() throws(JSONSyntaxError) {
        try readLiteral("null")
    }

    /// Reads `true` or `false`.
    @inlinable
    public mutating func readBool() throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "t") {
            try readLiteral("true")
            return true
        }
        try readLiteral("false")
        return false
    }

    /// Consumes the `[` of an array.
    @inlinable
    public mutating func beginArray() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "["), "'['")
    }

    /// Whether another element of the array being read follows (its `,` consumed); false
    /// when the closing `]` was consumed. Start `isFirst` at `true` right after ``beginArray()``.
    @inlinable
    public mutating func nextElement(isFirst: inout Bool) throws(JSONSyntaxError) -> Bool {
        try nextItem(closing: UInt8(ascii: "]"), inside: "an array", isFirst: &isFirst)
    }

    /// Whether another item of the open object or array follows (the `,` before it consumed
    /// unless it is the first); false when `closing` was consumed.
    @inlinable
    mutating func nextItem(
        closing: UInt8, inside container: String, isFirst: inout Bool
    ) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input inside \(container)") }
        if bytes[position] == closing {
            position += 1
            return false
        }
        if isFirst {
            isFirst = false
        } else {
            try expect(UInt8(ascii: ","), "',' or '\(Character(Unicode.Scalar(closing)))'")
        }
        return true
    }

    @inlinable
    mutating func readLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        skipWhitespace()
        let start = position
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail("invalid literal", at: start) }
        let pointer = literal.utf8Start
        for index in 0..<count where bytes[position + index] != pointer[index] {
            throw fail("invalid literal", at: start)
        }
        position += count
    }

    /// Consumes one value of any kind, checking its syntax. `depth` is the nesting level
    /// of the containing structure.
    @inlinable
    public mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        switch try peekKind() {
        case .string:
            _ = try readString()
        case .number:
            _ = try readNumber()
        case .null:
            try readLiteral("null")
        case .boolean:
            _ = try readBool()
        case .object:
            guard depth < Self.maximumDepth else {
                throw fail("nesting deeper than \(Self.maximumDepth) levels")
            }
            try beginObject()
            var isFirst = true
            while try nextMemberName(isFirst: &isFirst) != nil {
                try skipValue(depth: depth + 1)
            }
        case .array:
            guard depth < Self.maximumDepth else {
                throw fail("nesting deeper than \(Self.maximumDepth) levels")
            }
            try beginArray()
            var isFirst = true
            while try nextElement(isFirst: &isFirst) {
                try skipValue(depth: depth + 1)
            }
        }
    }
}
