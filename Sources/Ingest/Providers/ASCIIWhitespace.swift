import Foundation

// Whitespace trimming on the UTF-8 view. Foundation's `trimmingCharacters(in:)` bridges
// through NSString on Linux and was 11 % of Ingest's CPU per webhook (perf, see
// docs/benchmarks.md); header values and JSON fields are ASCII in practice.
extension StringProtocol {
    /// Like `trimmingCharacters(in: .whitespaces)` for ASCII space and tab.
    func trimmedWhitespace() -> String {
        String(trimmingWhitespace())
    }

    /// ``trimmedWhitespace()`` as a slice of the same text, without copying it.
    func trimmingWhitespace() -> Substring {
        trimmingASCII { $0 == 0x20 || $0 == 0x09 }
    }

    /// Like `trimmingCharacters(in: .whitespacesAndNewlines)`: ASCII whitespace here, and
    /// Foundation only when the result still starts or ends with a non-ASCII character
    /// (which could be Unicode whitespace such as U+00A0).
    func trimmedWhitespaceAndNewlines() -> String {
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
        return trimmed.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func trimmingASCII(_ isSpace: (UInt8) -> Bool) -> Substring {
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
