// Whitespace trimming on the UTF-8 view: Foundation's `trimmingCharacters(in:)` bridges
// through NSString on Linux, a cost profiling found on every webhook (docs/benchmarks.md);
// header values, form fields and JSON fields are ASCII in practice. Inlinable, so that
// callers in other modules get it specialized for their string type.
extension StringProtocol {
    /// Like `trimmingCharacters(in: .whitespaces)` for ASCII space and tab.
    @inlinable
    public func trimmedWhitespace() -> String {
        String(trimmingWhitespace())
    }

    /// ``trimmedWhitespace()`` as a slice of the same text, without copying it.
    @inlinable
    public func trimmingWhitespace() -> Substring {
        trimmingASCII { $0 == 0x20 || $0 == 0x09 }
    }

    /// Like `trimmingCharacters(in: .whitespacesAndNewlines)`: ASCII whitespace here, and
    /// Unicode's `White_Space` (Foundation's set: Z*, U+0009…U+000D, U+0085) only when the
    /// result still starts or ends with a non-ASCII character, such as U+00A0.
    @inlinable
    public func trimmedWhitespaceAndNewlines() -> String {
        // Most fields start and end with an ASCII character that is not whitespace: then
        // nothing is trimmed and the text is returned without being scanned or copied.
        let bytes = Substring(self).utf8
        if let first = bytes.first, let last = bytes.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 {
            return String(self)
        }
        let trimmed = String(trimmingASCII { $0 == 0x20 || (0x09...0x0D).contains($0) })
        guard let first = trimmed.unicodeScalars.first, let last = trimmed.unicodeScalars.last,
            !first.isASCII || !last.isASCII
        else { return trimmed }
        let scalars = trimmed.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }

    @inlinable
    func trimmingASCII(_ isSpace: (UInt8) -> Bool) -> Substring {
        let text = Substring(self)
        let bytes = text.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start != end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end != start {
            let before = bytes.index(before: end)
            guard isSpace(bytes[before]) else { break }
            end = before
        }
        return text[start..<end]
    }
}
